"""Front-end benchmark, measured in the browser (run on demand, writes docs/benchmarks.md):

    EDGEFACTOR_BENCH=frontend EDGEFACTOR_BIN=.build/release/edgefactor \
        .venv/bin/python -m pytest -q -s Tests/Python/test_browser_benchmark.py

1. Login-to-result: from submitting the sign-in form to the result page showing the camera's
   picture, in headless Chromium, against the real front-end, hub, storage, module and agent.
   Baseline in the same run: the server-side part of the same sign-ins (the audit log's
   `verification-requested` to `verification-completed`), so the ratio is what the browser,
   the redirects and the page updates add.
2. History: the same, and the cost of the front-end's result lookup (a blob GET by exact name,
   404 while waiting, then the result), with 1 and with 100,000 past requests in storage.
"""
import os
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import EdgeFactorSystem, make_browser, sign_in, wait_for_headline
from conftest import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("EDGEFACTOR_BENCH") != "frontend",
                                reason="benchmark: set EDGEFACTOR_BENCH=frontend")
CONTAINER = "results-cam1"  # the device's own container (browser_support.DEVICE)
HISTORY = int(os.environ.get("EDGEFACTOR_BENCH_HISTORY", "100000"))
RUNS = int(os.environ.get("EDGEFACTOR_BENCH_RUNS", "5"))


def login_to_result(system, runs):
    """Seconds from form submission to the verified image on screen, per run."""
    timings = []
    driver = make_browser()
    try:
        for _ in range(runs):
            driver.delete_all_cookies()
            driver.get(system.base_url + "/")
            driver.find_element(By.ID, "username").send_keys("alice")
            driver.find_element(By.ID, "password").send_keys("correct horse battery staple")
            started = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
            assert wait_for_headline(driver, ["Verified", "not recognised", "expired", "offline"], 90) == "Verified"
            image = driver.find_element(By.CSS_SELECTOR, ".evidence img")
            WebDriverWait(driver, 30, poll_frequency=0.02).until(
                lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))
            timings.append(time.perf_counter() - started)
    finally:
        driver.quit()
    return timings


def server_side(system, runs):
    """Seconds from request to validated result, from the audit log (the last `runs` sign-ins)."""
    events = system.audit("alice")
    requested = {e["requestId"]: e["at"] for e in events if e["kind"] == "verification-requested"}
    done = [(e["requestId"], e["at"]) for e in events if e["kind"] == "verification-completed" and e["outcome"] == "found"]
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return [(parse(at) - parse(requested[rid])).total_seconds() for rid, at in done[:runs] if rid in requested]


def lookup_cost(container, calls=200):
    """Mean milliseconds of the front-end's lookups: a missing result.json (404) and a present one."""
    present = next(iter(container.list_blobs(name_starts_with="")), None)
    start = time.perf_counter()
    for i in range(calls):
        try:
            container.get_blob_client(f"{i:032x}/result.json").download_blob().readall()
        except ResourceNotFoundError:
            pass
    missing = (time.perf_counter() - start) / calls * 1000
    start = time.perf_counter()
    for _ in range(calls):
        container.get_blob_client(present.name).download_blob().readall()
    found = (time.perf_counter() - start) / calls * 1000
    return missing, found


def populate(container, count):
    """`count` past requests' result.json blobs (what the devices leave behind)."""
    body = b'{"v":1,"kind":"result","kid":"cam1","payload":"{}","sig":"x"}'

    def upload(i):
        container.get_blob_client(f"{i:016x}{'0' * 16}/result.json").upload_blob(body, overwrite=True)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(upload, range(count)))


def fmt(values):
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def test_frontend_benchmark(edgefactor_bin, tmp_path_factory):
    system = EdgeFactorSystem(edgefactor_bin, tmp_path_factory.mktemp("bench"), request_lifetime=60)
    try:
        system.start()
        system.add_user("alice", ["espresso"], threshold=50)
        container = BlobServiceClient.from_connection_string(system.storage_connection_string).get_container_client(CONTAINER)
        # Warm-up: the model and connections.
        login_to_result(system, 1)

        fresh = login_to_result(system, RUNS)
        fresh_server = server_side(system, RUNS)
        fresh_lookup = lookup_cost(container)

        started = time.perf_counter()
        populate(container, HISTORY)
        populate_seconds = time.perf_counter() - started

        history = login_to_result(system, RUNS)
        history_server = server_side(system, RUNS)
        history_lookup = lookup_cost(container)
    except Exception:
        print(system.logs_text())
        raise
    finally:
        system.stop()

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    binary = "release" if "/release/" in edgefactor_bin else "debug"
    section = f"""## Front-end

Command: `EDGEFACTOR_BENCH=frontend EDGEFACTOR_BIN=.build/{binary}/edgefactor .venv/bin/python -m pytest -q -s Tests/Python/test_browser_benchmark.py`
({stamp}, {binary} build, {os.cpu_count()} cores). Headless Chromium signs in as a user enrolled with
`espresso`; the camera is an image folder showing the sample coffee photo; storage, hub, module,
agent and front-end are separate `edgefactor` processes on loopback. Median of {RUNS} sign-ins after one warm-up.

| Measurement | fresh storage (only these sign-ins) | {HISTORY:,} past requests | ratio |
|---|---|---|---|
| Login-to-result in the browser (submit → verified image shown) | {fmt(fresh)} | {fmt(history)} | {statistics.median(history) / statistics.median(fresh):.2f}× |
| Baseline: server-side part (request → result validated, audit log) | {fmt(fresh_server)} | {fmt(history_server)} | {statistics.median(history_server) / statistics.median(fresh_server):.2f}× |
| Browser / baseline | {statistics.median(fresh) / statistics.median(fresh_server):.2f}× | {statistics.median(history) / statistics.median(history_server):.2f}× | - |
| Result lookup while waiting (GET `{{id}}/result.json`, 404) | {fresh_lookup[0]:.2f} ms | {history_lookup[0]:.2f} ms | {history_lookup[0] / fresh_lookup[0]:.2f}× |
| Result lookup when present (GET by name) | {fresh_lookup[1]:.2f} ms | {history_lookup[1]:.2f} ms | {history_lookup[1] / fresh_lookup[1]:.2f}× |

The front-end finds a result by its exact blob name and never lists the container, so its cost
does not depend on how many past requests storage holds (the original listed every blob on every
poll: O(history)). Populating {HISTORY:,} results took {populate_seconds:.0f} s. The
server-side part ({statistics.median(fresh_server) / statistics.median(fresh) * 100:.0f} % of the total in fresh storage) is the hub
round trip, the module queueing, the agent classifying frames until the object is seen and
uploading, and the front-end's validation; the rest is the browser: form post, redirect, live
page, the reload onto the result page and the image download.
"""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    text = re.sub(r"## Front-end\n.*?(?=\n## |\Z)", section.rstrip() + "\n", text, flags=re.S)
    path.write_text(text)
    print(section)
