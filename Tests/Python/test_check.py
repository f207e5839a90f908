"""`edgefactor check`: against a running system of separate processes (built-in storage and hub,
module and agent on storage grants, front-end), every check passes; each fault a person makes
when deploying (a wrong camera, a secret that differs between machines, a grant that ended, a
missing model) fails its own line, with a fix, and the command exits 1."""
import json
import shutil

import pytest

from browser_support import DEVICE, MODULE, EdgeFactorSystem


@pytest.fixture(scope="module")
def system(edgefactor_bin, tmp_path_factory):
    running = EdgeFactorSystem(edgefactor_bin, tmp_path_factory.mktemp("check"))
    try:
        running.start()
        running.add_user("alice", ["espresso"])
        yield running
    finally:
        running.stop()


def check(system, *args):
    result = system.run("check", *args, check=False)
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    return result.returncode, lines, failed, result.stdout


def agent_args(system, camera=None):
    return ["agent", "--device-id", DEVICE, "--camera", str(camera or system.home / "camera"), "--camera-loop",
            "--model", str(system.models / "efficientnet-lite0.onnx"), "--labels", str(system.labels)]


def test_everything_passes_on_a_working_system(system):
    code, lines, failed, out = check(system, *agent_args(system))
    assert code == 0 and not failed, out
    names = {line.split(":")[0].split()[-1] for line in lines if line.startswith(("ok", "FAIL"))}
    assert {"model", "templates", "camera", "storage", "hub", "clock"} <= names, out
    assert "grant until" in out  # the agent runs on its grant, not the account key

    code, _, failed, out = check(system, "module", "--device-id", DEVICE, "--module-id", MODULE)
    assert code == 0 and not failed, out

    code, _, failed, out = check(system, "frontend", "--storage-connection-string", system.storage_connection_string)
    assert code == 0 and not failed, out
    assert f"device {DEVICE} secrets: agent, module {MODULE} and front-end hold matching secrets" in out


def test_a_camera_that_delivers_nothing_fails_its_line(system, tmp_path):
    empty = tmp_path / "no-frames"
    empty.mkdir()
    code, _, failed, out = check(system, *agent_args(system, camera=empty))
    assert code == 1
    assert [line for line in failed if "camera" in line], out
    assert "fix:" in out


def test_a_model_that_is_missing_fails_its_line(system):
    code, _, failed, out = check(system, "agent", "--device-id", DEVICE, "--camera", str(system.home / "camera"),
                                 "--models-dir", str(system.home / "no-models"))
    assert code == 1
    assert [line for line in failed if "model" in line], out


def test_a_grant_that_ended_fails_the_storage_line(system, tmp_path):
    grant_file = system.home / "secrets" / "modules" / DEVICE / f"{MODULE}.storage-grant.json"
    grant = json.loads(grant_file.read_text())
    grant["expiresOn"] = "2020-01-01T00:00:00Z"
    ended = tmp_path / "ended.storage-grant.json"
    ended.write_text(json.dumps(grant))
    code, _, failed, out = check(system, "module", "--device-id", DEVICE, "--module-id", MODULE, "--storage-grant", str(ended))
    assert code == 1
    assert [line for line in failed if "storage" in line and "ended" in line], out


def test_a_secret_that_differs_between_front_end_and_agent_fails(system, tmp_path):
    # The front-end's copy of the device secret is replaced; the running agent keeps the old one.
    other = tmp_path / "frontend-secrets"
    shutil.copytree(system.home / "secrets", other)
    system.run("secrets", "new", "--device", DEVICE, "--rotate", "--secrets-dir", str(other))
    code, _, failed, out = check(system, "frontend", "--storage-connection-string", system.storage_connection_string,
                                 "--secrets-dir", str(other))
    assert code == 1
    assert [line for line in failed if f"device {DEVICE} secrets" in line and "the agent holds device secret" in line], out
