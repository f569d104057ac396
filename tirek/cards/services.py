"""Every change to cards: one function, one transaction, one audit row each.

`actor` is the acting user (None for the system: lifecycle events, periodic jobs). Each status
change republishes the status list once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.cards import accesscontrol, photos, statuslist, tokens
from tirek.cards.models import (
    KIND_LETTER,
    OPEN_STATUSES,
    Card,
    CardKind,
    CardStatus,
    RevocationReason,
    Turnstile,
)
from tirek.core.audit import record, record_many, snapshot
from tirek.core.models import AuditAction
from tirek.people.models import Affiliation, AffiliationKind, OrgUnit, Person

AUDIT_FIELDS = (
    "kind",
    "number",
    "person",
    "unit",
    "valid_from",
    "valid_until",
    "status",
    "status_reason",
    "status_index",
    "kid",
    "photo_sha256",
    "replaces",
    "chip_uid",
)
# Staff without a contract end date get a pass for this long; reissued when it runs out.
STAFF_DEFAULT_YEARS = 3


def _snap(card: Card) -> dict[str, Any]:
    return snapshot(card, AUDIT_FIELDS)


def end_of_academic_year(today: dt.date) -> dt.date:
    """30 June of the academic year `today` falls in (1 July starts the next one)."""
    year = today.year if today <= dt.date(today.year, 6, 30) else today.year + 1
    return dt.date(year, 6, 30)


def validity(affiliation: Affiliation, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Students: to the end of the academic year, or graduation if sooner; staff: to the
    contract end, or STAFF_DEFAULT_YEARS without one."""
    today = today or timezone.localdate()
    if affiliation.kind == AffiliationKind.STUDENT:
        until = end_of_academic_year(today)
    else:
        until = today.replace(year=today.year + STAFF_DEFAULT_YEARS)
    if affiliation.end_date and affiliation.end_date >= today:
        until = min(until, affiliation.end_date)
    return today, until


def current_affiliation(person: Person, kind: str | None = None) -> Affiliation | None:
    qs = Affiliation.objects.current().filter(person=person).select_related("unit")
    if kind:
        qs = qs.filter(kind=kind)
    return _card_affiliation(qs)


def _card_affiliation(affiliations: Iterable[Affiliation]) -> Affiliation | None:
    # A student ID before a staff pass, then the most recent.
    rows = sorted(affiliations, key=lambda a: (a.kind != AffiliationKind.STUDENT, -(a.pk or 0)))
    return rows[0] if rows else None


def _programme_code(affiliation: Affiliation) -> str:
    if affiliation.kind == AffiliationKind.STUDENT and affiliation.programme:
        return affiliation.programme.split()[0][:32]
    return affiliation.unit.code[:32]


def _next_index() -> int:
    top = Card.objects.aggregate(m=Max("status_index"))["m"]
    return 0 if top is None else top + 1


def _number(kind: str, index: int) -> str:
    return f"{KIND_LETTER[CardKind(kind)]}{index:07d}"


def _sign(card: Card) -> None:
    token, kid, cti = tokens.card_token(card)
    card.token, card.kid, card.cti = token, kid, cti.hex()


def _set_photo_bytes(card: Card, jpeg: bytes) -> None:
    card.photo.save("photo.jpg", ContentFile(jpeg), save=False)
    card.photo_sha256 = hashlib.sha256(jpeg).hexdigest()


def _photo_from_person(card: Card, person: Person) -> None:
    if not person.photo:
        return
    try:
        with person.photo.open("rb") as fh:
            jpeg = photos.process_photo(fh.read())
    except (ValidationError, OSError):
        return  # an unusable photo on file: staff upload one for the card
    _set_photo_bytes(card, jpeg)


def _new_card(
    person: Person, affiliation: Affiliation, index: int, *, draft: bool, actor=None, replaces=None
) -> Card:
    """An unsaved card for the affiliation, with status-list index `index` and its number."""
    valid_from, valid_until = validity(affiliation)
    kind = CardKind(affiliation.kind)
    card = Card(
        kind=kind,
        number=_number(kind, index),
        person=person,
        affiliation=affiliation,
        unit=affiliation.unit,
        programme_code=_programme_code(affiliation),
        group=affiliation.group,
        valid_from=valid_from,
        valid_until=valid_until,
        status=CardStatus.DRAFT if draft else CardStatus.ACTIVE,
        status_index=index,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        replaces=replaces,
    )
    _photo_from_person(card, person)
    return card


def _create(actor, person: Person, affiliation: Affiliation, draft: bool, replaces=None) -> Card:
    for _attempt in range(5):
        card = _new_card(
            person, affiliation, _next_index(), draft=draft, actor=actor, replaces=replaces
        )
        if not draft:
            card.issued_at = timezone.now()
            card.status_changed_at = card.issued_at
            _sign(card)
        try:
            with transaction.atomic():
                card.save()
            break
        except IntegrityError:
            continue  # another writer took this index (PostgreSQL): take the next one
    else:  # pragma: no cover - five collisions in a row
        raise IntegrityError("could not allocate a status list index")
    record(AuditAction.CREATE, card, after=_snap(card), actor=actor, extra={"event": "issue"})
    if not draft:
        accesscontrol.card_changed(card, actor, cause="issue")
    return card


class CardError(ValidationError):
    """A card operation that the card's state or the person's record does not allow."""


@transaction.atomic
def issue_card(
    actor, person: Person, kind: str | None = None, *, draft: bool = False, replaces=None
) -> Card:
    affiliation = current_affiliation(person, kind)
    if affiliation is None:
        raise CardError(_("This person has no current affiliation of that kind."))
    if Card.objects.open().filter(person=person, kind=affiliation.kind).exists():
        raise CardError(_("This person already has a card of this kind."))
    card = _create(actor, person, affiliation, draft, replaces)
    statuslist.publish_on_commit()
    return card


@transaction.atomic
def draft_cards(joiners: Iterable[tuple[Person, str | None]]) -> list[Card]:
    """Draft cards for people who joined (of the affiliation kind given, or the one a card goes
    by), for staff to review: what `issue_card(None, person, kind, draft=True)` makes for each,
    in a few statements for a whole intake instead of about ten per person. People who already
    hold an open card of that kind (any open card, when no kind is given) or who have no current
    affiliation are left out. An index another writer took meanwhile raises IntegrityError:
    nothing is kept, and the caller may make them one by one."""
    wanted: dict[int, tuple[Person, str | None]] = {}
    for person, kind in joiners:
        if kind is None or kind in AffiliationKind.values:
            wanted.setdefault(person.pk, (person, kind))
    if not wanted:
        return []
    current: dict[int, list[Affiliation]] = {}
    for affiliation in (
        Affiliation.objects.current().filter(person_id__in=wanted).select_related("unit")
    ):
        current.setdefault(affiliation.person_id, []).append(affiliation)
    open_cards = set(
        Card.objects.open().filter(person_id__in=wanted).values_list("person_id", "kind")
    )
    holders = {person_id for person_id, _kind in open_cards}
    cards: list[Card] = []
    index = _next_index()
    for person_id, (person, kind) in wanted.items():
        if (person_id in holders) if kind is None else ((person_id, kind) in open_cards):
            continue
        affiliation = _card_affiliation(
            a for a in current.get(person_id, []) if kind is None or a.kind == kind
        )
        if affiliation is None or (person_id, affiliation.kind) in open_cards:
            continue
        cards.append(_new_card(person, affiliation, index, draft=True))
        index += 1
    if not cards:
        return []
    with transaction.atomic():
        Card.objects.bulk_create(cards)
    record_many(AuditAction.CREATE, [(c, _snap(c)) for c in cards], extra={"event": "issue"})
    statuslist.publish_on_commit()
    return cards


@transaction.atomic
def issue_bulk(
    actor, *, unit: OrgUnit | None = None, group: str = "", kind: str | None = None
) -> list[Card]:
    """Cards for everyone currently in `unit` (and its subunits) or in study `group` who has
    no open card of that kind yet. All or nothing."""
    if unit is None and not group:
        raise CardError(_("Choose a unit or a group."))
    affiliations = Affiliation.objects.current().select_related("person", "unit")
    if unit is not None:
        affiliations = affiliations.filter(unit__path__startswith=unit.path)
    if group:
        affiliations = affiliations.filter(group=group)
    if kind:
        affiliations = affiliations.filter(kind=kind)
    has_card = set(Card.objects.open().values_list("person_id", "kind"))
    issued = []
    for affiliation in affiliations.order_by("person__last_name", "person__first_name", "pk"):
        if (affiliation.person_id, affiliation.kind) in has_card:
            continue
        issued.append(_create(actor, affiliation.person, affiliation, draft=False))
        has_card.add((affiliation.person_id, affiliation.kind))
    statuslist.publish_on_commit()
    return issued


def _locked(card: Card) -> Card:
    return Card.objects.select_for_update().select_related("person").get(pk=card.pk)


def _change_status(actor, card: Card, status: str, reason: str, event: str) -> Card:
    card = _locked(card)
    before = _snap(card)
    card.status = status
    card.status_reason = reason[:255]
    card.status_changed_at = timezone.now()
    card.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    record(
        AuditAction.UPDATE,
        card,
        before=before,
        after=_snap(card),
        actor=actor,
        extra={"event": event},
    )
    accesscontrol.card_changed(card, actor, cause=event)
    statuslist.publish_on_commit()
    return card


@transaction.atomic
def activate(actor, card: Card) -> Card:
    """A draft card reviewed and approved: it gets its signed token."""
    card = _locked(card)
    if card.status != CardStatus.DRAFT:
        raise CardError(_("Only a draft card can be activated."))
    before = _snap(card)
    card.status = CardStatus.ACTIVE
    card.issued_at = card.status_changed_at = timezone.now()
    card.issued_by = actor if getattr(actor, "is_authenticated", False) else None
    _sign(card)
    card.save()
    record(
        AuditAction.UPDATE,
        card,
        before=before,
        after=_snap(card),
        actor=actor,
        extra={"event": "activate"},
    )
    accesscontrol.card_changed(card, actor, cause="activate")
    statuslist.publish_on_commit()
    return card


@transaction.atomic
def suspend(actor, card: Card, reason: str) -> Card:
    if card.status != CardStatus.ACTIVE:
        raise CardError(_("Only an active card can be suspended."))
    return _change_status(actor, card, CardStatus.SUSPENDED, reason, "suspend")


@transaction.atomic
def reinstate(actor, card: Card) -> Card:
    if card.status != CardStatus.SUSPENDED:
        raise CardError(_("Only a suspended card can be reinstated."))
    if card.valid_until < timezone.localdate():
        raise CardError(_("The card has expired; issue a new one."))
    return _change_status(actor, card, CardStatus.ACTIVE, "", "reinstate")


@transaction.atomic
def revoke(actor, card: Card, reason: str = RevocationReason.OTHER) -> Card:
    if card.status not in OPEN_STATUSES:
        raise CardError(_("This card is already revoked or expired."))
    return _change_status(actor, card, CardStatus.REVOKED, reason, "revoke")


@transaction.atomic
def reissue(actor, card: Card, reason: str = RevocationReason.LOST) -> Card:
    """A lost or damaged card: the old one is revoked, a new one (new number) is issued."""
    old = revoke(actor, card, reason)
    return issue_card(actor, old.person, old.kind, replaces=old)


@transaction.atomic
def set_photo(actor, card: Card, data: bytes) -> Card:
    """A new photo (checked and cut to 3:4); an active card gets a new token for it."""
    jpeg = photos.process_photo(data)
    card = _locked(card)
    if card.status not in OPEN_STATUSES:
        raise CardError(_("This card is already revoked or expired."))
    before = _snap(card)
    _set_photo_bytes(card, jpeg)
    if card.status != CardStatus.DRAFT:
        _sign(card)
    card.save()
    record(
        AuditAction.UPDATE,
        card,
        before=before,
        after=_snap(card),
        actor=actor,
        extra={"event": "photo"},
    )
    return card


CHIP_UID = re.compile(r"[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20}")


def normalise_chip_uid(value: str) -> str:
    """A chip UID as upper-case hex without separators: 4, 7 or 10 bytes (ISO 14443)."""
    uid = re.sub(r"[\s:\-]", "", value or "").upper()
    if uid and not CHIP_UID.fullmatch(uid):
        raise CardError(_("A chip UID is 8, 14 or 20 hexadecimal digits."))
    return uid


@transaction.atomic
def set_chip_uid(actor, card: Card, value: str) -> Card:
    """The UID of the chip encoded in the plastic (empty to clear it); access control learns it."""
    uid = normalise_chip_uid(value)
    card = _locked(card)
    if card.status not in OPEN_STATUSES:
        raise CardError(_("This card is already revoked or expired."))
    if uid and Card.objects.filter(chip_uid=uid).exclude(pk=card.pk).exists():
        raise CardError(_("Another card already has this chip UID."))
    if uid == card.chip_uid:
        return card
    before = _snap(card)
    card.chip_uid = uid
    card.save(update_fields=["chip_uid", "updated_at"])
    record(
        AuditAction.UPDATE,
        card,
        before=before,
        after=_snap(card),
        actor=actor,
        extra={"event": "chip_uid"},
    )
    accesscontrol.card_changed(card, actor, cause="chip_uid")
    return card


@transaction.atomic
def revoke_all_for(actor, person: Person, reason: str = RevocationReason.LEFT) -> list[Card]:
    return [
        _change_status(actor, card, CardStatus.REVOKED, reason, "revoke")
        for card in Card.objects.open().filter(person=person)
    ]


def expire_due(today: dt.date | None = None) -> int:
    """Cards past their validity become expired (periodic job)."""
    today = today or timezone.localdate()
    done = 0
    for card in Card.objects.open().filter(valid_until__lt=today).only("pk"):
        with transaction.atomic():
            _change_status(None, card, CardStatus.EXPIRED, "", "expire")
        done += 1
    return done


# --- turnstiles --------------------------------------------------------------------------------


def hash_device_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def register_turnstile(actor, name: str, location: str = "") -> tuple[Turnstile, str]:
    """A new gate device and its token, shown once (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    device = Turnstile(name=name, location=location, token_hash=hash_device_token(raw))
    device.full_clean()
    device.save()
    record(AuditAction.CREATE, device, after=snapshot(device, ["name", "location"]), actor=actor)
    return device, raw
