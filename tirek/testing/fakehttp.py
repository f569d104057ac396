"""A tiny threaded HTTP server for fakes of proprietary REST APIs (tests only).

A fake lists its routes (method, path regex, handler); any other request is answered 404/405
and recorded in `rejected`, so a test can assert that a connector used only documented calls.
`stop()` and `start()` keep the state and the port, to take the target away mid-test.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON; bytes/str as is
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Response]


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # restart on the same port right after stop()
    daemon_threads = True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    routes: list[tuple[str, str, str]] = []  # (method, path regex, handler method name)

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.calls: list[tuple[str, str]] = []
        self.rejected: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        self._server: _Server | None = None
        self._compiled = [(m, re.compile(p + r"\Z"), h) for m, p, h in self.routes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        if self._server is not None:
            return self
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _serve(self):
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = _Server(("127.0.0.1", self.port), _Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _dispatch(self, raw: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(raw.path)
        length = int(raw.headers.get("Content-Length") or 0)
        cookies = {}
        for chunk in (raw.headers.get("Cookie") or "").split(";"):
            if "=" in chunk:
                name, value = chunk.strip().split("=", 1)
                cookies[name] = value
        request = Request(
            method=raw.command,
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in raw.headers.items()},
            body=raw.rfile.read(length) if length else b"",
            cookies=cookies,
        )
        response = self._route(request)
        body = response.body
        if isinstance(body, dict | list):
            payload = json.dumps(body).encode()
            response.headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body or b""
        raw.send_response(response.status)
        for name, value in response.headers.items():
            raw.send_header(name, value)
        raw.send_header("Content-Length", str(len(payload)))
        raw.end_headers()
        raw.wfile.write(payload)

    def _route(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._compiled:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            with self.lock:
                self.calls.append((request.method, request.path))
                return getattr(self, handler)(request, **match.groupdict())
        with self.lock:
            self.rejected.append((request.method, request.path))
        return Response(405 if allowed else 404, {"error": "not in the reference"})
