"""A fake PERCo-Web server for tests: a real HTTP server on a free port, in threads.

PERCo-Web is proprietary and cannot run here, so this fake implements ONLY the calls shown in
the vendor's public examples (github.com/percodev/api_examples) that tirek/connectors/perco.py
uses, with the request and response shapes those examples show. Anything else (another path,
method, an unknown or missing body field, no valid token) is answered with an error, so the
connector cannot come to depend on behaviour the examples do not show.

State is plain dicts you can inspect (`staff`, `divisions`, `positions`, `requests`); `stop()`
and `start()` keep it and the port, so a test can take the server away mid-batch.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STAFF_FIELDS = {
    "last_name",
    "first_name",
    "middle_name",
    "tabel_number",
    "division",
    "position",
    "work_schedule",
    "access_template",
    "additional_fields",
    "hiring_date",
}


class FakeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PercoFake:
    def __init__(self, login: str = "admin", password: str | None = None) -> None:
        self.login = login
        self.password = password or secrets.token_urlsafe(12)
        self.port = _free_port()
        self.tokens: set[str] = set()
        self.divisions: dict[int, dict] = {}
        self.positions: dict[int, dict] = {}
        self.staff: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self._next_id = 100
        # Fault injection: after `_budget` more requests the server carries out one more and
        # drops its answer (the worst moment to fail), then drops every connection until
        # recover(). None: healthy.
        self._budget: int | None = None
        self.down = False
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PercoFake:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def fail_after(self, n: int) -> None:
        """Answer `n` more requests, do the next one but lose its answer, then be down."""
        self._budget = n
        self.down = False

    def recover(self) -> None:
        self._budget = None
        self.down = False

    def _fault(self) -> str:
        """The fate of the next request: ok, lose (done, answer dropped) or down (dropped)."""
        with self._lock:
            if self.down:
                return "down"
            if self._budget is None:
                return "ok"
            if self._budget > 0:
                self._budget -= 1
                return "ok"
            self.down = True
            return "lose"

    def reset(self) -> None:
        """Forget every record, division, position, token and request (between tests)."""
        self.recover()
        with self._lock:
            for store in (self.tokens, self.divisions, self.positions, self.staff):
                store.clear()
            self.requests.clear()

    def add_division(self, name: str) -> int:
        with self._lock:
            pk = self._new_id()
            self.divisions[pk] = {"id": pk, "name": name, "is_removed": False, "parent_id": 0}
            return pk

    def add_position(self, name: str) -> int:
        with self._lock:
            pk = self._new_id()
            self.positions[pk] = {"id": pk, "name": name, "is_removed": False, "is_const": False}
            return pk

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def by_tabel(self, tabel_number: str, active_only: bool = True) -> list[dict]:
        return [
            s
            for s in self.staff.values()
            if s["tabel_number"] == tabel_number and (s["is_active"] or not active_only)
        ]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- the API -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> dict | list:
        self.requests.append((method, path))
        if (method, path) == ("POST", "/api/system/auth"):
            data = _body(body, required={"login", "password"}, allowed={"login", "password"})
            if data["login"] != self.login or data["password"] != self.password:
                raise FakeError(400, "Неверный логин или пароль")
            token = secrets.token_hex(16)
            self.tokens.add(token)
            return {"token": token}
        self._authorise(query, headers)
        with self._lock:
            return self._route(method, path, query, body)

    def _authorise(self, query: dict, headers) -> None:
        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else (query.get("token") or [""])[0]
        if token not in self.tokens:
            raise FakeError(401, "Unauthorized")

    def _route(self, method: str, path: str, query: dict, body: bytes):
        # Query parameters the examples show for each call (`token` may travel in any).
        allowed = {"token"}
        if path == "/api/users/staff/table":
            allowed |= {"status", "filters"}
        elif path == "/api/users/staff" and method == "POST":
            allowed |= {"ids"}
        unknown = set(query) - allowed
        if unknown:
            raise FakeError(400, f"Unknown parameters {sorted(unknown)}")
        if path == "/api/divisions/list" and method == "GET":
            _no_body(body)
            return list(self.divisions.values())
        if path == "/api/positions/list" and method == "GET":
            _no_body(body)
            return list(self.positions.values())
        if path == "/api/users/staff/table" and method == "GET":
            _no_body(body)
            return {"rows": self._table(query)}
        if path == "/api/users/staff" and method == "PUT":
            return {"id": self._put_staff(_body(body, {"last_name", "tabel_number", "division"}))}
        if path == "/api/users/staff" and method == "POST":
            return self._dismiss(query, _body(body, {"is_active"}, {"is_active", "dismissed_date"}))
        match = re.fullmatch(r"/api/users/staff/(\d+)", path)
        if match and method == "GET":
            _no_body(body)
            return self._record(int(match[1]))
        if match and method == "POST":
            return {"result": self._edit_staff(int(match[1]), _body(body))}
        match = re.fullmatch(r"/api/users/(\d+)/mainCard", path)
        if match and method == "POST":
            data = _body(body, required={"identifier"}, allowed={"identifier"})
            return {"result": self._set_card(int(match[1]), str(data["identifier"]))}
        if match and method == "DELETE":
            _no_body(body)
            staff = self._staff(int(match[1]))
            if not staff["identifier"]:
                raise FakeError(400, "Основная карта не назначена")
            staff["identifier"] = ""
            return {"result": "ok"}
        known = {
            "/api/divisions/list",
            "/api/positions/list",
            "/api/users/staff/table",
            "/api/users/staff",
        }
        if path in known or re.fullmatch(r"/api/users/(staff/)?\d+(/mainCard)?", path):
            raise FakeError(405, f"Method {method} is not allowed")
        raise FakeError(404, f"No route {path}")

    def _staff(self, pk: int) -> dict:
        if pk not in self.staff:
            raise FakeError(404, "Сотрудник не найден")
        return self.staff[pk]

    def _record(self, pk: int) -> dict:
        staff = self._staff(pk)
        return {
            **{k: v for k, v in staff.items() if k not in ("division", "position")},
            "division": {str(staff["division"]): self.divisions[staff["division"]]["name"]},
            "position": (
                {str(staff["position"]): self.positions[staff["position"]]["name"]}
                if staff.get("position")
                else {}
            ),
        }

    def _table(self, query: dict) -> list[dict]:
        status = (query.get("status") or ["active"])[0]
        if status not in ("active", "dismissed", "all"):
            raise FakeError(400, "Bad status")
        wanted = None
        if "filters" in query:
            try:
                filters = json.loads(query["filters"][0])
                rows = filters["rows"]
                assert filters["type"] == "and" and all(r["column"] == "tabel_number" for r in rows)
                wanted = {str(r["value"]) for r in rows}
            except (ValueError, KeyError, TypeError, AssertionError) as exc:
                raise FakeError(400, "Bad filters") from exc
        out = []
        for staff in self.staff.values():
            if status == "active" and not staff["is_active"]:
                continue
            if status == "dismissed" and staff["is_active"]:
                continue
            if wanted is not None and staff["tabel_number"] not in wanted:
                continue
            fio = " ".join(
                p for p in (staff["last_name"], staff["first_name"], staff["middle_name"]) if p
            )
            out.append(
                {
                    "id": staff["id"],
                    "fio": fio,
                    "tabel_number": staff["tabel_number"],
                    "identifier": [staff["identifier"]] if staff["identifier"] else [],
                }
            )
        return out

    def _check_refs(self, data: dict) -> None:
        if "division" in data and data["division"] not in self.divisions:
            raise FakeError(400, "Подразделение не найдено")
        if data.get("position") and data["position"] not in self.positions:
            raise FakeError(400, "Должность не найдена")
        for name in ("last_name", "first_name", "middle_name", "tabel_number", "hiring_date"):
            if name in data and not isinstance(data[name], str):
                raise FakeError(400, f"{name} must be a string")
        if not str(data.get("last_name", "x")).strip():
            raise FakeError(400, "Фамилия обязательна")

    def _put_staff(self, data: dict) -> int:
        self._check_refs(data)
        pk = self._new_id()
        self.staff[pk] = {
            "id": pk,
            "last_name": data["last_name"],
            "first_name": data.get("first_name", ""),
            "middle_name": data.get("middle_name", ""),
            "tabel_number": data["tabel_number"],
            "division": data["division"],
            "position": data.get("position"),
            "hiring_date": data.get("hiring_date", ""),
            "is_active": 1,
            "dismissed_date": "",
            "identifier": "",
        }
        return pk

    def _edit_staff(self, pk: int, data: dict) -> int:
        staff = self._staff(pk)
        self._check_refs(data)
        for key in ("last_name", "first_name", "middle_name", "tabel_number", "hiring_date"):
            if key in data:
                staff[key] = data[key]
        for key in ("division", "position"):
            if key in data:
                staff[key] = data[key]
        return pk

    def _dismiss(self, query: dict, data: dict) -> dict:
        ids = query.get("ids") or []
        if not ids or not all(i.isdigit() for i in ids):
            raise FakeError(400, "ids required")
        if data["is_active"] is not False:
            raise FakeError(400, "Only dismissal is supported")
        for pk in ids:
            staff = self._staff(int(pk))
            staff["is_active"] = 0
            staff["dismissed_date"] = data.get("dismissed_date") or ""
        return {"result": "ok"}

    def _set_card(self, pk: int, identifier: str) -> str:
        staff = self._staff(pk)
        if not identifier:
            raise FakeError(400, "Идентификатор пуст")
        if staff["identifier"]:
            raise FakeError(400, "У сотрудника уже есть основная карта")
        for other in self.staff.values():
            if other["identifier"] == identifier and other["is_active"]:
                raise FakeError(400, "Идентификатор уже используется")
        staff["identifier"] = identifier
        return "ok"


def _body(raw: bytes, required: set[str] = frozenset(), allowed: set[str] = STAFF_FIELDS) -> dict:
    try:
        data = json.loads(raw or b"null")
    except ValueError as exc:
        raise FakeError(400, "Body is not JSON") from exc
    if not isinstance(data, dict):
        raise FakeError(400, "Body must be a JSON object")
    missing = required - set(data)
    unknown = set(data) - set(allowed)
    if missing or unknown:
        raise FakeError(400, f"missing {sorted(missing)}, unknown {sorted(unknown)}")
    return data


def _no_body(raw: bytes) -> None:
    if raw:
        raise FakeError(400, "This call takes no body")


def _handler(fake: PercoFake):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = fake._fault()
            if fault == "down":
                self.close_connection = True
                return
            try:
                result = fake.handle(
                    self.command, parts.path, parse_qs(parts.query), self.headers, body
                )
                status = 200
            except FakeError as exc:
                result, status = {"error": exc.message}, exc.status
            if fault == "lose":
                self.close_connection = True
                return
            payload = json.dumps(result, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format, *args):
            pass

    return Handler


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
