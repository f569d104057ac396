"""The Kazakh individual identification number (IIN, ЖСН/ИИН) of a person.

Twelve digits: YYMMDD of birth, one digit for century and sex (1/2 the 1800s, 3/4 the 1900s,
5/6 the 2000s; odd male, even female; 0 is used for foreigners and legal forms and is not a
valid person's IIN here), four serial digits and a check digit. The check digit is the sum of
the first eleven digits weighted 1..11, mod 11; when that is 10 the weights 3..11,1,2 are used;
when that is 10 again no IIN is issued with those eleven digits.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MALE = "M"
FEMALE = "F"

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def check_digit(first11: str) -> int | None:
    """The check digit for eleven digits, or None when no IIN can end them."""
    digits = [int(c) for c in first11]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
    return None if total == 10 else total


def _date_part(value: str) -> dt.date | None:
    century = _CENTURY.get(int(value[6]))
    if century is None:
        return None
    try:
        return dt.date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return None


def validate_iin(value: str) -> None:
    """Django validator: raise ValidationError saying what is wrong with `value`."""
    value = "" if value is None else str(value)
    if not value.isascii() or not value.isdigit():
        raise ValidationError(_("An IIN consists of digits only."), code="iin_not_digits")
    if len(value) != 12:
        raise ValidationError(
            _("An IIN has 12 digits; this one has %(count)d."),
            code="iin_length",
            params={"count": len(value)},
        )
    if value[6] == "0" or int(value[6]) not in _CENTURY:
        raise ValidationError(
            _(
                "The 7th digit of an IIN gives the century of birth and sex (1 to 6); "
                "%(digit)s is not valid for a person."
            ),
            code="iin_century",
            params={"digit": value[6]},
        )
    if _date_part(value) is None:
        raise ValidationError(
            _("The first six digits of an IIN must be a real date of birth (YYMMDD)."),
            code="iin_date",
        )
    expected = check_digit(value[:11])
    if expected is None or expected != int(value[11]):
        raise ValidationError(
            _("The last digit of this IIN does not match its check digit; check for a typo."),
            code="iin_check_digit",
        )


def is_valid_iin(value: str) -> bool:
    try:
        validate_iin(value)
    except ValidationError:
        return False
    return True


def iin_birth_date(value: str) -> dt.date | None:
    """The date of birth an IIN states (None if the IIN is not valid)."""
    return _date_part(value) if is_valid_iin(value) else None


def iin_sex(value: str) -> str | None:
    """MALE or FEMALE as an IIN states it (None if the IIN is not valid)."""
    if not is_valid_iin(value):
        return None
    return MALE if int(value[6]) % 2 == 1 else FEMALE


def make_iin(birth_date: dt.date, sex: str, serial: int) -> str:
    """A valid IIN for demo data and tests.

    `serial` (0..9999) fills digits 8-11; a serial whose digits admit no check digit is
    skipped for the next one, as the issuing authority does.
    """
    if sex not in (MALE, FEMALE):
        raise ValueError("sex must be 'M' or 'F'")
    century = birth_date.year // 100 * 100
    base = {1800: 1, 1900: 3, 2000: 5}.get(century)
    if base is None:
        raise ValueError("an IIN covers births from 1800 to 2099")
    code = base if sex == MALE else base + 1
    for offset in range(10000):
        number = (serial + offset) % 10000
        first11 = f"{birth_date:%y%m%d}{code}{number:04d}"
        digit = check_digit(first11)
        if digit is not None:
            return f"{first11}{digit}"
    raise ValueError("no serial gives a valid IIN")  # pragma: no cover - cannot happen
