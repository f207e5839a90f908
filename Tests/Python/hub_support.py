"""Fixtures for the hub conformance tests: a real `edgefactor hub` on 127.0.0.1:8883 (the port the
Azure device SDK always dials) and helpers around the official SDKs."""
import json
import os
import subprocess
import time
from pathlib import Path

from conftest import Server, free_port, wait_for_port

MQTT_PORT = 8883  # fixed in azure-iot-device


def start_hub_on_free_ports(binary: str, home: Path, env: dict):
    """`edgefactor hub` in `home/hub` on free MQTT and REST ports; returns (server, mqtt port,
    rest port, hub.json) once hub.json is written (just after the listeners open)."""
    mqtt_port, rest_port = free_port(), free_port()
    server = Server([binary, "hub", "--data-dir", str(home / "hub"), "--mqtt-port", str(mqtt_port),
                     "--rest-port", str(rest_port), "--metrics-address", "off"], home / "hub.log", env=env)
    wait_for_port(mqtt_port, proc=server.proc)
    wait_for_port(rest_port, proc=server.proc)
    description = home / "hub" / "hub.json"
    deadline = time.monotonic() + 30
    while not description.exists():
        assert time.monotonic() < deadline, "hub.json never appeared"
        time.sleep(0.1)
    time.sleep(0.1)
    return server, mqtt_port, rest_port, json.loads(description.read_text())


class Hub:
    """A running `edgefactor hub` with its data directory, CA and service connection string."""

    def __init__(self, binary: str, data_dir: Path, log_dir: Path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.rest_port = free_port()
        self.metrics_port = free_port()
        self.server = None
        self.starts = 0

    def start(self):
        self.starts += 1
        args = [self.binary, "hub", "--data-dir", str(self.data_dir), "--mqtt-port", str(MQTT_PORT),
                "--rest-port", str(self.rest_port), "--log-level", "debug",
                "--metrics-address", f"127.0.0.1:{self.metrics_port}"]
        self.server = Server(args, self.log_dir / f"hub-{self.starts}.log")
        wait_for_port(MQTT_PORT, proc=self.server.proc)
        wait_for_port(self.rest_port, proc=self.server.proc)
        # hub.json is written (and flushed to disk) once every listener is up: wait for it too.
        description = self.data_dir / "hub.json"
        deadline = time.monotonic() + 30
        while not description.exists():
            if self.server.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hub did not write hub.json:\n" + self.output())
            time.sleep(0.05)
        info = json.loads(description.read_text())
        self.service_connection_string = info["serviceConnectionString"]
        self.ca_file = info["caCertificateFile"]
        self.ca_pem = Path(self.ca_file).read_text()
        # azure-iot-hub talks HTTPS through `requests`, which trusts this bundle.
        os.environ["REQUESTS_CA_BUNDLE"] = self.ca_file
        return self

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart(self):
        self.stop()
        return self.start()

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("hub-*.log")))

    def cli(self, *args, check=True) -> subprocess.CompletedProcess:
        """Runs an `edgefactor hub ...` admin verb against this hub."""
        return subprocess.run([self.binary, "hub", *args, "--data-dir", str(self.data_dir)],
                              capture_output=True, text=True, timeout=60, check=check)

    def telemetry(self, device_id: str, module_id: str = None, limit: int = 100):
        args = ["telemetry", "--device-id", device_id, "--limit", str(limit)]
        if module_id:
            args += ["--module-id", module_id]
        out = self.cli(*args).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def wait_for_telemetry(self, device_id, predicate, module_id=None, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.telemetry(device_id, module_id):
                if predicate(message):
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no matching telemetry from {device_id} within {timeout}s")
