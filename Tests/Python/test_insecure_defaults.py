"""Insecure listeners stay on loopback unless the operator says otherwise: `edgefactor storage`
(plain HTTP, perhaps the development key) and the hub's plain MQTT and plain-HTTP REST refuse a
non-loopback address without --allow-insecure-remote, and say how to proceed; so do every
server's /healthz, /readyz and /metrics."""
import subprocess

from conftest import Server, free_port, wait_for_port


def refused(args):
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, result.stdout
    message = result.stdout + result.stderr
    assert "--allow-insecure-remote" in message and "not a loopback address" in message, message
    return message


def test_storage_on_all_addresses_needs_the_flag(edgefactor_bin, tmp_path):
    args = [edgefactor_bin, "storage", "--data-dir", str(tmp_path / "data"), "--host", "0.0.0.0",
            "--blob-port", str(free_port()), "--queue-port", str(free_port())]
    assert "development account key" in refused(args)
    blob_port = free_port()
    server = Server(args[:-4] + ["--blob-port", str(blob_port), "--queue-port", str(free_port()), "--allow-insecure-remote"],
                    tmp_path / "storage.log")
    try:
        wait_for_port(blob_port, proc=server.proc)
    finally:
        server.stop()


def test_hub_plain_listeners_off_loopback_need_the_flag(edgefactor_bin, tmp_path):
    base = [edgefactor_bin, "hub", "run", "--data-dir", str(tmp_path / "hub"), "--bind", "0.0.0.0",
            "--mqtt-port", "0", "--rest-port", "0"]
    assert "plain (unencrypted) MQTT" in refused(base + ["--mqtt-plain-port", "0"])
    assert "plain HTTP" in refused(base + ["--rest-plain-http"])


def test_operator_endpoints_off_loopback_need_the_flag(edgefactor_bin, tmp_path):
    """`/healthz`, `/readyz` and `/metrics` are plain HTTP without authentication: loopback only,
    unless the operator passes --allow-insecure-remote."""
    storage = [edgefactor_bin, "storage", "--data-dir", str(tmp_path / "data"), "--blob-port", "0", "--queue-port", "0"]
    assert "metrics and health endpoints (--metrics-address)" in refused(storage + ["--metrics-address", "0.0.0.0:0"])
    hub = [edgefactor_bin, "hub", "run", "--data-dir", str(tmp_path / "hub"), "--mqtt-port", "0", "--rest-port", "0"]
    assert "--metrics-address" in refused(hub + ["--metrics-address", "0.0.0.0:0"])
    assert "--metrics-address" in refused([edgefactor_bin, "frontend", "--port", "0", "--metrics-address", "0.0.0.0:0"])
    assert "--health-address" in refused([edgefactor_bin, "module", "--health-address", "0.0.0.0:0"])
    assert "--health-address" in refused([edgefactor_bin, "agent", "--health-address", "0.0.0.0:0"])
    # With the operator's consent it is served.
    metrics_port = free_port()
    server = Server(storage + ["--metrics-address", f"0.0.0.0:{metrics_port}", "--allow-insecure-remote"], tmp_path / "storage.log")
    try:
        wait_for_port(metrics_port, proc=server.proc)
    finally:
        server.stop()
