"""The device side (`edgefactor module` + `edgefactor agent` as real processes) refereed by the
official Azure SDKs: azure-iot-hub invokes ProcessRequest as a front-end would, azure-storage-blob
fetches the evidence, and the signatures are checked here with an independent HMAC implementation
of the envelope format (docs/message-formats.md)."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod
from azure.storage.blob import BlobServiceClient

from conftest import ROOT, Server, free_port, wait_for_port
from hub_support import start_hub_on_free_ports
from storage_support import start_storage

DEVICE = "edgefactor-device"
MODULE = "edgefactor-module"
CONTAINER = f"results-{DEVICE}"  # each device has its own container by default


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seal(payload: dict, kind: str, kid: str, secret: bytes) -> dict:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    mac = hmac.new(secret, f"edgefactor-envelope/1\n{kind}\n{kid}\n{text}".encode(), hashlib.sha256).digest()
    return {"v": 1, "kind": kind, "kid": kid, "payload": text, "sig": b64url(mac)}


def open_envelope(envelope: dict, kind: str, secret: bytes) -> dict:
    assert envelope["v"] == 1 and envelope["kind"] == kind
    mac = hmac.new(secret, f"edgefactor-envelope/1\n{kind}\n{envelope['kid']}\n{envelope['payload']}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(b64url(mac), envelope["sig"]), "result signature does not verify"
    return json.loads(envelope["payload"])


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Edge:
    """Storage, hub, secrets, module and agent processes in one EDGEFACTOR_HOME."""

    def __init__(self, binary: str, home: Path, tls: bool = False):
        self.binary, self.home = binary, home
        for name in ("models", "runtime", "photos"):
            source = ROOT / "var" / name
            if not source.exists():
                pytest.fail(f"var/{name} missing: run scripts/setup.sh --test")
            (home / name).symlink_to(source)
        self.env = dict(os.environ, EDGEFACTOR_HOME=str(home))
        # With tls, the storage signs its certificate with the hub's development CA (made by
        # whichever starts first), so the hub's ca.pem trusts both.
        self.ca_file = home / "hub" / "certs" / "ca.pem"
        tls_args = ("--tls", "--ca-dir", str(self.ca_file.parent)) if tls else ()
        self.storage = start_storage(binary, home / "storage", home / "storage.log", extra_args=tls_args)
        self.storage_args = ["--storage-connection-string", self.storage.connection_string()]
        if tls:
            self.storage_args += ["--storage-ca-file", str(self.ca_file)]
        self.hub, self.mqtt_port, self.rest_port, info = start_hub_on_free_ports(binary, home, self.env)
        self.hub_ca_file = info["caCertificateFile"]
        os.environ["REQUESTS_CA_BUNDLE"] = info["caCertificateFile"]
        self.registry = IoTHubRegistryManager.from_connection_string(info["serviceConnectionString"])
        for args in (["--device", DEVICE], ["--device", DEVICE, "--module", MODULE]):
            self.cli("secrets", "new", *args)
        self.device_secret = base64.b64decode((home / "secrets" / "devices" / f"{DEVICE}.secret").read_text())
        self.module = None
        self.agent = None
        self.agents = 0
        self.health_port = free_port()

    def cli(self, *args) -> str:
        import subprocess
        return subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True, timeout=60, check=True).stdout

    def start_module(self):
        self.module = Server([self.binary, "module", "--health-address", "off", *self.storage_args],
                             self.home / "module.log", env=self.env)

    def start_agent(self, photo: str, *extra: str):
        self.agents += 1
        camera = self.home / f"camera-{self.agents}"
        camera.mkdir()
        shutil.copy(self.home / "photos" / photo, camera / photo)
        self.agent = Server([self.binary, "agent", *self.storage_args,
                             "--camera", str(camera), "--camera-loop", "--health-address", f"127.0.0.1:{self.health_port}",
                             "--log-format", "json", *extra], self.home / f"agent-{self.agents}.log", env=self.env)
        try:
            wait_for_port(self.health_port, proc=self.agent.proc, timeout=60)
        except Exception as error:
            raise AssertionError(f"agent did not start: {error}\n" + self.logs()) from error

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/metrics", timeout=5) as response:
            return response.read().decode()

    def request(self, class_name: str, threshold: float = 70, lifetime: int = 60):
        now = datetime.now(timezone.utc)
        request = {
            "requestId": secrets.token_hex(16), "deviceId": DEVICE, "moduleId": MODULE, "className": class_name,
            "threshold": threshold, "issuedAt": iso(now), "expiresAt": iso(now + timedelta(seconds=lifetime)),
            "nonce": b64url(os.urandom(16)),
        }
        return request, {"CorrelationId": request["requestId"], "ClassName": class_name,
                         "ThresholdPercentage": threshold, "Request": seal(request, "request", DEVICE, self.device_secret)}

    def invoke(self, payload: dict, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.registry.invoke_device_module_method(
                    DEVICE, MODULE, CloudToDeviceMethod(method_name="ProcessRequest", payload=payload, response_timeout_in_seconds=15))
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # the module may still be connecting (404103)

    def blobs(self):
        return BlobServiceClient.from_connection_string(self.storage.connection_string()).get_container_client(CONTAINER)

    def result(self, request_id: str, timeout: float = 60) -> dict:
        blob = self.blobs().get_blob_client(f"{request_id}/result.json")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if blob.exists():
                return open_envelope(json.loads(blob.download_blob().readall()), "result", self.device_secret)
            time.sleep(0.2)
        raise AssertionError(f"no result for {request_id}\n" + self.logs())

    def telemetry(self, request_id: str):
        out = self.cli("hub", "telemetry", "--data-dir", str(self.home / "hub"), "--device-id", DEVICE, "--limit", "1000")
        messages = [json.loads(line) for line in out.splitlines() if line.strip()]
        return [m for m in messages if m.get("properties", {}).get("requestId") == request_id]

    def logs(self) -> str:
        return "\n".join(p.name + ":\n" + p.read_text(errors="replace")[-3000:] for p in sorted(self.home.glob("*.log")))

    def stop(self):
        for server in (self.agent, self.module, self.hub):
            if server is not None:
                server.stop()
        self.storage.server.stop()


def running_edge(edgefactor_bin, tmp_path, tls: bool):
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    edge = Edge(edgefactor_bin, tmp_path, tls=tls)
    yield edge
    edge.stop()
    if saved is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = saved


@pytest.fixture()
def edge(edgefactor_bin, tmp_path):
    yield from running_edge(edgefactor_bin, tmp_path, tls=False)


@pytest.fixture()
def tls_edge(edgefactor_bin, tmp_path):
    """The same over https storage: the SDKs trust it through REQUESTS_CA_BUNDLE (the hub's CA)."""
    yield from running_edge(edgefactor_bin, tmp_path, tls=True)


def test_sdk_front_end_gets_a_signed_result_image_and_telemetry(edge):
    edge.start_module()
    edge.start_agent("coffee.jpg")
    request, payload = edge.request("espresso", threshold=80)
    response = edge.invoke(payload)
    assert response.status == 200, response.payload
    assert response.payload == {
        "Response": "Executed direct method ProcessRequest",
        "ResponsesContainer": CONTAINER,
    }

    result = edge.result(request["requestId"])
    assert result["outcome"] == "found"
    assert result["requestId"] == request["requestId"] and result["deviceId"] == DEVICE
    assert result["confidence"] >= 80
    image = edge.blobs().get_blob_client(f"{request['requestId']}/imageWithDetection.jpg")
    data = image.download_blob().readall()
    assert data[:2] == b"\xff\xd8"
    assert hashlib.sha256(data).hexdigest() == result["imageSHA256"]
    assert image.get_blob_properties().metadata["requestid"] == request["requestId"]

    deadline = time.monotonic() + 20
    while not edge.telemetry(request["requestId"]) and time.monotonic() < deadline:
        time.sleep(0.3)
    [message] = edge.telemetry(request["requestId"])
    body = json.loads(message["body"])
    assert open_envelope(body["result"], "result", edge.device_secret) == result
    assert "total" in body["timings"]


def test_original_unsigned_payload_and_bad_threshold_are_refused(edge):
    edge.start_module()
    request, payload = edge.request("espresso")
    original = {"CoorelationId": request["requestId"], "ClassName": "espresso", "ThresholdPercentage": "70"}
    response = edge.invoke(original)
    assert response.status == 400
    assert "Request" in response.payload["Error"]
    payload["ThresholdPercentage"] = 150
    assert edge.invoke(payload).status == 400


def test_agent_killed_mid_request_answers_once_after_restart(edge):
    edge.start_module()
    edge.start_agent("motorcycle_left.jpg", "--visibility-timeout", "3s")
    request, payload = edge.request("espresso", threshold=80)
    assert edge.invoke(payload).status == 200
    deadline = time.monotonic() + 30
    while "edgefactor_agent_requests_pending 1" not in edge.metrics():
        assert time.monotonic() < deadline, edge.logs()
        time.sleep(0.2)
    edge.agent.stop(kill=True)  # SIGKILL: no release, no cleanup
    assert not edge.blobs().get_blob_client(f"{request['requestId']}/result.json").exists()

    edge.start_agent("coffee.jpg", "--visibility-timeout", "3s")
    assert edge.result(request["requestId"])["outcome"] == "found"
    time.sleep(2)
    assert len(edge.telemetry(request["requestId"])) == 1


def test_https_storage_with_grants_end_to_end(tls_edge):
    """The deployment path over https: `secrets grant` (the front-end's grants) names https
    endpoints; the module and the agent use the grants, trusting the one CA file that trusts the
    hub too; the SDKs, as the front-end, read the sealed result and image."""
    edge = tls_edge
    assert Path(edge.hub_ca_file).read_text() == edge.ca_file.read_text()
    assert edge.storage.connection_string().startswith("DefaultEndpointsProtocol=https;")
    edge.cli("secrets", "grant", "--device", DEVICE, "--module", MODULE, *edge.storage_args)
    for grant_file in (edge.home / "secrets" / "devices" / f"{DEVICE}.storage-grant.json",
                       edge.home / "secrets" / "modules" / DEVICE / f"{MODULE}.storage-grant.json"):
        grant = json.loads(grant_file.read_text())
        assert grant["blobEndpoint"].startswith("https://") and grant["queueEndpoint"].startswith("https://")
    edge.storage_args = ["--storage-ca-file", str(edge.ca_file)]  # the grants, not the account key
    edge.start_module()
    edge.start_agent("coffee.jpg")
    request, payload = edge.request("espresso", threshold=50)
    assert edge.invoke(payload).status == 200
    result = edge.result(request["requestId"])
    assert result["outcome"] == "found"
    data = edge.blobs().get_blob_client(f"{request['requestId']}/imageWithDetection.jpg").download_blob().readall()
    assert hashlib.sha256(data).hexdigest() == result["imageSHA256"]
