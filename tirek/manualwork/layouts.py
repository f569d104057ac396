"""Import-file layouts: which columns, in which order, under which headers, in which format.

A manual system may name its layout in its connector settings, for example Platonus:

    {"import_layout": {"format": "xlsx",
                       "columns": [["ИИН", "iin"], ["Фамилия", "last_name"], ["Имя", "first_name"],
                                   ["Логин", "login"], ["Пароль", "password"]]}}

`format` is csv or xlsx; csv also takes `delimiter` (default ";") and `encoding` (default
"utf-8-sig", or "cp1251" for older Windows importers). Without a layout, DEFAULT_COLUMNS are used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tirek.core.exports import neutralise

FIELDS = (
    "operation",
    "login",
    "last_name",
    "first_name",
    "patronymic",
    "last_name_latin",
    "first_name_latin",
    "email",
    "iin",
    "birth_date",
    "unit",
    "study_group",
    "group",
    "roles",
    "password",
    "person_key",
)
# Personal data: a layout that asks for them is allowed, and the export audit names them.
PERSONAL_FIELDS = frozenset({"iin", "birth_date"})
DEFAULT_COLUMNS = [
    ("operation", "operation"),
    ("login", "login"),
    ("last_name", "last_name"),
    ("first_name", "first_name"),
    ("patronymic", "patronymic"),
    ("last_name_latin", "last_name_latin"),
    ("first_name_latin", "first_name_latin"),
    ("email", "email"),
    ("unit", "unit"),
    ("study_group", "study_group"),
    ("group", "group"),
    ("password", "password"),
]


class LayoutError(ValueError):
    pass


@dataclass(frozen=True)
class Layout:
    columns: tuple[tuple[str, str], ...]
    file_format: str = "csv"
    delimiter: str = ";"
    encoding: str = "utf-8-sig"

    @property
    def fields(self) -> list[str]:
        return [field for _header, field in self.columns]

    @property
    def content_type(self) -> str:
        if self.file_format == "xlsx":
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return f"text/csv; charset={self.encoding.replace('-sig', '')}"


def layout_for(system) -> Layout:
    raw = (system.connector_settings or {}).get("import_layout") or {}
    columns = raw.get("columns") or DEFAULT_COLUMNS
    try:
        pairs = tuple((str(header), str(field)) for header, field in columns)
    except (TypeError, ValueError):
        raise LayoutError(_("The import layout's columns must be [header, field] pairs.")) from None
    unknown = sorted({f for _h, f in pairs} - set(FIELDS))
    if unknown:
        raise LayoutError(_("Unknown fields in the import layout: %s") % ", ".join(unknown))
    file_format = raw.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        raise LayoutError(_("The import layout's format must be csv or xlsx."))
    encoding = raw.get("encoding", "utf-8-sig")
    if encoding not in ("utf-8-sig", "utf-8", "cp1251"):
        raise LayoutError(_("The import layout's encoding must be utf-8, utf-8-sig or cp1251."))
    return Layout(pairs, file_format, str(raw.get("delimiter", ";"))[:1] or ";", encoding)


def _cell(field: str, value: str) -> str:
    # A password is data for the target's importer: changing it would make it wrong, and
    # generated passwords never start with a formula character (access/credentials.py).
    return value if field == "password" else neutralise(value)


def render(layout: Layout, rows: Iterable[dict[str, str]]) -> bytes:
    header = [h for h, _f in layout.columns]
    lines = [[_cell(f, row.get(f, "")) for _h, f in layout.columns] for row in rows]
    if layout.file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("import")
        sheet.append(header)
        for line in lines:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    return text.getvalue().encode(layout.encoding, errors="replace")
