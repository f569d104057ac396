"""Import sources (one per feed: HR employees, Platonus students, ...) and their runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tirek.people.models import AffiliationKind, AffiliationSource


class FileFormat(models.TextChoices):
    AUTO = "auto", _("detect")
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class Encoding(models.TextChoices):
    AUTO = "auto", _("detect")
    UTF8 = "utf-8", _("UTF-8")
    UTF8_BOM = "utf-8-sig", _("UTF-8 with BOM")
    CP1251 = "cp1251", _("Windows-1251 (Cyrillic)")
    KZ1048 = "kz1048", _("KZ-1048 (Kazakh Windows)")


class KeyField(models.TextChoices):
    IIN = "iin", _("IIN")
    SOURCE_ID = "source_id", _("the source's own id")


class ImportMode(models.TextChoices):
    SNAPSHOT = "snapshot", _("full snapshot (absence means leaving)")
    DELTA = "delta", _("changes only (delta)")


class ImportSource(models.Model):
    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Lower-case letters, digits, - and _."))
        ],
    )
    name = models.CharField(_("name"), max_length=200)
    origin = models.CharField(
        _("system"), max_length=16, choices=AffiliationSource.choices, default=AffiliationSource.HR
    )
    affiliation_kind = models.CharField(
        _("people in this feed are"),
        max_length=16,
        choices=AffiliationKind.choices,
        default=AffiliationKind.EMPLOYEE,
    )
    file_format = models.CharField(
        _("file format"), max_length=8, choices=FileFormat.choices, default=FileFormat.AUTO
    )
    encoding = models.CharField(
        _("encoding"), max_length=16, choices=Encoding.choices, default=Encoding.AUTO
    )
    delimiter = models.CharField(
        _("delimiter"), max_length=1, blank=True, help_text=_("Empty: detect.")
    )
    # target field -> column header in the file, e.g. {"iin": "ИИН", "last_name": "Фамилия"}
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    key_field = models.CharField(
        _("key"), max_length=16, choices=KeyField.choices, default=KeyField.IIN
    )
    mode = models.CharField(
        _("kind of file"), max_length=16, choices=ImportMode.choices, default=ImportMode.SNAPSHOT
    )
    leaver_threshold = models.DecimalField(
        _("leaver guard (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "A snapshot that would make more than this share of people leave waits for "
            "confirmation."
        ),
    )
    inbox_enabled = models.BooleanField(_("pick files up from the inbox folder"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("import source")
        verbose_name_plural = _("import sources")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tirek.people.imports.mapping import mapping_errors

        errors = mapping_errors(self.mapping, self.key_field)
        if errors:
            raise ValidationError(errors)  # non-field: the form spreads it over many inputs


class RunStatus(models.TextChoices):
    FAILED = "failed", _("file rejected")
    INVALID = "invalid", _("errors found")
    READY = "ready", _("ready to apply")
    NEEDS_CONFIRMATION = "confirm", _("waits for confirmation")
    APPLIED = "applied", _("applied")


class RunTrigger(models.TextChoices):
    UI = "ui", _("web page")
    API = "api", _("API")
    COMMAND = "command", _("command line")
    INBOX = "inbox", _("inbox folder")


def run_file_path(instance: ImportRun, filename: str) -> str:
    safe = "".join(c for c in filename if c.isalnum() or c in "._-")[-80:] or "file"
    return f"imports/{instance.source.code}/{instance.sha256[:16]}-{safe}"


class ImportRun(models.Model):
    source = models.ForeignKey(
        ImportSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="runs"
    )
    # The original file, kept as received (under MEDIA_ROOT/imports/, which is not served).
    file = models.FileField(_("file"), upload_to=run_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    trigger = models.CharField(_("started from"), max_length=16, choices=RunTrigger.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices)
    # What the file was read as (detected or configured).
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    # {"new": n, "changed": n, "unchanged": n, "leaving": n, "errors": n, "error_rows": n}
    counts = models.JSONField(_("counts"), default=dict)
    # [{"row": 7, "column": "ИИН", "code": "iin_check_digit", "params": {...}}]; row 0 = file
    errors = models.JSONField(_("errors"), default=list)
    # The dry run's detail: changes field by field, new and leaving people (capped lists).
    result = models.JSONField(_("dry run result"), default=dict)
    excluded_rows = models.JSONField(_("excluded rows"), default=list)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.source.code} #{self.pk} ({self.original_name})"

    @property
    def file_errors(self) -> list[dict]:
        return [e for e in self.errors if not e.get("row")]

    @property
    def row_errors(self) -> list[dict]:
        return [e for e in self.errors if e.get("row")]

    @property
    def can_apply(self) -> bool:
        return self.status in (RunStatus.READY, RunStatus.INVALID, RunStatus.NEEDS_CONFIRMATION)
