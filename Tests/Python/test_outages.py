"""Outages as the person at the sign-in page sees them, in separate processes (the documented
deployment: built-in storage and hub, module and agent on storage grants, front-end), each fault
injected for real: a process stopped or killed. Each sign-in must end with the fault named, within
the time that fault needs, and the next sign-in after the repair must work. The figures (time until
the person is told, time until a sign-in works again) are printed for the issue's note; the
assertions are on what the person is told and on bounds far above the expected times."""
import re
import shutil
import time

import pytest
import requests

from browser_support import DEVICE, MODULE, PASSWORD, EdgeFactorSystem, base_home

FIGURES = {}


@pytest.fixture(scope="module")
def system(edgefactor_bin, tmp_path_factory):
    running = EdgeFactorSystem(edgefactor_bin, tmp_path_factory.mktemp("outages"), request_lifetime=20)
    try:
        running.start()
        running.add_user("alice", ["espresso"])
        yield running
    finally:
        running.stop()
        print("\noutage figures (s):", {k: round(v, 1) for k, v in FIGURES.items()})


def sign_in(system):
    """Posts the sign-in form; returns the session and the verification's id (None: no verification page)."""
    session = requests.Session()
    page = session.get(system.base_url + "/", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = session.post(system.base_url + "/login", data={"username": "alice", "password": PASSWORD, "csrf": csrf}, timeout=60)
    match = re.search(r"/verify/([0-9a-f]{32})", answer.url)
    return session, (match.group(1) if match else None)


def outcome(system, session, request_id, timeout=90):
    """Polls the verification's status until it ends; returns (phase, headline, seconds)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status = session.get(f"{system.base_url}/verify/{request_id}/status", timeout=30)
        if status.status_code == 200 and status.json().get("terminal"):
            body = status.json()
            return body["phase"], body["headline"], time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"verification {request_id} did not end within {timeout}s:\n{system.logs_text()}")


def signs_in(system, timeout=120):
    """Seconds until a sign-in reaches `found` (retrying while the system comes back)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            session, request_id = sign_in(system)
            if request_id and outcome(system, session, request_id)[0] == "found":
                return time.monotonic() - started
        except (requests.RequestException, AttributeError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"no sign-in worked within {timeout}s:\n{system.logs_text()}")


def camera(system, photos):
    folder = system.home / f"camera-{'-'.join(p.split('.')[0] for p in photos)}"
    folder.mkdir(exist_ok=True)
    for index, photo in enumerate(photos):
        shutil.copy(base_home() / "photos" / photo, folder / f"{index:02d}-{photo}")
    return folder


def test_a_working_system_signs_in(system):
    FIGURES["baseline sign-in"] = signs_in(system)


def sign_in_with_part_down(system, part):
    """Stops `part`, signs in, and returns what the page ended with (the time is kept as a figure)."""
    system.servers[part].stop()
    session, request_id = sign_in(system)
    phase, headline, told = outcome(system, session, request_id)
    FIGURES[f"{part} down: told after"] = told
    return phase, headline, told


def test_module_down_is_named_and_the_next_sign_in_works(system):
    phase, headline, told = sign_in_with_part_down(system, "module")
    assert phase == "module-offline" and "edge module" in headline.lower(), (phase, headline)
    assert told < 30
    system.restart("module")
    FIGURES["module back: sign-in works after"] = signs_in(system)


def test_storage_down_is_named_not_blamed_on_the_device(system):
    phase, headline, _ = sign_in_with_part_down(system, "storage")
    assert phase == "storage-unreachable" and "storage" in headline.lower(), (phase, headline)
    system.restart("storage")
    FIGURES["storage back: sign-in works after"] = signs_in(system)


def test_hub_down_is_told_in_seconds_and_everything_is_back_soon_after(system):
    phase, headline, told = sign_in_with_part_down(system, "hub")
    assert phase == "hub-unreachable" and "hub" in headline.lower(), (phase, headline)
    assert told < 15
    time.sleep(20)  # a long outage: module and agent back off while it lasts
    back = time.monotonic()
    system.restart("hub")
    system.wait_until_connected()
    FIGURES["hub back: module and agent connected after"] = time.monotonic() - back
    FIGURES["hub back: sign-in works after"] = signs_in(system) + FIGURES["hub back: module and agent connected after"]
    assert FIGURES["hub back: module and agent connected after"] < 30


def test_agent_killed_mid_verification_is_taken_over_by_its_restart(system):
    # The agent looks at the wrong things; the sign-in is pending when the agent is killed.
    system.point_camera(camera=camera(system, ["chelsea.jpg"]))
    session, request_id = sign_in(system)
    time.sleep(2)
    system.servers["agent"].stop(kill=True)
    restarted = time.monotonic()
    system.start_agent(camera=camera(system, ["coffee.jpg"]))
    phase, _, _ = outcome(system, session, request_id)
    FIGURES["agent killed: found after its restart"] = time.monotonic() - restarted
    # The lease (30 s) is longer than the sign-in (20 s): only the takeover can answer in time.
    assert phase == "found"


def test_camera_without_frames_is_told_at_once_and_does_not_count_against_the_person(system):
    folder = camera(system, ["coffee.jpg"])
    system.point_camera(camera=folder)
    FIGURES["camera: baseline sign-in"] = signs_in(system)
    # The camera stops delivering: its only frame disappears.
    hidden = system.home / "hidden-frame.jpg"
    frame = next(folder.glob("*.jpg"))
    frame.rename(hidden)
    session, request_id = sign_in(system)
    phase, headline, told = outcome(system, session, request_id)
    FIGURES["camera without frames: told after"] = told
    assert phase == "camera-unavailable" and "camera" in headline.lower(), (phase, headline)
    assert told < 15  # the request lives 20 s: it is answered, not left to expire
    failures = [e for e in system.audit("alice") if e["kind"] == "verification-completed" and e.get("requestId") == request_id]
    assert [e["outcome"] for e in failures] == ["camera-unavailable"]
    hidden.rename(frame)
    FIGURES["camera back: sign-in works after"] = signs_in(system)


def test_front_end_restarted_mid_verification_says_start_again(system):
    system.point_camera(camera=camera(system, ["chelsea.jpg"]))
    session, request_id = sign_in(system)
    system.restart("frontend")
    deadline = time.monotonic() + 30
    while True:
        try:
            page = requests.get(f"{system.base_url}/verify/{request_id}", timeout=10)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, system.logs_text()
            time.sleep(0.2)
    assert "Sign-in interrupted" in page.text
    events = [e for e in system.audit("alice") if e.get("requestId") == request_id and e["kind"] == "verification-completed"]
    assert [e["outcome"] for e in events] == ["interrupted"], events
