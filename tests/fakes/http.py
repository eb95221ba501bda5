"""The HTTP plumbing the API stubs share: a threaded loopback server answering JSON, able to drop an answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """What a stub answers: status, JSON payload (None: no body; bytes: sent as they are), headers, or no answer at
    all (`drop`)."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that gave up on a stalled answer closes its socket: nothing to report


class LoopbackJsonServer:
    """A threaded HTTP server on 127.0.0.1; subclasses answer requests in `handle`.

    `stall(n, seconds)`: the next n requests are answered only after `seconds` (a stalled connection).
    """

    base_path = ""
    """What `url` ends with (e.g. /v1)."""

    def __init__(self, port: int = 0) -> None:
        self._server = _QuietServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._stalls = 0
        self._stall_seconds = 0.0
        self._stall_lock = threading.Lock()

    def stall(self, requests: int, seconds: float) -> None:
        """Hold the answer of the next `requests` requests for `seconds`."""
        with self._stall_lock:
            self._stalls, self._stall_seconds = requests, seconds

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.base_path}"

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        """Answer one request."""
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                stub._serve(self, "GET")

            def do_HEAD(self) -> None:
                stub._serve(self, "HEAD")

            def do_POST(self) -> None:
                stub._serve(self, "POST")

            def do_PUT(self) -> None:
                stub._serve(self, "PUT")

            def do_PATCH(self) -> None:
                stub._serve(self, "PATCH")

            def do_DELETE(self) -> None:
                stub._serve(self, "DELETE")

        return Handler

    def _serve(self, req: BaseHTTPRequestHandler, method: str) -> None:
        length = int(req.headers.get("content-length") or 0)
        body = req.rfile.read(length) if length else b""
        with self._stall_lock:
            pause = self._stall_seconds if self._stalls > 0 else 0.0
            self._stalls = max(0, self._stalls - 1)
        if pause:
            time.sleep(pause)
        parts = urlsplit(req.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        reply = self.handle(req, method, parts.path, query, body)
        if reply.drop:  # the server acted, the client never hears of it
            req.close_connection = True
            req.connection.shutdown(socket.SHUT_RDWR)
            return
        raw = isinstance(reply.payload, bytes)  # an object's bytes, as Object Storage serves them
        if reply.payload is None or method == "HEAD":
            data = b""
        else:
            data = reply.payload if raw else json.dumps(reply.payload).encode()
        req.send_response(reply.status)
        req.send_header("content-type", "application/octet-stream" if raw else "application/json")
        for name, value in reply.headers.items():
            req.send_header(name, value)
        req.send_header("content-length", str(len(data)))
        req.end_headers()
        if data:
            req.wfile.write(data)
