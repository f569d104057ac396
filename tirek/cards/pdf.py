"""Printing: one card at ID-1 size (85.6 x 54 mm, front and back), or A4 sheets with cut marks.

HTML rendered by WeasyPrint. The photo and the QR are embedded as data URIs, so nothing is
fetched. The card text is in Kazakh, Russian and English, as the university prints its cards.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tirek.cards import tokens
from tirek.cards.models import Card, CardKind

# Kind titles as printed, in the three languages (fixed texts, not the reader's language).
TITLES = {
    CardKind.STUDENT: ("Студенттік билет", "Студенческий билет", "Student ID card"),
    CardKind.EMPLOYEE: ("Қызметкер куәлігі", "Пропуск сотрудника", "Staff pass"),
    CardKind.FACULTY: ("Оқытушы куәлігі", "Пропуск преподавателя", "Faculty pass"),
}
UNIVERSITY = settings.UNIVERSITY_NAMES
PER_SHEET = 10  # 2 columns x 5 rows of ID-1 cards on A4


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def card_context(card: Card) -> dict:
    person = card.person
    photo = ""
    if card.photo:
        with card.photo.open("rb") as fh:
            photo = _data_uri("image/jpeg", fh.read())
    # A 1-bit PNG of one pixel per module, not SVG (hundreds of vector QRs make WeasyPrint's
    # layout several times slower) and not scaled up (a big PNG costs more to write and to
    # embed): the template scales it with `image-rendering: pixelated`, so modules stay sharp.
    qr = tokens.qr(bytes(card.token)).png_data_uri(scale=1, border=0) if card.token else ""
    unit = card.unit
    return {
        "card": card,
        "titles": TITLES[CardKind(card.kind)],
        "name": person.full_name,
        "latin": person.latin_name,
        "photo": photo,
        "qr": qr,
        "unit_kk": unit.name_kk,
        "unit_ru": unit.name_ru or unit.name_kk,
        "unit_en": unit.name_en or unit.name_ru or unit.name_kk,
    }


def _render(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # heavy import, only when printing

    with translation.override("kk"):
        html = render_to_string(template, {**context, "university": UNIVERSITY})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_cards(cards: Sequence[Card]) -> bytes:
    """Each card on its own ID-1 page, front then back."""
    return _render("cards/print_card.html", {"cards": [card_context(c) for c in cards]})


# Where the grid of cards sits on the A4 sheet (mm), for the cut marks.
GRID_LEFT, GRID_TOP, CARD_W, CARD_H, COLUMNS = 19.4, 13.5, 85.6, 54.0, 2
MARK_GAP, MARK_LEN = 1.0, 4.0


@functools.cache
def cut_marks(rows: int) -> str:
    """One SVG per sheet with the cut marks outside the grid of `rows` rows: a handful of lines
    instead of eight positioned boxes per card, which cost WeasyPrint much more to lay out."""
    xs = [GRID_LEFT + CARD_W * i for i in range(COLUMNS + 1)]
    ys = [GRID_TOP + CARD_H * i for i in range(rows + 1)]
    top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
    lines = []
    for x in xs:
        lines.append((x, top - MARK_GAP - MARK_LEN, x, top - MARK_GAP))
        lines.append((x, bottom + MARK_GAP, x, bottom + MARK_GAP + MARK_LEN))
    for y in ys:
        lines.append((left - MARK_GAP - MARK_LEN, y, left - MARK_GAP, y))
        lines.append((right + MARK_GAP, y, right + MARK_GAP + MARK_LEN, y))
    path = "".join(f"M{x1:g} {y1:g}L{x2:g} {y2:g}" for x1, y1, x2, y2 in lines)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        f'viewBox="0 0 210 297"><path d="{path}" stroke="#000" stroke-width="0.15"/></svg>'
    )
    return _data_uri("image/svg+xml", svg.encode())


def render_sheets(cards: Sequence[Card]) -> bytes:
    """A4 sheets: a page of fronts, then the page of backs mirrored for duplex printing."""
    items = [card_context(c) for c in cards]
    sheets = []
    for start in range(0, len(items), PER_SHEET):
        chunk = items[start : start + PER_SHEET]
        rows = [chunk[i : i + 2] for i in range(0, len(chunk), 2)]
        sheets.append(
            {
                "rows": rows,
                "back_rows": [list(reversed(r + [None] * (2 - len(r)))) for r in rows],
                "marks": cut_marks(len(rows)),
            }
        )
    return _render("cards/print_sheet.html", {"sheets": sheets})
