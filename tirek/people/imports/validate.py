"""Turning one row of text into checked values, or into errors that name the column.

Nothing here touches the database except through the lookup tables it is given, so a dry run
of 20,000 rows is a loop over dictionaries.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tirek.people.iin import FEMALE, MALE, validate_iin
from tirek.people.iin import _date_part as iin_date_part
from tirek.people.imports.mapping import TARGET_NAMES
from tirek.people.models import AffiliationStatus

MAX_LENGTHS = {
    "source_id": 64,
    "last_name": 100,
    "first_name": 100,
    "patronymic": 100,
    "last_name_latin": 100,
    "first_name_latin": 100,
    "email": 254,
    "personal_email": 254,
    "phone": 32,
    "programme": 255,
    "group": 32,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# What HR and Platonus write in their status column, in three languages.
STATUS_WORDS: dict[str, str] = {}
for _status, _words in {
    AffiliationStatus.ACTIVE: (
        "active",
        "активный",
        "активен",
        "обучается",
        "работает",
        "оқиды",
        "істейді",
        "белсенді",
        "studying",
        "working",
    ),
    AffiliationStatus.ACADEMIC_LEAVE: (
        "academic_leave",
        "academic leave",
        "академический отпуск",
        "академ",
        "академиялық демалыс",
        "академиялық демалыста",
    ),
    AffiliationStatus.GRADUATED: ("graduated", "выпускник", "окончил", "түлек", "бітірді"),
    AffiliationStatus.EXPELLED: (
        "expelled",
        "отчислен",
        "отчислена",
        "шығарылды",
        "оқудан шығарылды",
    ),
    AffiliationStatus.DISMISSED: ("dismissed", "уволен", "уволена", "жұмыстан шығарылды"),
    AffiliationStatus.ENDED: ("ended", "завершено", "аяқталды"),
}.items():
    for _word in _words:
        STATUS_WORDS[_word] = str(_status)

SEX_WORDS = {
    "m": "M", "male": "M", "м": "M", "муж": "M", "мужской": "M", "е": "M", "ер": "M",
    "f": "F", "female": "F", "ж": "F", "жен": "F", "женский": "F", "ә": "F", "әйел": "F",
}  # fmt: skip


@dataclass
class RowResult:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def error(self, column: str, code: str, **params: Any) -> None:
        self.errors.append({"row": self.line, "column": column, "code": code, "params": params})


@dataclass
class Lookups:
    units: dict[str, int]  # code (case-folded) -> id
    positions: dict[str, int]


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})$")


def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, error code): DD.MM.YYYY, DD/MM/YYYY, DD.MM.YY or YYYY-MM-DD."""
    if m := _ISO.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DOTTED.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:  # two-digit years: the last century only past the current year
            year += 2000 if year <= dt.date.today().year % 100 else 1900
    else:
        return None, "bad_date"
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, "impossible_date"


def validate_row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    column_names: dict[str, str],
    lookups: Lookups,
    *,
    required: tuple[str, ...],
    from_spreadsheet: bool = False,
) -> RowResult:
    """`columns` maps each mapped target to its index in `cells`; `column_names` to its
    header (for the error's column)."""
    result = RowResult(line)
    raw: dict[str, str] = {}
    for target, index in columns.items():
        text = cells[index].strip() if index < len(cells) else ""
        raw[target] = text

    def err(target: str, code: str, **params: Any) -> None:
        result.error(column_names.get(target, target), code, **params)

    for target in required:
        if not raw.get(target):
            err(target, "required")
    for target, text in raw.items():
        if not text:
            continue
        if _CONTROL.search(text):
            err(target, "control_chars")
            continue
        limit = MAX_LENGTHS.get(target)
        if limit and len(text) > limit:
            err(target, "too_long", max=limit)
            continue
        value, code, params = _convert(target, text, lookups, from_spreadsheet)
        if code:
            err(target, code, **params)
        else:
            result.values[target] = value

    values = result.values
    iin = values.get("iin")
    if iin:
        # Valid already (checked in _convert): read the date and sex without checking again.
        stated = iin_date_part(iin)
        stated_sex = MALE if int(iin[6]) % 2 == 1 else FEMALE
        if values.get("birth_date") and stated and stated != values["birth_date"]:
            err("birth_date", "iin_birth_date", date=stated.isoformat())
        if values.get("sex") and stated_sex != values["sex"]:
            err("sex", "iin_sex")
        # The IIN states both: fill them when the file does not.
        if "birth_date" not in values and "birth_date" not in raw and stated:
            values["birth_date"] = stated
        if "sex" not in values and "sex" not in raw:
            values["sex"] = stated_sex
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        err("end_date", "end_before_start")
    return result


def _convert(
    target: str, text: str, lookups: Lookups, from_spreadsheet: bool
) -> tuple[Any, str | None, dict]:
    if target == "iin":
        digits = text.replace(" ", "")
        if from_spreadsheet and digits.isdigit() and len(digits) == 11:
            digits = "0" + digits  # a spreadsheet stored the IIN as a number
        try:
            validate_iin(digits)
        except ValidationError as exc:
            return None, exc.error_list[0].code, exc.error_list[0].params or {}
        return digits, None, {}
    if target in ("birth_date", "start_date", "end_date"):
        value, code = parse_date(text)
        if code:
            return None, code, {"value": text}
        if target == "birth_date" and not dt.date(1900, 1, 1) <= value <= dt.date.today():
            return None, "impossible_date", {"value": text}
        return value, None, {}
    if target == "unit":
        unit_id = lookups.units.get(text.casefold())
        return (unit_id, None, {}) if unit_id else (None, "unknown_unit", {"value": text})
    if target == "position":
        pos_id = lookups.positions.get(text.casefold())
        return (pos_id, None, {}) if pos_id else (None, "unknown_position", {"value": text})
    if target == "status":
        status = STATUS_WORDS.get(" ".join(text.casefold().split()))
        return (status, None, {}) if status else (None, "unknown_status", {"value": text})
    if target == "sex":
        sex = SEX_WORDS.get(text.casefold().rstrip("."))
        return (sex, None, {}) if sex else (None, "unknown_sex", {"value": text})
    if target == "study_year":
        if text.isdigit() and 1 <= int(text) <= 7:
            return int(text), None, {}
        return None, "bad_number", {"value": text, "min": 1, "max": 7}
    if target == "rate":
        try:
            rate = Decimal(text.replace(",", "."))
        except InvalidOperation:
            rate = None
        if rate is None or not rate.is_finite() or not 0 < rate <= 2:
            return None, "bad_number", {"value": text, "min": 0, "max": 2}
        return rate.quantize(Decimal("0.01")), None, {}
    if target in ("email", "personal_email"):
        try:
            validate_email(text)
        except ValidationError:
            return None, "bad_email", {"value": text}
        return text.lower(), None, {}
    assert target in TARGET_NAMES
    return text, None, {}
