"""The operator endpoints of real `edgefactor storage` and `edgefactor hub` processes, scraped while
the official Azure SDKs make requests: `/metrics` counts what they did, the exposition is valid
Prometheus text, `/readyz` answers, and the storage access log never holds a SAS signature."""
import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from azure.storage.blob import BlobClient, BlobServiceClient, BlobSasPermissions, generate_blob_sas
from azure.storage.queue import QueueClient

import base64
import os
import uuid

from azure.iot.device import IoTHubDeviceClient, MethodResponse
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod

from conftest import free_port
from hub_support import Hub
from storage_support import DEV_ACCOUNT, DEV_KEY, start_storage

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def parse(text: str) -> dict:
    """Strictly: every line is HELP, TYPE or `name{labels} value`, each family typed and described first."""
    helps, types, samples = set(), {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample: {line!r}"
            name = match.group(1)
            family = re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
            assert family in types and family in helps, f"{name} has no TYPE/HELP before it"
            labels = tuple(sorted(LABEL.findall(match.group(2) or "")))
            samples[(name, labels)] = float(match.group(3))
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_storage_metrics_while_the_sdk_works(edgefactor_bin, tmp_path):
    metrics_port = free_port()
    storage = start_storage(edgefactor_bin, tmp_path / "data", tmp_path / "storage.log",
                            extra_args=("--metrics-address", f"127.0.0.1:{metrics_port}", "--log-level", "info"))
    try:
        deadline = time.monotonic() + 30
        while get_or_none(metrics_port, "/healthz") != 200:
            assert time.monotonic() < deadline, storage.server.output()
            time.sleep(0.1)
        before = parse(get(metrics_port, "/metrics")[1])

        queue = QueueClient.from_connection_string(storage.connection_string(), "metrics")
        queue.create_queue()
        for index in range(3):
            queue.send_message(f"message {index}")
        service = BlobServiceClient.from_connection_string(storage.connection_string())
        container = service.create_container("evidence")
        container.upload_blob("photo.jpg", b"\xff\xd8 not really a JPEG")
        sas = generate_blob_sas(DEV_ACCOUNT, "evidence", "photo.jpg", account_key=DEV_KEY,
                                permission=BlobSasPermissions(read=True), expiry=datetime.now(timezone.utc) + timedelta(minutes=5))
        assert "sig=" in sas
        via_sas = BlobClient.from_blob_url(f"{storage.blob_url}/evidence/photo.jpg?{sas}")
        assert via_sas.download_blob().readall() == b"\xff\xd8 not really a JPEG"

        status, body = get(metrics_port, "/metrics")
        assert status == 200
        after = parse(body)
        requests = "edgefactor_storage_http_requests_total"

        def delta(**labels):
            return value(after, requests, **labels) - value(before, requests, **labels)

        assert delta(operation="create-queue", status="201") == 1
        assert delta(operation="put-message", status="201") == 3
        assert delta(operation="create-container", status="201") == 1
        assert delta(operation="put-blob", status="201") == 1
        # The SDK reads with a Range header: 206, or 200 for a blob that fits its first range.
        assert delta(operation="get-blob", status="206") + delta(operation="get-blob", status="200") == 1
        assert all("/" not in dict(labels).get("operation", "") for _, labels in after), "a path became a label"

        status, body = get(metrics_port, "/readyz")
        assert status == 200 and json.loads(body) == {"ready": True, "listening": True, "database": True}
    finally:
        storage.server.stop()
    log = storage.server.output()
    assert re.search(r"POST /devstoreaccount1/metrics/messages 201", log), log[-3000:]
    assert re.search(r"GET /devstoreaccount1/evidence/photo\.jpg 20[06]", log), log[-3000:]
    assert "sig=" not in log


def get_or_none(port: int, path: str):
    try:
        return get(port, path)[0]
    except OSError:
        return None


def test_hub_metrics_while_the_iot_sdks_work(edgefactor_bin, tmp_path):
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    hub = Hub(edgefactor_bin, tmp_path / "hub", tmp_path).start()
    try:
        before = parse(get(hub.metrics_port, "/metrics")[1])
        registry = IoTHubRegistryManager.from_connection_string(hub.service_connection_string)
        device_id, key = f"metrics-{uuid.uuid4().hex[:8]}", base64.b64encode(os.urandom(32)).decode()
        registry.create_device_with_sas(device_id, key, base64.b64encode(os.urandom(32)).decode(), "enabled")
        client = IoTHubDeviceClient.create_from_connection_string(
            f"HostName=localhost;DeviceId={device_id};SharedAccessKey={key}", server_verification_cert=hub.ca_pem)
        client.on_method_request_received = lambda request: client.send_method_response(
            MethodResponse.create_from_method_request(request, 200, {"ok": True}))
        client.connect()
        try:
            for index in range(3):
                client.send_message(f"reading {index}")
            for _ in range(2):
                assert registry.invoke_device_method(device_id, CloudToDeviceMethod(method_name="ping", payload={})).status == 200
            after = parse(get(hub.metrics_port, "/metrics")[1])
            assert value(after, "edgefactor_hub_connections") >= 1
        finally:
            client.shutdown()

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert delta("edgefactor_hub_messages_total", direction="received", kind="telemetry") == 3
        assert delta("edgefactor_hub_messages_total", direction="sent", kind="method_request") == 2
        assert delta("edgefactor_hub_messages_total", direction="received", kind="method_response") == 2
        assert delta("edgefactor_hub_method_calls_total", result="2xx") == 2
        assert delta("edgefactor_hub_connects_total", result="accepted") >= 1
        assert delta("edgefactor_hub_http_requests_total", operation="POST /twins/{deviceId}/methods", status="200") == 2
        assert delta("edgefactor_hub_http_requests_total", operation="PUT /devices/{deviceId}", status="200") == 1

        status, body = get(hub.metrics_port, "/readyz")
        assert status == 200 and json.loads(body)["ready"] is True, body
    finally:
        hub.stop()
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved
