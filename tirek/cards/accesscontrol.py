"""Cards → access control (PERCo): the outbox operations that keep PERCo's staff records and
their main card in step with Tirek's cards.

Every card change calls `card_changed` inside the change's transaction; it writes operations
for each active system whose connector is `perco` (none while PERCo stays `manual`):

- the person's PERCo account (login `tirek-<person id>`, PERCo's personnel number) is made on
  their first active card, with a `create` operation carrying the staff record;
- `update` when the record (names, division, position) differs from the last one sent;
- `set_identifier` when the main identifier differs from the last one sent, and
  `remove_identifier` when the person no longer has an active card (revoked, suspended, expired);
- `disable` (PERCo's dismissal) when a leaver has no current affiliation left.

The main identifier is that of the person's newest active card: the chip UID staff entered
when the plastic was encoded, or the card number until then (Card.identifier). Operations of
one account run in order, so a reissue (remove old, set new) reaches PERCo in that order.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from tirek.access.models import (
    Account,
    AccountStatus,
    ConnectorKind,
    LoginReservation,
    Operation,
    OperationKind,
    OperationStatus,
    System,
)
from tirek.cards.models import Card, CardStatus
from tirek.core.audit import record
from tirek.core.models import AuditAction
from tirek.people.models import Affiliation, Person

RECORD_KINDS = (OperationKind.CREATE, OperationKind.UPDATE)
CARD_KINDS = (OperationKind.SET_IDENTIFIER, OperationKind.REMOVE_IDENTIFIER)


def systems() -> list[System]:
    return list(System.objects.filter(connector_kind=ConnectorKind.PERCO, is_active=True))


def login_for(person: Person) -> str:
    return f"tirek-{person.pk}"


def main_card(person: Person) -> Card | None:
    """The newest active, unexpired card of the person: the one the gates should know."""
    return (
        Card.objects.filter(
            person=person, status=CardStatus.ACTIVE, valid_until__gte=timezone.localdate()
        )
        .select_related("unit", "affiliation__position")
        .order_by("-issued_at", "-pk")
        .first()
    )


def staff_record(person: Person, card: Card) -> dict:
    """The PERCo staff record as the connector sends it (names in the university's script)."""
    unit = card.unit
    affiliation = card.affiliation
    position = affiliation.position if affiliation else None
    hiring = affiliation.start_date if affiliation and affiliation.start_date else None
    return {
        "tabel_number": login_for(person),
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.patronymic,
        "unit_code": unit.code,
        "unit_names": [n for n in (unit.name_ru, unit.name_kk, unit.name_en) if n],
        "position_names": (
            [n for n in (position.title_ru, position.title_kk, position.title_en) if n]
            if position
            else []
        ),
        "hiring_date": hiring.isoformat() if hiring else "",
    }


def _last(account: Account, kinds) -> Operation | None:
    return (
        Operation.objects.filter(account=account, kind__in=kinds)
        .exclude(status=OperationStatus.CANCELLED)
        .order_by("-id")
        .first()
    )


def _enqueue(account: Account, kind: str, payload: dict, actor) -> Operation:
    from tirek.access.services import enqueue

    return enqueue(account, kind, actor=actor, payload=payload)


def _account(system: System, person: Person, create: bool) -> tuple[Account | None, bool]:
    """The person's account in the PERCo system; (account, True) when it needs a create."""
    # By login: an account granted a PERCo role by hand (an operator login) is another one.
    login = login_for(person)
    account = (
        Account.objects.select_for_update()
        .filter(system=system, person=person, login=login)
        .first()
    )
    if account is None:
        if not create:
            return None, False
        LoginReservation.objects.get_or_create(
            system=system, login=login, defaults={"person": person}
        )
        account = Account.objects.create(person=person, system=system, login=login)
        record(
            AuditAction.CREATE,
            account,
            after={"login": login, "system": system.code, "person": person.pk},
            extra={"cause": "card"},
        )
        return account, True
    if create and account.status in (AccountStatus.DISABLED, AccountStatus.DELETED):
        account.status = AccountStatus.PENDING
        account.save(update_fields=["status", "updated_at"])
        return account, True
    return account, False


def sync_person(person: Person, actor=None, *, cause: str = "") -> list[Operation]:
    """Write the operations that bring every PERCo system to the person's cards now."""
    targets = systems()
    if not targets:
        return []
    card = main_card(person)
    made: list[Operation] = []
    for system in targets:
        ops: list[Operation] = []
        account, needs_create = _account(system, person, create=card is not None)
        if account is None:
            continue
        if card is not None:
            wanted = staff_record(person, card)
            last = _last(account, RECORD_KINDS)
            if needs_create:
                ops.append(_enqueue(account, OperationKind.CREATE, wanted, actor))
            elif last is None or last.payload != wanted:
                ops.append(_enqueue(account, OperationKind.UPDATE, wanted, actor))
        last_card = _last(account, CARD_KINDS)
        sent = (
            last_card.payload.get("identifier")
            if last_card and last_card.kind == OperationKind.SET_IDENTIFIER
            else None
        )
        if card is not None and card.identifier != sent:
            payload = {"identifier": card.identifier, "card": card.number}
            ops.append(_enqueue(account, OperationKind.SET_IDENTIFIER, payload, actor))
        elif card is None and sent:
            payload = {"identifier": sent}
            ops.append(_enqueue(account, OperationKind.REMOVE_IDENTIFIER, payload, actor))
        if ops:
            _audit(account, ops, actor, cause)
        made += ops
    return made


def sync_all(actor=None) -> int:
    """Bring PERCo to every person's cards (after PERCo is switched to `perco`, or to repair
    drift); writes only what differs from what was last sent. Returns the operations written."""
    from django.db import transaction

    if not systems():
        return 0
    with_cards = Card.objects.filter(status=CardStatus.ACTIVE).values("person_id")
    with_accounts = Account.objects.filter(
        system__connector_kind=ConnectorKind.PERCO, login__startswith="tirek-"
    ).values("person_id")
    people = Person.objects.filter(Q(pk__in=with_cards) | Q(pk__in=with_accounts)).order_by("pk")
    made = 0
    for person in people.iterator(chunk_size=500):
        with transaction.atomic():
            made += len(sync_person(person, actor, cause="sync"))
    return made


def card_changed(card: Card, actor=None, *, cause: str = "") -> list[Operation]:
    return sync_person(card.person, actor, cause=cause)


def person_left(person: Person, actor=None) -> list[Operation]:
    """A leaver: their card is gone (sync), and with no current affiliation their PERCo record
    is dismissed."""
    made = sync_person(person, actor, cause="leaver")
    if Affiliation.objects.current().filter(person=person).exists():
        return made
    for system in systems():
        account = (
            Account.objects.select_for_update()
            .filter(system=system, person=person, login=login_for(person))
            .exclude(status__in=[AccountStatus.DISABLED, AccountStatus.DELETED])
            .first()
        )
        if account is None:
            continue
        payload = {"dismissed_date": timezone.localdate().isoformat()}
        op = _enqueue(account, OperationKind.DISABLE, payload, actor)
        account.status = AccountStatus.DISABLED
        account.save(update_fields=["status", "updated_at"])
        _audit(account, [op], actor, "leaver")
        made.append(op)
    return made


def _audit(account: Account, ops: list[Operation], actor, cause: str) -> None:
    record(
        AuditAction.UPDATE,
        account,
        actor=actor,
        extra={
            "cause": cause or "card",
            "operations": [op.kind for op in ops],
            "identifiers": [op.payload.get("identifier") for op in ops if op.kind in CARD_KINDS],
        },
    )
