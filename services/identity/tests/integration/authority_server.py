"""A national identity authority that speaks the HTTP contract (services/identity/README.md) on
loopback, for the HTTP provider's tests: http.server in a thread, optionally over mutual TLS."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from servicekit.rpc.tls import TlsFiles

API_KEY = "authority-test-key"


@dataclass
class Reply:
    status: int = 200
    body: dict | str = field(default_factory=lambda: {"result": "match"})
    wait: threading.Event | None = None  # set by the test to let a held answer go


@dataclass(frozen=True)
class Received:
    api_key: str | None
    idempotency_key: str | None
    content_type: str | None
    body: dict
    client_certificate: dict | None


class Authority:
    """Answers ``script`` in order (then ``default``); without the API key, 401 as the contract says."""

    def __init__(self, script: list[Reply] | None = None, default: Reply | None = None,
                 tls: TlsFiles | None = None) -> None:
        self.script = list(script or [])
        self.default = default or Reply()
        self.received: list[Received] = []
        self._holds = [r.wait for r in [*self.script, self.default] if r.wait is not None]
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                authority.received.append(Received(
                    self.headers.get("X-Api-Key"), self.headers.get("Idempotency-Key"),
                    self.headers.get("Content-Type"), json.loads(self.rfile.read(length)), peer))
                reply = authority.script.pop(0) if authority.script else authority.default
                if self.headers.get("X-Api-Key") != API_KEY:
                    reply = Reply(401, {"error": "unknown api key"})
                if reply.wait is not None:
                    reply.wait.wait(timeout=30)
                payload = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client gave up (deadline tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=tls.ca)
            context.load_cert_chain(tls.cert, tls.key)
            context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no answer
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/v1/verifications"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Authority:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for hold in self._holds:
            hold.set()  # held answers go, so no handler thread outlives the test
        self.server.shutdown()
        self.server.server_close()
