"""The issue's access journey in a real browser (Chromium through Playwright).

A unit head requests a DSpace role for an employee of their institute; DSpace's owner approves
it; the worker provisions the account in a real directory (DSpace is pointed at the test slapd);
the employee signs in, opens the one-time link and sees the password once; a second open is
refused, and so is anyone else's.

Sessions are made with Django's test client and handed to the browser as a cookie (sign-in has
its own browser tests); everything after that goes through the pages.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tirek.access import operations, services
from tirek.access.models import Account, OperationStatus, System, SystemRole
from tirek.testing.browser import sign_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.xdist_group("browser"),
]


@pytest.fixture
def dspace(catalogue, running_slapd, monkeypatch, personas) -> System:
    """DSpace from the catalogue, owned by the faculty persona, provisioned into the test slapd
    (its own branch of the directory; the bind password from the environment)."""
    monkeypatch.setenv("TIREK_TEST_LDAP_PW", running_slapd.admin_password)
    base = f"ou=dspace-{uuid.uuid4().hex[:8]},{running_slapd.suffix}"
    conn = running_slapd.connect()
    conn.add_s(
        base, [("objectClass", [b"organizationalUnit"]), ("ou", [base[3:].split(",")[0].encode()])]
    )
    conn.unbind_s()
    system = System.objects.get(code="dspace")
    return services.update_system(
        personas["dept_head"],
        system,
        owner=personas["faculty"].person,
        connector_kind="ldap",
        connector_settings={
            "uri": running_slapd.uri,
            "bind_dn": running_slapd.admin_dn,
            "secret_env": "TIREK_TEST_LDAP_PW",
            "base_dn": base,
            "groups_dn": running_slapd.groups_dn,
        },
        approval_chain=["unit_head", "owner"],
    )


def run_worker() -> None:
    """What `tirek worker` does for the outbox, until nothing is left to do."""
    for _ in range(10):
        outcome = operations.run_due("browser-test")
        if not (outcome.done or outcome.retry or outcome.waiting):
            break


def test_request_approve_provision_and_see_the_password_once(
    page, live_server, personas, dspace, running_slapd, settings
):
    settings.LANGUAGE_CODE = "en"
    employee = personas["employee"]
    role = SystemRole.objects.get(system=dspace, code="submitter")

    # The unit head asks for the role for their employee.
    sign_in(page, live_server, personas["unit_head"])
    page.goto(f"{live_server.url}/access/requests/new/?person={employee.person.pk}")
    page.select_option("#id_person", str(employee.person.pk))
    page.select_option("#id_role", str(role.pk))
    page.fill("#id_reason", "Deposits the institute's theses")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_test_id("request-status")).to_have_text("waiting for approval")

    # DSpace's owner finds it in their inbox and approves.
    sign_in(page, live_server, personas["faculty"])
    page.goto(f"{live_server.url}/access/approvals/")
    page.get_by_test_id("inbox").get_by_role("link").first.click()
    form = page.get_by_test_id("decide-form")
    form.locator("input[value=approve]").check()
    form.get_by_role("button", name="Decide").click()
    expect(page.get_by_test_id("request-status")).to_have_text("approved")

    # The worker provisions the account into the directory.
    run_worker()
    account = Account.objects.get(person=employee.person, system=dspace)
    assert account.status == "active", list(
        account.operations.values_list("kind", "status", "last_error")
    )
    assert not account.operations.exclude(status=OperationStatus.DONE).exists()

    # The employee opens the one-time link from their access page and sees the password once.
    sign_in(page, live_server, employee)
    page.goto(f"{live_server.url}/access/")
    page.get_by_test_id("new-passwords").get_by_role("link").click()
    link = page.url
    page.get_by_test_id("reveal").click()
    secret = page.get_by_test_id("secret").inner_text().strip()
    assert len(secret) >= 12
    running_slapd.connect(account.external_id, secret).unbind_s()  # it works in the directory

    # A second open is refused, and the access page no longer offers it.
    page.goto(link)
    expect(page.get_by_test_id("gone")).to_be_visible()
    expect(page.get_by_test_id("reveal")).to_have_count(0)
    page.goto(f"{live_server.url}/access/")
    expect(page.get_by_test_id("new-passwords")).to_have_count(0)

    # Nobody else may open it, not even the IT staff.
    sign_in(page, live_server, personas["dept_staff"])
    response = page.goto(link)
    assert response.status == 403
    assert secret not in page.content()
