"""Every change to people and units: one function, one transaction, one audit row each.

Views, the API, importers and commands call these; none of them writes the ORM directly.
`actor` is the user acting (None for the system, e.g. a scheduled import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction
from tirek.people.models import (
    CURRENT_STATUSES,
    Affiliation,
    AffiliationStatus,
    OrgUnit,
    Person,
    Position,
)

PERSON_CONTACT_FIELDS = ("email", "personal_email", "phone")


_TIMESTAMPS = {"created_at", "updated_at"}


def _snapshot(instance) -> dict[str, Any]:
    """Before/after values without the timestamps, which change on every save."""
    return {k: v for k, v in snapshot(instance).items() if k not in _TIMESTAMPS}


def _apply(instance, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if not hasattr(instance, name) or name in {"id", "pk", "path"}:
            raise TypeError(f"{type(instance).__name__} has no field {name!r}")
        setattr(instance, name, value)


@transaction.atomic
def create_person(actor, **fields: Any) -> Person:
    person = Person(**fields)
    person.full_clean()
    person.save()
    record(AuditAction.CREATE, person, after=_snapshot(person), actor=actor)
    return person


@transaction.atomic
def update_person(actor, person: Person, **fields: Any) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = _snapshot(person)
    _apply(person, fields)
    person.full_clean()
    after = _snapshot(person)
    if before != after:
        person.save()
        record(AuditAction.UPDATE, person, before=before, after=after, actor=actor)
    return person


@transaction.atomic
def link_user(actor, person: Person, user) -> Person:
    """Make `user` the login of `person` (None unlinks); a user belongs to one person."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = snapshot(person, ["user"])
    if user is not None:
        Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    after = snapshot(person, ["user"])
    record(AuditAction.UPDATE, person, before=before, after=after, actor=actor)
    return person


@transaction.atomic
def create_unit(actor, **fields: Any) -> OrgUnit:
    unit = OrgUnit(**fields)
    unit.full_clean(exclude=["path"])
    unit.save()
    record(AuditAction.CREATE, unit, after=_snapshot(unit), actor=actor)
    return unit


@transaction.atomic
def update_unit(actor, unit: OrgUnit, **fields: Any) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    before = _snapshot(unit)
    _apply(unit, fields)
    unit.full_clean(exclude=["path"])
    unit.save()  # always: it also recomputes the path of a moved subtree
    after = _snapshot(unit)
    if before != after:
        record(AuditAction.UPDATE, unit, before=before, after=after, actor=actor)
    return unit


def set_unit_head(actor, unit: OrgUnit, person: Person | None) -> OrgUnit:
    return update_unit(actor, unit, head=person)


@transaction.atomic
def create_position(actor, **fields: Any) -> Position:
    position = Position(**fields)
    position.full_clean()
    position.save()
    record(AuditAction.CREATE, position, after=_snapshot(position), actor=actor)
    return position


@transaction.atomic
def add_affiliation(actor, person: Person, **fields: Any) -> Affiliation:
    affiliation = Affiliation(person=person, **fields)
    if affiliation.start_date is None:
        affiliation.start_date = timezone.localdate()
    affiliation.full_clean()
    affiliation.save()
    record(AuditAction.CREATE, affiliation, after=_snapshot(affiliation), actor=actor)
    return affiliation


@transaction.atomic
def end_affiliation(
    actor,
    affiliation: Affiliation,
    *,
    status: str = AffiliationStatus.ENDED,
    end_date: dt.date | None = None,
) -> Affiliation:
    if status in CURRENT_STATUSES:
        raise ValueError("an ended affiliation needs a final status")
    affiliation = Affiliation.objects.select_for_update().get(pk=affiliation.pk)
    before = _snapshot(affiliation)
    affiliation.status = status
    affiliation.end_date = end_date or timezone.localdate()
    affiliation.full_clean()
    affiliation.save()
    record(
        AuditAction.UPDATE,
        affiliation,
        before=before,
        after=_snapshot(affiliation),
        actor=actor,
    )
    return affiliation


def record_personal_data_view(actor, person: Person, *, via: str) -> None:
    """A member of staff opened this person's unmasked personal data."""
    record(AuditAction.VIEW_PERSONAL, person, actor=actor, extra={"via": via})


@transaction.atomic
def bulk_load_people(
    actor,
    people: Sequence[Person],
    affiliations: Iterable[tuple[int, Affiliation]],
    *,
    source: str,
) -> list[Person]:
    """Load many people at once (demo data, a first import).

    Every person is validated first, so nothing is half-loaded; then one bulk insert per table
    and ONE summary audit event for the whole load (an event per row would make a
    3,000-student load slow and the log unreadable). `affiliations` pairs an index into
    `people` with an unsaved affiliation for that person.
    """
    for person in people:
        person.full_clean(validate_unique=False)
    created = Person.objects.bulk_create(people, batch_size=500)
    rows = []
    for index, affiliation in affiliations:
        affiliation.person = created[index]
        rows.append(affiliation)
    Affiliation.objects.bulk_create(rows, batch_size=500)
    record(
        AuditAction.CREATE,
        object_type="people.person",
        object_id="bulk",
        object_repr=f"{len(created)} people",
        actor=actor,
        extra={"source": source, "people": len(created), "affiliations": len(rows)},
    )
    return created


@transaction.atomic
def create_login(
    actor, person: Person, *, username: str, password: str, groups: Iterable[str] = ()
):
    """Create (or reset) the local login `username` for `person`, in the given role groups."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    action = AuditAction.UPDATE if user else AuditAction.CREATE
    user = user or User(username=username)
    user.first_name = person.first_name
    user.last_name = person.last_name
    user.email = person.email
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    record(
        action,
        user,
        after={**snapshot(user, ["username", "email", "is_active"]), "groups": sorted(groups)},
        actor=actor,
    )
    link_user(actor, person, user)
    return user


@transaction.atomic
def wipe_people_and_units(actor) -> dict[str, int]:
    """Delete every person, affiliation, unit and position (demo --reset). Logins stay."""
    counts = {
        "affiliations": Affiliation.objects.count(),
        "people": Person.objects.count(),
        "units": OrgUnit.objects.count(),
        "positions": Position.objects.count(),
    }
    Affiliation.objects.all().delete()
    OrgUnit.objects.update(head=None, parent=None)
    OrgUnit.objects.all().delete()
    Person.objects.all().delete()
    Position.objects.all().delete()
    record(
        AuditAction.DELETE,
        object_type="people.person",
        object_id="all",
        object_repr="people and units",
        actor=actor,
        extra=counts,
    )
    return counts
