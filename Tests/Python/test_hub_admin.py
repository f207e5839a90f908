"""Managing a hub from the command line as `az iot hub` does, against real processes: identities
listed as JSON (never their keys), a module twin shown and its desired properties updated (the
real `edgefactor module` applies and acknowledges them), direct methods invoked (answered, and
refused for an offline device); and the agent's dead-letter queue looked at and requeued, with the
official azure-storage-queue SDK as the referee of what is on the queues."""
import json
import os
import subprocess
import time

import pytest
from azure.storage.queue import QueueClient

from conftest import Server, free_port, wait_for_port
from storage_support import storage  # noqa: F401  (fixture)

DEVICE, MODULE = "cam9", "edgefactor"
# The agent's own queues for its device (DeviceStorageNames): requests-DEVICE and requests-DEVICE-poison.
AGENT_DEVICE = "camera-07"
REQUESTS = f"requests-{AGENT_DEVICE}"
POISON = f"requests-{AGENT_DEVICE}-poison"


class System:
    def __init__(self, binary, home, connection_string):
        self.binary = binary
        self.env = dict(os.environ, EDGEFACTOR_HOME=str(home))
        for name in ("IOTHUB_CONNECTION_STRING", "AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_HUB_CONNECTION_STRING"):
            self.env.pop(name, None)
        self.storage = connection_string

    def run(self, *args, check=True):
        result = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120, env=self.env)
        if check:
            assert result.returncode == 0, f"edgefactor {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json_lines(self, *args):
        return [json.loads(line) for line in self.run(*args).stdout.splitlines() if line.strip()]


@pytest.fixture()
def system(edgefactor_bin, tmp_path, storage):  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    servers = []
    system = System(edgefactor_bin, home, storage.connection_string())
    rest, mqtt = free_port(), free_port()
    hub = Server([edgefactor_bin, "hub", "--mqtt-port", str(mqtt), "--rest-port", str(rest), "--log-level", "warning", "--metrics-address", "off"],
                 tmp_path / "hub.log", env=system.env)
    servers.append(hub)
    wait_for_port(rest, proc=hub.proc)
    wait_for_port(mqtt, proc=hub.proc)
    deadline = time.monotonic() + 30
    while not (home / "hub" / "hub.json").exists():
        assert time.monotonic() < deadline, hub.output()
        time.sleep(0.05)
    system.run("secrets", "new", "--device", DEVICE, "--module", MODULE)
    module = Server([edgefactor_bin, "module", "--device-id", DEVICE, "--module-id", MODULE, "--health-address", "off",
                     "--storage-connection-string", system.storage], tmp_path / "module.log", env=system.env)
    servers.append(module)
    system.module_log = module
    deadline = time.monotonic() + 60
    while True:
        modules = system.run("hub", "modules", "list", DEVICE, "--json", check=False).stdout
        if '"connectionState":"Connected"' in modules:
            break
        assert time.monotonic() < deadline and module.proc.poll() is None, f"module not connected:\n{module.output()}"
        time.sleep(0.2)
    yield system
    for server in reversed(servers):
        server.stop()


def test_lists_as_json_never_show_keys(system):
    system.run("hub", "devices", "add", "spare")
    devices = {line["deviceId"]: line for line in system.json_lines("hub", "devices", "list", "--json")}
    assert set(devices) >= {DEVICE, "spare"}
    assert devices["spare"]["connectionState"] == "Disconnected" and devices["spare"]["status"] == "enabled"
    modules = system.json_lines("hub", "modules", "list", DEVICE, "--json")
    assert [(m["deviceId"], m["moduleId"], m["connectionState"]) for m in modules] == [(DEVICE, MODULE, "Connected")]
    text = system.run("hub", "devices", "list", "--json").stdout + system.run("hub", "modules", "list", DEVICE, "--json").stdout
    assert "Key" not in text and "authentication" not in text


def test_module_twin_shown_and_updated_and_the_module_acknowledges(system):
    twin = json.loads(system.run("hub", "twin", "show", DEVICE, MODULE).stdout)
    assert twin["deviceId"] == DEVICE and twin["moduleId"] == MODULE
    assert "settings" in twin["properties"]["reported"], twin
    updated = json.loads(system.run("hub", "twin", "update", DEVICE, MODULE, "--desired", '{"defaultThreshold": 55}',
                                    "--tags", '{"site": "lab"}').stdout)
    assert updated["properties"]["desired"]["defaultThreshold"] == 55 and updated["tags"]["site"] == "lab"
    version = updated["properties"]["desired"]["$version"]
    deadline = time.monotonic() + 30
    while True:
        reported = json.loads(system.run("hub", "twin", "show", DEVICE, MODULE).stdout)["properties"]["reported"]
        ack = reported.get("defaultThreshold", {})
        if ack.get("av") == version:
            break
        assert time.monotonic() < deadline, f"no acknowledgement: {reported}\n{system.module_log.output()}"
        time.sleep(0.2)
    assert ack["ac"] == 200 and ack["value"] == 55, ack
    refused = system.run("hub", "twin", "update", DEVICE, MODULE, "--desired", "{not json", check=False)
    assert refused.returncode != 0 and "--desired is not valid JSON" in refused.stderr


def test_invoke_method_prints_the_answer_and_fails_for_an_offline_device(system):
    answer = json.loads(system.run("hub", "invoke-method", DEVICE, MODULE, "--method-name", "Ping",
                                   "--payload", '{"hello": 1}').stdout)
    assert answer["status"] == 404 and answer["payload"]["Response"] == "Unknown direct method", answer
    rejected = json.loads(system.run("hub", "invoke-method", DEVICE, MODULE, "--method-name", "ProcessRequest").stdout)
    assert rejected["status"] == 400, rejected
    system.run("hub", "devices", "add", "offline-cam")
    offline = system.run("hub", "invoke-method", "offline-cam", "--method-name", "Ping", check=False)
    assert offline.returncode == 1 and "404103" in offline.stderr, offline.stderr


def test_dead_letters_listed_and_requeued(edgefactor_bin, tmp_path, storage):  # noqa: F811
    env = dict(os.environ, AZURE_STORAGE_CONNECTION_STRING=storage.connection_string())

    def cli(*args, check=True):
        result = subprocess.run([edgefactor_bin, "dead-letters", *args, "--device-id", AGENT_DEVICE],
                                capture_output=True, text=True, timeout=60, env=env)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    assert "has not dead-lettered anything" in cli("list").stdout
    poison = QueueClient.from_connection_string(storage.connection_string(), POISON)
    poison.create_queue()
    requests = QueueClient.from_connection_string(storage.connection_string(), REQUESTS)
    requests.create_queue()
    # What the agent writes (DeviceAgent's DeadLetterRecord), and something that is not one.
    for reason, original in (("bad-signature", "m-1"), ("too-many-attempts", "m-2")):
        poison.send_message(json.dumps({"reason": reason, "detail": f"{reason} detail", "messageId": original,
                                        "dequeueCount": 5, "insertedOn": "2026-12-01T10:00:00Z",
                                        "deadLetteredOn": "2026-12-01T10:01:00Z", "text": f"original {original}"}))
    poison.send_message("not a record")

    lines = [json.loads(l) for l in cli("list", "--json").stdout.splitlines()]
    assert [l.get("reason") for l in lines] == ["bad-signature", "too-many-attempts", None]
    assert lines[0]["text"] == "original m-1" and lines[0]["messageId"] == "m-1" and lines[0]["dequeueCount"] == 5
    table = cli("list").stdout
    assert "bad-signature" in table and "(not an agent record)" in table

    # By the original message's id; then the rest with --all, which leaves the non-record alone.
    assert "requeued" in cli("requeue", "m-2").stdout
    assert [m.content for m in requests.peek_messages(max_messages=32)] == ["original m-2"]
    missing = cli("requeue", "no-such-id", check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr
    everything = cli("requeue", "--all")
    assert "not an agent record, left in place" in everything.stderr
    assert sorted(m.content for m in requests.peek_messages(max_messages=32)) == ["original m-1", "original m-2"]
    assert [m.content for m in poison.peek_messages(max_messages=32)] == ["not a record"]
