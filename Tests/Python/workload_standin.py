"""A stand-in for the IoT Edge workload API, written from Microsoft's documented API (the
`IOTEDGE_WORKLOADURI` unix socket of the IoT Edge security daemon):

  POST /modules/{moduleId}/genid/{generationId}/sign?api-version=…
       {"keyId": "primary", "algo": "HMACSHA256", "data": "<base64>"}  ->  {"digest": "<base64>"}
  GET  /trust-bundle?api-version=…                                    ->  {"certificate": "<PEM>"}

Errors are {"message": "…"} with 400 or 404. It signs with the module keys it is given (the
built-in hub's) and serves the built-in hub's CA as the trust bundle."""
import base64
import hashlib
import hmac
import json
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path


class WorkloadStandIn:
    """The workload API on a unix socket in `directory`, for modules `{moduleId: base64 key}` of
    one generation. Records every request as (method, path, query)."""

    def __init__(self, directory: Path, keys: dict, generation_id: str, trust_bundle: str):
        self.socket_path = str(directory / "workload.sock")
        self.keys = dict(keys)
        self.generation_id = generation_id
        self.trust_bundle = trust_bundle
        self.requests = []
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def address_string(self):  # a unix socket has no peer address
                return "workload-client"

            def log_message(self, *args):
                pass

            def do_GET(self):
                standin.handle(self, "GET")

            def do_POST(self):
                standin.handle(self, "POST")

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(self.socket_path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def uri(self) -> str:
        return f"unix://{self.socket_path}"

    def sign_requests(self) -> int:
        with self.lock:
            return sum(1 for method, path, _ in self.requests if method == "POST" and path.endswith("/sign"))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        Path(self.socket_path).unlink(missing_ok=True)

    def handle(self, request: BaseHTTPRequestHandler, method: str):
        parsed = urllib.parse.urlsplit(request.path)
        query = urllib.parse.parse_qs(parsed.query)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, parsed.path, query))
        status, answer = self.answer(method, urllib.parse.unquote(parsed.path), query, body)
        data = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def answer(self, method, path, query, body):
        if not query.get("api-version"):
            return 400, {"message": "api-version is required"}
        if method == "GET" and path == "/trust-bundle":
            return 200, {"certificate": self.trust_bundle}
        parts = path.strip("/").split("/")
        if method != "POST" or len(parts) != 5 or parts[0] != "modules" or parts[2] != "genid" or parts[4] != "sign":
            return 404, {"message": f"no such operation: {method} {path}"}
        module_id, generation_id = parts[1], parts[3]
        if module_id not in self.keys or generation_id != self.generation_id:
            return 404, {"message": f"module {module_id} generation {generation_id} not found"}
        try:
            sign = json.loads(body)
            data = base64.b64decode(sign["data"], validate=True)
        except (ValueError, KeyError, TypeError):
            return 400, {"message": "body must be {keyId, algo, data (base64)}"}
        if sign.get("keyId") != "primary" or sign.get("algo") != "HMACSHA256":
            return 400, {"message": "only keyId primary with algo HMACSHA256 is supported"}
        digest = hmac.new(base64.b64decode(self.keys[module_id]), data, hashlib.sha256).digest()
        return 200, {"digest": base64.b64encode(digest).decode()}


def edge_environment(standin: WorkloadStandIn, device_id: str, module_id: str, hub_host: str, gateway: str) -> dict:
    """The variables the IoT Edge runtime sets in a module's container."""
    return {
        "IOTEDGE_WORKLOADURI": standin.uri,
        "IOTEDGE_APIVERSION": "2019-01-30",
        "IOTEDGE_MODULEGENERATIONID": standin.generation_id,
        "IOTEDGE_DEVICEID": device_id,
        "IOTEDGE_MODULEID": module_id,
        "IOTEDGE_IOTHUBHOSTNAME": hub_host,
        "IOTEDGE_GATEWAYHOSTNAME": gateway,
        "IOTEDGE_AUTHSCHEME": "sasToken",
    }
