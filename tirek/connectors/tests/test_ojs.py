"""OJS 3 users import file: valid against PKP's pkp-users.xsd, no clear password, downloadable
by staff for a system's open create operations, from the web and the command line."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest
from django.core.management import call_command
from django.test import Client
from lxml import etree

from tirek.connectors import ojs

XSD = Path(ojs.__file__).parent / "schemas/pkp/plugins/importexport/users/pkp-users.xsd"
NS = {"p": "http://pkp.sfu.ca"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def valid(schema, content: bytes) -> etree._Element:
    doc = etree.fromstring(content)
    assert schema.validate(doc), schema.error_log
    return doc


def test_users_file_is_valid_against_pkp_schema(schema):
    users = [
        ojs.OjsUser(
            "aigerim.omirzakova",
            "Aigerim",
            "Omirzakova",
            "a.o@ksu.edu.kz",
            "S3cret-pass1",
            ["author", "reviewer"],
        ),
        ojs.OjsUser("nurlan", "Nurlan", password=None, groups=[]),
        ojs.OjsUser(
            "olga.ivanova",
            "Olga",
            "Ivanova",
            "o.i@ksu.edu.kz",
            "x" * 12,
            ["journal-manager", "unknown-role"],
        ),
    ]
    doc = valid(schema, ojs.users_file(users, {"journal_path": "vestnik"}))
    assert doc.tag == "{http://pkp.sfu.ca}PKPUsers"
    names = [u.text for u in doc.findall("p:users/p:user/p:username", NS)]
    assert names == ["aigerim.omirzakova", "nurlan", "olga.ivanova"]
    first, second, third = doc.findall("p:users/p:user", NS)
    assert [r.text for r in first.findall("p:user_group_ref", NS)] == ["Author", "Reviewer"]
    # No role: the default group; an unknown role is left out.
    assert [r.text for r in second.findall("p:user_group_ref", NS)] == ["Reader"]
    assert [r.text for r in third.findall("p:user_group_ref", NS)] == ["Journal manager"]
    groups = {
        g.findtext("p:name", namespaces=NS): g
        for g in doc.findall("p:user_groups/p:user_group", NS)
    }
    assert set(groups) == {"Author", "Reviewer", "Reader", "Journal manager"}
    assert groups["Author"].findtext("p:role_id", namespaces=NS) == "65536"


def test_the_password_is_a_bcrypt_hash_ojs_keeps(schema):
    content = ojs.users_file([ojs.OjsUser("u1", "U", password="S3cret-pass1")], {})
    assert b"S3cret-pass1" not in content
    password = valid(schema, content).find("p:users/p:user/p:password", NS)
    assert password.get("must_change") == "true"
    assert password.get("encryption")
    value = password.findtext("p:value", namespaces=NS)
    assert value.startswith("$2y$10$")
    assert bcrypt.checkpw(b"S3cret-pass1", ("$2b$" + value[4:]).encode())


def test_custom_groups_locale_and_older_ojs(schema):
    settings = {
        "locale": "ru",
        "groups": {"author": {"name": "Автор", "role_id": 65536, "abbrev": "АВ", "stages": "1"}},
        "masthead": False,
    }
    content = ojs.users_file([ojs.OjsUser("u1", "Айгерим", groups=["author"])], settings)
    doc = etree.fromstring(content)
    assert doc.find("p:users/p:user/p:givenname", NS).get("locale") == "ru"
    assert doc.findtext("p:users/p:user/p:user_group_ref", namespaces=NS) == "Автор"
    # OJS 3.3/3.4 have no masthead element; the vendored 3.5 schema requires it.
    assert doc.find("p:user_groups/p:user_group/p:masthead", NS) is None
    assert not schema.validate(doc)


def test_no_users_is_refused():
    with pytest.raises(ValueError):
        ojs.users_file([], {})


def test_the_command_is_pkp_cli_syntax():
    assert ojs.import_command({"journal_path": "vestnik"}, "f.xml") == (
        "php tools/importExport.php UserImportExportPlugin import f.xml vestnik"
    )


# --- in Tirek: operations -> file -------------------------------------------------------------


@pytest.fixture
def ojs_system(db):
    from tirek.access.models import System

    system = System.objects.get(code="ojs")
    system.connector_kind = "ojs_file"
    system.connector_settings = {"journal_path": "vestnik"}
    system.save()
    return system


@pytest.fixture
def waiting(ojs_system, personas):
    """Two people waiting for an OJS account: one author, one with no role."""
    from tirek.access import services as access
    from tirek.access.models import SystemRole

    author = SystemRole.objects.get(system=ojs_system, code="author")
    access.grant_role(None, personas["faculty"].person, author, reason="papers")
    access.create_account(None, personas["student"].person, ojs_system)
    return personas


@pytest.mark.django_db
def test_staff_download_the_file_of_open_create_operations(schema, ojs_system, waiting):
    from tirek.core.models import AuditAction, AuditEvent
    from tirek.testing.personas import login_as

    client = login_as(Client(), waiting["dept_staff"])
    url = f"/connectors/{ojs_system.code}/import-file/"
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith('attachment; filename="ojs-users-')
    assert response["X-Import-Command"].endswith(".xml vestnik")
    doc = valid(schema, response.content)
    users = {u.findtext("p:username", namespaces=NS): u for u in doc.findall("p:users/p:user", NS)}
    assert len(users) == 2
    faculty_login = waiting["faculty"].person.accounts.get(system=ojs_system).login
    assert [r.text for r in users[faculty_login].findall("p:user_group_ref", NS)] == ["Author"]
    assert users[faculty_login].findtext("p:email", namespaces=NS) == "faculty@test.edu.kz"
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="access.system").last()
    assert len(event.changes["extra"]["operations"]) == 2
    assert "$2y$" not in str(event.changes)


@pytest.mark.django_db
def test_the_worker_leaves_them_for_staff_with_the_password_kept(schema, ojs_system, waiting):
    from tirek.access import operations
    from tirek.access.models import Operation

    assert operations.claim("w1") == []  # an OJS system is manual work: never the worker's
    creates = Operation.objects.filter(system=ojs_system, kind="create")
    assert {op.status for op in creates} == {"pending"}
    assert all(op.secret for op in creates)
    from tirek.connectors.files import download_import_file

    assert len(download_import_file(None, ojs_system).operation_ids) == 2


@pytest.mark.django_db
def test_who_may_download(ojs_system, waiting):
    from tirek.testing.personas import login_as

    url = f"/connectors/{ojs_system.code}/import-file/"
    for role in ("student", "unit_head", "auditor"):
        client = Client()
        login_as(client, waiting[role])
        assert client.get(url).status_code == 403, role
    anonymous = Client().get(url)
    assert anonymous.status_code == 302


@pytest.mark.django_db
def test_no_file_for_other_connectors_or_when_nothing_waits(ojs_system, personas):
    from tirek.testing.personas import login_as

    client = Client()
    login_as(client, personas["dept_head"])
    assert client.get("/connectors/ldap/import-file/").status_code == 404
    assert client.get(f"/connectors/{ojs_system.code}/import-file/").status_code == 404


@pytest.mark.django_db
def test_the_command_writes_the_file(schema, ojs_system, waiting, tmp_path, capsys):
    target = tmp_path / "users.xml"
    call_command("import_file", "ojs", output=str(target))
    valid(schema, target.read_bytes())
    out = capsys.readouterr().out
    assert "2 accounts" in out
    assert "UserImportExportPlugin import" in out
