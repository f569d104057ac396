"""Issue 5's journey in a real browser (Chromium through Playwright).

Staff import a Platonus snapshot with one new student and one leaver. The policies give the
new student an LDAP account (created by the worker in a real slapd) and a Platonus account (a
manual work item, downloaded as an import file); the leaver's LDAP account is disabled in the
directory and their card revoked.
"""

from __future__ import annotations

import uuid

import ldap
import pytest
from playwright.sync_api import expect

from tirek.access import operations
from tirek.access import services as access_services
from tirek.access.models import Account, AccountStatus, System, SystemRole
from tirek.cards.models import Card, CardStatus
from tirek.manualwork import services as manual
from tirek.people.imports import services as imports
from tirek.people.imports.models import ImportSource
from tirek.people.models import Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv
from tirek.policies.models import Policy
from tirek.testing.browser import sign_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.xdist_group("browser"),
]


def run_worker() -> None:
    """What `tirek worker` does: the outbox, then the manual-work collector."""
    for _ in range(10):
        outcome = operations.run_due("browser-test")
        if not (outcome.done or outcome.retry or outcome.waiting):
            break
    manual.collect()


@pytest.fixture
def directory(catalogue, running_slapd, monkeypatch, personas) -> System:
    """The catalogue's LDAP system, pointed at a branch of the test slapd of its own."""
    monkeypatch.setenv("TIREK_TEST_LDAP_PW", running_slapd.admin_password)
    base = f"ou=students-{uuid.uuid4().hex[:8]},{running_slapd.suffix}"
    conn = running_slapd.connect()
    conn.add_s(
        base, [("objectClass", [b"organizationalUnit"]), ("ou", [base[3:].split(",")[0].encode()])]
    )
    conn.unbind_s()
    return access_services.update_system(
        personas["dept_head"],
        System.objects.get(code="ldap"),
        connector_settings={
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TIREK_TEST_LDAP_PW",
            "base_dn": base,
            "groups_dn": running_slapd.groups_dn,
        },
        login_pattern="s{student_number}",
    )


def entry(slapd, system: System, login: str) -> dict | None:
    conn = slapd.connect()
    try:
        found = conn.search_s(
            system.connector_settings["base_dn"], ldap.SCOPE_ONELEVEL, f"(uid={login})"
        )
    finally:
        conn.unbind_s()
    return found[0][1] if found else None


def test_import_joiner_and_leaver_follow_the_policies(
    page, live_server, personas, directory, running_slapd, settings, tmp_path
):
    settings.LANGUAGE_CODE = "en"
    source = ImportSource.objects.create(
        code="platonus", name="Platonus", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING, leaver_threshold=50,
    )  # fmt: skip
    for system, role in (("ldap", "students"), ("platonus", "student")):
        Policy.objects.create(
            name=f"Students: {system}",
            role=SystemRole.objects.get(system__code=system, code=role),
            affiliation_kinds=["student"],
        )
    # Last term: three students; the policies give them their accounts and cards as drafts.
    first = imports.upload(None, source, to_csv([student(n) for n in (1, 2, 3)]), filename="a.csv")
    imports.apply_run(None, first)
    run_worker()
    leaver = Person.objects.get(platonus_id="P000003")
    leaver_ldap = Account.objects.get(person=leaver, system=directory)
    assert leaver_ldap.status == AccountStatus.ACTIVE
    assert "{CRYPT}!" not in str(entry(running_slapd, directory, leaver_ldap.login))

    # This term's export: student 3 has left, student 4 is new. Staff import it in the browser.
    upload = tmp_path / "platonus.csv"
    upload.write_bytes(to_csv([student(n) for n in (1, 2, 4)]))
    sign_in(page, live_server, personas["dept_staff"])
    page.goto(f"{live_server.url}/people/imports/")
    page.get_by_label("Source").select_option(label="Platonus")
    page.get_by_label("File (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Leaving")).to_be_visible()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("applied", exact=False).first).to_be_visible()
    run_worker()

    joiner = Person.objects.get(platonus_id="P000004")
    joiner_ldap = Account.objects.get(person=joiner, system=directory)
    assert joiner_ldap.status == AccountStatus.ACTIVE
    assert entry(running_slapd, directory, joiner_ldap.login) is not None
    # The leaver: disabled at once in the directory (the password locked), card revoked.
    leaver_ldap.refresh_from_db()
    assert leaver_ldap.status == AccountStatus.DISABLED
    assert (
        "{CRYPT}!" in entry(running_slapd, directory, leaver_ldap.login)["userPassword"][0].decode()
    )
    assert set(Card.objects.filter(person=leaver).values_list("status", flat=True)) == {
        CardStatus.REVOKED
    }

    # The new student's page: what the policies say and what they hold.
    page.goto(f"{live_server.url}/policies/people/{joiner.pk}/")
    rows = page.locator("[data-testid=entitlement-row]")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-testid=entitlement-row][data-state=ok]")).to_have_count(2)

    # Platonus has no interface: a work item, downloaded with the others as an import file.
    platonus_login = Account.objects.get(person=joiner, system__code="platonus").login
    page.goto(f"{live_server.url}/manual/?system=platonus")
    # Create the account, then give it the student role.
    expect(page.locator("[data-testid=work-item]", has_text=platonus_login)).to_have_count(2)
    with page.expect_download() as download:
        page.locator("[data-testid=manual-system]", has_text="Platonus").get_by_role(
            "button"
        ).click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert platonus_login in content
