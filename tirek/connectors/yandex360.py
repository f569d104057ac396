"""Yandex 360 for Business (university mail): users through the Directory API, as its reference
describes it (yandex.ru/dev/api360, "API Яндекс 360 для бизнеса": UserService_List/Create/Get/
Update/Delete and GroupService_List/AddMember/DeleteMember, revision of 2026). Tested against
the fake in tirek/testing/fake_yandex360.py, which implements only those documented calls.

Mapping: Tirek's login is the user's `nickname` (the mailbox is nickname@domain); `externalId`
carries the person key, so a nickname held by someone else is a conflict, never taken over.
Block = PATCH `isEnabled: false`, unblock = true (PATCH changes only the fields sent). New users
go to `department_id`; `passwordChangeRequired` is set with every password Tirek issues. The
API has no lookup by nickname, so the connector reads the user list once per batch (1000 a page)
and keeps the index. Groups are found by `name` or `label` (or given by id in `groups`).

Settings: `org_id`, `secret_env` (the variable with the OAuth token), `url` (default
https://api360.yandex.net), `department_id` (default 1, "All employees"), `groups` (optional
{group name: id}), `timeout` (seconds, default 10).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx

from tirek.connectors.base import (
    AccountData,
    Connector,
    ConnectorError,
    PermanentError,
    TargetUnavailable,
    read_secret,
)

DEFAULT_URL = "https://api360.yandex.net"


class Yandex360Connector(Connector):
    kind = "yandex360"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        org = self.settings.get("org_id")
        if not org:
            raise PermanentError("Yandex 360: connector setting 'org_id' is missing")
        base = (self.settings.get("url") or DEFAULT_URL).rstrip("/")
        self.root = f"{base}/directory/v1/org/{int(org)}"
        self._client: httpx.Client | None = None
        self._index: dict[str, dict] | None = None  # nickname -> user
        self._groups: dict[str, int] = {
            str(k): int(v) for k, v in (self.settings.get("groups") or {}).items()
        }

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=float(self.settings.get("timeout", 10)),
                headers={"Authorization": f"OAuth {read_secret(self.settings)}"},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._index = None

    def _call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs):
        try:
            response = self.client.request(method, f"{self.root}{path}", **kwargs)
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"Yandex 360: {exc}") from exc
        if response.status_code in (429, 502, 503, 504):
            raise TargetUnavailable(f"Yandex 360: HTTP {response.status_code}")
        if response.status_code not in ok:
            message = (
                f"Yandex 360 {method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
            if response.status_code in (400, 401, 403, 404, 409):
                raise PermanentError(message)
            raise ConnectorError(message)
        return response

    def _pages(self, path: str, key: str) -> Iterator[dict]:
        page = 1
        while True:
            body = self._call("GET", path, params={"page": page, "perPage": 1000}).json()
            yield from body.get(key) or []
            if page >= int(body.get("pages") or 1):
                return
            page += 1

    @property
    def index(self) -> dict[str, dict]:
        if self._index is None:
            self._index = {u["nickname"]: u for u in self._pages("/users", "users")}
        return self._index

    def _user(self, account: AccountData) -> dict | None:
        if account.external_id:
            response = self._call("GET", f"/users/{account.external_id}", ok=(200, 404))
            if response.status_code == 200:
                return response.json()
        user = self.index.get(account.login)
        if user is not None:  # the index may be older than this batch: read it fresh
            response = self._call("GET", f"/users/{user['id']}", ok=(200, 404))
            user = response.json() if response.status_code == 200 else None
        return user

    def _require(self, account: AccountData) -> dict:
        user = self._user(account)
        if user is None:
            raise PermanentError(f"Yandex 360: no user {account.login}")
        return user

    def _patch(self, user: dict, body: dict) -> dict:
        updated = self._call("PATCH", f"/users/{user['id']}", json=body).json()
        if self._index is not None:
            self._index[updated["nickname"]] = updated
        return updated

    def _group_id(self, name: str) -> int:
        if name not in self._groups:
            for group in self._pages("/groups", "groups"):
                self._groups.setdefault(group.get("name", ""), group["id"])
                if group.get("label"):
                    self._groups.setdefault(group["label"], group["id"])
        if name not in self._groups:
            raise PermanentError(f"Yandex 360: no group {name!r}")
        return self._groups[name]

    # -- the interface -------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None) -> str:
        existing = self._user(account)
        if existing is not None:
            if existing.get("externalId") not in ("", None, account.person_key):
                raise PermanentError(
                    f"Yandex 360: nickname {account.login} belongs to someone else"
                )
            return existing["id"]
        body = {
            "nickname": account.login,
            "name": {"first": account.given_name, "last": account.family_name},
            "departmentId": int(self.settings.get("department_id", 1)),
            # Yandex requires a password; without one, an unguessable one to be reset later.
            "password": password or secrets.token_urlsafe(18),
            "passwordChangeRequired": True,
            "externalId": account.person_key,
        }
        created = self._call("POST", "/users", json=body).json()
        self.index[created["nickname"]] = created
        return created["id"]

    def update(self, account: AccountData) -> None:
        user = self._require(account)
        self._patch(
            user,
            {
                "name": {"first": account.given_name, "last": account.family_name},
                "externalId": account.person_key,
            },
        )

    def set_password(self, account: AccountData, password: str) -> None:
        self._patch(self._require(account), {"password": password, "passwordChangeRequired": True})

    def disable(self, account: AccountData) -> None:
        user = self._require(account)
        if user.get("isEnabled") is not False:
            self._patch(user, {"isEnabled": False})

    def enable(self, account: AccountData) -> None:
        user = self._require(account)
        if user.get("isEnabled") is not True:
            self._patch(user, {"isEnabled": True})

    def delete(self, account: AccountData) -> None:
        user = self._user(account)
        if user is not None:
            self._call("DELETE", f"/users/{user['id']}", ok=(200, 404))
            if self._index is not None:
                self._index.pop(user["nickname"], None)

    def add_to_group(self, account: AccountData, group: str) -> None:
        user = self._require(account)
        self._call(
            "POST",
            f"/groups/{self._group_id(group)}/members",
            json={"id": user["id"], "type": "user"},
        )

    def remove_from_group(self, account: AccountData, group: str) -> None:
        user = self._user(account)
        if user is not None:
            self._call(
                "DELETE",
                f"/groups/{self._group_id(group)}/members/user/{user['id']}",
                ok=(200, 404),
            )

    def _account(self, user: dict, groups: dict[str, list[str]]) -> AccountData:
        name = user.get("name") or {}
        return AccountData(
            login=user["nickname"],
            given_name=name.get("first", ""),
            family_name=name.get("last", ""),
            email=user.get("email", ""),
            person_key=user.get("externalId") or "",
            active=bool(user.get("isEnabled")),
            groups=groups.get(user["id"], []),
            external_id=user["id"],
        )

    def _memberships(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for group in self._pages("/groups", "groups"):
            for member in group.get("members") or []:
                if member.get("type") == "user":
                    found.setdefault(str(member["id"]), []).append(group.get("name", ""))
        return found

    def read(self, login: str) -> AccountData | None:
        user = self._user(AccountData(login=login))
        return self._account(user, self._memberships()) if user else None

    def list_accounts(self) -> Iterator[AccountData]:
        groups = self._memberships()
        for user in self._pages("/users", "users"):
            yield self._account(user, groups)
