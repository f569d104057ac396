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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a free port, and Django pointed at it. Yields the list
    the received messages are appended to (email.message.Message objects)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        controller.port,
        5,
    )
    try:
        yield received
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Django pointed at a port where no mail server listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2


def mail_text(message) -> str:
    """The decoded body of a received message."""
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # lines wrap where the layout wraps them


def plaintext_in_database(secret: str) -> list[str]:
    """The tables any of whose rows hold `secret` as text (a brute scan of the test DB)."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (the schema's own names)
            for row in cursor.fetchall():
                if any(secret in str(v) for v in row if isinstance(v, str)):
                    found.append(table)
                    break
    return found


@pytest.fixture
def scim_server(db):
    """A scim2-server of the test's own (in memory, in a thread): every test starts empty."""
    from tirek.connectors.scim_server import ScimServer

    server = ScimServer().start()
    yield server
    server.stop()


@pytest.fixture
def scim_target(scim_server):
    """The test's scim2-server behind a TCP proxy a test can cut or close (testing/tcpproxy.py)."""
    from tirek.testing.tcpproxy import TcpProxy

    proxy = TcpProxy(("127.0.0.1", scim_server.port)).start()
    proxy.url = f"http://127.0.0.1:{proxy.port}/v2"
    proxy.server = scim_server
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def scim_system(db, scim_target, monkeypatch):
    """A System whose SCIM connector reaches the test server through the proxy."""
    monkeypatch.setenv("TIREK_TEST_SCIM_TOKEN", scim_target.server.token)
    code = f"scimtest{next(_n)}"
    system = System.objects.create(
        code=code,
        name_kk=code,
        connector_kind="scim",
        connector_settings={"url": scim_target.url, "secret_env": "TIREK_TEST_SCIM_TOKEN"},
        login_pattern="{first}.{last}",
    )
    SystemRole.objects.create(system=system, code="staff", name_kk="staff", target_group="staff")
    return system
