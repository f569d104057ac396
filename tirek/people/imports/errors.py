"""Import errors: stored as a code and parameters, shown in the reader's language.

A run keeps its errors as data ({"row", "column", "code", "params"}) so that the same run
reads in Kazakh to one operator and in Russian to another.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # the file as a whole
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than %(limit)s MB."),
    "binary": _("This is not a text or spreadsheet file (it holds binary data)."),
    "bad_xlsx": _("The spreadsheet is damaged or incomplete (was the file cut off?)."),
    "no_sheet": _("The spreadsheet has no sheet with data."),
    "no_header": _("The file has no header row."),
    "bad_encoding": _("Line %(line)s cannot be read as %(encoding)s: is the encoding right?"),
    "mixed_encoding": _(
        "The file mixes encodings: line %(line)s is in UTF-8 and line %(other)s is not. "
        "Save the whole file in one encoding."
    ),
    "bad_csv": _("The file cannot be read as CSV near line %(line)s: %(detail)s"),
    "missing_columns": _("Columns missing from the file: %(columns)s."),
    "one_column": _(
        "The header has a single column; the delimiter %(delimiter)s does not seem to be the "
        "file's (it seems to use %(guess)s)."
    ),
    "duplicate_header": _("The column %(column)s appears twice in the header."),
    "no_rows": _("The file has a header but no rows."),
    "unsupported_format": _("Only CSV and XLSX files are accepted."),
    # one row
    "required": _("A value is required."),
    "iin_not_digits": _("An IIN consists of digits only."),
    "iin_length": _("An IIN has 12 digits; this one has %(count)d."),
    "iin_century": _(
        "The 7th digit of an IIN gives the century of birth and sex (1 to 6); "
        "%(digit)s is not valid for a person."
    ),
    "iin_date": _("The first six digits of an IIN must be a real date of birth (YYMMDD)."),
    "iin_check_digit": _(
        "The last digit of this IIN does not match its check digit; check for a typo."
    ),
    "iin_birth_date": _("The date of birth does not agree with the IIN, which gives %(date)s."),
    "iin_sex": _("The sex does not agree with the IIN."),
    "bad_date": _("%(value)s is not a date (expected DD.MM.YYYY or YYYY-MM-DD)."),
    "impossible_date": _("%(value)s is not a possible date."),
    "end_before_start": _("The end date is before the start date."),
    "unknown_unit": _("There is no unit with the code %(value)s."),
    "unknown_position": _("There is no position with the code %(value)s."),
    "unknown_status": _("%(value)s is not a known status."),
    "unknown_sex": _("%(value)s is not a known sex (M/F, Е/Ә, М/Ж)."),
    "bad_number": _("%(value)s is not a number in the allowed range (%(min)s to %(max)s)."),
    "bad_email": _("%(value)s is not an e-mail address."),
    "too_long": _("The value is longer than %(max)s characters."),
    "duplicate_key": _("The same key %(value)s is already on row %(first)s."),
    "source_id_taken": _("This source id belongs to another person (%(person)s) in Tirek."),
    "iin_taken": _("This IIN belongs to another person (%(person)s) in Tirek."),
    "control_chars": _("The value holds control characters."),
}


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing in it is imported."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def as_dict(self) -> dict:
        return {"row": 0, "column": "", "code": self.code, "params": self.params}

    def __str__(self) -> str:
        return message(self.code, self.params)


def message(code: str, params: dict | None = None) -> str:
    """The error in the active language."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    text = str(template)  # lazy: in the active language
    if not params:
        return text
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text


def with_messages(errors: list[dict]) -> list[dict]:
    """The stored errors with a `message` in the active language, for pages and the API."""
    return [{**e, "message": message(e["code"], e.get("params"))} for e in errors]
