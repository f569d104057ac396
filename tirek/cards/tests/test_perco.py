"""Cards reach PERCo through the outbox: operations written with the card change, carried out
by the worker against the fake PERCo-Web (tirek/testing/perco_fake.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tirek.access import operations
from tirek.access.models import Account, AccountStatus, Operation, OperationStatus, System
from tirek.cards import lifecycle, services
from tirek.cards.models import Card
from tirek.core.models import AuditEvent
from tirek.people.models import Affiliation, AffiliationStatus


def kinds(person) -> list[str]:
    return list(
        Operation.objects.filter(account__person=person)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def run_worker() -> operations.Outcome:
    Operation.objects.filter(status=OperationStatus.PENDING).update(next_attempt_at=timezone.now())
    return operations.run_due("test", time_budget=20)


def staff_of(perco, person) -> dict:
    [staff] = perco.by_tabel(f"tirek-{person.pk}", active_only=False)
    return staff


def test_issue_creates_record_and_sets_card(perco, personas):
    person = personas["student"].person
    card = services.issue_card(personas["dept_staff"], person)
    assert kinds(person) == ["create", "set_identifier"]
    account = Account.objects.get(person=person, system__code="perco")
    assert account.login == f"tirek-{person.pk}"
    assert AuditEvent.objects.filter(object_type="access.account", object_id=str(account.pk))
    outcome = run_worker()
    assert len(outcome.done) == 2
    staff = staff_of(perco, person)
    assert staff["identifier"] == card.number
    assert (staff["last_name"], staff["first_name"]) == (person.last_name, person.first_name)
    # The student's chair has a division of the same name in PERCo.
    assert perco.divisions[staff["division"]]["name"] == "Кафедра информационных систем"
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE and account.external_id == str(staff["id"])


def test_suspend_reinstate_revoke_reissue(perco, personas):
    person = personas["student"].person
    card = services.issue_card(None, person)
    card = services.suspend(None, card, "unpaid")
    card = services.reinstate(None, card)
    new = services.reissue(None, card, "lost")
    assert kinds(person) == [
        "create",
        "set_identifier",
        "remove_identifier",
        "set_identifier",
        "remove_identifier",
        "set_identifier",
    ]
    run_worker()
    assert staff_of(perco, person)["identifier"] == new.number
    services.revoke(None, new, "other")
    run_worker()
    assert staff_of(perco, person)["identifier"] == ""
    assert Operation.objects.exclude(status=OperationStatus.DONE).count() == 0


def test_nothing_changes_nothing_is_sent(perco, personas):
    person = personas["student"].person
    card = services.issue_card(None, person)
    from tirek.cards.tests.conftest import image_bytes

    services.set_photo(None, card, image_bytes())
    assert kinds(person) == ["create", "set_identifier"]


def test_draft_waits_until_activated(perco, personas):
    person = personas["student"].person
    card = services.issue_card(None, person, draft=True)
    assert kinds(person) == []
    services.activate(None, card)
    assert kinds(person) == ["create", "set_identifier"]


def test_operations_are_part_of_the_card_change(perco, personas):
    person = personas["student"].person
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_card(None, person)
        raise RuntimeError("the card change fails after the fact")
    assert not Card.objects.filter(person=person).exists()
    assert not Operation.objects.exists() and not Account.objects.filter(person=person).exists()


def test_manual_perco_gets_no_operations(perco, personas):
    System.objects.filter(code="perco").update(connector_kind="manual")
    services.issue_card(None, personas["student"].person)
    assert not Operation.objects.exists()


def test_server_down_operations_wait_and_complete(perco, personas):
    people = [personas[r].person for r in ("student", "employee", "faculty")]
    cards = [services.issue_card(None, p) for p in people]
    perco.stop()
    try:
        outcome = run_worker()
        assert not outcome.done and outcome.waiting
        assert set(Operation.objects.values_list("status", flat=True)) == {"pending"}
        assert all(op.attempts == 0 for op in Operation.objects.all())
    finally:
        perco.start()
    run_worker()
    assert set(Operation.objects.values_list("status", flat=True)) == {"done"}
    assert [staff_of(perco, p)["identifier"] for p in people] == [c.number for c in cards]
    assert len(perco.staff) == 3  # each record made once


def test_leaver_card_removed_and_record_dismissed(perco, personas):
    person = personas["student"].person
    services.issue_card(None, person)
    run_worker()
    Affiliation.objects.filter(person=person).update(status=AffiliationStatus.EXPELLED)
    lifecycle.on_leaver(person)
    assert kinds(person)[-2:] == ["remove_identifier", "disable"]
    run_worker()
    staff = staff_of(perco, person)
    assert staff["identifier"] == "" and staff["is_active"] == 0
    assert staff["dismissed_date"] == timezone.localdate().isoformat()
    account = Account.objects.get(person=person, system__code="perco")
    assert account.status == AccountStatus.DISABLED


def test_chip_uid_becomes_the_identifier(perco, personas):
    person = personas["student"].person
    card = services.issue_card(None, person)
    card = services.set_chip_uid(personas["dept_staff"], card, "04:a2:3b:1c:5d:6e:80")
    assert card.chip_uid == "04A23B1C5D6E80" and card.identifier == "04A23B1C5D6E80"
    run_worker()
    assert staff_of(perco, person)["identifier"] == "04A23B1C5D6E80"
    assert services.set_chip_uid(None, card, "04A23B1C5D6E80") == card  # unchanged: no op
    assert kinds(person).count("set_identifier") == 2
    with pytest.raises(ValidationError):
        services.set_chip_uid(None, card, "not hex")
    other = services.issue_card(None, personas["employee"].person)
    with pytest.raises(ValidationError):
        services.set_chip_uid(None, other, "04a23b1c5d6e80")


def test_bad_division_goes_to_needs_attention(perco, personas):
    System.objects.filter(code="perco").update(
        connector_settings={
            "url": perco.url,
            "login": perco.login,
            "password_env": "PERCO_TEST_PASSWORD",
        }
    )
    services.issue_card(None, personas["employee"].person)  # no such division, no default
    run_worker()
    op = Operation.objects.get(kind="create")
    assert op.status == OperationStatus.NEEDS_ATTENTION and "division" in op.last_error
    # The set waits behind the failed create (same account), it never runs first.
    assert Operation.objects.get(kind="set_identifier").status == OperationStatus.PENDING


def test_mover_with_a_new_name_updates_the_record(perco, personas):
    person = personas["student"].person
    services.issue_card(None, person)
    lifecycle.on_mover(person)
    assert kinds(person) == ["create", "set_identifier"]  # nothing changed: nothing sent
    person.last_name = "Жаңаболат"
    person.save()
    lifecycle.on_mover(person)
    assert kinds(person)[-1] == "update"
    run_worker()
    assert staff_of(perco, person)["last_name"] == "Жаңаболат"


@pytest.mark.parametrize("answered", [3, 8, 17, 30])
def test_perco_fails_mid_batch_nothing_lost_or_doubled(perco, personas, org, answered):
    """PERCo drops a request it carried out (answer lost), then stays down; after it recovers
    every student has exactly one record with their card."""
    from tirek.people.models import Affiliation, Person

    for n in range(12):
        person = Person.objects.create(last_name=f"Студент{n}", first_name="Тест")
        Affiliation.objects.create(person=person, kind="student", unit=org.chair_a1, group="T-1")
    cards = services.issue_bulk(None, group="T-1")
    perco.fail_after(answered)
    outcome = run_worker()
    assert outcome.waiting  # the rest wait for PERCo, without using up attempts
    assert Operation.objects.filter(status=OperationStatus.PENDING).exists()
    perco.recover()
    run_worker()
    assert set(Operation.objects.values_list("status", flat=True)) == {"done"}
    for card in cards:
        [staff] = perco.by_tabel(f"tirek-{card.person_id}", active_only=False)
        assert staff["identifier"] == card.number
    assert len(perco.staff) == 12


def test_a_perco_role_account_is_not_the_card_account(perco, personas):
    from tirek.access import services as access

    person = personas["employee"].person
    role_account, _token = access.create_account(None, person, System.objects.get(code="perco"))
    services.issue_card(None, person)
    card_account = Account.objects.get(person=person, login=f"tirek-{person.pk}")
    assert card_account != role_account
    assert list(role_account.operations.values_list("kind", flat=True)) == ["create"]
    assert kinds(person).count("set_identifier") == 1


def test_sync_all_after_connecting_perco(perco, personas):
    from io import StringIO

    from django.core.management import call_command

    System.objects.filter(code="perco").update(connector_kind="manual")
    cards = [services.issue_card(None, personas[r].person) for r in ("student", "employee")]
    assert not Operation.objects.exists()
    System.objects.filter(code="perco").update(connector_kind="perco")
    out = StringIO()
    call_command("cards", "sync-access-control", stdout=out)
    assert out.getvalue().startswith("4 operations")
    call_command("cards", "sync-access-control", stdout=out)  # again: nothing new
    assert Operation.objects.count() == 4
    run_worker()
    assert [staff_of(perco, c.person)["identifier"] for c in cards] == [c.number for c in cards]
