"""Printing: one card at ID-1 size (85.6 x 54 mm, front and back), or A4 sheets with cut marks.

HTML rendered by WeasyPrint. The photo and the QR are embedded as data URIs, so nothing is
fetched. The card text is in Kazakh, Russian and English, as the university prints its cards.
"""

from __future__ import annotations

import base64
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
    # A 1-bit PNG, not SVG: hundreds of vector QRs make WeasyPrint's layout several times slower.
    qr = tokens.qr(bytes(card.token)).png_data_uri(scale=8, border=0) if card.token else ""
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


def render_sheets(cards: Sequence[Card]) -> bytes:
    """A4 sheets: a page of fronts, then the page of backs mirrored for duplex printing."""
    items = [card_context(c) for c in cards]
    sheets = []
    for start in range(0, len(items), PER_SHEET):
        chunk = items[start : start + PER_SHEET]
        rows = [chunk[i : i + 2] for i in range(0, len(chunk), 2)]
        sheets.append(
            {"rows": rows, "back_rows": [list(reversed(r + [None] * (2 - len(r)))) for r in rows]}
        )
    return _render("cards/print_sheet.html", {"sheets": sheets})
