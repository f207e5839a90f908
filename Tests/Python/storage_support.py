"""Fixtures for the storage conformance tests: a real `edgefactor storage` process on free
loopback ports with its own data directory, and helpers to build SDK clients against it."""
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Server, free_port, wait_for_port

DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class StorageProcess:
    """A running storage service: its ports, data directory and process."""

    server: Server
    blob_port: int
    queue_port: int
    data_dir: Path
    args: list
    scheme: str = "http"

    @property
    def blob_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.blob_port}/{DEV_ACCOUNT}"

    @property
    def queue_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.queue_port}/{DEV_ACCOUNT}"

    def connection_string(self, key: str = DEV_KEY) -> str:
        return (
            f"DefaultEndpointsProtocol={self.scheme};AccountName={DEV_ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={self.blob_url};QueueEndpoint={self.queue_url};"
        )

    def alive(self) -> bool:
        return self.server.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, no chance to clean up (the crash test)."""
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait(timeout=15)
        self.server.log.close()


def start_storage(edgefactor_bin: str, data_dir: Path, log_path: Path, blob_port: int = 0, queue_port: int = 0,
                  extra_args=()) -> StorageProcess:
    """`edgefactor storage` on free ports; `extra_args` such as ("--tls", "--ca-dir", DIR) make it
    serve HTTPS (the connection strings then say https)."""
    blob_port = blob_port or free_port()
    queue_port = queue_port or free_port()
    args = [
        edgefactor_bin, "storage", "--data-dir", str(data_dir), "--host", "127.0.0.1",
        "--blob-port", str(blob_port), "--queue-port", str(queue_port), "--log-level", "warning", "--metrics-address", "off", *extra_args,
    ]
    server = Server(args, log_path, env=dict(os.environ))
    try:
        wait_for_port(blob_port, proc=server.proc)
        wait_for_port(queue_port, proc=server.proc)
    except Exception:
        server.stop()
        raise RuntimeError("storage service did not start:\n" + server.output())
    tls = any(arg in ("--tls", "--ca-dir", "--certificate") for arg in extra_args)
    return StorageProcess(server, blob_port, queue_port, data_dir, args, "https" if tls else "http")


@pytest.fixture()
def storage(edgefactor_bin, tmp_path):
    """A fresh storage service for one test."""
    process = start_storage(edgefactor_bin, tmp_path / "data", tmp_path / "storage.log")
    yield process
    if process.alive():
        process.server.stop()


# --- Raw, hand-signed requests (for bad-input tests the SDKs would refuse to send) -------------
import base64
import hashlib
import hmac
import http.client
import socket
import urllib.parse
from email.utils import formatdate

STANDARD_HEADERS = [
    "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
    "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
]


def sign(method: str, path_and_query: str, headers: dict, key: str = DEV_KEY, account: str = DEV_ACCOUNT) -> dict:
    """Adds x-ms-date, x-ms-version and a Shared Key Authorization (code-point header order)."""
    headers = dict(headers)
    headers["x-ms-date"] = formatdate(usegmt=True)
    headers["x-ms-version"] = "2024-11-04"
    lower = {k.lower(): str(v) for k, v in headers.items()}
    slots = []
    for name in STANDARD_HEADERS:
        value = lower.get(name, "")
        if name == "content-length" and value == "0":
            value = ""
        slots.append(value)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted((k, v) for k, v in lower.items() if k.startswith("x-ms-")))
    path, _, query = path_and_query.partition("?")
    resource = f"/{account}{path}"
    params: dict = {}
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        params.setdefault(urllib.parse.unquote(name).lower(), []).append(urllib.parse.unquote(value))
    for name in sorted(params):
        resource += f"\n{name}:{','.join(sorted(params[name]))}"
    string_to_sign = method + "\n" + "\n".join(slots) + "\n" + canonical_headers + resource
    digest = hmac.new(base64.b64decode(key), string_to_sign.encode(), hashlib.sha256).digest()
    headers["Authorization"] = f"SharedKey {account}:{base64.b64encode(digest).decode()}"
    return headers


def raw_request(port: int, method: str, path_and_query: str, body: bytes = b"", headers=None, signed: bool = True):
    """One signed request; returns (status, headers dict lower-cased, body bytes)."""
    headers = dict(headers or {})
    if body or method in ("PUT", "POST"):
        headers.setdefault("Content-Length", str(len(body)))
    if signed:
        headers = sign(method, path_and_query, headers)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path_and_query, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body:
            connection.send(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def truncated_request(port: int, method: str, path_and_query: str, declared: int, sent: bytes, headers=None) -> None:
    """Declares `declared` body bytes, sends fewer, and hangs up."""
    headers = sign(method, path_and_query, dict(headers or {}, **{"Content-Length": str(declared)}))
    head = f"{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + sent)
        sock.shutdown(socket.SHUT_WR)
        try:
            sock.recv(4096)
        except OSError:
            pass
