"""The SCIM connector against a real scim2-server."""

from __future__ import annotations

import itertools

import pytest

from tirek.connectors.base import AccountData, PermanentError, TargetUnavailable
from tirek.connectors.scim import SCIMConnector

pytestmark = pytest.mark.integration
_n = itertools.count()


@pytest.fixture
def connector(running_scim, monkeypatch):
    monkeypatch.setenv("TEST_SCIM_TOKEN", running_scim.token)
    conn = SCIMConnector({"url": running_scim.url, "secret_env": "TEST_SCIM_TOKEN"})
    yield conn
    conn.close()


def account(**kw) -> AccountData:
    n = next(_n)
    data = {
        "login": f"scim.user{n}",
        "given_name": "Nurlan",
        "family_name": "Seitov",
        "email": f"scim.user{n}@ksu.edu.kz",
        "person_key": f"tirek-s{n}",
    }
    data.update(kw)
    return AccountData(**data)


def test_create_is_idempotent(connector, running_scim):
    acc = account()
    first = connector.create(acc, "Pass-word-1")
    assert connector.create(acc, "Pass-word-1") == first
    assert sum(1 for u in running_scim.users() if u.user_name == acc.login) == 1
    read = connector.read(acc.login)
    assert (read.given_name, read.family_name, read.email, read.person_key, read.active) == (
        "Nurlan",
        "Seitov",
        acc.email,
        acc.person_key,
        True,
    )


def test_create_refuses_someone_elses_user(connector):
    acc = account()
    connector.create(acc, None)
    with pytest.raises(PermanentError):
        connector.create(AccountData(login=acc.login, person_key="tirek-other"), None)


def test_update_deactivate_activate_delete(connector):
    acc = account()
    connector.create(acc, None)
    acc.email = f"renamed.{acc.login}@ksu.edu.kz"
    acc.family_name = "Seituly"
    connector.update(acc)
    read = connector.read(acc.login)
    assert (read.email, read.family_name) == (acc.email, "Seituly")
    connector.set_password(acc, "Another-pass-2")
    connector.disable(acc)
    assert connector.read(acc.login).active is False
    connector.enable(acc)
    assert connector.read(acc.login).active is True
    connector.delete(acc)
    connector.delete(acc)
    assert connector.read(acc.login) is None


def test_groups(connector):
    a, b = account(), account()
    connector.create(a, None)
    connector.create(b, None)
    group = f"mailbox-{a.login}"
    connector.add_to_group(a, group)
    connector.add_to_group(a, group)
    connector.add_to_group(b, group)
    assert connector.groups_of(a) == [group]
    assert connector.groups_of(b) == [group]
    connector.remove_from_group(a, group)
    connector.remove_from_group(a, group)
    assert connector.groups_of(a) == []
    assert connector.groups_of(b) == [group]


def test_list_accounts_pages_through_everyone(connector):
    made = set()
    for _ in range(5):
        acc = account()
        connector.create(acc, None)
        made.add(acc.login)
    assert made <= {a.login for a in connector.list_accounts()}


def test_wrong_token_is_refused(running_scim, monkeypatch):
    monkeypatch.setenv("TEST_SCIM_TOKEN", "wrong")
    conn = SCIMConnector({"url": running_scim.url, "secret_env": "TEST_SCIM_TOKEN"})
    with pytest.raises(Exception):  # noqa: B017 - discovery is refused before any call
        conn.read("x")


def test_server_down_is_unavailable(connector, running_scim):
    connector.read("warm-up")
    running_scim.stop()
    try:
        with pytest.raises(TargetUnavailable):
            connector.read("anyone")
    finally:
        running_scim.start()
    assert connector.read("nobody") is None
