"""Electronic student ID cards and staff/faculty passes.

A card carries a signed token (COSE_Sign1 over a CWT, see tokens.py) that is made when the card
becomes active and kept, so that the printed QR and the phone's static QR stay the same. Its
`status_index` is its position in the published status list (statuslist.py); indexes are never
reused, so a revoked card stays revoked in every later list.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CardKind(models.TextChoices):
    STUDENT = "student", _("student ID card")
    EMPLOYEE = "employee", _("employee pass")
    FACULTY = "faculty", _("faculty pass")


# The one-letter code in the token and the number's prefix.
KIND_LETTER = {CardKind.STUDENT: "S", CardKind.EMPLOYEE: "E", CardKind.FACULTY: "F"}


class CardStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


# Statuses a card can still change from; a revoked or expired card is final.
OPEN_STATUSES = (CardStatus.DRAFT, CardStatus.ACTIVE, CardStatus.SUSPENDED)


class RevocationReason(models.TextChoices):
    LOST = "lost", _("lost or stolen")
    DAMAGED = "damaged", _("damaged")
    LEFT = "left", _("left the university")
    REPLACED = "replaced", _("replaced by a new card")
    ERROR = "error", _("issued in error")
    OTHER = "other", _("other")


def card_photo_path(instance: Card, filename: str) -> str:
    return f"cards/photos/{uuid.uuid4().hex}.jpg"


class CardQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Card(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=CardKind.choices)
    number = models.CharField(_("card number"), max_length=16, unique=True)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("holder"), on_delete=models.PROTECT, related_name="cards"
    )
    affiliation = models.ForeignKey(
        "people.Affiliation",
        verbose_name=_("affiliation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cards",
    )
    # The unit at issue time: unit heads see the cards of their units.
    unit = models.ForeignKey(
        "people.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="cards"
    )
    programme_code = models.CharField(_("programme or unit code"), max_length=32, blank=True)
    group = models.CharField(_("group"), max_length=32, blank=True, db_index=True)
    # Under MEDIA_ROOT, never served directly: only through a verified token (views.py).
    photo = models.FileField(_("photo"), upload_to=card_photo_path, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=16, choices=CardStatus.choices, default=CardStatus.DRAFT
    )
    status_reason = models.CharField(_("reason"), max_length=255, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_index = models.PositiveIntegerField(_("status list index"), unique=True)
    kid = models.CharField(_("key id"), max_length=16, blank=True)
    # The RFID chip's UID (hex), entered when the plastic is encoded; access control matches
    # it. Until it is entered the card's number is the identifier (accesscontrol.py).
    chip_uid = models.CharField(_("chip UID"), max_length=20, blank=True)
    cti = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    token = models.BinaryField(null=True, blank=True, editable=False)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        indexes = [models.Index(fields=["status", "valid_until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["chip_uid"],
                condition=~models.Q(chip_uid=""),
                name="cards_chip_uid_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.person}"

    @property
    def identifier(self) -> str:
        """What access control matches: the chip's UID once entered, else the card number."""
        return self.chip_uid or self.number

    @property
    def letter(self) -> str:
        return KIND_LETTER[CardKind(self.kind)]


class StatusListSnapshot(models.Model):
    """The last signed status list token, served as is with its ETag."""

    list_id = models.PositiveIntegerField(primary_key=True)
    token = models.BinaryField()
    etag = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    generated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return f"status list {self.list_id} ({self.generated_at:%Y-%m-%d %H:%M})"


class Turnstile(models.Model):
    """A gate device that calls the turnstile API with its own token (stored as a hash)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("turnstile")
        verbose_name_plural = _("turnstiles")

    def __str__(self) -> str:
        return self.name


# The file formats of an identifier export (one choice set, one name in the OpenAPI schema).
EXPORT_FORMATS = (("csv", "CSV"), ("xlsx", "XLSX"))


class IdentifierExport(models.Model):
    """One export of the active identifiers for an access control system without an API.

    `rows` keeps what was exported ({identifier: [columns]}), so that the next delta export
    knows its base: what was added, changed or removed since this one.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    format = models.CharField(_("format"), max_length=4, choices=EXPORT_FORMATS)
    delta = models.BooleanField(_("changes only"), default=False)
    base = models.ForeignKey(
        "self",
        verbose_name=_("since"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.PositiveIntegerField(_("active identifiers"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    rows = models.JSONField(default=dict, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("identifier export")
        verbose_name_plural = _("identifier exports")

    def __str__(self) -> str:
        return f"{self.format} {self.created_at:%Y-%m-%d %H:%M}"
