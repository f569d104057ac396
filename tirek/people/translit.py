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


# --- logins and e-mail local parts ----------------------------------------------------------
# Passport spelling is for documents; logins want something people can read and type: the
# same table with ю → yu, я → ya and the hard sign dropped. A university that prefers other
# letters (қ → q, ә → ae, ...) sets LOGIN_TRANSLIT = {"қ": "q", ...} in its settings.
# The full default table is in docs/imports.md.
LOGIN_TABLE = {**_TABLE, "ъ": "", "ю": "yu", "я": "ya"}


def login_table() -> dict[str, str]:
    from django.conf import settings

    overrides = getattr(settings, "LOGIN_TRANSLIT", None) or {}
    return {**LOGIN_TABLE, **{k.lower(): v.lower() for k, v in overrides.items()}}


def to_ascii(text: str, table: dict[str, str] | None = None) -> str:
    """Lower-case ASCII for a login: letters by the table, digits kept, the rest dropped
    except '-' between parts of a double name."""
    import unicodedata

    table = login_table() if table is None else table
    out = []
    for ch in text.lower():
        if ch in table:
            out.append(table[ch])
        elif ch.isascii() and (ch.isalnum() or ch == "-"):
            out.append(ch)
        elif ch in " '’`":
            continue
        else:  # Latin letters with accents (ü, é) lose them; anything else is dropped
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append("".join(c for c in base if c.isalnum()))
    return "-".join(part for part in "".join(out).split("-") if part)


def login_for(first_name: str, last_name: str, pattern: str = "{first}.{last}") -> str:
    """'Айгерім', 'Әбілқасымова' -> 'aigerim.abilkasymova' (also the e-mail local part)."""
    return pattern.format(first=to_ascii(first_name), last=to_ascii(last_name))[:64]


def unique_login(base: str, taken) -> str:
    """`base`, or base2, base3, ... — the first one `taken(login)` says is free."""
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}{n}"
    return candidate
