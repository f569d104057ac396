"""PERCo-Web connector: staff records and their main access card, over PERCo-Web's REST API.

It uses only the calls shown in the vendor's public examples (github.com/percodev/api_examples),
and the fake in tirek/testing/perco_fake.py implements exactly these:

Call (example file in percodev/api_examples):
- POST /api/system/auth {login, password} -> {token}
  (auth/auth.post.node.ts, csv-staff-card-editor/lib/Auth.ts)
- GET /api/divisions/list (divisions/nodejs/divisionsListGET.node.ts)
- GET /api/positions/list (positions/nodejs/positionsListGET.node.ts)
- GET /api/users/staff/table?status=active&filters=... (csv-staff-card-editor/lib/Staff.ts)
- GET /api/users/staff/{id} (personal/nodejs/usersStaffIdGET.node.ts)
- PUT /api/users/staff -> {id}, a new record (personal/nodejs/usersStaffPUT.node.ts)
- POST /api/users/staff/{id}, edit a record (personal/nodejs/usersStaffIdPOST.node.ts)
- POST /api/users/staff?ids=... {is_active: false, dismissed_date}
  (personal/staff-dismiss.post.node.ts)
- POST /api/users/{id}/mainCard {identifier} and DELETE /api/users/{id}/mainCard
  (csv-staff-card-editor/lib/Card.ts, used as csv-staff-card-editor/Application.ts does:
  remove the old main card, then post the new one)

Students and staff alike are PERCo "staff" records (PERCo-Web has no separate student type);
each sits in the division that carries its Tirek unit. The correlation key is the personnel
number (`tabel_number`): Tirek's person key, `tirek-<person id>`, which never changes, so a
retried create finds the record it made before instead of making a second one.

Settings: `url` (https://perco.example.edu.kz), `login` and `password_env` (the environment
variable holding the password; the session token is asked for with them and kept in memory
only) or `token_env` (a ready token), optional `divisions` ({unit code: PERCo division id}),
`default_division` (id used when no division matches), `timeout` (seconds), `verify` (false
only for a test server). The token always travels in the Authorization header, never in a URL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx

from tirek.connectors.base import (
    AccountData,
    Connector,
    ConnectorError,
    PermanentError,
    TargetUnavailable,
    read_secret,
)

# Fields of a staff record Tirek writes (usersStaffPUT / usersStaffIdPOST bodies).
RECORD_FIELDS = ("last_name", "first_name", "middle_name", "tabel_number", "division", "position")


class PercoConnector(Connector):
    kind = "perco"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self._client: httpx.Client | None = None
        self._token = ""
        self._divisions: list[dict] | None = None
        self._positions: list[dict] | None = None

    # -- transport -----------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            url = self.settings.get("url") or ""
            if not url:
                raise PermanentError("PERCo-Web: no url in the connector settings")
            self._client = httpx.Client(
                base_url=url.rstrip("/"),
                timeout=float(self.settings.get("timeout", 10)),
                verify=bool(self.settings.get("verify", True)),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._token = ""

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"PERCo-Web {self.settings.get('url')}: {exc}") from exc

    def _login(self) -> str:
        """auth/auth.post.node.ts: POST /api/system/auth {login, password} -> {token}."""
        token = read_secret(self.settings, "token_env")
        if token:
            return token
        password = read_secret(self.settings, "password_env")
        login = self.settings.get("login") or ""
        if not login or not password:
            raise PermanentError("PERCo-Web: set login and password_env (or token_env)")
        response = self._send(
            "POST", "/api/system/auth", json={"login": login, "password": password}
        )
        data = _json(response)
        if response.status_code != 200 or not data.get("token"):
            if response.status_code >= 500:
                raise TargetUnavailable(f"PERCo-Web auth: HTTP {response.status_code}")
            raise PermanentError(f"PERCo-Web refused the login: {_error(data, response)}")
        return str(data["token"])

    def _call(self, method: str, path: str, *, params=None, body=None, missing_ok=False) -> Any:
        """One API call with the session token; a token that expired is renewed once."""
        for attempt in (1, 2):
            if not self._token:
                self._token = self._login()
            response = self._send(
                method,
                path,
                params=params,
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if response.status_code == 401 and attempt == 1:
                self._token = ""
                continue
            break
        data = _json(response)
        status = response.status_code
        if status == 200:
            return data
        if status == 404 and missing_ok:
            return None
        if status in (502, 503, 504):
            raise TargetUnavailable(f"PERCo-Web {path}: HTTP {status}")
        if status >= 500:
            raise ConnectorError(f"PERCo-Web {path}: HTTP {status} {_error(data, response)}")
        raise PermanentError(f"PERCo-Web {method} {path}: {_error(data, response)}")

    # -- lookups -------------------------------------------------------------------------------

    def _tabel(self, account: AccountData) -> str:
        return str(account.extra.get("tabel_number") or account.person_key or account.login)

    def find(self, tabel_number: str) -> dict | None:
        """csv-staff-card-editor/lib/Staff.ts: the active record with this personnel number."""
        filters = {"type": "and", "rows": [{"column": "tabel_number", "value": tabel_number}]}
        data = self._call(
            "GET",
            "/api/users/staff/table",
            params={"status": "active", "filters": json.dumps(filters)},
        )
        rows = (data or {}).get("rows") or []
        return rows[0] if rows else None

    def get(self, staff_id: int | str) -> dict | None:
        """usersStaffIdGET: one record, or None when PERCo has no such id."""
        return self._call("GET", f"/api/users/staff/{int(staff_id)}", missing_ok=True)

    def _staff_id(self, account: AccountData) -> int | None:
        """The record of the account: by the id Tirek saved, else by the personnel number."""
        if account.external_id.isdigit():
            record = self.get(account.external_id)
            if record and _is_active(record):
                return int(record["id"])
        row = self.find(self._tabel(account))
        return int(row["id"]) if row else None

    def _named_id(self, kind: str, names: list[str]) -> int | None:
        cache = "_divisions" if kind == "divisions" else "_positions"
        if getattr(self, cache) is None:
            setattr(self, cache, self._call("GET", f"/api/{kind}/list") or [])
        wanted = {n.strip().casefold() for n in names if n and n.strip()}
        for row in getattr(self, cache):
            if not row.get("is_removed") and str(row.get("name", "")).strip().casefold() in wanted:
                return int(row["id"])
        return None

    def _division(self, extra: dict) -> int:
        mapped = (self.settings.get("divisions") or {}).get(extra.get("unit_code", ""))
        if mapped:
            return int(mapped)
        found = self._named_id("divisions", extra.get("unit_names") or [])
        if found is not None:
            return found
        if self.settings.get("default_division"):
            return int(self.settings["default_division"])
        raise PermanentError(
            f"PERCo-Web has no division named {', '.join(extra.get('unit_names') or [])!r}: "
            "create it there or map the unit code in the connector settings, then retry"
        )

    def _record(self, account: AccountData) -> dict:
        extra = account.extra
        body = {
            "last_name": extra.get("last_name") or account.family_name,
            "first_name": extra.get("first_name") or account.given_name,
            "middle_name": extra.get("middle_name", ""),
            "tabel_number": self._tabel(account),
            "division": self._division(extra),
        }
        position = self._named_id("positions", extra.get("position_names") or [])
        if position is not None:
            body["position"] = position
        if extra.get("hiring_date"):
            body["hiring_date"] = extra["hiring_date"]
        return body

    # -- the interface -------------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None = None) -> str:
        """usersStaffPUT, or usersStaffIdPOST when the record exists (a retried create)."""
        body = self._record(account)
        staff_id = self._staff_id(account)
        if staff_id is not None:
            self._call("POST", f"/api/users/staff/{staff_id}", body=body)
            return str(staff_id)
        data = self._call("PUT", "/api/users/staff", body=body)
        if not isinstance(data, dict) or not data.get("id"):
            raise ConnectorError("PERCo-Web did not return the new record's id")
        return str(data["id"])

    def update(self, account: AccountData) -> None:
        self.create(account)

    def enable(self, account: AccountData) -> None:
        # A dismissed record stays dismissed (history); a returning person gets a new one.
        self.create(account)

    def disable(self, account: AccountData) -> None:
        """staff-dismiss.post.node.ts: the record is dismissed today (PERCo keeps history)."""
        staff_id = self._staff_id(account)
        if staff_id is None:
            return  # never made, or dismissed already
        self._call(
            "POST",
            "/api/users/staff",
            params={"ids": [str(staff_id)]},
            body={
                "is_active": False,
                "dismissed_date": account.extra.get("dismissed_date")
                or dt.date.today().isoformat(),
            },
        )

    delete = disable

    def set_password(self, account: AccountData, password: str) -> None:
        raise PermanentError("PERCo-Web staff records have no password")

    def add_to_group(self, account: AccountData, group: str) -> None:
        raise PermanentError("PERCo-Web access templates are set in PERCo, not by Tirek")

    remove_from_group = add_to_group

    def _main_card(self, staff_id: int) -> str | None:
        record = self.get(staff_id)
        if record is None:
            raise PermanentError(f"PERCo-Web record {staff_id} disappeared; recreate it")
        return _identifier(record)

    def set_identifier(self, account: AccountData, identifier: str) -> None:
        """Card.ts as Application.ts uses it: remove the old main card, then post the new one."""
        if not identifier:
            raise PermanentError("no identifier to set")
        staff_id = self._staff_id(account)
        if staff_id is None:
            raise PermanentError(
                f"PERCo-Web has no active record {self._tabel(account)}; create it first"
            )
        current = self._main_card(staff_id)
        if current == identifier:
            return
        if current:
            self._call("DELETE", f"/api/users/{staff_id}/mainCard")
        self._call("POST", f"/api/users/{staff_id}/mainCard", body={"identifier": identifier})

    def remove_identifier(self, account: AccountData, identifier: str = "") -> None:
        staff_id = self._staff_id(account)
        if staff_id is None:
            return
        current = self._main_card(staff_id)
        if not current or (identifier and current != identifier):
            return  # nothing to take, or a newer card that is not ours to remove
        self._call("DELETE", f"/api/users/{staff_id}/mainCard")

    def read(self, login: str) -> AccountData | None:
        row = self.find(login)
        return _account(row) if row else None

    def list_accounts(self) -> Iterator[AccountData]:
        data = self._call("GET", "/api/users/staff/table", params={"status": "active"})
        for row in (data or {}).get("rows") or []:
            yield _account(row)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _error(data: Any, response: httpx.Response) -> str:
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])[:300]
    return f"HTTP {response.status_code}"


def _is_active(record: dict) -> bool:
    return bool(record.get("is_active", 1)) and not record.get("dismissed_date")


def _identifier(record: dict) -> str | None:
    """The main card of a record: a string in usersStaffIdGET, a list in the staff table."""
    value = record.get("identifier")
    if isinstance(value, list):
        value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("identifier")
    return str(value) if value else None


def _account(row: dict) -> AccountData:
    tabel = str(row.get("tabel_number") or "")
    return AccountData(
        login=tabel,
        display_name=str(row.get("fio") or ""),
        person_key=tabel if tabel.startswith("tirek-") else "",
        external_id=str(row.get("id") or ""),
        extra={"identifier": _identifier(row) or ""},
    )
