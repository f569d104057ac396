"""Joiners of one batch get their draft cards together: the same cards, audit and order of
events as one by one, in a number of statements that does not grow with the intake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from tirek.cards import lifecycle, services
from tirek.cards.models import Card, CardStatus
from tirek.core import audit
from tirek.core.models import AuditEvent
from tirek.people import events
from tirek.people.iin import make_iin
from tirek.people.models import Affiliation, AffiliationStatus

pytestmark = pytest.mark.django_db


def joiner(person, kind: str | None = None):
    affiliation = Affiliation.objects.filter(person=person, kind=kind).first() if kind else None
    return events.LifecycleEvent.objects.create(
        person=person, affiliation=affiliation, kind="joiner", reasons="new"
    )


def leaver(person):
    return events.LifecycleEvent.objects.create(person=person, kind="leaver", reasons="dismissed")


def people(personas, *roles):
    return [personas[r].person for r in roles]


def test_a_batch_of_joiners_gets_one_draft_each_with_audit(personas):
    student, faculty, employee = people(personas, "student", "faculty", "employee")
    before = AuditEvent.objects.count()
    events.dispatch([joiner(student), joiner(faculty, "faculty"), joiner(employee)])
    cards = {c.person_id: c for c in Card.objects.all()}
    assert set(cards) == {student.pk, faculty.pk, employee.pk}
    assert {cards[student.pk].kind, cards[faculty.pk].kind, cards[employee.pk].kind} == {
        "student",
        "faculty",
        "employee",
    }
    for card in cards.values():
        assert card.status == CardStatus.DRAFT and not card.token
        assert card.valid_from <= card.valid_until and card.unit_id and card.affiliation_id
        assert card.number.endswith(f"{card.status_index:07d}")
    assert len({c.status_index for c in cards.values()}) == 3
    created = AuditEvent.objects.filter(object_type="cards.card").order_by("pk")
    assert [e.object_id for e in created] == [str(c.pk) for c in Card.objects.order_by("pk")]
    assert AuditEvent.objects.count() == before + 3
    assert all(e.changes["extra"] == {"event": "issue"} for e in created)
    assert list(audit.verify()) == []  # the chain holds, head included


def test_the_statements_do_not_grow_with_the_intake(personas, org, django_assert_max_num_queries):
    from tirek.people import services as people_services

    def intake(n: int, serial: int) -> list:
        made = []
        for i in range(n):
            born = dt.date(2007, 1 + i % 12, 1 + i)
            person = people_services.create_person(
                None,
                last_name=f"Студент{serial + i}",
                first_name="Айгүл",
                sex="F",
                birth_date=born,
                iin=make_iin(born, "F", serial + i),
            )
            people_services.add_affiliation(
                None,
                person,
                kind="student",
                unit=org.chair_a1,
                programme="6B06101 Information systems",
                group="ИС-25-1",
                study_year=1,
            )
            made.append(joiner(person))
        return made

    small, large = intake(3, 500), intake(30, 600)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        lifecycle.on_events(small)
    with django_assert_max_num_queries(len(three.captured_queries)):
        lifecycle.on_events(large)
    assert Card.objects.filter(status=CardStatus.DRAFT).count() == 33
    assert list(audit.verify()) == []


def test_holders_and_people_without_affiliation_are_left_out(personas):
    student, employee, outsider = people(personas, "student", "employee", "outsider")
    held = services.issue_card(None, employee)
    Affiliation.objects.filter(person=outsider).update(status=AffiliationStatus.DISMISSED)
    made = services.draft_cards([(student, None), (employee, None), (outsider, None)])
    assert [c.person_id for c in made] == [student.pk]
    assert Card.objects.filter(person=employee).get() == held
    assert not Card.objects.filter(person=outsider).exists()
    # Asked twice in one batch, or again later: still one card.
    assert services.draft_cards([(student, None), (student, "student")]) == []
    assert services.draft_cards([(student, "bogus")]) == []


def test_events_keep_their_order(personas):
    student, faculty = people(personas, "student", "faculty")
    old = services.issue_card(None, student)
    # Left, then came back: the old card is revoked and a new draft waits.
    events.dispatch([leaver(student), joiner(student)])
    old.refresh_from_db()
    assert old.status == CardStatus.REVOKED
    assert Card.objects.filter(person=student, status=CardStatus.DRAFT).count() == 1
    # Joined, then left in the same batch: the draft is revoked again.
    events.dispatch([joiner(faculty), leaver(faculty)])
    assert not Card.objects.open().filter(person=faculty).exists()


def test_a_failed_batch_falls_back_to_one_by_one(personas, monkeypatch, caplog):
    student, employee = people(personas, "student", "employee")

    def taken(joiners):
        raise IntegrityError("index taken by another writer")

    monkeypatch.setattr(services, "draft_cards", taken)
    events.dispatch([joiner(student), joiner(employee)])
    assert Card.objects.filter(status=CardStatus.DRAFT).count() == 2
    assert "together" in caplog.text


def test_record_many_continues_the_chain(personas):
    audit.record("update", personas["student"].person, after={"a": 1})
    cards = services.draft_cards(
        [(p, None) for p in people(personas, "student", "faculty", "employee")]
    )
    audit.record("update", cards[0], after={"b": 2})
    assert audit.record_many("update", []) == []
    assert list(audit.verify()) == []
    from tirek.core.models import AuditChainHead

    head = AuditChainHead.objects.get(pk=1)
    assert head.last_id == AuditEvent.objects.order_by("-pk").first().pk
