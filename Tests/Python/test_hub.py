"""Conformance of the built-in hub with the official Azure IoT SDKs (azure-iot-device over MQTT/TLS,
azure-iot-hub over HTTPS REST). The hub runs as a real `edgefactor hub` process on loopback."""
import base64
import json
import os
import subprocess
import threading
import time
import uuid

import pytest
from azure.iot.device import IoTHubDeviceClient, IoTHubModuleClient, Message, MethodResponse
from azure.iot.device.exceptions import CredentialError
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod, Twin, TwinProperties
from msrest.exceptions import HttpOperationError

from hub_support import Hub


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(scope="module")
def hub(edgefactor_bin, tmp_path_factory):
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    hub = Hub(edgefactor_bin, tmp_path_factory.mktemp("hub-data"), tmp_path_factory.mktemp("hub-logs")).start()
    yield hub
    hub.stop()
    if saved is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = saved


@pytest.fixture(scope="module")
def registry(hub):
    return IoTHubRegistryManager.from_connection_string(hub.service_connection_string)


def register_module(registry, device_id, module_id):
    device_key, module_key = new_key(), new_key()
    registry.create_device_with_sas(device_id, device_key, new_key(), "enabled")
    registry.create_module_with_sas(device_id, module_id, "", module_key, new_key())
    return device_key, module_key


def module_client(hub, device_id, module_id, key, host="localhost", gateway=None, **kwargs):
    cs = f"HostName={host};DeviceId={device_id};ModuleId={module_id};SharedAccessKey={key}"
    if gateway:
        cs += f";GatewayHostName={gateway}"
    return IoTHubModuleClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem, **kwargs)


def test_registry_creates_devices_and_modules(hub, registry):
    device_id = f"reg-{uuid.uuid4().hex[:8]}"
    key = new_key()
    device = registry.create_device_with_sas(device_id, key, new_key(), "enabled")
    assert device.device_id == device_id
    assert device.authentication.symmetric_key.primary_key == key
    module = registry.create_module_with_sas(device_id, "mod1", "", new_key(), new_key())
    assert module.module_id == "mod1"
    assert [m.module_id for m in registry.get_modules(device_id)] == ["mod1"]
    assert registry.get_device(device_id).connection_state == "Disconnected"
    with pytest.raises(HttpOperationError) as error:
        registry.create_device_with_sas(device_id, key, new_key(), "enabled")
    assert error.value.response.status_code == 409
    registry.delete_device(device_id)
    with pytest.raises(HttpOperationError) as error:
        registry.get_device(device_id)
    assert error.value.response.status_code == 404
    assert "404001" in error.value.response.text


def test_module_telemetry_methods_and_twin(hub, registry):
    device_id = f"edge-{uuid.uuid4().hex[:8]}"
    _, module_key = register_module(registry, device_id, "verifier")
    # A "real looking" hub name with the socket redirected by GatewayHostName (the SAS keeps HostName).
    client = module_client(hub, device_id, "verifier", module_key, host="myhub.local", gateway="localhost")
    desired_patches = []
    patch_arrived = threading.Event()

    def on_method(request):
        if request.name == "slow":
            time.sleep(8)
        client.send_method_response(MethodResponse.create_from_method_request(request, 200, {"pong": request.payload}))

    def on_patch(patch):
        desired_patches.append(patch)
        patch_arrived.set()

    client.on_method_request_received = on_method
    client.on_twin_desired_properties_patch_received = on_patch
    client.connect()
    try:
        # Telemetry with system and application properties (keys that need percent-encoding).
        message = Message('{"found": true}', message_id="m-1", content_encoding="utf-8", content_type="application/json")
        message.custom_properties["alert level"] = "high/1"
        client.send_message(message)
        stored = hub.wait_for_telemetry(device_id, lambda m: m["systemProperties"].get("$.mid") == "m-1", module_id="verifier")
        assert stored["properties"] == {"alert level": "high/1"}
        assert stored["systemProperties"]["$.ct"] == "application/json"
        assert stored["body"] == '{"found": true}'

        # Direct method round trip through the service API.
        result = registry.invoke_device_module_method(
            device_id, "verifier", CloudToDeviceMethod(method_name="ping", payload={"a": 1}, response_timeout_in_seconds=10))
        assert result.status == 200
        assert result.payload == {"pong": {"a": 1}}

        # Handler slower than responseTimeout -> 504101.
        with pytest.raises(HttpOperationError) as error:
            registry.invoke_device_module_method(
                device_id, "verifier", CloudToDeviceMethod(method_name="slow", payload=None, response_timeout_in_seconds=5))
        assert error.value.response.status_code == 504
        assert "504101" in error.value.response.text

        # Twin: get (with $version), reported patch visible to the service.
        twin = client.get_twin()
        assert "$version" in twin["desired"]
        client.patch_twin_reported_properties({"firmware": "1.2.3", "temperature": 21})
        service_twin = registry.get_module_twin(device_id, "verifier")
        assert service_twin.properties.reported["firmware"] == "1.2.3"
        assert service_twin.properties.reported["$version"] >= 2

        # Desired patch from the service reaches the module with $version.
        registry.update_module_twin(device_id, "verifier", Twin(properties=TwinProperties(desired={"interval": 5})), "*")
        assert patch_arrived.wait(15), "desired patch not delivered"
        assert desired_patches[-1]["interval"] == 5
        assert desired_patches[-1]["$version"] == registry.get_module_twin(device_id, "verifier").properties.desired["$version"]
    finally:
        client.shutdown()


def test_device_client_and_offline_device(hub, registry):
    device_id = f"dev-{uuid.uuid4().hex[:8]}"
    key = new_key()
    registry.create_device_with_sas(device_id, key, new_key(), "enabled")
    # Offline (never connected) -> 404103.
    with pytest.raises(HttpOperationError) as error:
        registry.invoke_device_method(device_id, CloudToDeviceMethod(method_name="ping", payload={}))
    assert error.value.response.status_code == 404
    assert "404103" in error.value.response.text

    client = IoTHubDeviceClient.create_from_connection_string(
        f"HostName=localhost;DeviceId={device_id};SharedAccessKey={key}", server_verification_cert=hub.ca_pem)
    client.on_method_request_received = lambda request: client.send_method_response(
        MethodResponse.create_from_method_request(request, 201, None))
    client.connect()
    try:
        client.send_message("plain text")
        stored = hub.wait_for_telemetry(device_id, lambda m: m["body"] == "plain text")
        assert "moduleId" not in stored
        result = registry.invoke_device_method(device_id, CloudToDeviceMethod(method_name="hello", payload="x"))
        assert result.status == 201
        assert result.payload is None
        assert registry.get_device(device_id).connection_state == "Connected"
    finally:
        client.shutdown()


def test_wrong_key_is_refused(hub, registry):
    device_id = f"bad-{uuid.uuid4().hex[:8]}"
    registry.create_device_with_sas(device_id, new_key(), new_key(), "enabled")
    client = IoTHubDeviceClient.create_from_connection_string(
        f"HostName=localhost;DeviceId={device_id};SharedAccessKey={new_key()}",
        server_verification_cert=hub.ca_pem, connection_retry=False)
    try:
        with pytest.raises(CredentialError):
            client.connect()
    finally:
        client.shutdown()


def test_module_keeps_its_subscriptions_when_the_hub_restarts(hub, registry):
    """The Python SDK never re-subscribes after a reconnect: the hub must persist the session."""
    device_id = f"rst-{uuid.uuid4().hex[:8]}"
    _, module_key = register_module(registry, device_id, "m")
    client = module_client(hub, device_id, "m", module_key, connection_retry_interval=1)
    calls = []
    patch_arrived = threading.Event()

    def on_method(request):
        calls.append(request.name)
        client.send_method_response(MethodResponse.create_from_method_request(request, 200, {"n": len(calls)}))

    client.on_method_request_received = on_method
    client.on_twin_desired_properties_patch_received = lambda patch: patch_arrived.set()
    client.connect()
    try:
        method = CloudToDeviceMethod(method_name="before", payload=None, response_timeout_in_seconds=10)
        assert registry.invoke_device_module_method(device_id, "m", method).payload == {"n": 1}

        hub.restart()  # drops every connection; subscriptions live in SQLite
        registry_after = IoTHubRegistryManager.from_connection_string(hub.service_connection_string)
        method = CloudToDeviceMethod(method_name="after", payload=None, response_timeout_in_seconds=10,
                                     connect_timeout_in_seconds=30)
        result = registry_after.invoke_device_module_method(device_id, "m", method)
        assert result.status == 200 and result.payload == {"n": 2}
        assert calls == ["before", "after"]
        registry_after.update_module_twin(device_id, "m", Twin(properties=TwinProperties(desired={"after": True})), "*")
        assert patch_arrived.wait(15)
    finally:
        client.shutdown()


def test_admin_verbs_print_connection_strings(hub):
    device_id = f"cli-{uuid.uuid4().hex[:8]}"
    added = hub.cli("devices", "add", device_id).stdout.strip()
    assert added.startswith(f"HostName=localhost;DeviceId={device_id};SharedAccessKey=")
    module = hub.cli("modules", "add", device_id, "m1").stdout.strip()
    assert f"DeviceId={device_id};ModuleId=m1;SharedAccessKey=" in module
    assert hub.cli("connection-string", device_id, "m1").stdout.strip() == module
    assert device_id in hub.cli("devices", "list").stdout
    assert hub.cli("modules", "list", device_id).stdout.startswith("m1\tDisconnected")
    hub.cli("devices", "remove", device_id)
    missing = hub.cli("connection-string", device_id, check=False)
    assert missing.returncode != 0 and "404001" in missing.stderr


def test_telemetry_follow_streams_new_messages(hub, registry):
    device_id = f"sse-{uuid.uuid4().hex[:8]}"
    key = new_key()
    registry.create_device_with_sas(device_id, key, new_key(), "enabled")
    follower = subprocess.Popen(
        [hub.binary, "hub", "telemetry", "--follow", "--device-id", device_id, "--data-dir", str(hub.data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.append(follower.stdout.readline()), daemon=True)
    reader.start()
    client = IoTHubDeviceClient.create_from_connection_string(
        f"HostName=localhost;DeviceId={device_id};SharedAccessKey={key}", server_verification_cert=hub.ca_pem)
    try:
        client.connect()
        time.sleep(0.5)  # the stream is open before the message is sent
        message = Message("streamed")
        message.custom_properties["k"] = "v"
        client.send_message(message)
        reader.join(15)
        assert lines and lines[0].strip(), "nothing streamed by `edgefactor hub telemetry --follow`"
        event = json.loads(lines[0])
        assert event["deviceId"] == device_id and event["body"] == "streamed" and event["properties"] == {"k": "v"}
    finally:
        client.shutdown()
        follower.terminate()
        follower.wait(10)
