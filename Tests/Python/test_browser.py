"""End-to-end: a real headless Chromium (WebDriver) against the real front-end, hub, storage,
edge module and device agent, each an `edgefactor` process on loopback ports. The camera is an
image folder with the sample photos (coffee: espresso ~95 %).

Screenshots of each step are saved under var/artifacts/ as test artefacts.
"""
import json
import time
import urllib.error
import urllib.request

import pytest
from azure.storage.queue import QueueClient
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import (DEVICE, PASSWORD, EdgeFactorSystem, make_browser, screenshot, sign_in,
                             wait_for_headline)


@pytest.fixture(scope="module")
def system(edgefactor_bin, tmp_path_factory):
    system = EdgeFactorSystem(edgefactor_bin, tmp_path_factory.mktemp("browser"), request_lifetime=20)
    try:
        system.start(with_device=True)
        system.add_user("alice", ["espresso"], threshold=50)     # the camera shows coffee
        system.add_user("bob", ["banana"], threshold=50)         # never shown
        system.add_user("erin", ["espresso"])                    # for throttling
        # A device that is registered but never connects.
        system.run("hub", "devices", "add", "offline-cam", "--data-dir", str(system.home / "hub"))
        system.run("hub", "modules", "add", "offline-cam", "edgefactor", "--data-dir", str(system.home / "hub"))
        system.run("secrets", "new", "--device", "offline-cam")
        system.add_user("olga", ["espresso"], device="offline-cam")
        yield system
    except Exception:
        print(system.logs_text())
        raise
    finally:
        system.stop()


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


def test_login_live_waiting_page_result_image_protected_page(system, browser):
    started = time.monotonic()
    sign_in(browser, system.base_url, "alice")
    # The live waiting page: the challenge and the steps, updated without reloads (SSE).
    WebDriverWait(browser, 10).until(lambda d: "/verify/" in d.current_url)
    # The waiting page lasts as long as the camera takes to see the object: on a fast run the
    # result page may already have replaced it. Either way the challenge names the class.
    challenge = browser.find_elements(By.CSS_SELECTOR, ".challenge-object")
    if challenge:
        assert "espresso" in challenge[0].text
        screenshot(browser, "browser-2-waiting")
    else:
        assert browser.find_element(By.TAG_NAME, "h1").text == "Verified", system.logs_text()
        assert "espresso" in browser.find_element(By.TAG_NAME, "main").text
    headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=60)
    elapsed = time.monotonic() - started
    screenshot(browser, "browser-3-result")
    assert headline == "Verified", system.logs_text()
    image = browser.find_element(By.CSS_SELECTOR, ".evidence img")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))
    assert image.get_property("naturalWidth") >= 100
    print(f"login-to-result in the browser: {elapsed:.2f} s")

    browser.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
    wait_for_headline(browser, "Welcome, alice")
    assert browser.current_url.endswith("/account")
    screenshot(browser, "browser-4-account")
    cookies = {c["name"]: c for c in browser.get_cookies()}
    session = cookies["edgefactor_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"

    browser.find_element(By.CSS_SELECTOR, "button.link").click()
    wait_for_headline(browser, "Sign in")
    browser.get(system.base_url + "/account")
    wait_for_headline(browser, "Sign in")

    events = system.audit("alice")
    kinds = [e["kind"] for e in events]
    for kind in ("password-accepted", "verification-requested", "verification-completed", "signed-in", "signed-out"):
        assert kind in kinds
    completed = next(e for e in events if e["kind"] == "verification-completed")
    assert completed["outcome"] == "found" and completed["className"] == "espresso"
    assert completed["confidence"] >= 50 and completed["deviceId"] == DEVICE


def test_wrong_password_then_throttling(system, browser):
    sign_in(browser, system.base_url, "erin", "not the right password")
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "not right" in alert.text
    screenshot(browser, "browser-1-wrong-password")
    for attempt in range(5):
        sign_in(browser, system.base_url, "erin", f"wrong password {attempt}")
    # Six consecutive failures start the waits (1 s, then doubling). Two more failures, each after
    # the previous wait, make the wait 4 s: long enough that a loaded machine cannot outlast it
    # before the next attempt, which must then be refused whatever the password.
    for attempt, wait in enumerate((1.2, 2.2)):
        time.sleep(wait)
        sign_in(browser, system.base_url, "erin", f"still wrong {attempt}")
    browser.execute_script(
        "document.getElementById('username').value = arguments[0];"
        "document.getElementById('password').value = arguments[1];"
        "document.querySelector('form.form button[type=submit]').click();", "erin", PASSWORD)
    # Wait for the answer to this post (not the previous page's alert), whichever it is.
    WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "/verify/" in d.current_url
        or any("Too many" in a.text for a in d.find_elements(By.CSS_SELECTOR, "[role=alert]")))
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "Too many failed sign-ins for this account" in alert.text
    screenshot(browser, "browser-5-throttled")
    # An unknown name gets the same first answer as a wrong password.
    sign_in(browser, system.base_url, "nobody-here", "not the right password")
    assert "not right" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text


def test_offline_device_message(system, browser):
    sign_in(browser, system.base_url, "olga")
    headline = wait_for_headline(browser, ["offline", "not set up", "did not answer"], timeout=30)
    assert headline == "Your device is offline", system.logs_text()
    assert "not connected" in browser.find_element(By.ID, "message").text
    screenshot(browser, "browser-6-offline")


def test_not_found_and_expired(system, browser):
    sign_in(browser, system.base_url, "bob")
    headline = wait_for_headline(browser, ["not recognised", "Request expired", "Verified"], timeout=60)
    assert headline in ("Object not recognised", "Request expired"), system.logs_text()
    screenshot(browser, "browser-7-not-found")
    assert browser.find_elements(By.CSS_SELECTOR, ".evidence img") == []


def test_without_javascript_the_flow_still_works(system):
    driver = make_browser(javascript=False)
    try:
        sign_in(driver, system.base_url, "alice")
        # No script: the waiting page refreshes itself until the outcome is there.
        headline = wait_for_headline(driver, ["Verified", "not recognised", "expired"], timeout=60)
        assert headline == "Verified"
        driver.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
        wait_for_headline(driver, "Welcome, alice")
    finally:
        driver.quit()


def sign_in_fully(driver, base_url: str, user: str):
    """Both factors: the password, the camera's result, then Continue."""
    sign_in(driver, base_url, user)
    assert wait_for_headline(driver, ["Verified", "not recognised", "expired", "offline"], timeout=60) == "Verified"
    driver.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
    wait_for_headline(driver, f"Welcome, {user}")


def status_of(driver, url: str) -> int:
    """The HTTP status of a GET of `url` with the browser's session cookie (WebDriver hides it)."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_admin_pages(system, browser):
    """An administrator signs in with both factors, locks a user (who then cannot sign in), sees
    the audit log with the camera's picture, the device online, and requeues a dead letter; a
    person without the role who passed both factors gets a 404."""
    system.add_user("ada", ["espresso"], admin=True)
    system.add_user("mallory", ["espresso"])
    # Something the agent can only dead-letter (not a sealed request), on the device's own queue.
    QueueClient.from_connection_string(system.storage_connection_string, f"requests-{DEVICE}").send_message("not a sealed request")

    other = make_browser()
    try:
        sign_in_fully(other, system.base_url, "alice")
        assert other.find_elements(By.ID, "administration") == []
        for path in ("/admin", "/admin/users", "/admin/audit", "/admin/dead-letters"):
            assert status_of(other, system.base_url + path) == 404, path

        sign_in_fully(browser, system.base_url, "ada")
        browser.find_element(By.ID, "administration").click()
        wait_for_headline(browser, "Users")
        assert browser.current_url.endswith("/admin/users")
        screenshot(browser, "admin-1-users")
        browser.find_element(By.CSS_SELECTOR, "tr[data-user=mallory] button.danger").click()
        wait_for_headline(browser, "Account mallory")
        assert "locked" in browser.find_element(By.ID, "failures").text
        assert "is locked" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text

        other.delete_all_cookies()  # another person at that browser
        sign_in(other, system.base_url, "mallory")
        assert "This account is locked" in other.find_element(By.CSS_SELECTOR, "[role=alert]").text
    finally:
        other.quit()

    browser.get(system.base_url + "/admin/audit?user=ada&outcome=found")
    wait_for_headline(browser, "Audit log")
    thumbnail = browser.find_element(By.CSS_SELECTOR, "#audit img.evidence-thumb")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", thumbnail))
    screenshot(browser, "admin-2-audit")

    browser.get(system.base_url + "/admin/devices")
    wait_for_headline(browser, "Devices")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-device={DEVICE}]")
    assert row.find_element(By.CSS_SELECTOR, ".device-state").text == "Online"
    assert "Ready" in row.text and "efficientnet" in row.text
    assert browser.find_element(By.CSS_SELECTOR, "tr[data-device=offline-cam] .device-state").text == "Offline"
    screenshot(browser, "admin-3-devices")

    # The agent dead-letters the message on its next poll; the page shows it once it has.
    def dead_letter(d):
        d.get(system.base_url + f"/admin/dead-letters?device={DEVICE}")
        return d.find_elements(By.CSS_SELECTOR, f"section[data-device={DEVICE}] tr[data-letter] button")

    WebDriverWait(browser, 30, poll_frequency=0.5).until(dead_letter)
    screenshot(browser, "admin-4-dead-letters")
    dead_letter(browser)[0].click()
    WebDriverWait(browser, 15).until(lambda d: "done=requeued" in d.current_url)
    assert "Requeued" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text

    events = [json.loads(line) for line in system.run("frontend", "audit", "--json", "--limit", "200").stdout.splitlines() if line.strip()]
    actions = {(e["outcome"], e.get("username") or e.get("deviceId")) for e in events if e["kind"] == "admin-action" and e.get("actor") == "ada"}
    assert ("locked", "mallory") in actions and ("dead-letter-requeued", DEVICE) in actions, actions
