"""A real SCIM 2.0 server for tests and the benchmark: scim2-server's in-memory backend in a
thread of this process (or its own process: `python -m tirek.connectors.scim_server --token T`,
as the benchmark runs it). `stop()` and `restart()` keep the data and the port (what a restarted
service with a database behind it would do). The store lives only in memory, so fault tests do
not kill it: they put `tirek.testing.tcpproxy.TcpProxy` in front and cut answers or refuse
connections there."""

from __future__ import annotations

import secrets
import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class ScimServer:
    def __init__(self, token: str | None = None, port: int | None = None) -> None:
        from scim2_models import ScimProvider
        from scim2_server.memory import InMemoryStorage
        from scim2_server.service import ScimService
        from scim2_server.testserver.application import BearerTokenApplication
        from scim2_server.utils import (
            load_default_resource_types,
            load_default_schemas,
            load_default_service_provider_config,
        )

        self.token = token or secrets.token_urlsafe(16)
        self.port = port or _free_port()
        provider = ScimProvider.from_discovery(
            load_default_schemas().values(),
            load_default_resource_types().values(),
            config=load_default_service_provider_config(),
        )
        self.storage = InMemoryStorage()
        self.app = BearerTokenApplication(
            self.storage,
            provider,
            service=ScimService(provider, secret=secrets.token_urlsafe(32)),
            bearer_tokens=[self.token],
        )
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> ScimServer:
        if self._server is not None:
            return self
        from scim2_server.testserver.cli import ThreadingWSGIServer

        self._server = make_server(
            "127.0.0.1",
            self.port,
            self.app,
            server_class=ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def restart(self) -> ScimServer:
        self.stop()
        return self.start()

    def users(self) -> list:
        return [r for r in self.storage.resources if type(r).__name__.startswith("User")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    """Run the server in its own process (the benchmark does): prints its URL, serves until
    killed."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="scim2-server's in-memory SCIM server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    server = ScimServer(token=args.token, port=args.port or None).start()
    print(server.url, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
