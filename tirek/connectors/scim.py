"""SCIM 2.0 connector (scim2-client and scim2-models over httpx).

Settings: `url` (the base, e.g. https://api360.yandex.net/directory/v1/scim/v2), `secret_env`
naming the environment variable with the bearer token, optional `timeout` (seconds) and
`verify` (false only for a test server). Tirek's person key travels as the User's externalId,
which is how a retried create recognises an account it made before.

scim2-client ships an engine for httpx2; Tirek uses httpx, so the few lines of engine glue are
here (`_HttpxSCIMClient`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from scim2_client.client import BaseSyncSCIMClient
from scim2_client.errors import SCIMClientException
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    Name,
    NotFoundException,
    PatchOp,
    PatchOperation,
    SCIMException,
    SearchRequest,
    UniquenessException,
    User,
)

from tirek.connectors.base import (
    AccountData,
    Connector,
    ConnectorError,
    PermanentError,
    TargetUnavailable,
    read_secret,
)

ScimUser = User[EnterpriseUser]
PAGE = 200


class _HttpxSCIMClient(BaseSyncSCIMClient):
    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        url = self.client.build_request("GET", endpoint).url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port) and (
            url.raw_path.startswith(base.raw_path)
        )

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise TargetUnavailable(f"SCIM {self.client.base_url}: {exc}") from exc


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SCIMConnector(Connector):
    kind = "scim"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self._client: _HttpxSCIMClient | None = None

    @property
    def client(self) -> _HttpxSCIMClient:
        if self._client is None:
            url = self.settings.get("url", "").rstrip("/") + "/"
            token = read_secret(self.settings)
            http = httpx.Client(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"} if token else {},
                timeout=float(self.settings.get("timeout", 10)),
                verify=self.settings.get("verify", True),
            )
            client = _HttpxSCIMClient(http)
            try:
                client.discover()
            except TargetUnavailable:
                http.close()
                raise
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.client.close()
            self._client = None

    def _run(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except TargetUnavailable:
            self.close()
            raise
        except (SCIMException, SCIMClientException) as exc:
            raise ConnectorError(f"SCIM: {exc}") from exc

    # -- mapping -------------------------------------------------------------------------------

    def _user(self, account: AccountData, password: str | None = None) -> ScimUser:
        display = account.display_name or f"{account.given_name} {account.family_name}".strip()
        user = ScimUser(
            user_name=account.login,
            external_id=account.person_key or None,
            display_name=display or None,
            name=Name(
                given_name=account.given_name or None, family_name=account.family_name or None
            ),
            emails=[Email(value=account.email, primary=True, type="work")]
            if account.email
            else None,
            active=account.active,
        )
        if password:
            user.password = password
        return user

    @staticmethod
    def _account(user: Any) -> AccountData:
        name = user.name
        emails = user.emails or []
        primary = next((e for e in emails if e.primary), emails[0] if emails else None)
        return AccountData(
            login=user.user_name or "",
            given_name=(name.given_name if name else "") or "",
            family_name=(name.family_name if name else "") or "",
            display_name=user.display_name or "",
            email=(primary.value if primary else "") or "",
            person_key=user.external_id or "",
            active=user.active is not False,
            external_id=user.id or "",
        )

    def _find_user(self, login: str) -> Any | None:
        found = self._run(
            self.client.query,
            ScimUser,
            query_parameters=SearchRequest(filter=f"userName eq {_quote(login)}"),
        )
        return (found.resources or [None])[0]

    def _require(self, account: AccountData) -> Any:
        user = self._find_user(account.login)
        if user is None:
            raise PermanentError(f"SCIM user {account.login!r} does not exist")
        return user

    def _patch(self, resource_type, rid: str, *ops: PatchOperation) -> None:
        self._run(
            self.client.modify, resource_type, rid, PatchOp[resource_type](operations=list(ops))
        )

    # -- operations ----------------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None) -> str:
        try:
            made = self.client.create(self._user(account, password))
            return made.id
        except UniquenessException:
            pass
        except TargetUnavailable:
            self.close()
            raise
        except (SCIMException, SCIMClientException) as exc:
            raise ConnectorError(f"SCIM: {exc}") from exc
        existing = self._require(account)
        if (
            account.person_key
            and existing.external_id
            and existing.external_id != account.person_key
        ):
            raise PermanentError(f"SCIM user {account.login!r} exists and belongs to someone else")
        self.update(account)
        if password:
            self.set_password(account, password)
        return existing.id

    def update(self, account: AccountData) -> None:
        user = self._require(account)
        wanted = self._user(account)
        ops = []
        for path in ("displayName", "externalId", "name", "emails"):
            attr = {"displayName": "display_name", "externalId": "external_id"}.get(path, path)
            value = getattr(wanted, attr)
            if value is not None and getattr(user, attr) != value:
                dumped = (
                    value
                    if isinstance(value, str)
                    else (
                        [v.model_dump(exclude_none=True) for v in value]
                        if isinstance(value, list)
                        else value.model_dump(exclude_none=True)
                    )
                )
                ops.append(PatchOperation(op="replace", path=path, value=dumped))
        if ops:
            self._patch(ScimUser, user.id, *ops)

    def set_password(self, account: AccountData, password: str) -> None:
        user = self._require(account)
        self._patch(
            ScimUser, user.id, PatchOperation(op="replace", path="password", value=password)
        )

    def _set_active(self, account: AccountData, active: bool) -> None:
        user = self._require(account)
        if user.active is not active:
            self._patch(
                ScimUser, user.id, PatchOperation(op="replace", path="active", value=active)
            )

    def disable(self, account: AccountData) -> None:
        self._set_active(account, False)

    def enable(self, account: AccountData) -> None:
        self._set_active(account, True)

    def delete(self, account: AccountData) -> None:
        user = self._find_user(account.login)
        if user is None:
            return
        try:
            self._run(self.client.delete, ScimUser, user.id)
        except ConnectorError as exc:
            if not isinstance(exc.__cause__, NotFoundException):
                raise

    def _find_group(self, name: str) -> Any | None:
        found = self._run(
            self.client.query,
            Group,
            query_parameters=SearchRequest(filter=f"displayName eq {_quote(name)}"),
        )
        return (found.resources or [None])[0]

    def add_to_group(self, account: AccountData, group: str) -> None:
        user = self._require(account)
        existing = self._find_group(group)
        if existing is None:
            self._run(self.client.create, Group(display_name=group, members=[{"value": user.id}]))
            return
        if any(m.value == user.id for m in existing.members or []):
            return
        self._patch(
            Group, existing.id, PatchOperation(op="add", path="members", value=[{"value": user.id}])
        )

    def remove_from_group(self, account: AccountData, group: str) -> None:
        user = self._find_user(account.login)
        existing = self._find_group(group)
        if user is None or existing is None:
            return
        if not any(m.value == user.id for m in existing.members or []):
            return
        self._patch(
            Group,
            existing.id,
            PatchOperation(op="remove", path=f"members[value eq {_quote(user.id)}]"),
        )

    def groups_of(self, account: AccountData) -> list[str]:
        user = self._find_user(account.login)
        if user is None:
            return []
        found = self._run(self.client.query, Group, query_parameters=SearchRequest(count=1000))
        return sorted(
            g.display_name
            for g in found.resources or []
            if any(m.value == user.id for m in g.members or [])
        )

    def group_members(self, groups: list[str]) -> dict[str, set[str]] | None:
        out = {}
        for name in groups:
            group = self._find_group(name)
            if group is not None:
                out[group.display_name] = {(m.value or "").lower() for m in group.members or []}
        return out

    def read(self, login: str) -> AccountData | None:
        user = self._find_user(login)
        return self._account(user) if user is not None else None

    def list_accounts(self) -> Iterator[AccountData]:
        start = 1
        while True:
            page = self._run(
                self.client.query,
                ScimUser,
                query_parameters=SearchRequest(start_index=start, count=PAGE),
            )
            users = page.resources or []
            for user in users:
                yield self._account(user)
            start += len(users)
            if not users or start > (page.total_results or 0):
                break
