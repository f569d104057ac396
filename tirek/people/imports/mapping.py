"""The fields an import can fill, and checks of a source's column mapping."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    required: bool = False


# The order is the order of the mapping editor.
TARGETS: tuple[Target, ...] = (
    Target("source_id", _("id in the source system")),
    Target("iin", _("IIN")),
    Target("last_name", _("last name"), required=True),
    Target("first_name", _("first name"), required=True),
    Target("patronymic", _("patronymic")),
    Target("last_name_latin", _("last name (Latin)")),
    Target("first_name_latin", _("first name (Latin)")),
    Target("birth_date", _("date of birth")),
    Target("sex", _("sex")),
    Target("email", _("university e-mail")),
    Target("personal_email", _("personal e-mail")),
    Target("phone", _("phone")),
    Target("unit", _("unit code"), required=True),
    Target("position", _("position code")),
    Target("rate", _("rate")),
    Target("programme", _("programme")),
    Target("group", _("group")),
    Target("study_year", _("year of study")),
    Target("status", _("status")),
    Target("start_date", _("start date")),
    Target("end_date", _("end date")),
)
TARGET_NAMES = tuple(t.name for t in TARGETS)
PERSON_FIELDS = (
    "last_name",
    "first_name",
    "patronymic",
    "last_name_latin",
    "first_name_latin",
    "birth_date",
    "sex",
    "email",
    "personal_email",
    "phone",
)
AFFILIATION_FIELDS = ("unit", "position", "rate", "programme", "group", "study_year", "status")


def required_targets(key_field: str) -> tuple[str, ...]:
    return (key_field, *(t.name for t in TARGETS if t.required))


def mapping_errors(mapping: object, key_field: str) -> list[str]:
    """Why `mapping` cannot be used (empty list: it can)."""
    if not isinstance(mapping, dict):
        return [str(_("The mapping must be an object of field: column."))]
    errors = []
    unknown = sorted(set(mapping) - set(TARGET_NAMES))
    if unknown:
        errors.append(str(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}))
    missing = [f for f in required_targets(key_field) if not str(mapping.get(f) or "").strip()]
    if missing:
        errors.append(
            str(_("These fields need a column: %(fields)s.") % {"fields": ", ".join(missing)})
        )
    columns = [str(v).strip() for v in mapping.values() if str(v or "").strip()]
    if len(columns) != len(set(columns)):
        errors.append(str(_("A column is used for two fields.")))
    return errors
