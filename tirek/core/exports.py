"""Exports to spreadsheets that are safe to open.

A cell that begins with = + - @ (or a tab or carriage return, which some programs skip before
reading a formula) is run as a formula by Excel and LibreOffice: `=cmd|' /C calc'!A0` in a name
field becomes code on the auditor's machine (CSV/formula injection, OWASP). Every export
prefixes such cells with an apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The cell text of `value`, made inert if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def neutralise_row(row: Iterable[Any]) -> list[str]:
    return [neutralise(v) for v in row]


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text line by line, every cell neutralised, for a StreamingHttpResponse.

    Starts with a UTF-8 byte order mark so that Excel opens Cyrillic and Kazakh text correctly.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(neutralise_row(header))
    for row in rows:
        yield writer.writerow(neutralise_row(row))
