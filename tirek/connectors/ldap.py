"""LDAP / Active Directory connector (python-ldap).

Settings (System.connector_settings), none of them secret:

    uri            ldap://host:389 or ldaps://host:636
    start_tls      true to upgrade ldap:// with StartTLS (required in production)
    ca_file        CA certificate(s) the server's certificate must chain to (PEM file on the
                   worker's machine; default: the system's CAs); tls_require_cert: "demand"
                   (default: verify, refuse an untrusted or wrong-host certificate) | "allow" |
                   "never" (tests only). An untrusted certificate is a ConnectorError that names
                   it, never mistaken for an outage, and no bind is sent.
    bind_dn        the service account; its password comes from the environment variable
    secret_env     named here (e.g. TIREK_LDAP_BIND_PASSWORD)
    base_dn        where accounts live; rdn_attr (default uid) names them
    groups_dn      where role groups (groupOfNames) live
    object_classes default inetOrgPerson, organizationalPerson, person, top
    mapping        Tirek field -> LDAP attribute; default login=uid, given_name=givenName,
                   family_name=sn, display_name=cn, email=mail, person_key=employeeNumber
    disable_method "locked_password" (default) or "move" (with disabled_dn)
    timeout        seconds (default 5)

Disabling. A plain OpenLDAP has no account-lock switch without the ppolicy overlay, so the
default method locks the password: the stored hash is wrapped as "{CRYPT}!<old hash>", which no
password can match (crypt never yields a string starting with "!"), and enabling unwraps it, so
the person's password comes back unchanged. "move" moves the entry to `disabled_dn` instead,
out of the search base every application looks in; enabling moves it back.

Passwords are hashed here ({SSHA}, as slapd does by default) and sent only as the hash, inside
the TLS session when one is configured.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import socket
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlsplit

import ldap
import ldap.dn
import ldap.filter
from ldap.controls import SimplePagedResultsControl

from tirek.connectors.base import (
    AccountData,
    Connector,
    ConnectorError,
    PermanentError,
    TargetUnavailable,
    read_secret,
)

DEFAULT_MAPPING = {
    "login": "uid",
    "given_name": "givenName",
    "family_name": "sn",
    "display_name": "cn",
    "email": "mail",
    "person_key": "employeeNumber",
}
DEFAULT_CLASSES = ["inetOrgPerson", "organizationalPerson", "person", "top"]
LOCK_PREFIX = b"{CRYPT}!"
WINDOW = 16  # adds in flight at once in create_many
_UNAVAILABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY)


def ssha(password: str) -> bytes:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - LDAP's own scheme
    return b"{SSHA}" + base64.b64encode(digest + salt)


def _first(entry: dict, attr: str) -> str:
    values = entry.get(attr) or entry.get(attr.lower()) or []
    return values[0].decode() if values else ""


class LDAPConnector(Connector):
    kind = "ldap"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        s = self.settings
        self.uri = s.get("uri", "")
        self.base_dn = s.get("base_dn", "")
        self.groups_dn = s.get("groups_dn", "")
        self.disabled_dn = s.get("disabled_dn", "")
        self.rdn_attr = s.get("rdn_attr", "uid")
        self.mapping = {**DEFAULT_MAPPING, **(s.get("mapping") or {})}
        self.object_classes = s.get("object_classes") or DEFAULT_CLASSES
        self.disable_method = s.get("disable_method", "locked_password")
        if self.disable_method not in ("locked_password", "move"):
            raise PermanentError(f"unknown disable_method {self.disable_method!r}")
        if self.disable_method == "move" and not self.disabled_dn:
            raise PermanentError("disable_method 'move' needs disabled_dn")
        self.timeout = float(s.get("timeout", 5))
        self._conn = None

    # -- connection ---------------------------------------------------------------------------

    @property
    def uses_tls(self) -> bool:
        return self.uri.startswith("ldaps://") or bool(self.settings.get("start_tls"))

    def _connect(self):
        conn = ldap.initialize(self.uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, self.timeout)
        if self.uses_tls:
            # TLS options are per connection here, so one system's CA never leaks into
            # another's; NEWCTX (last) builds the TLS context from them.
            if self.settings.get("ca_file"):
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(self.settings["ca_file"]))
            require = {
                "demand": ldap.OPT_X_TLS_DEMAND,
                "allow": ldap.OPT_X_TLS_ALLOW,
                "never": ldap.OPT_X_TLS_NEVER,
            }.get(self.settings.get("tls_require_cert", "demand"))
            if require is None:
                raise PermanentError("tls_require_cert must be demand, allow or never")
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, require)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        try:
            if self.settings.get("start_tls") and not self.uri.startswith("ldaps://"):
                conn.start_tls_s()
            conn.simple_bind_s(self.settings.get("bind_dn", ""), read_secret(self.settings))
        except (ldap.CONNECT_ERROR, ldap.SERVER_DOWN) as exc:
            if self.uses_tls and self._port_answers():
                # The server is up but the TLS handshake failed: its certificate is not
                # trusted (or not valid for this host). Not an outage; nothing was sent.
                raise ConnectorError(
                    f"LDAP {self.uri}: TLS refused, the server's certificate is not trusted "
                    f"(ca_file {self.settings.get('ca_file') or 'system default'}) "
                    f"or not valid for this host"
                ) from exc
            raise
        return conn

    def _port_answers(self) -> bool:
        """Whether the server accepts a TCP connection (to tell a TLS refusal from an outage)."""
        url = urlsplit(self.uri)
        port = url.port or (636 if url.scheme == "ldaps" else 389)
        try:
            with socket.create_connection((url.hostname or "localhost", port), self.timeout):
                return True
        except OSError:
            return False

    def _call(self, method: str, *args, **kwargs):
        """Run one python-ldap call, reconnecting once if the connection went stale."""
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                return getattr(self._conn, method)(*args, **kwargs)
            except _UNAVAILABLE as exc:
                self.close()
                if attempt == 2:
                    raise TargetUnavailable(f"LDAP {self.uri}: {_describe(exc)}") from exc
            except ldap.INVALID_CREDENTIALS as exc:
                self.close()
                raise ConnectorError(
                    f"LDAP bind refused for {self.settings.get('bind_dn')}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(ldap.LDAPError):
                self._conn.unbind_s()
            self._conn = None

    # -- helpers ------------------------------------------------------------------------------

    def dn_for(self, login: str, *, disabled: bool = False) -> str:
        rdn = f"{self.rdn_attr}={ldap.dn.escape_dn_chars(login)}"
        return f"{rdn},{self.disabled_dn if disabled else self.base_dn}"

    def group_dn(self, group: str) -> str:
        return f"cn={ldap.dn.escape_dn_chars(group)},{self.groups_dn}"

    def _entry_attrs(self, account: AccountData) -> dict[str, list[bytes]]:
        attrs: dict[str, list[bytes]] = {"objectClass": [c.encode() for c in self.object_classes]}
        values = {"login": account.login, **account.attributes()}
        if not values["display_name"]:
            values["display_name"] = f"{account.given_name} {account.family_name}".strip()
        if not values["family_name"]:
            values["family_name"] = account.login  # sn is required by person
        for field, attr in self.mapping.items():
            if values.get(field):
                attrs[attr] = [values[field].encode()]
        # person requires cn and sn whatever the mapping says
        attrs.setdefault("cn", [values["display_name"].encode()])
        attrs.setdefault("sn", [values["family_name"].encode()])
        return attrs

    def _find(self, login: str) -> tuple[str, dict] | None:
        """The entry of `login`, wherever it is (in base_dn, or in disabled_dn if moved)."""
        places = [self.dn_for(login)]
        if self.disable_method == "move":
            places.append(self.dn_for(login, disabled=True))
        for dn in places:
            try:
                found = self._call("search_s", dn, ldap.SCOPE_BASE, "(objectClass=*)", None)
            except ldap.NO_SUCH_OBJECT:
                continue
            if found:
                return found[0]
        return None

    def _require(self, account: AccountData) -> tuple[str, dict]:
        found = self._find(account.login)
        if found is None:
            raise PermanentError(f"LDAP entry for {account.login!r} does not exist")
        return found

    def _to_account(self, dn: str, entry: dict) -> AccountData:
        m = self.mapping
        passwords = entry.get("userPassword") or []
        locked = bool(passwords) and all(p.startswith(LOCK_PREFIX) for p in passwords)
        moved = bool(self.disabled_dn) and dn.lower().endswith(self.disabled_dn.lower())
        return AccountData(
            login=_first(entry, m["login"]),
            given_name=_first(entry, m["given_name"]),
            family_name=_first(entry, m["family_name"]),
            display_name=_first(entry, m["display_name"]),
            email=_first(entry, m["email"]),
            person_key=_first(entry, m["person_key"]),
            active=not (locked or moved),
            external_id=dn,
        )

    # -- operations ---------------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None) -> str:
        dn = self.dn_for(account.login)
        attrs = self._entry_attrs(account)
        if password:
            attrs["userPassword"] = [ssha(password)]
        try:
            self._call("add_s", dn, list(attrs.items()))
            return dn
        except ldap.ALREADY_EXISTS:
            pass
        # Already there: ours if it carries the same person key (a retry after a crash, or
        # an earlier run that reached the directory but not our database).
        found_dn, entry = self._require(account)
        key_attr = self.mapping["person_key"]
        theirs = _first(entry, key_attr)
        if account.person_key and theirs and theirs != account.person_key:
            raise PermanentError(
                f"{found_dn} exists and belongs to someone else ({key_attr}={theirs})"
            )
        self.update(account)
        if password:
            self.set_password(account, password)
        return found_dn

    def create_many(self, items: list[tuple[AccountData, str | None]]) -> list[str | Exception]:
        """`create` for many accounts, with up to WINDOW adds in flight on the one connection:
        the directory commits one entry while the next requests are already on their way. Each
        answer is the external id or the exception `create` would have raised. An entry that
        exists already goes through `create` itself (adopted if ours, refused otherwise)."""
        for attempt in (1, 2):
            answers: list = [None] * len(items)
            existing: list[int] = []
            try:
                if self._conn is None:
                    self._conn = self._connect()
                self._pipeline(self._conn, items, answers, existing)
                break
            except ldap.INVALID_CREDENTIALS as exc:
                self.close()
                error = ConnectorError(f"LDAP bind refused for {self.settings.get('bind_dn')}")
                error.__cause__ = exc
                return [error] * len(items)
            except ConnectorError as exc:
                self.close()
                return [exc] * len(items)
            except _UNAVAILABLE as exc:
                self.close()
                if attempt == 1 and not any(a is not None for a in answers) and not existing:
                    continue  # a stale connection: reconnect once, as _call does
                error = TargetUnavailable(f"LDAP {self.uri}: {_describe(exc)}")
                error.__cause__ = exc
                # In flight when the directory went away: landed or not, they are retried.
                answers = [error if a is None else a for a in answers]
                existing = []
                break
        for i in existing:
            try:
                answers[i] = self.create(*items[i])
            except Exception as exc:
                answers[i] = exc
        return answers

    def _pipeline(self, conn, items, answers: list, existing: list[int]) -> None:
        inflight: deque[tuple[int, int, str]] = deque()
        for i, (account, password) in enumerate(items):
            dn = self.dn_for(account.login)
            attrs = self._entry_attrs(account)
            if password:
                attrs["userPassword"] = [ssha(password)]
            inflight.append((conn.add_ext(dn, list(attrs.items())), i, dn))
            if len(inflight) >= WINDOW:
                self._collect(conn, inflight.popleft(), answers, existing)
        while inflight:
            self._collect(conn, inflight.popleft(), answers, existing)

    def _collect(self, conn, sent: tuple[int, int, str], answers: list, existing: list[int]):
        msgid, i, dn = sent
        try:
            conn.result3(msgid, all=1, timeout=self.timeout)
            answers[i] = dn
        except ldap.ALREADY_EXISTS:
            existing.append(i)
        except _UNAVAILABLE:
            raise
        except ldap.LDAPError as exc:
            answers[i] = exc

    def update(self, account: AccountData) -> None:
        dn, entry = self._require(account)
        wanted = self._entry_attrs(account)
        mods = []
        for attr, values in wanted.items():
            if attr in ("objectClass", self.rdn_attr):
                continue
            if entry.get(attr) != values:
                mods.append((ldap.MOD_REPLACE, attr, values))
        if mods:
            self._call("modify_s", dn, mods)

    def set_password(self, account: AccountData, password: str) -> None:
        dn, entry = self._require(account)
        value = ssha(password)
        if self.disable_method == "locked_password" and not self._to_account(dn, entry).active:
            value = LOCK_PREFIX + value  # a disabled account stays disabled
        self._call("modify_s", dn, [(ldap.MOD_REPLACE, "userPassword", [value])])

    def disable(self, account: AccountData) -> None:
        dn, entry = self._require(account)
        if self.disable_method == "move":
            if not dn.lower().endswith(self.disabled_dn.lower()):
                self._call("rename_s", dn, dn.split(",", 1)[0], self.disabled_dn)
            return
        passwords = entry.get("userPassword") or [b""]
        locked = [p if p.startswith(LOCK_PREFIX) else LOCK_PREFIX + p for p in passwords]
        if locked != passwords:
            self._call("modify_s", dn, [(ldap.MOD_REPLACE, "userPassword", locked)])

    def enable(self, account: AccountData) -> None:
        dn, entry = self._require(account)
        if self.disable_method == "move":
            if dn.lower().endswith(self.disabled_dn.lower()):
                self._call("rename_s", dn, dn.split(",", 1)[0], self.base_dn)
            return
        passwords = entry.get("userPassword") or []
        unlocked = [p.removeprefix(LOCK_PREFIX) for p in passwords]
        if unlocked != passwords:
            if any(not p for p in unlocked):
                self._call("modify_s", dn, [(ldap.MOD_DELETE, "userPassword", None)])
            else:
                self._call("modify_s", dn, [(ldap.MOD_REPLACE, "userPassword", unlocked)])

    def delete(self, account: AccountData) -> None:
        found = self._find(account.login)
        if found is None:
            return
        dn = found[0]
        # Take the entry out of every group first: a dangling member DN would stay behind.
        if self.groups_dn:
            filt = ldap.filter.filter_format("(member=%s)", [dn])
            try:
                groups = self._call("search_s", self.groups_dn, ldap.SCOPE_ONELEVEL, filt, ["cn"])
            except ldap.NO_SUCH_OBJECT:
                groups = []
            for _gdn, gentry in groups:
                self._remove_member(_first(gentry, "cn"), dn)
        with contextlib.suppress(ldap.NO_SUCH_OBJECT):
            self._call("delete_s", dn)

    def add_to_group(self, account: AccountData, group: str) -> None:
        dn, _ = self._require(account)
        gdn = self.group_dn(group)
        try:
            self._call("modify_s", gdn, [(ldap.MOD_ADD, "member", [dn.encode()])])
        except ldap.TYPE_OR_VALUE_EXISTS:
            pass
        except ldap.NO_SUCH_OBJECT:
            entry = {
                "objectClass": [b"groupOfNames", b"top"],
                "cn": [group.encode()],
                "member": [dn.encode()],
            }
            try:
                self._call("add_s", gdn, list(entry.items()))
            except ldap.ALREADY_EXISTS:  # someone made it meanwhile
                self.add_to_group(account, group)

    def remove_from_group(self, account: AccountData, group: str) -> None:
        found = self._find(account.login)
        if found is not None:
            self._remove_member(group, found[0])

    def _remove_member(self, group: str, member_dn: str) -> None:
        gdn = self.group_dn(group)
        try:
            self._call("modify_s", gdn, [(ldap.MOD_DELETE, "member", [member_dn.encode()])])
        except (ldap.NO_SUCH_ATTRIBUTE, ldap.NO_SUCH_OBJECT):
            pass
        except ldap.OBJECT_CLASS_VIOLATION:
            # groupOfNames must keep a member: the last one leaving removes the group, and the
            # next add_to_group makes it again.
            with contextlib.suppress(ldap.NO_SUCH_OBJECT):
                self._call("delete_s", gdn)

    def groups_of(self, account: AccountData) -> list[str]:
        found = self._find(account.login)
        if found is None or not self.groups_dn:
            return []
        filt = ldap.filter.filter_format("(member=%s)", [found[0]])
        try:
            rows = self._call("search_s", self.groups_dn, ldap.SCOPE_ONELEVEL, filt, ["cn"])
        except ldap.NO_SUCH_OBJECT:
            return []
        return sorted(_first(e, "cn") for _dn, e in rows)

    def group_members(self, groups: list[str]) -> dict[str, set[str]] | None:
        if not self.groups_dn:
            return None
        if not groups:
            return {}
        names = "".join(ldap.filter.filter_format("(cn=%s)", [g]) for g in groups)
        try:
            rows = self._call(
                "search_s", self.groups_dn, ldap.SCOPE_ONELEVEL, f"(|{names})", ["cn", "member"]
            )
        except ldap.NO_SUCH_OBJECT:
            return {}
        return {
            _first(entry, "cn"): {m.decode().lower() for m in entry.get("member") or []}
            for dn, entry in rows
            if dn
        }

    def read(self, login: str) -> AccountData | None:
        found = self._find(login)
        return self._to_account(*found) if found else None

    def list_accounts(self) -> Iterator[AccountData]:
        bases = [self.base_dn] + ([self.disabled_dn] if self.disable_method == "move" else [])
        filt = f"({self.rdn_attr}=*)"
        for base in bases:
            page = SimplePagedResultsControl(True, size=500, cookie=b"")
            while True:
                try:
                    msgid = self._call(
                        "search_ext", base, ldap.SCOPE_ONELEVEL, filt, None, serverctrls=[page]
                    )
                    _t, rows, _id, controls = self._call("result3", msgid)
                except ldap.NO_SUCH_OBJECT:
                    break
                for dn, entry in rows:
                    if dn:
                        yield self._to_account(dn, entry)
                cookie = next(
                    (c.cookie for c in controls if c.controlType == page.controlType), b""
                )
                if not cookie:
                    break
                page.cookie = cookie


def _describe(exc: Exception) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return info.get("desc") or str(exc)
