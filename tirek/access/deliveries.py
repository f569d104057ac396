"""Delivering initial and reset passwords by printed slip and by mail.

Slips: staff (or the head of a unit, for their own units) pick a system and a student group or a
unit. Producing the PDF consumes the undelivered secrets: each is decrypted, wiped and recorded
as delivered by slip in one transaction, and the PDF is rendered inside that transaction, so a
failed rendering wipes nothing. The PDF is streamed to the browser and never stored. People
whose secret was already delivered (or expired) are listed as "needs a reset" instead.

Mail: the message carries a one-time link, not the password. The delivery row is the durable
job: the worker sends queued mails with retries and backoff (`send_due_mail`), making the link's
token at the moment it sends, so only its hash is ever stored. A failed mail stays visible to
staff on the deliveries page; after the last attempt its secret is wiped.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access import credentials
from tirek.access.models import (
    Account,
    AccountStatus,
    CredentialDelivery,
    DeliveryChannel,
    MailStatus,
    System,
)
from tirek.access.permissions import people_in_my_units
from tirek.core.audit import record
from tirek.core.models import AuditAction
from tirek.core.permissions import can
from tirek.people.models import Affiliation, OrgUnit, Person

logger = logging.getLogger("tirek.access.deliveries")

MAIL_MAX_ATTEMPTS = 6
MAIL_BACKOFF = dt.timedelta(minutes=1)
MAIL_BACKOFF_CAP = dt.timedelta(minutes=30)
MAIL_LEASE = dt.timedelta(minutes=5)

READY, NEEDS_RESET, NO_ACCOUNT, MAILED = "ready", "needs_reset", "no_account", "mailed"


@dataclass
class SlipRow:
    person: Person
    account: Account | None
    delivery: CredentialDelivery | None
    state: str


# -- who is printed ----------------------------------------------------------------------------


def slip_people(actor, *, group: str = "", unit: OrgUnit | None = None) -> list[Person]:
    """The people of a student group or of a unit (with its sub-units) whom `actor` may print
    slips for. Raises PermissionDenied for a unit or group outside the actor's units and
    ValidationError when the choice holds nobody."""
    group = (group or "").strip()
    if bool(group) == bool(unit):
        raise ValidationError(_("Choose a group or a unit."))
    current = Affiliation.objects.current()
    if unit is not None:
        current = current.filter(unit__in=OrgUnit.objects.subtree_of([unit]).values("pk"))
    else:
        current = current.filter(group__iexact=group)
    people = Person.objects.filter(pk__in=current.values("person_id"))
    if not people.exists():
        raise ValidationError(_("Nobody is in this group or unit now."))
    if not can(actor, "access.manage"):
        mine = people.filter(pk__in=people_in_my_units(actor).values("pk"))
        if mine.count() != people.count():
            raise PermissionDenied("the group or unit is not all in this user's units")
        people = mine
    return list(people.order_by("last_name", "first_name", "patronymic", "id"))


def slip_rows(system: System, people: list[Person]) -> list[SlipRow]:
    """For each person: their account in `system` and the secret waiting for delivery."""
    accounts = {
        a.person_id: a
        for a in Account.objects.filter(system=system, person__in=people).exclude(
            status=AccountStatus.DELETED
        )
    }
    now = timezone.now()
    waiting = {}
    for d in (
        CredentialDelivery.objects.filter(
            account__in=accounts.values(), secret__isnull=False, expires_at__gt=now
        )
        .exclude(channel=DeliveryChannel.MAIL)
        .order_by("created_at")
    ):
        waiting[d.account_id] = d  # the newest one wins
    mailed = set(
        CredentialDelivery.objects.filter(
            account__in=accounts.values(), secret__isnull=False, channel=DeliveryChannel.MAIL
        ).values_list("account_id", flat=True)
    )
    rows = []
    for person in people:
        account = accounts.get(person.pk)
        if account is None:
            rows.append(SlipRow(person, None, None, NO_ACCOUNT))
        elif account.pk in waiting:
            rows.append(SlipRow(person, account, waiting[account.pk], READY))
        elif account.pk in mailed:
            rows.append(SlipRow(person, account, None, MAILED))
        else:
            rows.append(SlipRow(person, account, None, NEEDS_RESET))
    return rows


# -- printing ----------------------------------------------------------------------------------


@transaction.atomic
def print_slips(actor, system: System, people: list[Person]) -> tuple[bytes, list[SlipRow]]:
    """The PDF of slips for `people` in `system`, and the rows it was made from. Every secret
    printed is wiped and recorded as delivered by slip in this transaction."""
    from tirek.access import slips

    rows = slip_rows(system, people)
    ids = [r.delivery.pk for r in rows if r.state == READY]
    locked = {
        d.pk: d
        for d in CredentialDelivery.objects.select_for_update().filter(
            pk__in=ids, secret__isnull=False
        )
    }
    now = timezone.now()
    who = actor if getattr(actor, "is_authenticated", False) else None
    printed = []
    for row in rows:
        if row.state != READY:
            continue
        delivery = locked.get(row.delivery.pk)
        if delivery is None:  # taken by someone else a moment ago
            row.state, row.delivery = NEEDS_RESET, None
            continue
        secret = credentials.decrypt(delivery.secret)
        delivery.secret, delivery.wiped_at = None, now
        delivery.channel, delivery.delivered_at, delivery.delivered_by = (
            DeliveryChannel.SLIP,
            now,
            who,
        )
        delivery.save(
            update_fields=["secret", "wiped_at", "channel", "delivered_at", "delivered_by"]
        )
        record(
            AuditAction.UPDATE,
            row.account,
            actor=actor,
            extra={
                "credential_delivery": delivery.pk,
                "channel": DeliveryChannel.SLIP,
                "delivered": "printed on a slip, then wiped",
            },
        )
        printed.append((row, secret))
    pdf = slips.render(system, printed, [r for r in rows if r.state != READY])
    return pdf, rows


# -- mail --------------------------------------------------------------------------------------


@transaction.atomic
def mail_links(actor, system: System, people: list[Person]) -> tuple[int, list[SlipRow]]:
    """Send the waiting passwords of `people` as one-time links to their personal addresses
    instead of printing them. Returns how many mails were queued and the rows left out (no
    waiting password, or no personal e-mail)."""
    from tirek.access.services import MAIL_LINK_LIFETIME

    rows = slip_rows(system, people)
    now = timezone.now()
    queued, left = 0, []
    for row in rows:
        if row.state != READY or not row.person.personal_email:
            left.append(row)
            continue
        changed = CredentialDelivery.objects.filter(
            pk=row.delivery.pk, secret__isnull=False
        ).update(
            channel=DeliveryChannel.MAIL,
            mail_status=MailStatus.QUEUED,
            mail_next_attempt_at=now,
            mail_attempts=0,
            mail_error="",
            expires_at=now + MAIL_LINK_LIFETIME,
        )
        if not changed:  # delivered by someone else a moment ago
            left.append(row)
            continue
        record(
            AuditAction.UPDATE,
            row.account,
            actor=actor,
            extra={"credential_delivery": row.delivery.pk, "channel": DeliveryChannel.MAIL},
        )
        send_soon(row.delivery.pk)
        queued += 1
    return queued, left


def send_soon(delivery_id: int) -> None:
    """Queue a send for right after the commit; the periodic sweep is the durable path."""

    def go() -> None:
        from tirek.access.tasks import send_credential_mail

        try:
            send_credential_mail.enqueue(delivery_id)
        except Exception:  # the sweep will send it; a broken queue must not fail the page
            logger.exception("Could not queue credential mail %s", delivery_id)

    transaction.on_commit(go)


def _backoff(attempt: int) -> dt.timedelta:
    delay = min(MAIL_BACKOFF * (2 ** max(attempt - 1, 0)), MAIL_BACKOFF_CAP)
    return delay * random.uniform(0.8, 1.0)


def send_due_mail(now=None, limit: int = 50) -> dict[str, int]:
    """Send the queued credential mails that are due. Returns counts by outcome."""
    now = now or timezone.now()
    due = list(
        CredentialDelivery.objects.filter(
            channel=DeliveryChannel.MAIL,
            mail_status=MailStatus.QUEUED,
            mail_next_attempt_at__lte=now,
        )
        .order_by("mail_next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for pk in due:
        outcome = send_mail(pk, now=now)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def send_mail(delivery_id: int, now=None) -> str:
    """Send one queued credential mail: "sent", "retry", "failed", or "" if not due or taken.

    Claimed with a conditional UPDATE (a lease), so two workers never send the same mail, and
    no database transaction stays open while SMTP answers."""
    from tirek.access import mail

    now = now or timezone.now()
    claimed = CredentialDelivery.objects.filter(
        pk=delivery_id, mail_status=MailStatus.QUEUED, mail_next_attempt_at__lte=now
    ).update(mail_next_attempt_at=now + MAIL_LEASE, mail_attempts=F("mail_attempts") + 1)
    if not claimed:
        return ""
    delivery = CredentialDelivery.objects.select_related(
        "account__system", "account__person__user"
    ).get(pk=delivery_id)
    person = delivery.account.person
    if not delivery.is_available or person is None or not person.personal_email:
        return _give_up(delivery, "no secret or no personal e-mail address left to send to")
    token, digest = credentials.new_token()
    expires = timezone.now() + _lifetime()
    try:
        mail.send_credential_link(delivery, token, expires)
    except Exception as exc:  # SMTP refused, timed out or is down: try again later
        error = f"{type(exc).__name__}: {exc}"[:500]
        if delivery.mail_attempts >= MAIL_MAX_ATTEMPTS:
            return _give_up(delivery, error)
        CredentialDelivery.objects.filter(pk=delivery.pk).update(
            mail_error=error, mail_next_attempt_at=timezone.now() + _backoff(delivery.mail_attempts)
        )
        return "retry"
    sent_at = timezone.now()
    with transaction.atomic():
        CredentialDelivery.objects.filter(pk=delivery.pk).update(
            token_hash=digest,
            mail_status=MailStatus.SENT,
            mail_sent_at=sent_at,
            mail_error="",
            expires_at=expires,
        )
        record(
            AuditAction.UPDATE,
            delivery.account,
            actor=None,
            extra={
                "credential_delivery": delivery.pk,
                "channel": DeliveryChannel.MAIL,
                "delivered": "one-time link mailed to the personal address",
            },
        )
    return "sent"


def _lifetime() -> dt.timedelta:
    from tirek.access.services import MAIL_LINK_LIFETIME

    return MAIL_LINK_LIFETIME


def _give_up(delivery: CredentialDelivery, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        CredentialDelivery.objects.filter(pk=delivery.pk).update(
            mail_status=MailStatus.FAILED, mail_error=error, secret=None, wiped_at=now
        )
        record(
            AuditAction.UPDATE,
            delivery.account,
            actor=None,
            extra={
                "credential_delivery": delivery.pk,
                "channel": DeliveryChannel.MAIL,
                "delivered": "mail failed; secret wiped",
            },
        )
    return "failed"


def failed_mail() -> Q:
    """Deliveries staff should look at: mails that failed or are still being retried."""
    return Q(channel=DeliveryChannel.MAIL) & (
        Q(mail_status=MailStatus.FAILED) | (Q(mail_status=MailStatus.QUEUED) & ~Q(mail_error=""))
    )
