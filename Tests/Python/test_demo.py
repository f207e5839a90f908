"""`edgefactor demo` as a newcomer meets it: one process, headless, then one login driven to success
in a real browser (Debian Chromium over WebDriver). Everything is real; the camera is the folder of
sample photos that set-up installs (no V4L2 camera here)."""
import os
import re
import subprocess
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import base_home, make_browser, screenshot, sign_in, wait_for_headline
from conftest import free_port


def start_demo(binary, data_dir, log_path):
    port = free_port()
    env = dict(os.environ, EDGEFACTOR_HOME=str(base_home()))
    log = open(log_path, "wb")
    proc = subprocess.Popen([binary, "demo", "--data-dir", str(data_dir), "--port", str(port), "--log-level", os.environ.get("EDGEFACTOR_DEMO_LOG", "warning")],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        opened = re.search(r"Open\s+(http://\S+)", text)
        creds = re.search(r"Sign in\s+user (\S+)\s+password (\S+)", text)
        if opened and creds:
            return proc, log, opened.group(1).rstrip("/"), creds.group(1), creds.group(2)
        if proc.poll() is not None:
            raise AssertionError(f"demo exited with {proc.returncode}:\n{text}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("demo did not print its URL within 120 s:\n" + log_path.read_text(errors="replace"))


def check_operator_endpoints(banner):
    """Every part of the demo lists its /healthz, /readyz and /metrics in the banner, and after a
    sign-in each answers: alive, ready, and the front-end has counted the accepted password."""
    line = re.search(r"Metrics\s+.*?: (.+)", banner)
    assert line, banner
    ports = dict((name, int(port)) for name, port in re.findall(r"([\w-]+) (\d+)", line.group(1)))
    assert set(ports) == {"storage", "hub", "front-end", "module", "agent"}, line.group(0)
    for name, port in ports.items():
        for path in ("/healthz", "/readyz"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
                assert answer.status == 200, (name, path)
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['front-end']}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    accepted = [l for l in text.splitlines() if l.startswith("edgefactor_frontend_sign_ins_total{")
                and 'phase="password"' in l and 'outcome="accepted"' in l]
    assert accepted and float(accepted[0].rsplit(" ", 1)[1]) >= 1, text


def stop(proc, log):
    proc.terminate()
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    log.close()
    return code


def test_demo_reaches_a_successful_login_in_the_browser(edgefactor_bin, tmp_path):
    data_dir = tmp_path / "demo"
    proc, log, url, user, password = start_demo(edgefactor_bin, data_dir, tmp_path / "demo.log")
    browser = make_browser()
    try:
        sign_in(browser, url, user, password)
        WebDriverWait(browser, 15).until(lambda d: "/verify/" in d.current_url)
        headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
        screenshot(browser, "demo-result")
        assert headline == "Verified", (tmp_path / "demo.log").read_text(errors="replace")
        image = browser.find_element(By.CSS_SELECTOR, ".evidence img")
        WebDriverWait(browser, 10).until(
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))
        browser.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
        wait_for_headline(browser, f"Welcome, {user}")
        screenshot(browser, "demo-account")
        check_operator_endpoints((tmp_path / "demo.log").read_text(errors="replace"))
    finally:
        browser.quit()
        code = stop(proc, log)
    # Ctrl-C / SIGTERM stops every component cleanly.
    assert code == 0, (tmp_path / "demo.log").read_text(errors="replace")
    assert "demo: stopped" in (tmp_path / "demo.log").read_text(errors="replace")

    # The next run reuses the state: same credentials, and it starts again.
    proc, log, url, user2, password2 = start_demo(edgefactor_bin, data_dir, tmp_path / "demo2.log")
    try:
        assert (user2, password2) == (user, password)
    finally:
        assert stop(proc, log) == 0
