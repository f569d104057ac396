"""People and the organisation they belong to.

`OrgUnit` is the university's tree. Each unit keeps a materialised `path` of ids ("/1/4/9/")
so that "this unit and everything under it" is one indexed `path__startswith` filter; the path
is rebuilt in `save()` for the unit and its descendants when the parent changes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tirek.people.iin import FEMALE, MALE, iin_birth_date, iin_sex, validate_iin


def _localised(obj, prefix: str) -> str:
    """The `prefix_<lang>` value for the active language, falling back kk → ru → en."""
    lang = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    for code in (lang, "kk", "ru", "en"):
        value = getattr(obj, f"{prefix}_{code}", "")
        if value:
            return value
    return ""


class UnitKind(models.TextChoices):
    UNIVERSITY = "university", _("university")
    INSTITUTE = "institute", _("institute")
    FACULTY = "faculty", _("faculty")
    CHAIR = "chair", _("chair")
    DEPARTMENT = "department", _("department")
    OFFICE = "office", _("office")
    CENTRE = "centre", _("centre")
    LIBRARY = "library", _("library")
    OTHER = "other", _("other")


class OrgUnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subtree_of(self, units) -> OrgUnitQuerySet:
        """The given units and all their descendants."""
        q = models.Q(pk__in=[])
        for unit in units:
            q |= models.Q(path__startswith=unit.path)
        return self.filter(q)


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=255)
    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    head = models.ForeignKey(
        "Person",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk is None:
            super().save(*args, **kwargs)
            self.path = self._computed_path()
            type(self).objects.filter(pk=self.pk).update(path=self.path)
            return
        old_path = self.path
        self.path = self._computed_path()
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path"}
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Move the subtree: a few hundred units at most, so a loop is clear and enough.
            for child in type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = self.path + child.path[len(old_path) :]
                type(self).objects.filter(pk=child.pk).update(path=child.path)

    @property
    def name(self) -> str:
        return _localised(self, "name")

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def clean(self) -> None:
        if not (self.parent_id and self.pk):
            return
        if self.parent_id == self.pk or self.parent.path.startswith(self.path or "\0"):
            raise ValidationError(
                {"parent": _("A unit cannot be placed under itself or its own subunit.")}
            )

    def _computed_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"


class PositionCategory(models.TextChoices):
    FACULTY = "faculty", pgettext_lazy("position category", "faculty")
    STAFF = "staff", _("staff")
    MANAGEMENT = "management", _("management")


class Position(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=255)
    title_ru = models.CharField(_("title (Russian)"), max_length=255, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=PositionCategory.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _localised(self, "title")


class Sex(models.TextChoices):
    MALE = MALE, _("male")
    FEMALE = FEMALE, _("female")


def photo_path(instance: Person, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"people/photos/{instance.pk or 'new'}.{ext[:5]}"


class Person(models.Model):
    # Names exactly as in the person's documents, in Cyrillic with the Kazakh letters.
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    last_name_latin = models.CharField(_("last name (Latin)"), max_length=100, blank=True)
    first_name_latin = models.CharField(_("first name (Latin)"), max_length=100, blank=True)
    iin = models.CharField(
        _("IIN"), max_length=12, unique=True, null=True, blank=True, validators=[validate_iin]
    )
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    email = models.EmailField(_("university e-mail"), blank=True, db_index=True)
    personal_email = models.EmailField(_("personal e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Stored under MEDIA_ROOT, which is not served: photos go out through a view that checks
    # the viewer may see the person.
    photo = models.FileField(_("photo"), upload_to=photo_path, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    hr_id = models.CharField(_("HR system id"), max_length=64, unique=True, null=True, blank=True)
    platonus_id = models.CharField(
        _("Platonus id"), max_length=64, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "patronymic", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def latin_name(self) -> str:
        return " ".join(p for p in (self.first_name_latin, self.last_name_latin) if p)

    def clean(self) -> None:
        # Empty IINs are stored as NULL so that the unique constraint allows many of them.
        if self.iin == "":
            self.iin = None
        if not self.iin:
            return
        errors = {}
        stated = iin_birth_date(self.iin)
        if stated and self.birth_date and stated != self.birth_date:
            errors["birth_date"] = _(
                "The date of birth does not agree with the IIN, which gives %(date)s."
            ) % {"date": stated.isoformat()}
        sex = iin_sex(self.iin)
        if sex and self.sex and sex != self.sex:
            errors["sex"] = _("The sex does not agree with the IIN.")
        if errors:
            raise ValidationError(errors)


class AffiliationKind(models.TextChoices):
    STUDENT = "student", _("student")
    EMPLOYEE = "employee", _("employee")
    FACULTY = "faculty", _("faculty member")


class AffiliationStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    ACADEMIC_LEAVE = "academic_leave", _("academic leave")
    GRADUATED = "graduated", _("graduated")
    EXPELLED = "expelled", _("expelled")
    DISMISSED = "dismissed", _("dismissed")
    ENDED = "ended", _("ended")


# A student on academic leave still belongs to the university (keeps their logins and card).
CURRENT_STATUSES = (AffiliationStatus.ACTIVE, AffiliationStatus.ACADEMIC_LEAVE)


class AffiliationSource(models.TextChoices):
    MANUAL = "manual", _("entered by hand")
    HR = "hr", _("HR system")
    PLATONUS = "platonus", _("Platonus")


class AffiliationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(status__in=CURRENT_STATUSES)


class Affiliation(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="affiliations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AffiliationKind.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="affiliations"
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="affiliations",
    )
    rate = models.DecimalField(_("rate"), max_digits=4, decimal_places=2, null=True, blank=True)
    programme = models.CharField(_("programme"), max_length=255, blank=True)
    group = models.CharField(_("group"), max_length=32, blank=True, db_index=True)
    study_year = models.PositiveSmallIntegerField(_("year of study"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AffiliationStatus.choices,
        default=AffiliationStatus.ACTIVE,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=AffiliationSource.choices,
        default=AffiliationSource.MANUAL,
    )
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()} · {self.unit}"

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_STATUSES

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date is before the start date.")
        if self.kind == AffiliationKind.STUDENT:
            if self.study_year is not None and not 1 <= self.study_year <= 7:
                errors["study_year"] = _("The year of study must be between 1 and 7.")
        elif self.status in (AffiliationStatus.GRADUATED, AffiliationStatus.EXPELLED):
            errors["status"] = _("Only students graduate or are expelled.")
        if self.rate is not None and not 0 < self.rate <= 2:
            errors["rate"] = _("The rate must be more than 0 and at most 2.")
        if errors:
            raise ValidationError(errors)


# Models that live in their own modules, imported here so that Django and migrations see them.
from tirek.people.events import LifecycleEvent  # noqa: E402, F401
from tirek.people.imports.models import ImportRun, ImportSource  # noqa: E402, F401
