"""Shared pytest fixtures: the edgefactor binary built by scripts/test.sh, ports, temp dirs."""
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def edgefactor_bin() -> str:
    """Path of the `edgefactor` executable under test (EDGEFACTOR_BIN, else the debug build)."""
    path = os.environ.get("EDGEFACTOR_BIN") or str(ROOT / ".build" / "debug" / "edgefactor")
    if not os.access(path, os.X_OK):
        pytest.fail(f"edgefactor binary not found at {path}: run `swift build` first")
    return path


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 30.0, proc=None) -> None:
    """Block until something accepts connections on host:port (or fail with the process's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class Server:
    """A subprocess of `edgefactor` with its log captured to a file; stopped with SIGTERM."""

    def __init__(self, args, log_path: Path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def stop(self, kill: bool = False) -> int:
        if self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
