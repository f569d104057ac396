"""A TCP proxy for fault tests: it stands between a client and a real server and fails the way
networks and servers fail.

Modes (switch at any time, from any thread):

    up       bytes pass both ways
    cut      requests still reach the server, but every answer is dropped and the client's
             connection closed: the server did the work and the client never learns it (the
             hardest case for exactly-once: a retry must recognise what it made before)
    refuse   the listening socket is closed and open connections are dropped: new connections
             are refused, as when the server's process is gone

`delay` (seconds) holds back each answer, as a slow network does: a test can then catch a batch
in the middle. Used for scim2-server, whose in-memory store would lose everything if its
process really died (a SCIM service in production keeps its data in a database and survives a
restart), and to slow slapd's answers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

UP, CUT, REFUSE = "up", "cut", "refuse"


class TcpProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.host = "127.0.0.1"
        self.port = port
        self.mode = UP
        self.cut_count = 0  # answers dropped so far
        self.delay = 0.0
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    # -- control ------------------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self.mode = UP
        if self._listener is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            self.port = sock.getsockname()[1]
            sock.listen(64)
            self._listener = sock
            threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        return self

    def cut(self) -> None:
        self.mode = CUT

    def refuse(self) -> None:
        self.mode = REFUSE
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._drop_all()

    def stop(self) -> None:
        self.refuse()

    # -- plumbing -----------------------------------------------------------------------------

    def _drop_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            _close(conn)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # the listener was closed (refuse)
            if self.mode == REFUSE:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._conns.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if answers and self.mode == CUT:
                    self.cut_count += 1
                    break  # the server answered; the client never hears it
                if self.mode == REFUSE:
                    break
                if answers and self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
