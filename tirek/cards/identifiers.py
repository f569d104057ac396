"""The active identifiers for access control systems without a web API, as CSV or XLSX.

The layout is stable (docs/cards.md): one row per active, unexpired card, keyed by its
identifier (chip UID once entered, else the card number). A delta export has a first column
`change` (added / changed / removed) and lists only what differs from the previous export;
every export, full or delta, is recorded with what it held, and becomes the next delta's base.
Cells are neutralised against formula injection (tirek/core/exports.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from tirek.cards.models import Card, CardStatus, IdentifierExport
from tirek.core.audit import record
from tirek.core.exports import csv_lines, neutralise
from tirek.core.models import AuditAction

HEADER = (
    "identifier",
    "card_number",
    "kind",
    "person_key",
    "last_name",
    "first_name",
    "patronymic",
    "unit_code",
    "unit_name",
    "valid_from",
    "valid_until",
)
DELTA_HEADER = ("change", *HEADER)
ADDED, CHANGED, REMOVED = "added", "changed", "removed"
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def active_cards():
    return (
        Card.objects.filter(status=CardStatus.ACTIVE, valid_until__gte=timezone.localdate())
        .select_related("person", "unit")
        .order_by("number")
    )


def row(card: Card) -> list[str]:
    person, unit = card.person, card.unit
    return [
        card.identifier,
        card.number,
        card.kind,
        f"tirek-{person.pk}",
        person.last_name,
        person.first_name,
        person.patronymic,
        unit.code,
        unit.name_ru or unit.name_kk,
        card.valid_from.isoformat(),
        card.valid_until.isoformat(),
    ]


def current_rows() -> dict[str, list[str]]:
    """{identifier: row} of every active identifier now, in identifier order."""
    rows = {}
    for card in active_cards().iterator(chunk_size=2000):
        rows[card.identifier] = row(card)
    return dict(sorted(rows.items()))


def diff(base: dict[str, list], now: dict[str, list]) -> list[list[str]]:
    """Delta rows (`change` first) from `base` to `now`, in identifier order."""
    out = []
    for key in sorted(set(base) | set(now)):
        if key not in base:
            out.append([ADDED, *now[key]])
        elif key not in now:
            out.append([REMOVED, *base[key]])
        elif list(base[key]) != list(now[key]):
            out.append([CHANGED, *now[key]])
    return out


def last_export() -> IdentifierExport | None:
    return IdentifierExport.objects.order_by("-id").first()


@transaction.atomic
def export_identifiers(
    actor, fmt: str = "csv", delta: bool = False
) -> tuple[IdentifierExport, bytes]:
    """Record and render one export; returns it and the file's bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    # One export at a time takes the last one as its base (PostgreSQL locks the row).
    base = IdentifierExport.objects.select_for_update().order_by("-id").first()
    now = current_rows()
    changes = diff(base.rows if base else {}, now)
    counts = {kind: sum(1 for c in changes if c[0] == kind) for kind in (ADDED, CHANGED, REMOVED)}
    export = IdentifierExport.objects.create(
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        format=fmt,
        delta=delta,
        base=base,
        total=len(now),
        rows=now,
        **counts,
    )
    record(
        AuditAction.EXPORT,
        export,
        actor=actor,
        extra={"format": fmt, "delta": delta, "total": len(now), "base": base.pk if base else None}
        | counts,
    )
    header, lines = (DELTA_HEADER, changes) if delta else (HEADER, list(now.values()))
    return export, render(fmt, header, lines)


def render(fmt: str, header: Iterable[str], rows: Iterable[Iterable[str]]) -> bytes:
    if fmt == "csv":
        return "".join(csv_lines(header, rows)).encode("utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("identifiers")
    sheet.append(list(header))
    for line in rows:
        sheet.append([neutralise(v) for v in line])  # all text: identifiers keep leading zeros
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(export: IdentifierExport) -> str:
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d-%H%M%S")
    return f"identifiers-{stamp}{'-delta' if export.delta else ''}.{export.format}"


def content_type(fmt: str) -> str:
    return "text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE
