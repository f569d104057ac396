from __future__ import annotations

import itertools
import uuid

import pytest

from tirek.access.models import System, SystemRole
from tirek.people import services as people

_n = itertools.count(1)


@pytest.fixture
def ldap_system(db, running_slapd, monkeypatch):
    """A System whose connector points at the test slapd (bind password from the env)."""
    monkeypatch.setenv("TIREK_TEST_LDAP_PW", running_slapd.admin_password)
    code = f"ldaptest{next(_n)}"
    # Its own branch of the directory: tests on one slapd never meet each other's entries.
    base = f"ou={code}-{uuid.uuid4().hex[:8]},{running_slapd.suffix}"
    conn = running_slapd.connect()
    conn.add_s(
        base, [("objectClass", [b"organizationalUnit"]), ("ou", [base[3:].split(",")[0].encode()])]
    )
    conn.unbind_s()
    system = System.objects.create(
        code=code,
        name_kk=code,
        connector_kind="ldap",
        connector_settings={
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TIREK_TEST_LDAP_PW",
            "base_dn": base,
            "groups_dn": running_slapd.groups_dn,
        },
        login_pattern="{first}.{last}",
    )
    SystemRole.objects.create(
        system=system, code="staff", name_kk="staff", target_group=f"{code}-staff"
    )
    return system


@pytest.fixture
def catalogue(db):
    """The systems of the data migration, loaded again if a transactional test flushed them."""
    import importlib

    from django.apps import apps

    importlib.import_module("tirek.access.migrations.0002_catalogue").load(apps, None)


def make_person(last: str, first: str, **kw):
    return people.create_person(None, last_name=last, first_name=first, **kw)


@pytest.fixture
def scim_target():
    """A fresh scim2-server behind a TCP proxy a test can cut or close (testing/tcpproxy.py)."""
    from tirek.connectors.scim_server import ScimServer
    from tirek.testing.tcpproxy import TcpProxy

    server = ScimServer().start()
    proxy = TcpProxy(("127.0.0.1", server.port)).start()
    proxy.url = f"http://127.0.0.1:{proxy.port}/v2"
    proxy.server = server
    try:
        yield proxy
    finally:
        proxy.stop()
        server.stop()


@pytest.fixture
def scim_system(db, scim_target, monkeypatch):
    """A System whose SCIM connector reaches the test server through the proxy."""
    monkeypatch.setenv("TIREK_TEST_SCIM_TOKEN", scim_target.server.token)
    code = f"scimtest{next(_n)}"
    return System.objects.create(
        code=code,
        name_kk=code,
        connector_kind="scim",
        connector_settings={"url": scim_target.url, "secret_env": "TIREK_TEST_SCIM_TOKEN"},
        login_pattern="{first}.{last}",
    )
