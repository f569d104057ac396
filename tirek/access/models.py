"""Systems, their roles, the accounts people hold in them, and the changes owed to them.

The outbox: every change that must reach a target system is an `Operation` row written in the
same transaction as its cause (a grant, a new account, a password reset). The worker carries
operations out (operations.py); a target that is down leaves them pending, never lost.

Secrets: a `System` names the environment variables its connector reads (`secret_env`), never
the secret. A target password lives only encrypted (Fernet, credentials.py) and only until it
has done its job: on the create/set-password operation until that is done, on the one-time
`CredentialDelivery` until the person has seen it or it expired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tirek.people.models import _localised


class ConnectorKind(models.TextChoices):
    LDAP = "ldap", _("LDAP / Active Directory")
    SCIM = "scim", _("SCIM 2.0")
    PERCO = "perco", _("PERCo-Web (access control)")
    MANUAL = "manual", _("manual (work items for staff)")
    OJS_FILE = "ojs_file", _("OJS 3 users import file")
    DSPACE = "dspace", _("DSpace 7+ REST API")
    YANDEX360 = "yandex360", _("Yandex 360 Directory API")
    DBTABLE = "dbtable", _("database tables")


# Kinds whose operations staff carry out by hand, as work items (tirek/manualwork); an OJS
# system's batches are its users import file.
MANUAL_KINDS = (ConnectorKind.MANUAL, ConnectorKind.OJS_FILE)


class ApprovalStep(models.TextChoices):
    UNIT_HEAD = "unit_head", _("head of the person's unit")
    OWNER = "owner", _("system owner")
    DEPT_HEAD = "dept_head", _("head of the IT department")


DEFAULT_CHAIN = [ApprovalStep.UNIT_HEAD.value, ApprovalStep.OWNER.value]
DEFAULT_PASSWORD_POLICY = {"length": 12, "classes": ["lower", "upper", "digit"]}


def default_chain() -> list[str]:
    return list(DEFAULT_CHAIN)


def default_password_policy() -> dict:
    return dict(DEFAULT_PASSWORD_POLICY)


class System(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_kk = models.TextField(_("description (Kazakh)"), blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    owner = models.ForeignKey(
        "people.Person",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_systems",
    )
    connector_kind = models.CharField(
        _("connector"), max_length=16, choices=ConnectorKind.choices, default=ConnectorKind.MANUAL
    )
    # Connector settings: URIs, base DNs, attribute mapping. Never a secret: a secret is read
    # from the environment variable named here under "secret_env".
    connector_settings = models.JSONField(_("connector settings"), default=dict, blank=True)
    approval_chain = models.JSONField(_("approval chain"), default=default_chain, blank=True)
    login_pattern = models.CharField(
        _("login pattern"),
        max_length=100,
        default="{first}.{last}",
        help_text=_(
            "Placeholders: {first}, {last}, {f} (first letter of the first name), "
            "{student_number}, {id}."
        ),
    )
    password_policy = models.JSONField(
        _("password policy"), default=default_password_policy, blank=True
    )
    # Printed on password slips and in mails: where the person signs in to this system.
    login_url = models.URLField(_("sign-in address"), blank=True)
    max_concurrency = models.PositiveSmallIntegerField(_("parallel operations"), default=4)
    deletion_grace_days = models.PositiveSmallIntegerField(
        _("days before a leaver's account is deleted"), default=90
    )
    max_per_minute = models.PositiveIntegerField(
        _("operations per minute"), default=0, help_text=_("0 means no limit.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("system")
        verbose_name_plural = _("systems")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localised(self, "name")

    @property
    def description(self) -> str:
        return _localised(self, "description")


class SystemRole(models.Model):
    system = models.ForeignKey(
        System, verbose_name=_("system"), on_delete=models.CASCADE, related_name="roles"
    )
    code = models.SlugField(_("code"), max_length=64)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # The group in the target that carries the role (an LDAP group cn, a SCIM group name).
    target_group = models.CharField(_("group in the system"), max_length=200, blank=True)
    requestable = models.BooleanField(_("may be requested"), default=True)
    is_privileged = models.BooleanField(_("privileged"), default=False)

    class Meta:
        ordering = ["system", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="access_role_code_per_system")
        ]
        verbose_name = _("system role")
        verbose_name_plural = _("system roles")

    def __str__(self) -> str:
        return f"{self.system.code}: {self.name}"

    @property
    def name(self) -> str:
        return _localised(self, "name")


class AccountStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACTIVE = "active", _("active")
    DISABLED = "disabled", _("disabled")
    DELETED = "deleted", _("deleted")


class DisabledReason(models.TextChoices):
    MANUAL = "manual", _("by staff")
    LEAVER = "leaver", _("left the university")
    LEAVE = "leave", _("academic leave")


class Account(models.Model):
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    system = models.ForeignKey(
        System, verbose_name=_("system"), on_delete=models.PROTECT, related_name="accounts"
    )
    login = models.CharField(_("login"), max_length=150)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.PENDING
    )
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # Why and since when a disabled account is disabled: the lifecycle re-enables only what it
    # disabled itself, and deletes a leaver's account after the system's grace period.
    disabled_at = models.DateTimeField(_("disabled since"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=8, choices=DisabledReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["system", "login"]
        constraints = [
            models.UniqueConstraint(fields=["system", "login"], name="access_login_per_system")
        ]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return f"{self.login} @ {self.system.code}"


class LoginReservation(models.Model):
    """A login once given in a system: kept forever, so no one else ever receives it."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="reserved_logins")
    login = models.CharField(max_length=150)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "login"], name="access_login_reserved_once")
        ]

    def __str__(self) -> str:
        return self.login


class GrantSource(models.TextChoices):
    MANUAL = "manual", _("granted by hand")
    REQUEST = "request", _("access request")
    POLICY = "policy", _("policy")


class Grant(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.ForeignKey(
        SystemRole, verbose_name=_("role"), on_delete=models.PROTECT, related_name="grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=GrantSource.choices, default=GrantSource.MANUAL
    )
    request = models.ForeignKey(
        "AccessRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    # Set when the person (and the requester) were told the grant is about to expire.
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "role"]
        constraints = [
            # A role may be held by hand and by policy at once: each source keeps its own grant,
            # so that a policy taking its grant away leaves the manual one in place.
            models.UniqueConstraint(
                fields=["account", "role", "source"], name="access_one_grant_per_role_source"
            )
        ]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"{self.account} · {self.role.code}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


class AccessRequest(models.Model):
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("for whom"),
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    role = models.ForeignKey(
        SystemRole, verbose_name=_("role"), on_delete=models.PROTECT, related_name="requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    valid_until = models.DateField(_("needed until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.role}"


class ApprovalStatus(models.TextChoices):
    WAITING = "waiting", _("waiting for an earlier step")
    PENDING = "pending", _("to decide")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SKIPPED = "skipped", _("not needed")


class Approval(models.Model):
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    position = models.PositiveSmallIntegerField()
    step = models.CharField(_("step"), max_length=16, choices=ApprovalStep.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.WAITING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="access_approval_order")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}.{self.position} {self.step}"


class OperationKind(models.TextChoices):
    CREATE = "create", _("create account")
    UPDATE = "update", _("update attributes")
    SET_PASSWORD = "set_password", _("set password")
    DISABLE = "disable", _("disable")
    ENABLE = "enable", _("enable")
    DELETE = "delete", _("delete")
    ADD_TO_GROUP = "add_to_group", _("add to group")
    REMOVE_FROM_GROUP = "remove_from_group", _("remove from group")
    # Access control (PERCo): the person's main card; payload {"identifier", "card"}.
    SET_IDENTIFIER = "set_identifier", _("set access card")
    REMOVE_IDENTIFIER = "remove_identifier", _("remove access card")


class OperationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed, will retry")
    NEEDS_ATTENTION = "needs_attention", _("needs attention")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (OperationStatus.PENDING, OperationStatus.RUNNING, OperationStatus.FAILED)


class Operation(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="operations"
    )
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(_("kind"), max_length=24, choices=OperationKind.choices)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # The password a create/set_password operation carries, Fernet-encrypted; wiped when done.
    secret = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OperationStatus.choices,
        default=OperationStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Times the target was unreachable: they back off too but do not use up the attempts.
    waits = models.PositiveIntegerField(_("waits for the target"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_index=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.account.login}"


class DeliveryChannel(models.TextChoices):
    LINK = "link", _("one-time link")
    SLIP = "slip", _("printed slip")
    MAIL = "mail", _("e-mail to the personal address")


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("could not be sent")


class CredentialDelivery(models.Model):
    """One delivery of an initial or reset password, by one channel. Only a token's hash is
    stored; the secret is encrypted and wiped when it is delivered (seen once through the link,
    printed on a slip) or at expiry.

    Mail: the message carries a one-time link, not the password (docs/access.md says why).
    The row is the durable job: it is sent with retries until SMTP accepts it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(
        _("channel"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.LINK
    )
    token_hash = models.CharField(max_length=64, unique=True)
    secret = models.BinaryField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    viewed_at = models.DateTimeField(_("viewed"), null=True, blank=True)
    # When the secret left Tirek (seen, printed) and who took it out (the person, or staff).
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    wiped_at = models.DateTimeField(null=True, blank=True)
    mail_status = models.CharField(
        _("mail"), max_length=8, choices=MailStatus.choices, blank=True, db_index=True
    )
    mail_attempts = models.PositiveSmallIntegerField(default=0)
    mail_next_attempt_at = models.DateTimeField(null=True, blank=True)
    mail_sent_at = models.DateTimeField(_("mail sent"), null=True, blank=True)
    mail_error = models.TextField(_("mail error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("credential delivery")
        verbose_name_plural = _("credential deliveries")

    def __str__(self) -> str:
        return f"{self.account} ({self.created_at:%Y-%m-%d})"

    @property
    def is_available(self) -> bool:
        return self.secret is not None and self.expires_at > timezone.now()


# -- reconciliation ------------------------------------------------------------------------------


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("nightly schedule")
    MANUAL = "manual", _("staff")
    COMMAND = "command", _("command line")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ReconciliationRun(models.Model):
    """One full read of a target compared with Tirek's accounts; kept as the report."""

    system = models.ForeignKey(
        System, verbose_name=_("system"), on_delete=models.CASCADE, related_name="reconciliations"
    )
    trigger = models.CharField(_("started by"), max_length=16, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    entries_read = models.PositiveIntegerField(_("entries read"), default=0)
    accounts_compared = models.PositiveIntegerField(_("accounts compared"), default=0)
    # Findings per kind, e.g. {"orphan": 3, "drift": 1}.
    counts = models.JSONField(_("findings"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["system", "-created_at"])]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        return f"{self.system.code} #{self.pk}"

    @property
    def total_findings(self) -> int:
        return sum(self.counts.values()) if self.counts else 0

    @property
    def count_labels(self) -> list[tuple[str, int]]:
        """(kind's label, how many) in the order of FindingKind."""
        counts = self.counts or {}
        return [(label, counts[value]) for value, label in FindingKind.choices if value in counts]


class FindingKind(models.TextChoices):
    ORPHAN = "orphan", _("orphan (no person in Tirek)")
    MISSING = "missing", _("missing in the system")
    DRIFT = "drift", _("attributes differ")
    STATUS = "status", _("status differs")
    GROUPS = "groups", _("group membership differs")


class Resolution(models.TextChoices):
    OPEN = "open", _("open")
    LINKED = "linked", _("linked to a person")
    FIXED = "fixed", _("fix queued for the system")
    ACCEPTED = "accepted", _("system's value accepted")
    DISABLED = "disabled", _("disable queued for the system")
    RECREATED = "recreated", _("re-creation queued")
    MARKED_DELETED = "marked_deleted", _("marked deleted")
    IGNORED = "ignored", _("ignored")
    SUPERSEDED = "superseded", _("superseded by a later run")


# How the report names the compared attributes.
ATTRIBUTE_LABELS = {
    "given_name": _("first name"),
    "family_name": _("last name"),
    "display_name": _("display name"),
    "email": _("e-mail"),
    "person_key": _("person key"),
    "status": _("status"),
    "groups": _("groups"),
}


class Finding(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=16, choices=FindingKind.choices)
    login = models.CharField(_("login"), max_length=150)
    # The entry's identity in the target (an LDAP DN, a SCIM id); empty when it is missing there.
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    # An orphan's likely owner: by the person key it carries, else by its e-mail address.
    suggested_person = models.ForeignKey(
        "people.Person",
        verbose_name=_("likely person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_values = models.JSONField(_("in the system"), default=dict, blank=True)
    tirek_values = models.JSONField(_("in Tirek"), default=dict, blank=True)
    resolution = models.CharField(
        _("resolution"),
        max_length=16,
        choices=Resolution.choices,
        default=Resolution.OPEN,
        db_index=True,
    )
    note = models.TextField(_("note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["run", "kind", "login"]
        indexes = [models.Index(fields=["run", "kind", "resolution"])]
        verbose_name = _("reconciliation finding")
        verbose_name_plural = _("reconciliation findings")

    def __str__(self) -> str:
        return f"{self.kind} {self.login}"

    @property
    def values(self) -> list[tuple[str, str, str]]:
        """(attribute, Tirek's value, the target's value) for the report."""

        def shown(value) -> str:
            return ", ".join(value) if isinstance(value, list) else str(value or "")

        names = sorted(set(self.tirek_values) | set(self.target_values))
        return [
            (
                ATTRIBUTE_LABELS.get(n, n),
                shown(self.tirek_values.get(n)),
                shown(self.target_values.get(n)),
            )
            for n in names
        ]
