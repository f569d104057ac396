# ruff: noqa: RUF001, RUF002  (Cyrillic data: its letters are meant, not confusables)
"""Cyrillic (Kazakh and Russian) to Latin, as Kazakhstan's ID documents spell names.

Kazakh ID cards and passports follow the ICAO 9303 table with the Kazakh letters folded to
their nearest Latin ones (Ә→A, Ғ→G, Қ→K, Ң→N, Ө→O, Ұ/Ү→U, Һ→H, І→I). Used for demo data
and as the default Latin name when a source gives none; the document spelling wins when known.
"""

from __future__ import annotations

_TABLE = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
    "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l",
    "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip


def to_latin(text: str) -> str:
    """'Жұмабаева Әйгерім' -> 'Zhumabaeva Aigerim'."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _TABLE:
            latin = _TABLE[low]
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    return "".join(out)
