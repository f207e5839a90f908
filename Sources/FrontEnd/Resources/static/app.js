// Live progress on the verification page: Server-Sent Events, falling back to polling.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh), so this is progressive.
(() => {
  "use strict";
  const root = document.querySelector("[data-verification]");
  if (!root || root.dataset.terminal === "true") return;

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    // The server renders the outcome (image, next step) on the same URL.
    window.location.replace(window.location.href);
  };

  const render = (status) => {
    const headline = document.getElementById("headline");
    const message = document.getElementById("message");
    if (headline && headline.textContent !== status.headline) headline.textContent = status.headline;
    if (message && message.textContent !== status.message) message.textContent = status.message;
    for (const step of status.steps || []) {
      const item = root.querySelector(`[data-step="${step.id}"]`);
      if (!item) continue;
      item.className = `step ${step.state}`;
      const state = item.querySelector(".step-state");
      if (state) state.textContent = `(${step.stateText})`;
    }
    if (status.terminal) finish();
  };

  const poll = async () => {
    while (!finished) {
      try {
        const response = await fetch(root.dataset.status, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" });
        if (response.ok) render(await response.json());
        else if (response.status === 404 || response.status === 403) finish();
      } catch (_) { /* network hiccup: try again */ }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };

  if ("EventSource" in window) {
    const events = new EventSource(root.dataset.events);
    events.onmessage = (event) => {
      try { render(JSON.parse(event.data)); } catch (_) { /* ignore a malformed event */ }
      if (finished) events.close();
    };
    events.onerror = () => {
      if (finished) return;
      events.close();
      poll();
    };
  } else {
    poll();
  }

  const countdown = document.getElementById("countdown");
  const expires = Number(root.dataset.expires);
  if (countdown && expires > 0) {
    const tick = () => {
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      countdown.textContent = `${left} s`;
      if (left > 0 && !finished) setTimeout(tick, 1000);
    };
    tick();
  }
})();

// Live progress on the enrolment page: polls its JSON status (views accepted, the device's hint,
// the last refused view) and reloads for the server-rendered result once it is over.
(() => {
  "use strict";
  const root = document.querySelector("[data-enrolment]");
  if (!root || root.dataset.terminal === "true") return;

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    window.location.replace(window.location.href);
  };
  const setText = (id, text) => {
    const element = document.getElementById(id);
    if (element && element.textContent !== text) element.textContent = text;
  };

  const render = (status) => {
    setText("headline", status.headline);
    setText("message", status.message);
    setText("views", status.viewsText);
    setText("hint", status.hint || "");
    setText("refusal", status.lastRefusal ? `Last view refused: ${status.lastRefusal}` : "");
    const bar = document.getElementById("views-bar");
    if (bar) {
      bar.max = status.wantedViews;
      bar.value = status.acceptedViews;
    }
    if (status.terminal) finish();
  };

  const poll = async () => {
    while (!finished) {
      try {
        const response = await fetch(root.dataset.status, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" });
        if (response.ok) render(await response.json());
        else if (response.status === 404 || response.status === 403) finish();
      } catch (_) { /* network hiccup: try again */ }
      if (!finished) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  poll();

  const countdown = document.getElementById("countdown");
  const expires = Number(root.dataset.expires);
  if (countdown && expires > 0) {
    const tick = () => {
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      countdown.textContent = `${left} s`;
      if (left > 0 && !finished) setTimeout(tick, 1000);
    };
    tick();
  }
})();
