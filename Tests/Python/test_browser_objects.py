"""End-to-end, personal objects: a real headless Chromium against the real front-end, hub, storage,
edge module and device agent (each an `edgefactor` process), the camera an image folder of one of
set-up's filmed objects (var/objects: a black cup and a yellow box, turned in the hand).

"Pointing the camera" at another object restarts the agent on another folder; its templates stay
in its state folder, encrypted, as on a real device. The tests run in order on one system: enrol
the cup from the page and sign in with it, the box refused, the cup removed and never asked again,
then an administrator's `edgefactor users objects add|list|remove`.
Screenshots are saved under var/artifacts/.
"""
import json
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import (DEVICE, EdgeFactorSystem, make_browser, object_frames, screenshot, sign_in,
                             wait_for_headline)

USER = "carol"


@pytest.fixture(scope="module")
def system(edgefactor_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("objects")
    system = EdgeFactorSystem(edgefactor_bin, tmp, request_lifetime=20)
    try:
        system.start(with_device=True)                   # the camera shows the sample photos
        system.add_user(USER, ["espresso"], threshold=50)  # the class before any object
        system.cup = object_frames(tmp / "frames", "cup", 1, 54, 4)
        system.box = object_frames(tmp / "frames", "box", 1, 40, 10)
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


def sign_in_fully(system, browser, headline_words=("Verified",)):
    """Password, then the camera check to its end; returns the verification page's h1."""
    sign_in(browser, system.base_url, USER)
    WebDriverWait(browser, 10).until(lambda d: "/verify/" in d.current_url)
    return wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline", "removed"], timeout=90)


def complete(browser):
    browser.find_element(By.CSS_SELECTOR, "form[action$='/complete'] button").click()
    wait_for_headline(browser, f"Welcome, {USER}")


def test_enrol_an_object_from_the_page_and_sign_in_with_it(system, browser):
    # Signed in with the class (the camera shows the photos), then to "Your objects".
    assert sign_in_fully(system, browser) == "Verified", system.logs_text()
    complete(browser)
    browser.find_element(By.ID, "your-objects").click()
    wait_for_headline(browser, "Your objects")
    assert "no objects yet" in browser.find_element(By.TAG_NAME, "main").text

    # The person holds the cup up to the camera and adds it.
    system.point_camera(system.cup)
    browser.find_element(By.ID, "object-name").send_keys("black cup")
    browser.find_element(By.CSS_SELECTOR, "#add-object button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "/objects/enrol/" in d.current_url)
    live = browser.find_elements(By.CSS_SELECTOR, "[data-enrolment][data-terminal=false]")
    if live:
        assert "views accepted" in browser.find_element(By.ID, "views").text
        screenshot(browser, "objects-1-enrolling")
    headline = wait_for_headline(browser, ["enrolled", "refused", "offline", "expired", "not accepted", "unavailable"], timeout=120)
    screenshot(browser, "objects-2-enrolled")
    assert headline == "Your black cup is enrolled", browser.find_element(By.TAG_NAME, "main").text + system.logs_text()
    thumbnail = browser.find_element(By.CSS_SELECTOR, ".evidence img.thumbnail")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", thumbnail))

    browser.find_element(By.LINK_TEXT, "Your objects").click()
    wait_for_headline(browser, "Your objects")
    assert browser.find_element(By.CSS_SELECTOR, ".object-name").text == "black cup"
    listed = browser.find_element(By.CSS_SELECTOR, ".object img.thumbnail")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", listed))
    screenshot(browser, "objects-3-list")

    # Signing in now asks for the cup, by the person's name for it, and only after the password.
    browser.find_element(By.CSS_SELECTOR, "button.link").click()
    wait_for_headline(browser, "Sign in")
    assert "black cup" not in browser.find_element(By.TAG_NAME, "main").text
    sign_in(browser, system.base_url, USER)
    WebDriverWait(browser, 10).until(lambda d: "/verify/" in d.current_url)
    challenge = browser.find_elements(By.CSS_SELECTOR, ".challenge-object")
    if challenge:
        assert challenge[0].text == "your black cup"
        screenshot(browser, "objects-4-challenge")
    headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
    screenshot(browser, "objects-5-verified")
    assert headline == "Verified", system.logs_text()
    caption = browser.find_element(By.CSS_SELECTOR, ".evidence figcaption").text
    assert "your black cup" in caption and "% similar" in caption
    complete(browser)
    assert "your black cup" in browser.find_element(By.TAG_NAME, "main").text

    completed = [e for e in system.audit(USER) if e["kind"] == "verification-completed"]
    assert completed[0]["outcome"] == "found" and completed[0]["className"] == "black cup"


def test_a_different_object_is_refused(system, browser):
    # Password right, but the camera sees the yellow box, not the person's cup.
    system.point_camera(system.box)
    sign_in(browser, system.base_url, USER)
    WebDriverWait(browser, 10).until(lambda d: "/verify/" in d.current_url)
    headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
    screenshot(browser, "objects-6-box-refused")
    assert headline in ("Object not recognised", "Request expired"), system.logs_text()
    assert browser.find_elements(By.CSS_SELECTOR, ".evidence img") == []
    assert "black cup" in browser.find_element(By.TAG_NAME, "main").text


def test_a_removed_object_is_refused_and_never_asked_again(system, browser):
    system.point_camera(system.cup)
    assert sign_in_fully(system, browser) == "Verified", system.logs_text()
    complete(browser)
    browser.get(system.base_url + "/objects")
    wait_for_headline(browser, "Your objects")
    browser.find_element(By.CSS_SELECTOR, ".object button.danger").click()
    WebDriverWait(browser, 10).until(lambda d: "done=removed" in d.current_url)
    assert "was removed" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert browser.find_elements(By.CSS_SELECTOR, ".object") == []
    screenshot(browser, "objects-7-removed")

    # The device is told to erase the template.
    WebDriverWait(browser, 60, poll_frequency=0.5).until(lambda _: "template removed" in system.servers["agent"].output())

    # The cup is no longer the factor: the class is asked for again, so the cup alone fails.
    browser.find_element(By.CSS_SELECTOR, "button.link").click()
    wait_for_headline(browser, "Sign in")
    sign_in(browser, system.base_url, USER)
    WebDriverWait(browser, 10).until(lambda d: "/verify/" in d.current_url)
    headline = wait_for_headline(browser, ["Verified", "not recognised", "expired", "offline"], timeout=90)
    assert "black cup" not in browser.find_element(By.TAG_NAME, "main").text
    assert "espresso" in browser.find_element(By.TAG_NAME, "main").text
    assert headline in ("Object not recognised", "Request expired"), system.logs_text()


def test_administrator_enrols_lists_and_removes_with_the_cli(system):
    system.point_camera(system.cup)
    connection = ["--storage-connection-string", system.storage_connection_string]
    added = system.run("users", "objects", "add", USER, "--name", "travel cup", "--seconds", "12", *connection)
    assert "enrolled" in added.stdout and "travel cup" in added.stdout, added.stdout + added.stderr
    assert "views" in added.stdout

    listed = system.run("users", "objects", "list", USER, "--json").stdout.splitlines()
    objects = [json.loads(line) for line in listed if line.strip()]
    assert [o["name"] for o in objects] == ["travel cup"]
    assert objects[0]["device"] == DEVICE and objects[0]["quality"]["views"] >= 3
    table = system.run("users", "objects", "list").stdout
    assert objects[0]["templateId"] in table and "travel cup" in table

    # A name the challenge could not carry, and an unknown id: clear errors, nothing changed.
    bad = system.run("users", "objects", "add", USER, "--name", "<script>", *connection, check=False)
    assert bad.returncode != 0 and "invalid object name" in bad.stderr
    unknown = system.run("users", "objects", "remove", USER, "0" * 32, *connection, check=False)
    assert unknown.returncode != 0 and "no object" in unknown.stderr

    removed = system.run("users", "objects", "remove", USER, objects[0]["templateId"], *connection)
    assert "asked to erase" in removed.stdout
    assert system.run("users", "objects", "list", USER, "--json").stdout.strip() == ""
    erased = f"template={objects[0]['templateId']} [DeviceAgent] template removed"
    deadline = time.monotonic() + 60
    while erased not in system.servers["agent"].output() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert erased in system.servers["agent"].output(), system.logs_text()
