"""The IoT Edge files in deploy/iotedge, checked without a Docker engine (there is none here):
the manifest is valid JSON with valid createOptions, mounts what each image expects, maps the
camera into the agent, and the images build with the toolchain the project is tested with.
(Tests/EdgeModuleTests/DeploymentManifestTests.swift checks the module's desired properties.)"""
import json
import re
import subprocess
from pathlib import Path

from conftest import ROOT

DEPLOY = ROOT / "deploy" / "iotedge"


def manifest():
    return json.loads((DEPLOY / "deployment.template.json").read_text())


def modules():
    return manifest()["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]


def create_options(module: dict) -> dict:
    return json.loads(module["settings"]["createOptions"])


def dockerfile(name: str) -> str:
    return (DEPLOY / name).read_text()


def test_manifest_modules_mount_the_secrets_and_the_agent_gets_camera_and_state():
    mods = modules()
    assert set(mods) == {"edgefactor", "edgefactor-agent"}
    for module in mods.values():
        host = create_options(module)["HostConfig"]
        # Writable: the modules save renewed storage grants beside the secrets.
        assert "/etc/edgefactor/secrets:/etc/edgefactor/secrets" in host["Binds"]
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
        assert "AZURE_STORAGE_CONNECTION_STRING" not in module.get("env", {}), "edge boxes hold grants, not the account key"
    agent = create_options(mods["edgefactor-agent"])["HostConfig"]
    assert {"PathOnHost": "/dev/video0", "PathInContainer": "/dev/video0", "CgroupPermissions": "rwm"} in agent["Devices"]
    assert "video" in agent["GroupAdd"]
    assert any(bind.endswith(":/var/lib/edgefactor") for bind in agent["Binds"])
    # No keys in the manifest (it is stored in the hub): the agent's connection string is a secret file.
    assert "env" not in mods["edgefactor-agent"]
    # No module sends messages through the edge hub (the agent talks to the hub as its device).
    assert manifest()["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] == {}


def test_images_match_the_manifest_and_the_toolchain():
    version = re.search(r"Swift version (\d+\.\d+(?:\.\d+)?)", subprocess.run(
        ["swift", "--version"], capture_output=True, text=True).stdout + "")
    for name in ("Dockerfile.module", "Dockerfile.agent"):
        text = dockerfile(name)
        if version:
            assert f"FROM swift:{version.group(1)}-" in text, f"{name} does not build with Swift {version.group(1)}"
        # The image's user owns the mounted secrets: a numeric uid the docs can name.
        assert "USER 10001" in text
        assert "--secrets-dir /etc/edgefactor/secrets" in text.replace('", "', " ")
        assert "ENV EDGEFACTOR_HOME=/var/lib/edgefactor" in text
    assert '"module", "--edge"' in dockerfile("Dockerfile.module")
    agent = dockerfile("Dockerfile.agent")
    assert "--camera v4l2:///dev/video0" in agent and "VOLUME /var/lib/edgefactor" in agent
    assert '--hub-connection-string-file \\"/etc/edgefactor/secrets/devices/$IOTEDGE_DEVICEID.hub-connection-string' in agent
    assert "libonnxruntime.so" in agent
    pinned = re.search(r"^onnxruntime==", (ROOT / "scripts" / "requirements-runtime.txt").read_text(), re.M)
    assert pinned, "the agent image takes ONNX Runtime's version from scripts/requirements-runtime.txt"
    assert "COPY scripts/requirements-runtime.txt" in agent
