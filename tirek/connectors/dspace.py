"""DSpace 7+ (the institutional repository): EPersons and group membership over the server REST
API, as the DSpace REST contract describes it (github.com/DSpace/RestContract, main branch as of
2026: authentication.md, csrf-tokens.md, epersons.md, epersongroups.md). Tested against the fake
in tirek/testing/fake_dspace.py, which implements only those documented calls.

Authentication: GET /authn/status hands out a CSRF token (DSPACE-XSRF-TOKEN header, with the
DSPACE-XSRF-COOKIE cookie); POST /authn/login (form user/password, X-XSRF-TOKEN) answers the JWT
in the Authorization header. Every unsafe request sends the latest CSRF token; DSpace sends a new
one whenever it changes, and on 401 the connector logs in again once.

Mapping: the EPerson is found by e-mail (DSpace's identity); `netid` carries Tirek's login, and
an existing EPerson with another netid is someone else's (a conflict). Disable = `canLogIn`
false (PATCH replace /canLogin), enable = true. The initial password is set with PATCH add
/password (admin: `new_password` only). Groups are found by name (search/byMetadata, exact name)
and joined with a text/uri-list POST.

Settings: `url` (…/server/api), `user` (an administrator's e-mail), `secret_env` (the variable
holding that administrator's password), `timeout` (seconds, default 10).
"""

from __future__ import annotations

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


class DSpaceConnector(Connector):
    kind = "dspace"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self.url = (self.settings.get("url") or "").rstrip("/")
        if not self.url:
            raise PermanentError("DSpace: connector setting 'url' is missing")
        self._client: httpx.Client | None = None
        self._csrf = ""
        self._jwt = ""
        self._groups: dict[str, str] = {}

    # -- HTTP ------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=float(self.settings.get("timeout", 10)))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self._csrf:
            headers["X-XSRF-TOKEN"] = self._csrf
        if self._jwt:
            headers["Authorization"] = f"Bearer {self._jwt}"
        try:
            response = self.client.request(method, f"{self.url}{path}", headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"DSpace {self.url}: {exc}") from exc
        token = response.headers.get("DSPACE-XSRF-TOKEN")
        if token:
            self._csrf = token
        if response.status_code in (502, 503, 504):
            raise TargetUnavailable(f"DSpace {self.url}: HTTP {response.status_code}")
        return response

    def _login(self) -> None:
        self._jwt = ""
        self._send("GET", "/authn/status")
        response = self._send(
            "POST",
            "/authn/login",
            data={"user": self.settings.get("user", ""), "password": read_secret(self.settings)},
        )
        auth = response.headers.get("Authorization", "")
        if response.status_code != 200 or not auth.startswith("Bearer "):
            raise PermanentError(f"DSpace: login refused (HTTP {response.status_code})")
        self._jwt = auth[len("Bearer ") :]

    def _call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs):
        if not self._jwt:
            self._login()
        response = self._send(method, path, **kwargs)
        if response.status_code in (401, 403):  # JWT or CSRF token expired: log in again, once
            self._login()
            response = self._send(method, path, **kwargs)
        if response.status_code not in ok:
            message = f"DSpace {method} {path}: HTTP {response.status_code} {response.text[:200]}"
            if response.status_code in (400, 403, 404, 409, 415, 422):
                raise PermanentError(message)
            raise ConnectorError(message)
        return response

    # -- lookups -------------------------------------------------------------------------

    def _find(self, account: AccountData) -> dict | None:
        if account.external_id:
            response = self._call("GET", f"/eperson/epersons/{account.external_id}", ok=(200, 404))
            if response.status_code == 200:
                return response.json()
        if not account.email:
            return None
        response = self._call(
            "GET",
            "/eperson/epersons/search/byEmail",
            ok=(200, 204),
            params={"email": account.email},
        )
        return response.json() if response.status_code == 200 else None

    def _require(self, account: AccountData) -> dict:
        found = self._find(account)
        if found is None:
            raise PermanentError(f"DSpace: no EPerson for {account.login}")
        return found

    def _group_id(self, name: str) -> str:
        if name not in self._groups:
            response = self._call(
                "GET", "/eperson/groups/search/byMetadata", params={"query": name}
            )
            groups = response.json().get("_embedded", {}).get("groups", [])
            exact = [g for g in groups if g.get("name") == name]
            if not exact:
                raise PermanentError(f"DSpace: no group named {name!r}")
            self._groups[name] = exact[0]["id"]
        return self._groups[name]

    @staticmethod
    def _metadata(account: AccountData) -> dict[str, list[dict]]:
        def value(text: str) -> list[dict]:
            return [{"value": text, "language": None, "authority": "", "confidence": -1}]

        return {
            "eperson.firstname": value(account.given_name),
            "eperson.lastname": value(account.family_name),
        }

    def _patch(self, eperson_id: str, ops: list[dict]) -> None:
        self._call("PATCH", f"/eperson/epersons/{eperson_id}", json=ops)

    # -- the interface -------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None) -> str:
        if not account.email:
            raise PermanentError(f"DSpace: {account.login} has no e-mail, DSpace needs one")
        found = self._find(account)
        if found is not None:
            if found.get("netid") not in (None, "", account.login):
                raise PermanentError(
                    f"DSpace: {account.email} belongs to another login ({found.get('netid')})"
                )
            return found["id"]
        body = {
            "name": account.email,
            "email": account.email,
            "netid": account.login,
            "metadata": self._metadata(account),
            "canLogIn": account.active,
            "requireCertificate": False,
            "selfRegistered": False,
            "type": "eperson",
        }
        created = self._call("POST", "/eperson/epersons", ok=(201,), json=body).json()
        if password:
            self.set_password(
                AccountData(**{**account.__dict__, "external_id": created["id"]}), password
            )
        return created["id"]

    def update(self, account: AccountData) -> None:
        eperson = self._require(account)
        meta = self._metadata(account)
        self._patch(
            eperson["id"],
            [
                {"op": "replace", "path": f"/metadata/{key}", "value": value}
                for key, value in meta.items()
            ],
        )

    def set_password(self, account: AccountData, password: str) -> None:
        eperson = self._require(account)
        self._patch(
            eperson["id"], [{"op": "add", "path": "/password", "value": {"new_password": password}}]
        )

    def _can_log_in(self, account: AccountData, value: bool) -> None:
        eperson = self._require(account)
        if eperson.get("canLogIn") is not value:
            self._patch(
                eperson["id"], [{"op": "replace", "path": "/canLogin", "value": str(value).lower()}]
            )

    def disable(self, account: AccountData) -> None:
        self._can_log_in(account, False)

    def enable(self, account: AccountData) -> None:
        self._can_log_in(account, True)

    def delete(self, account: AccountData) -> None:
        found = self._find(account)
        if found is not None:
            self._call("DELETE", f"/eperson/epersons/{found['id']}", ok=(204, 404))

    def add_to_group(self, account: AccountData, group: str) -> None:
        eperson = self._require(account)
        self._call(
            "POST",
            f"/eperson/groups/{self._group_id(group)}/epersons",
            ok=(204,),
            content=f"{self.url}/eperson/epersons/{eperson['id']}",
            headers={"Content-Type": "text/uri-list"},
        )

    def remove_from_group(self, account: AccountData, group: str) -> None:
        eperson = self._find(account)
        if eperson is None:
            return
        self._call(
            "DELETE",
            f"/eperson/groups/{self._group_id(group)}/epersons/{eperson['id']}",
            ok=(204,),
        )

    def _account(self, eperson: dict[str, Any]) -> AccountData:
        meta = eperson.get("metadata") or {}

        def first(key: str) -> str:
            values = meta.get(key) or [{}]
            return values[0].get("value") or ""

        groups = self._call("GET", f"/eperson/epersons/{eperson['id']}/groups").json()
        return AccountData(
            login=eperson.get("netid") or eperson.get("email", ""),
            given_name=first("eperson.firstname"),
            family_name=first("eperson.lastname"),
            email=eperson.get("email", ""),
            active=bool(eperson.get("canLogIn")),
            groups=[g["name"] for g in groups.get("_embedded", {}).get("groups", [])],
            external_id=eperson["id"],
        )

    def _all(self) -> Iterator[dict]:
        page = 0
        while True:
            body = self._call("GET", "/eperson/epersons", params={"page": page, "size": 100}).json()
            yield from body.get("_embedded", {}).get("epersons", [])
            page += 1
            if page >= body.get("page", {}).get("totalPages", 0):
                return

    def read(self, login: str) -> AccountData | None:
        for eperson in self._all():
            if eperson.get("netid") == login:
                return self._account(eperson)
        return None

    def list_accounts(self) -> Iterator[AccountData]:
        for eperson in self._all():
            yield self._account(eperson)
