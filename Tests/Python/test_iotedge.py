"""The edge module as IoT Edge runs it, without a Docker engine: a workload-API stand-in
(workload_standin.py, written from Microsoft's documented API) signs for the module with its key
on the built-in hub and serves the hub's CA as the trust bundle, and the built-in hub plays the
edge hub (the gateway). The official SDK's `IoTHubModuleClient.create_from_edge_environment()`
connects through the stand-in first, which shows the stand-in speaks what IoT Edge speaks; then
`edgefactor module --edge` must do the same: connect, report its twin and answer ProcessRequest.

Also: a module connection string alone (`HostName=host:port`) reaches a hub on any MQTT port."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from azure.iot.device import IoTHubModuleClient, Message
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod, Twin, TwinProperties

from conftest import Server
from hub_support import Hub, start_hub_on_free_ports
from storage_support import start_storage
from test_edge import b64url, iso, seal
from workload_standin import WorkloadStandIn, edge_environment

DEVICE = "camera-07"  # not the CLI's default ids: the secret must be found under IOTEDGE_* ids
MODULE = "verifier"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture()
def socket_dir():
    # A short path: unix socket paths are limited to about 100 bytes.
    path = Path(tempfile.mkdtemp(prefix="wl-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def saved_ca_bundle():
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    yield
    if saved is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = saved


def test_sdk_module_client_connects_through_the_workload_standin(edgefactor_bin, tmp_path, socket_dir, saved_ca_bundle, monkeypatch):
    # The SDK always dials 8883, so this hub runs there (as in test_hub.py).
    hub = Hub(edgefactor_bin, tmp_path / "hub", tmp_path).start()
    standin = None
    client = None
    try:
        registry = IoTHubRegistryManager.from_connection_string(hub.service_connection_string)
        device_id = f"edge-{uuid.uuid4().hex[:8]}"
        module_key = new_key()
        registry.create_device_with_sas(device_id, new_key(), new_key(), "enabled")
        registry.create_module_with_sas(device_id, "sdkmodule", "", module_key, new_key())
        standin = WorkloadStandIn(socket_dir, {"sdkmodule": module_key}, "gen-1", hub.ca_pem)
        # The hub's development certificate covers localhost and 127.0.0.1: the gateway is localhost.
        for name, value in edge_environment(standin, device_id, "sdkmodule", "myhub.local", "localhost").items():
            monkeypatch.setenv(name, value)

        client = IoTHubModuleClient.create_from_edge_environment()
        client.connect()
        client.send_message(Message('{"through": "workload"}', message_id="edge-1"))
        stored = hub.wait_for_telemetry(device_id, lambda m: m["systemProperties"].get("$.mid") == "edge-1", module_id="sdkmodule")
        assert stored["body"] == '{"through": "workload"}'
        assert "$version" in client.get_twin()["desired"]
        client.patch_twin_reported_properties({"viaEdge": True})
        assert registry.get_module_twin(device_id, "sdkmodule").properties.reported["viaEdge"] is True

        methods = [(method, path) for method, path, _ in standin.requests]
        assert ("GET", "/trust-bundle") in methods
        assert ("POST", "/modules/sdkmodule/genid/gen-1/sign") in methods
        assert all(query.get("api-version") == ["2019-01-30"] for _, _, query in standin.requests)
    finally:
        if client is not None:
            client.shutdown()
        if standin is not None:
            standin.stop()
        hub.stop()


class EdgeBox:
    """Storage and hub on free ports, the module's identity and secrets, and `edgefactor module`."""

    def __init__(self, binary: str, home: Path):
        self.binary, self.home = binary, home
        self.env = dict(os.environ, EDGEFACTOR_HOME=str(home))
        self.storage = start_storage(binary, home / "storage", home / "storage.log")
        self.hub, self.mqtt_port, self.rest_port, info = start_hub_on_free_ports(binary, home, self.env)
        self.ca_file = info["caCertificateFile"]
        self.ca_pem = Path(self.ca_file).read_text()
        os.environ["REQUESTS_CA_BUNDLE"] = self.ca_file
        self.registry = IoTHubRegistryManager.from_connection_string(info["serviceConnectionString"])
        self.module_key = new_key()
        self.registry.create_device_with_sas(DEVICE, new_key(), new_key(), "enabled")
        self.registry.create_module_with_sas(DEVICE, MODULE, "", self.module_key, new_key())
        for args in (["--device", DEVICE], ["--device", DEVICE, "--module", MODULE]):
            self.cli("secrets", "new", *args)
        self.device_secret = base64.b64decode((home / "secrets" / "devices" / f"{DEVICE}.secret").read_text())
        self.module = None

    def cli(self, *args, env=None) -> str:
        return subprocess.run([self.binary, *args], env=env or self.env, capture_output=True, text=True,
                              timeout=60, check=True).stdout

    def start_module(self, *args, env=None):
        # No hub data directory: the module must find the hub without hub.json or the owner key.
        self.module = Server([self.binary, "module", "--storage-connection-string", self.storage.connection_string(),
                              "--hub-data-dir", str(self.home / "no-hub-here"), *args],
                             self.home / "module.log", env=env or self.env)

    def reported(self, key: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.module.proc.poll() is None, "the module exited:\n" + self.module.output()
            reported = self.registry.get_module_twin(DEVICE, MODULE).properties.reported
            if key in reported:
                return reported[key]
            time.sleep(0.3)
        raise AssertionError(f"the module never reported {key}\n" + self.module.output())

    def process_request(self):
        moment = datetime.now(timezone.utc)
        request = {
            "requestId": uuid.uuid4().hex, "deviceId": DEVICE, "moduleId": MODULE, "className": "espresso",
            "threshold": 70, "issuedAt": iso(moment), "expiresAt": iso(moment + timedelta(seconds=60)),
            "nonce": b64url(os.urandom(16)),
        }
        payload = {"CorrelationId": request["requestId"], "ClassName": "espresso", "ThresholdPercentage": 70,
                   "Request": seal(request, "request", DEVICE, self.device_secret)}
        return self.registry.invoke_device_module_method(
            DEVICE, MODULE, CloudToDeviceMethod(method_name="ProcessRequest", payload=payload, response_timeout_in_seconds=15))

    def stop(self):
        for server in (self.module, self.hub, self.storage.server):
            if server is not None:
                server.stop()


@pytest.fixture()
def box(edgefactor_bin, tmp_path, saved_ca_bundle):
    box = EdgeBox(edgefactor_bin, tmp_path)
    yield box
    box.stop()


def test_edge_module_connects_through_the_workload_api(box, socket_dir):
    standin = WorkloadStandIn(socket_dir, {MODULE: box.module_key}, "gen-7", box.ca_pem)
    try:
        # The built-in hub is the gateway, on loopback, on its own port.
        env = dict(box.env, **edge_environment(standin, DEVICE, MODULE, "myhub.local", f"localhost:{box.mqtt_port}"))
        box.start_module("--edge", env=env)
        settings = box.reported("settings")
        assert settings["requestsQueue"] == f"requests-{DEVICE}"

        response = box.process_request()
        assert response.status == 200, response.payload
        assert response.payload["ResponsesContainer"] == f"results-{DEVICE}"

        # A desired property reaches the module and is acknowledged.
        box.registry.update_module_twin(DEVICE, MODULE, Twin(properties=TwinProperties(desired={"defaultThreshold": 85})), "*")
        deadline = time.monotonic() + 30
        while box.reported("defaultThreshold").get("value") != 85:
            assert time.monotonic() < deadline, box.module.output()
            time.sleep(0.3)
        assert box.reported("defaultThreshold")["ac"] == 200

        assert standin.sign_requests() >= 1
        assert ("GET", "/trust-bundle") in [(method, path) for method, path, _ in standin.requests]
    finally:
        standin.stop()


def test_edge_module_configuration_errors_exit_non_zero(box, socket_dir):
    edge = {
        "IOTEDGE_APIVERSION": "2019-01-30", "IOTEDGE_MODULEGENERATIONID": "gen-1", "IOTEDGE_DEVICEID": DEVICE,
        "IOTEDGE_MODULEID": MODULE, "IOTEDGE_IOTHUBHOSTNAME": "myhub.local", "IOTEDGE_GATEWAYHOSTNAME": "localhost",
    }
    missing_socket = socket_dir / "absent" / "workload.sock"
    cases = [
        (dict(edge, IOTEDGE_WORKLOADURI=f"unix://{missing_socket}"), str(missing_socket)),
        (dict(edge, IOTEDGE_WORKLOADURI=f"unix://{missing_socket}", IOTEDGE_GATEWAYHOSTNAME=""), "IOTEDGE_GATEWAYHOSTNAME"),
        (dict(edge, IOTEDGE_WORKLOADURI="tcp://nowhere"), "IOTEDGE_WORKLOADURI"),
    ]
    for variables, expected in cases:
        result = subprocess.run(
            [box.binary, "module", "--edge", "--storage-connection-string", box.storage.connection_string()],
            env=dict(box.env, **variables), capture_output=True, text=True, timeout=60)
        assert result.returncode != 0, result.stdout + result.stderr
        assert expected in result.stdout + result.stderr


@pytest.mark.parametrize("given_as", ["option", "file"])
def test_module_connection_string_with_a_port_reaches_the_hub(box, given_as):
    text = box.cli("hub", "connection-string", DEVICE, MODULE, "--data-dir", str(box.home / "hub")).strip()
    assert text.startswith(f"HostName=localhost:{box.mqtt_port};DeviceId={DEVICE};ModuleId={MODULE};")
    if given_as == "file":
        path = box.home / "secrets" / "modules" / DEVICE / f"{MODULE}.hub-connection-string"
        path.write_text(text + "\n")
        given = ["--hub-connection-string-file", str(path)]
    else:
        given = ["--hub-connection-string", text]
    box.start_module(*given, "--hub-ca-file", box.ca_file, "--device-id", DEVICE, "--module-id", MODULE)
    box.reported("settings")
    response = box.process_request()
    assert response.status == 200, response.payload
