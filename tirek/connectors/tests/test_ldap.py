"""The LDAP connector against a real slapd (tirek/testing/slapd.py)."""

from __future__ import annotations

import contextlib
import itertools
import uuid

import ldap
import pytest

from tirek.connectors.base import AccountData, ConnectorError, PermanentError, TargetUnavailable
from tirek.connectors.ldap import LDAPConnector
from tirek.testing.slapd import free_port

pytestmark = pytest.mark.integration
_n = itertools.count()


@pytest.fixture
def connector(running_slapd, monkeypatch):
    monkeypatch.setenv("TEST_LDAP_PW", running_slapd.admin_password)
    conn = LDAPConnector(
        {
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TEST_LDAP_PW",
            "base_dn": running_slapd.people_dn,
            "groups_dn": running_slapd.groups_dn,
        }
    )
    yield conn
    conn.close()


def account(**kw) -> AccountData:
    n = next(_n)
    data = {
        "login": f"conn.user{n}-{id(kw) % 9999}",
        "given_name": "Aigerim",
        "family_name": "Omirzakova",
        "email": f"a{n}@ksu.edu.kz",
        "person_key": f"tirek-{n}",
    }
    data.update(kw)
    return AccountData(**data)


def can_bind(slapd, dn, password) -> bool:
    try:
        slapd.connect(dn, password).unbind_s()
        return True
    except ldap.INVALID_CREDENTIALS:
        return False


def test_create_is_idempotent_and_the_password_works(connector, running_slapd):
    acc = account()
    dn = connector.create(acc, "S3cret-pass")
    assert dn == running_slapd.user_dn(acc.login)
    assert connector.create(acc, "S3cret-pass") == dn  # a retry: success, still one entry
    read = connector.read(acc.login)
    assert (read.given_name, read.family_name, read.email, read.person_key) == (
        "Aigerim",
        "Omirzakova",
        acc.email,
        acc.person_key,
    )
    assert read.display_name == "Aigerim Omirzakova"
    assert can_bind(running_slapd, dn, "S3cret-pass")


def test_create_refuses_an_entry_of_someone_else(connector):
    acc = account()
    connector.create(acc, None)
    other = AccountData(login=acc.login, family_name="X", person_key="tirek-other")
    with pytest.raises(PermanentError, match="someone else"):
        connector.create(other, None)


def test_update_set_password_disable_enable_delete(connector, running_slapd):
    acc = account()
    dn = connector.create(acc, "first-Pass1")
    acc.email = "new.mail@ksu.edu.kz"
    acc.family_name = "Omirzak"
    connector.update(acc)
    assert connector.read(acc.login).email == "new.mail@ksu.edu.kz"
    connector.set_password(acc, "second-Pass2")
    assert can_bind(running_slapd, dn, "second-Pass2")
    assert not can_bind(running_slapd, dn, "first-Pass1")

    connector.disable(acc)
    connector.disable(acc)  # twice: still disabled once, not double-wrapped
    assert not can_bind(running_slapd, dn, "second-Pass2")
    assert connector.read(acc.login).active is False
    connector.enable(acc)
    assert can_bind(running_slapd, dn, "second-Pass2")  # the same password comes back
    assert connector.read(acc.login).active is True

    connector.delete(acc)
    connector.delete(acc)  # deleting what is gone succeeds
    assert connector.read(acc.login) is None


def test_move_disable_method(running_slapd, monkeypatch):
    monkeypatch.setenv("TEST_LDAP_PW", running_slapd.admin_password)
    admin = running_slapd.connect()
    disabled_dn = f"ou=disabled,{running_slapd.suffix}"
    with contextlib.suppress(ldap.ALREADY_EXISTS):
        admin.add_s(disabled_dn, [("objectClass", [b"organizationalUnit"]), ("ou", [b"disabled"])])
    admin.unbind_s()
    conn = LDAPConnector(
        {
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TEST_LDAP_PW",
            "base_dn": running_slapd.people_dn,
            "disable_method": "move",
            "disabled_dn": disabled_dn,
        }
    )
    acc = account()
    conn.create(acc, "pw-Move-1")
    conn.disable(acc)
    assert conn.read(acc.login).external_id.endswith(disabled_dn)
    assert conn.read(acc.login).active is False
    assert acc.login in {a.login for a in conn.list_accounts()}
    conn.enable(acc)
    assert conn.read(acc.login).external_id == running_slapd.user_dn(acc.login)
    conn.close()


def test_group_membership(connector, running_slapd):
    a, b = account(), account()
    connector.create(a, None)
    connector.create(b, None)
    group = f"role-{a.login}"
    connector.add_to_group(a, group)  # the group is made on first use
    connector.add_to_group(a, group)  # already a member: success
    connector.add_to_group(b, group)
    assert connector.groups_of(a) == [group]
    connector.remove_from_group(a, group)
    connector.remove_from_group(a, group)
    assert connector.groups_of(a) == []
    connector.remove_from_group(b, group)  # the last member: the group goes
    connector.delete(b)
    assert connector.groups_of(b) == []


def test_mapping_is_configurable(running_slapd, monkeypatch):
    monkeypatch.setenv("TEST_LDAP_PW", running_slapd.admin_password)
    conn = LDAPConnector(
        {
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TEST_LDAP_PW",
            "base_dn": running_slapd.people_dn,
            "mapping": {"person_key": "employeeType", "display_name": "displayName"},
        }
    )
    acc = account(display_name="Омірзақова Әйгерім")
    conn.create(acc, None)
    entry = running_slapd.connect().search_s(
        running_slapd.user_dn(acc.login), ldap.SCOPE_BASE, attrlist=["employeeType", "displayName"]
    )[0][1]
    assert entry["employeeType"] == [acc.person_key.encode()]
    assert entry["displayName"] == ["Омірзақова Әйгерім".encode()]
    conn.close()


def test_list_accounts_reads_the_whole_directory(connector):
    made = {connector.create(account(), None) for _ in range(3)}
    seen = {a.external_id for a in connector.list_accounts()}
    assert made <= seen


def test_target_down_is_unavailable(connector, running_slapd):
    connector.create(account(), None)  # a live connection, then the server goes away
    running_slapd.stop()
    try:
        with pytest.raises(TargetUnavailable):
            connector.read("anyone")
    finally:
        running_slapd.start()
    assert connector.read("nobody-here") is None  # reconnects by itself


def test_missing_secret_env_is_a_permanent_error(running_slapd, monkeypatch):
    monkeypatch.delenv("TIREK_NO_SUCH_VAR", raising=False)
    conn = LDAPConnector(
        {"uri": running_slapd.uri, "bind_dn": "cn=x", "secret_env": "TIREK_NO_SUCH_VAR"}
    )
    with pytest.raises(PermanentError, match="TIREK_NO_SUCH_VAR"):
        conn.read("x")


def test_start_tls_against_a_server_without_tls_fails_cleanly(running_slapd, monkeypatch):
    monkeypatch.setenv("TEST_LDAP_PW", running_slapd.admin_password)
    conn = LDAPConnector(
        {
            "uri": running_slapd.uri,
            "start_tls": True,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TEST_LDAP_PW",
            "base_dn": running_slapd.people_dn,
        }
    )
    with pytest.raises(ldap.LDAPError):
        conn.read("x")


# -- TLS: a slapd with a certificate from a throwaway CA (tirek/testing/slapd.py) -------------


def tls_connector(server, monkeypatch, **settings) -> LDAPConnector:
    monkeypatch.setenv("TEST_LDAP_PW", server.admin_password)
    return LDAPConnector(
        {
            "bind_dn": server.admin_dn,
            "secret_env": "TEST_LDAP_PW",
            "base_dn": server.people_dn,
            **settings,
        }
    )


@pytest.mark.parametrize("how", ["start_tls", "ldaps"])
def test_tls_with_the_servers_ca_works(tls_slapd, monkeypatch, how):
    uri = tls_slapd.ldaps_uri if how == "ldaps" else tls_slapd.uri
    conn = tls_connector(
        tls_slapd,
        monkeypatch,
        uri=uri,
        start_tls=how == "start_tls",
        ca_file=str(tls_slapd.ca_file),
    )
    acc = AccountData(login=f"tls.{how}", given_name="T", family_name="L", person_key=f"k-{how}")
    try:
        dn = conn.create(acc, "Tls-pass-1")
        assert conn.read(acc.login).external_id == dn
        # The session really runs over TLS, with the certificate our CA signed.
        from cryptography import x509

        peer = x509.load_der_x509_certificate(conn._conn.get_option(ldap.OPT_X_TLS_PEERCERT))
        assert peer.issuer.rfc4514_string() == "CN=Tirek test CA"
    finally:
        conn.close()
    assert tls_slapd.connect(dn, "Tls-pass-1")


@pytest.mark.parametrize("how", ["start_tls", "ldaps"])
def test_tls_refuses_a_certificate_from_an_untrusted_ca(tls_slapd, monkeypatch, how):
    uri = tls_slapd.ldaps_uri if how == "ldaps" else tls_slapd.uri
    conn = tls_connector(
        tls_slapd,
        monkeypatch,
        uri=uri,
        start_tls=how == "start_tls",
        ca_file=str(tls_slapd.untrusted_ca_file),
    )
    with pytest.raises(ConnectorError, match="not trusted") as refused:
        conn.read("anyone")
    # Not an outage: the operations would otherwise wait for a server that is up.
    assert not isinstance(refused.value, TargetUnavailable)
    conn.close()


def test_tls_server_down_is_still_an_outage(tls_slapd, monkeypatch):
    conn = tls_connector(
        tls_slapd,
        monkeypatch,
        uri=f"ldaps://127.0.0.1:{free_port()}",
        ca_file=str(tls_slapd.ca_file),
    )
    with pytest.raises(TargetUnavailable):
        conn.read("anyone")


# -- several creates in flight at once (what the worker uses for a batch of creates) ----------


def test_create_many_answers_each_account_as_create_would(connector, running_slapd):
    tag = uuid.uuid4().hex[:6]
    new = [account(login=f"many{tag}.{i}") for i in range(40)]  # more than the window
    ours = account(login=f"many{tag}.ours")
    connector.create(ours, None)  # made before; its answer was lost
    theirs = account(login=f"many{tag}.theirs")
    connector.create(theirs, None)
    someone_else = account(login=theirs.login, person_key="tirek-someone-else")
    bad = account(login=f"many{tag}.bad", email="почта@ksu.edu.kz")  # mail is IA5 (ASCII)
    items = [(a, "Many-pass-1") for a in new] + [(ours, None), (someone_else, None), (bad, None)]
    answers = connector.create_many(items)
    assert answers[:40] == [running_slapd.user_dn(a.login) for a in new]
    assert answers[40] == running_slapd.user_dn(ours.login)
    assert isinstance(answers[41], PermanentError)
    assert isinstance(answers[42], ldap.INVALID_SYNTAX)
    assert can_bind(running_slapd, answers[7], "Many-pass-1")
    assert connector.read(ours.login).person_key == ours.person_key


def test_create_many_reconnects_once_and_reports_an_outage(connector, running_slapd):
    tag = uuid.uuid4().hex[:6]
    connector.read("warm-up")
    running_slapd.restart()  # the connector's connection is now stale
    first = [account(login=f"stale{tag}.{i}") for i in range(3)]
    assert connector.create_many([(a, None) for a in first]) == [
        running_slapd.user_dn(a.login) for a in first
    ]
    running_slapd.stop()
    try:
        answers = connector.create_many([(account(login=f"down{tag}.{i}"), None) for i in range(3)])
        assert all(isinstance(a, TargetUnavailable) for a in answers)
    finally:
        running_slapd.start()
