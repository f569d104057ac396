"""Every change to accounts and access: one function, one transaction, audited.

Each change a target system must learn of is written as an `Operation` in the same
transaction (the outbox); operations.py carries them out. Passwords never reach the audit log
and never stay in the database in the clear: they travel Fernet-encrypted on the operation
(wiped when it is done) and on a one-time `CredentialDelivery` (wiped when seen or expired).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access import bulk, credentials, logins, signals
from tirek.access.models import (
    OPEN_STATUSES,
    AccessRequest,
    Account,
    AccountStatus,
    Approval,
    ApprovalStatus,
    ApprovalStep,
    CredentialDelivery,
    DeliveryChannel,
    DisabledReason,
    Grant,
    GrantSource,
    LoginReservation,
    MailStatus,
    Operation,
    OperationKind,
    OperationStatus,
    RequestStatus,
    System,
    SystemRole,
)
from tirek.access.permissions import can_decide, may_request_for
from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction
from tirek.people.models import Person

DELIVERY_LIFETIME = dt.timedelta(days=7)
# A mailed link opens without signing in (a new student may have no Tirek login yet), so it
# lives only two days from the moment the mail is accepted.
MAIL_LINK_LIFETIME = dt.timedelta(days=2)
EXPIRY_WARNING_DAYS = 5
SYSTEM_FIELDS = [
    "name_kk",
    "name_ru",
    "name_en",
    "description_kk",
    "description_ru",
    "description_en",
    "owner",
    "connector_kind",
    "connector_settings",
    "approval_chain",
    "login_pattern",
    "login_url",
    "password_policy",
    "max_concurrency",
    "max_per_minute",
    "deletion_grace_days",
    "is_active",
]
SECRET_WORDS = ("password", "secret", "token", "key")


def _snap(obj, fields=None) -> dict[str, Any]:
    return {
        k: v
        for k, v in snapshot(obj, fields).items()
        if k not in {"created_at", "updated_at", "secret"}
    }


def check_settings(settings: dict) -> None:
    """Connector settings hold no secrets: only the names of environment variables."""
    for key, value in (settings or {}).items():
        if key.endswith("_env"):
            continue
        if any(w in key.lower() for w in SECRET_WORDS) and value:
            raise ValidationError(
                {
                    "connector_settings": _(
                        "Put secrets in an environment variable and name it in "
                        "%(key)s_env instead of %(key)s."
                    )
                    % {"key": key}
                }
            )


# -- catalogue ---------------------------------------------------------------------------------


@transaction.atomic
def update_system(actor, system: System, **fields: Any) -> System:
    system = System.objects.select_for_update().get(pk=system.pk)
    before = _snap(system)
    for name, value in fields.items():
        if name not in SYSTEM_FIELDS:
            raise TypeError(f"System field {name!r} cannot be edited here")
        setattr(system, name, value)
    check_settings(system.connector_settings)
    if not isinstance(system.approval_chain, list) or any(
        s not in ApprovalStep.values for s in system.approval_chain
    ):
        raise ValidationError({"approval_chain": _("Unknown approval step.")})
    system.full_clean()
    system.save()
    record(AuditAction.UPDATE, system, before=before, after=_snap(system), actor=actor)
    return system


# -- outbox ------------------------------------------------------------------------------------


def enqueue(
    account: Account,
    kind: str,
    *,
    actor=None,
    payload: dict | None = None,
    secret: str | None = None,
    key: str = "",
) -> Operation:
    """Write one operation for the worker; call inside the transaction of its cause."""
    return Operation.objects.create(
        account=account,
        system_id=account.system_id,
        kind=kind,
        payload=payload or {},
        secret=credentials.encrypt(secret) if secret else None,
        idempotency_key=key or f"{kind}:{account.pk}:{uuid.uuid4().hex}",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _new_delivery(actor, account: Account, secret: str, channel: str = DeliveryChannel.LINK) -> str:
    """A one-time delivery of `secret`. Returns the link's token (for the mail channel the
    token is made anew when the mail is sent, so the one returned here opens nothing)."""
    token, digest = credentials.new_token()
    now = timezone.now()
    delivery = CredentialDelivery.objects.create(
        account=account,
        channel=channel,
        token_hash=digest,
        secret=credentials.encrypt(secret),
        expires_at=now
        + (MAIL_LINK_LIFETIME if channel == DeliveryChannel.MAIL else DELIVERY_LIFETIME),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        mail_status=MailStatus.QUEUED if channel == DeliveryChannel.MAIL else "",
        mail_next_attempt_at=now if channel == DeliveryChannel.MAIL else None,
    )
    if channel == DeliveryChannel.MAIL:
        from tirek.access import deliveries

        deliveries.send_soon(delivery.pk)
    return token


# -- accounts ----------------------------------------------------------------------------------


@transaction.atomic
def create_account(actor, person: Person, system: System) -> tuple[Account, str | None]:
    """The person's account in `system` (made if missing) and, when a password was issued, the
    token of its one-time link (shown to the person on their page; never stored)."""
    existing = (
        Account.objects.select_for_update()
        .filter(person=person, system=system)
        .exclude(status=AccountStatus.DELETED)
        .first()
    )
    if existing is not None:
        return existing, None
    login = logins.choose_login(system, person)
    account = Account.objects.filter(system=system, login=login, person=person).first()
    if account is None:
        account = Account.objects.create(person=person, system=system, login=login)
    else:  # the same person coming back: their old login and account row again
        account.status = AccountStatus.PENDING
        account.save(update_fields=["status", "updated_at"])
    LoginReservation.objects.get_or_create(system=system, login=login, defaults={"person": person})
    password = credentials.generate_password(system.password_policy)
    enqueue(account, OperationKind.CREATE, actor=actor, secret=password)
    token = _new_delivery(actor, account, password)
    record(
        AuditAction.CREATE,
        account,
        after=_snap(account),
        actor=actor,
        extra={"credential_delivery": "one-time link"},
    )
    return account, token


@transaction.atomic
def onboard(actor, system: System, people: Sequence[Person]) -> list[Account]:
    """Accounts for many new people at once (a student intake): bulk inserts and one summary
    audit event, the same rows create_account writes one by one. People who already have an
    account in the system are left as they are."""
    have = set(
        Account.objects.filter(system=system, person__in=people)
        .exclude(status=AccountStatus.DELETED)
        .values_list("person_id", flat=True)
    )
    taken = set(LoginReservation.objects.filter(system=system).values_list("login", flat=True))
    accounts = []
    # Plain values and ids returned by the inserts (tirek/access/bulk.py): an intake is 10,000
    # rows of each kind, and model instances cost more than the SQL.
    for person in people:
        if person.pk in have:
            continue
        base = logins.base_login(system.login_pattern, person)
        login, n = base, 1
        while login in taken:
            n += 1
            login = f"{base}{n}"
        taken.add(login)
        accounts.append(Account(person_id=person.pk, system_id=system.pk, login=login))
    Account.objects.bulk_create(accounts, batch_size=1000)  # ids wanted
    if accounts and accounts[0].pk is None:  # a database that does not return ids
        accounts = list(
            Account.objects.filter(system=system, login__in=[a.login for a in accounts])
        )
    bulk.insert_rows(
        LoginReservation,
        ["system", "login", "person"],
        ((system.pk, a.login, a.person_id) for a in accounts),
    )
    ops, deliveries = [], []
    who = actor.pk if getattr(actor, "is_authenticated", False) else None
    expires = timezone.now() + DELIVERY_LIFETIME
    for account in accounts:
        password = credentials.generate_password(system.password_policy)
        key = f"create:{account.pk}:{uuid.uuid4().hex}"
        ops.append(
            (account.pk, system.pk, OperationKind.CREATE, credentials.encrypt(password), who, key)
        )
        _token, digest = credentials.new_token()
        deliveries.append((account.pk, digest, expires, credentials.encrypt(password), who))
    bulk.insert_rows(
        Operation, ["account", "system", "kind", "secret", "created_by", "idempotency_key"], ops
    )
    bulk.insert_rows(
        CredentialDelivery,
        ["account", "token_hash", "expires_at", "secret", "created_by"],
        deliveries,
    )
    record(
        AuditAction.CREATE,
        object_type="access.account",
        object_id="bulk",
        object_repr=f"{len(accounts)} accounts in {system.code}",
        actor=actor,
        extra={"system": system.code, "accounts": len(accounts)},
    )
    return accounts


def _account_for_update(account: Account) -> Account:
    return Account.objects.select_for_update().select_related("system").get(pk=account.pk)


@transaction.atomic
def reset_password(actor, account: Account, channel: str = DeliveryChannel.LINK) -> str:
    """A new password for the account: an operation for the target and a new one-time
    delivery by `channel` (earlier undelivered ones are wiped). Returns the link's token for
    the link channel, "" otherwise (a slip is printed from the slips page; a mail is sent by
    the worker)."""
    account = _account_for_update(account)
    if account.status == AccountStatus.DELETED:
        raise ValidationError(_("A deleted account has no password to reset."))
    if channel not in DeliveryChannel.values:
        raise ValidationError({"channel": _("Choose how the password is delivered.")})
    if account.person is None:
        raise ValidationError(_("The account belongs to no person; nobody could receive it."))
    if channel == DeliveryChannel.MAIL and not account.person.personal_email:
        raise ValidationError(
            {"channel": _("The person has no personal e-mail address; choose another way.")}
        )
    now = timezone.now()
    CredentialDelivery.objects.filter(account=account, secret__isnull=False).update(
        secret=None, wiped_at=now
    )
    # A mail not sent yet would carry a link to a wiped secret: stop it.
    CredentialDelivery.objects.filter(account=account, mail_status=MailStatus.QUEUED).update(
        mail_status=MailStatus.FAILED, mail_error="replaced by a newer password"
    )
    password = credentials.generate_password(account.system.password_policy)
    enqueue(account, OperationKind.SET_PASSWORD, actor=actor, secret=password)
    token = _new_delivery(actor, account, password, channel)
    record(
        AuditAction.UPDATE,
        account,
        actor=actor,
        extra={"password": "reset; new one-time delivery", "channel": channel},
    )
    return token if channel == DeliveryChannel.LINK else ""


def _status_change(actor, account: Account, kind: str, status: str, reason: str = "") -> Account:
    account = _account_for_update(account)
    if account.status == AccountStatus.DELETED:
        raise ValidationError(_("The account is deleted."))
    fields = ["status", "disabled_reason"]
    before = _snap(account, fields)
    enqueue(account, kind, actor=actor)
    account.status = status
    if status == AccountStatus.DISABLED:
        account.disabled_at = timezone.now()
        account.disabled_reason = reason or DisabledReason.MANUAL
    else:
        account.disabled_at, account.disabled_reason = None, ""
    account.save(update_fields=["status", "disabled_at", "disabled_reason", "updated_at"])
    record(AuditAction.UPDATE, account, before=before, after=_snap(account, fields), actor=actor)
    return account


@transaction.atomic
def disable_account(actor, account: Account, *, reason: str = DisabledReason.MANUAL) -> Account:
    return _status_change(actor, account, OperationKind.DISABLE, AccountStatus.DISABLED, reason)


@transaction.atomic
def enable_account(actor, account: Account) -> Account:
    return _status_change(actor, account, OperationKind.ENABLE, AccountStatus.ACTIVE)


@transaction.atomic
def delete_account(actor, account: Account) -> Account:
    """Delete in the target; the row and the login reservation stay, so the login is never
    given to anyone else."""
    account = _account_for_update(account)
    for grant in account.grants.all():
        grant.delete()
    account = _status_change(actor, account, OperationKind.DELETE, AccountStatus.DELETED)
    return account


# -- grants ------------------------------------------------------------------------------------


@transaction.atomic
def grant_role(
    actor,
    person: Person,
    role: SystemRole,
    *,
    reason: str = "",
    valid_until: dt.date | None = None,
    source: str = GrantSource.MANUAL,
    request: AccessRequest | None = None,
) -> Grant:
    account, _token = create_account(actor, person, role.system)
    held_already = Grant.objects.filter(account=account, role=role).exists()
    grant, created = Grant.objects.get_or_create(
        account=account,
        role=role,
        source=source,
        defaults={
            "granted_by": actor if getattr(actor, "is_authenticated", False) else None,
            "reason": reason,
            "valid_until": valid_until,
            "request": request,
        },
    )
    if not created:
        before = _snap(grant, ["valid_until", "reason"])
        grant.valid_until, grant.reason = valid_until, reason or grant.reason
        grant.save(update_fields=["valid_until", "reason"])
        record(
            AuditAction.UPDATE,
            grant,
            before=before,
            after=_snap(grant, ["valid_until", "reason"]),
            actor=actor,
        )
        return grant
    if role.target_group and not held_already:
        enqueue(
            account, OperationKind.ADD_TO_GROUP, actor=actor, payload={"group": role.target_group}
        )
    record(AuditAction.CREATE, grant, after=_snap(grant), actor=actor)
    return grant


@transaction.atomic
def revoke_grant(actor, grant: Grant, *, reason: str = "") -> None:
    grant = Grant.objects.select_for_update().select_related("account", "role").get(pk=grant.pk)
    before = _snap(grant)
    # The membership stays while another source (a manual grant beside a policy one) holds it.
    held_otherwise = (
        Grant.objects.filter(account=grant.account, role=grant.role).exclude(pk=grant.pk).exists()
    )
    if (
        grant.role.target_group
        and grant.account.status != AccountStatus.DELETED
        and not held_otherwise
    ):
        enqueue(
            grant.account,
            OperationKind.REMOVE_FROM_GROUP,
            actor=actor,
            payload={"group": grant.role.target_group},
        )
    grant.delete()
    record(
        AuditAction.DELETE,
        object_type="access.grant",
        object_id=str(before["id"]),
        object_repr=f"{grant.account} · {grant.role.code}",
        before=before,
        actor=actor,
        extra={"reason": reason},
    )


# -- access requests ---------------------------------------------------------------------------


@transaction.atomic
def request_access(
    actor, person: Person, role: SystemRole, *, reason: str, valid_until: dt.date | None = None
) -> AccessRequest:
    if not may_request_for(actor, person):
        raise PermissionDenied("may not request access for this person")
    if not role.requestable or not role.system.is_active:
        raise ValidationError(_("This role cannot be requested."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the access is needed.")})
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The date is in the past.")})
    if AccessRequest.objects.filter(
        person=person, role=role, status=RequestStatus.PENDING
    ).exists():
        raise ValidationError(_("The same request is already waiting for approval."))
    req = AccessRequest.objects.create(
        person=person, role=role, requested_by=actor, reason=reason.strip(), valid_until=valid_until
    )
    chain = role.system.approval_chain or [ApprovalStep.OWNER]
    for position, step in enumerate(chain, start=1):
        Approval.objects.create(request=req, position=position, step=step)
    record(AuditAction.CREATE, req, after=_snap(req), actor=actor)
    # A step the requester could decide themself (a unit head asking for their own staff) is
    # approved by the asking; a step nobody can decide (no owner named yet) falls to staff.
    _advance(actor, req, by_requester=True)
    return req


def _advance(actor, req: AccessRequest, *, by_requester: bool = False) -> None:
    """Open the next waiting step, or approve the request when none is left."""
    now = timezone.now()
    while True:
        step = req.approvals.exclude(
            status__in=[ApprovalStatus.APPROVED, ApprovalStatus.SKIPPED]
        ).first()
        if step is None:
            req.status, req.decided_at = RequestStatus.APPROVED, now
            req.save(update_fields=["status", "decided_at"])
            record(AuditAction.UPDATE, req, after={"status": req.status}, actor=actor)
            grant_role(
                actor,
                req.person,
                req.role,
                reason=req.reason,
                valid_until=req.valid_until,
                source=GrantSource.REQUEST,
                request=req,
            )
            signals.send(req, signals.GRANTED if signals.is_provisioned(req) else signals.APPROVED)
            return
        if step.status == ApprovalStatus.WAITING:
            step.status = ApprovalStatus.PENDING
            step.save(update_fields=["status"])
        if by_requester and step.step == ApprovalStep.UNIT_HEAD and can_decide(actor, step):
            step.status, step.decided_by, step.decided_at = ApprovalStatus.APPROVED, actor, now
            step.comment = _("Requested by the head of the unit.")
            step.save()
            continue
        if step.step == ApprovalStep.OWNER and req.role.system.owner_id is None:
            step.status, step.decided_at = ApprovalStatus.SKIPPED, now
            step.comment = _("The system has no owner yet.")
            step.save()
            if ApprovalStep.DEPT_HEAD not in req.role.system.approval_chain:
                Approval.objects.create(
                    request=req,
                    position=req.approvals.count() + 1,
                    step=ApprovalStep.DEPT_HEAD,
                    status=ApprovalStatus.WAITING,
                )
            continue
        if step.step == ApprovalStep.UNIT_HEAD and not _has_unit_head(req.person):
            step.status, step.decided_at = ApprovalStatus.SKIPPED, now
            step.comment = _("The person belongs to no unit with a head.")
            step.save()
            continue
        return


def _has_unit_head(person: Person) -> bool:
    from tirek.people.models import Affiliation, OrgUnit

    units = Affiliation.objects.current().filter(person=person).values_list("unit__path", flat=True)
    for path in units:
        ids = [int(x) for x in path.strip("/").split("/") if x]
        heads = OrgUnit.objects.filter(pk__in=ids, is_active=True, head__user__isnull=False)
        if heads.exclude(head=person).exists():
            return True
    return False


@transaction.atomic
def decide(actor, approval: Approval, *, approve: bool, comment: str = "") -> AccessRequest:
    approval = (
        Approval.objects.select_for_update()
        .select_related("request__role__system")
        .get(pk=approval.pk)
    )
    if not can_decide(actor, approval):
        raise PermissionDenied("not this user's step")
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the request is rejected.")})
    now = timezone.now()
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by, approval.decided_at, approval.comment = actor, now, comment.strip()
    approval.save()
    req = approval.request
    record(
        AuditAction.UPDATE,
        req,
        actor=actor,
        extra={"step": approval.step, "decision": approval.status, "comment": approval.comment},
    )
    if approve:
        _advance(actor, req)
    else:
        req.status, req.decided_at = RequestStatus.REJECTED, now
        req.save(update_fields=["status", "decided_at"])
        req.approvals.filter(status__in=[ApprovalStatus.WAITING, ApprovalStatus.PENDING]).update(
            status=ApprovalStatus.SKIPPED
        )
        signals.send(req, signals.REJECTED)
    return req


@transaction.atomic
def cancel_request(actor, req: AccessRequest) -> AccessRequest:
    req = AccessRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != RequestStatus.PENDING:
        raise ValidationError(_("Only a waiting request can be cancelled."))
    if req.requested_by_id != getattr(actor, "pk", None) and req.person.user_id != getattr(
        actor, "pk", None
    ):
        raise PermissionDenied("not this user's request")
    req.status, req.decided_at = RequestStatus.CANCELLED, timezone.now()
    req.save(update_fields=["status", "decided_at"])
    req.approvals.filter(status__in=[ApprovalStatus.WAITING, ApprovalStatus.PENDING]).update(
        status=ApprovalStatus.SKIPPED
    )
    record(AuditAction.UPDATE, req, after={"status": req.status}, actor=actor)
    signals.send(req, signals.CANCELLED)
    return req


# -- operations (staff) ------------------------------------------------------------------------


@transaction.atomic
def retry_operation(actor, op: Operation) -> Operation:
    op = Operation.objects.select_for_update().get(pk=op.pk)
    if op.status not in (OperationStatus.NEEDS_ATTENTION, OperationStatus.FAILED):
        raise ValidationError(_("Only a failed operation can be retried."))
    before = _snap(op, ["status", "attempts"])
    op.status, op.attempts, op.next_attempt_at = OperationStatus.PENDING, 0, timezone.now()
    op.save(update_fields=["status", "attempts", "next_attempt_at"])
    record(
        AuditAction.UPDATE, op, before=before, after=_snap(op, ["status", "attempts"]), actor=actor
    )
    return op


@transaction.atomic
def cancel_operation(actor, op: Operation) -> Operation:
    op = Operation.objects.select_for_update().get(pk=op.pk)
    if op.status not in (*OPEN_STATUSES, OperationStatus.NEEDS_ATTENTION):
        raise ValidationError(_("The operation is finished already."))
    if (
        op.status == OperationStatus.RUNNING
        and op.lease_expires_at
        and op.lease_expires_at > timezone.now()
    ):
        raise ValidationError(_("The operation is running; try again in a minute."))
    before = _snap(op, ["status"])
    op.status, op.secret, op.finished_at = OperationStatus.CANCELLED, None, timezone.now()
    op.save(update_fields=["status", "secret", "finished_at"])
    record(AuditAction.UPDATE, op, before=before, after=_snap(op, ["status"]), actor=actor)
    return op


# -- one-time credentials ----------------------------------------------------------------------


class CredentialUnavailable(Exception):
    """Unknown, someone else's, already seen, or expired: the page says only that."""


def view_credential(user, token: str) -> tuple[Account, str]:
    """The secret behind a mailed one-time link (by its token)."""
    return _reveal(
        user, CredentialDelivery.objects.filter(token_hash=credentials.token_hash(token))
    )


def view_credential_by_id(user, pk: int) -> tuple[Account, str]:
    """The secret of a delivery listed on the person's own page."""
    return _reveal(user, CredentialDelivery.objects.filter(pk=pk, channel=DeliveryChannel.LINK))


def view_mailed_credential(user, token: str) -> tuple[Account, str]:
    """The secret behind a link mailed to the person's personal address. It opens without
    signing in (a new student may have no Tirek login yet); someone signed in as another user
    is refused."""
    return _reveal(
        user,
        CredentialDelivery.objects.filter(
            token_hash=credentials.token_hash(token),
            channel=DeliveryChannel.MAIL,
            mail_status=MailStatus.SENT,
        ),
        signed_out_ok=True,
    )


def _reveal(user, deliveries, *, signed_out_ok: bool = False) -> tuple[Account, str]:
    """For its person only, once: the secret is wiped as it is read."""
    delivery = deliveries.select_related("account__system", "account__person").first()
    if delivery is None or delivery.account.person is None:
        raise CredentialUnavailable
    signed_in = getattr(user, "is_authenticated", False)
    if (signed_in or not signed_out_ok) and delivery.account.person.user_id != getattr(
        user, "pk", None
    ):
        # Recorded outside any transaction the refusal would roll back.
        record(
            AuditAction.PERMISSION_DENIED,
            delivery.account,
            actor=user,
            extra={"credential_delivery": delivery.pk},
        )
        raise CredentialUnavailable
    with transaction.atomic():
        delivery = CredentialDelivery.objects.select_for_update().get(pk=delivery.pk)
        if not delivery.is_available:
            raise CredentialUnavailable
        secret = credentials.decrypt(delivery.secret)
        now = timezone.now()
        delivery.secret, delivery.viewed_at, delivery.wiped_at = None, now, now
        delivery.delivered_at = now
        delivery.delivered_by = user if signed_in else None
        delivery.save(
            update_fields=["secret", "viewed_at", "wiped_at", "delivered_at", "delivered_by"]
        )
        account = Account.objects.select_related("system").get(pk=delivery.account_id)
        record(
            AuditAction.UPDATE,
            account,
            actor=user if signed_in else None,
            extra={
                "credential_delivery": delivery.pk,
                "channel": delivery.channel,
                "delivered": "viewed once, then wiped",
            },
        )
    return account, secret


def wipe_expired_credentials() -> int:
    now = timezone.now()
    return CredentialDelivery.objects.filter(secret__isnull=False, expires_at__lte=now).update(
        secret=None, wiped_at=now
    )


# -- temporary access --------------------------------------------------------------------------


def expire_grants(today: dt.date | None = None) -> dict[str, int]:
    """Revoke the grants whose `valid_until` has passed (through the outbox, audited with the
    reason "expired"), and warn of those ending within EXPIRY_WARNING_DAYS. A warning that
    could not be sent is tried again at the next run."""
    import logging

    from tirek.access import mail

    today = today or timezone.localdate()
    expired = 0
    for grant in list(Grant.objects.filter(valid_until__lt=today)):
        revoke_grant(None, grant, reason="expired")
        expired += 1
    warned = 0
    soon = Grant.objects.filter(
        valid_until__gte=today,
        valid_until__lte=today + dt.timedelta(days=EXPIRY_WARNING_DAYS),
        expiry_warned_at__isnull=True,
    ).select_related(
        "account__person__user", "account__system", "role__system", "request__requested_by"
    )
    for grant in soon:
        try:
            mail.send_expiry_warning(grant)
        except Exception:  # the mail server is down: try again tomorrow
            logging.getLogger("tirek.access").exception("Expiry warning for grant %s", grant.pk)
            continue
        Grant.objects.filter(pk=grant.pk).update(expiry_warned_at=timezone.now())
        warned += 1
    return {"expired": expired, "warned": warned}
