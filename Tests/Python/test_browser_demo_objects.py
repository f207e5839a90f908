"""`edgefactor demo` with its switchable camera, as a newcomer without a camera meets it: point the
camera at the black cup from the demo page, enrol it, sign in with it, then point the camera at the
yellow box and see it refused. Real headless Chromium, the real demo process.

Needs the demo's camera switch (`GET/POST /demo/camera`, `source=cup|box|photos`, served by the
front-end only under `edgefactor demo`); skipped when the demo has none.
"""
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import make_browser, screenshot, sign_in, wait_for_headline
from test_demo import start_demo, stop


def point_demo_camera(browser, url, source, back):
    """Uses the demo page's switch, as a person would."""
    browser.get(f"{url}/demo/camera?back={back}")
    wait_for_headline(browser, "Demo camera")
    browser.find_element(By.ID, f"source-{source}").click()
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "/demo/camera" not in d.current_url)


def test_demo_enrol_the_cup_sign_in_with_it_and_the_box_is_refused(edgefactor_bin, tmp_path):
    log_path = tmp_path / "demo.log"
    proc, log, url, user, password = start_demo(edgefactor_bin, tmp_path / "demo", log_path)
    browser = make_browser()
    try:
        try:
            urllib.request.urlopen(f"{url}/demo/camera", timeout=10)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                pytest.skip("this demo has no switchable camera (GET /demo/camera)")
            raise

        # Signed in with the demo's class first (the sample photos show an espresso).
        point_demo_camera(browser, url, "photos", "/")
        sign_in(browser, url, user, password)
        headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
        assert headline == "Verified", log_path.read_text(errors="replace")
        browser.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
        wait_for_headline(browser, f"Welcome, {user}")

        # Enrol the cup.
        point_demo_camera(browser, url, "cup", "/objects")
        wait_for_headline(browser, "Your objects")
        browser.find_element(By.ID, "object-name").send_keys("black cup")
        browser.find_element(By.CSS_SELECTOR, "#add-object button[type=submit]").click()
        headline = wait_for_headline(browser, ["enrolled", "refused", "offline", "expired", "not accepted", "unavailable"], timeout=120)
        screenshot(browser, "demo-objects-enrolled")
        assert headline == "Your black cup is enrolled", browser.find_element(By.TAG_NAME, "main").text

        # Sign in with it.
        browser.get(url + "/account")
        browser.find_element(By.CSS_SELECTOR, "button.link").click()
        wait_for_headline(browser, "Sign in")
        sign_in(browser, url, user, password)
        headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
        screenshot(browser, "demo-objects-verified")
        assert headline == "Verified", log_path.read_text(errors="replace")
        assert "% similar" in browser.find_element(By.CSS_SELECTOR, ".evidence figcaption").text
        browser.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
        wait_for_headline(browser, f"Welcome, {user}")

        # The box does not pass for the cup.
        browser.find_element(By.CSS_SELECTOR, "button.link").click()
        wait_for_headline(browser, "Sign in")
        point_demo_camera(browser, url, "box", "/")
        sign_in(browser, url, user, password)
        headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=120)
        screenshot(browser, "demo-objects-box-refused")
        assert headline in ("Object not recognised", "Request expired"), log_path.read_text(errors="replace")
    finally:
        browser.quit()
        stop(proc, log)
