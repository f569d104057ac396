"""Logins from a system's pattern and the person's Latin names.

Placeholders: {first}, {last}, {f} (first letter of the first name), {student_number}
(Person.platonus_id), {id} (Person.pk). Logins are lower-case ASCII letters, digits, dots,
hyphens and underscores. On a collision a number is appended (aigerim.omirzakova2, ...). A login
once given in a system is reserved forever (LoginReservation), so a leaver's login never goes to
anyone else; the same person coming back gets their old login again.
"""

from __future__ import annotations

import re

from tirek.people.translit import to_latin

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def _clean(text: str) -> str:
    text = to_latin(text).lower().replace(" ", "").replace("'", "")
    return _UNSAFE.sub("", text)


def base_login(pattern: str, person) -> str:
    first = _clean(person.first_name_latin or person.first_name)
    last = _clean(person.last_name_latin or person.last_name)
    values = {
        "first": first,
        "last": last,
        "f": first[:1],
        "student_number": _clean(person.platonus_id or ""),
        "id": str(person.pk),
    }
    try:
        login = pattern.format(**values)
    except (KeyError, IndexError, ValueError):
        login = f"{first}.{last}"
    login = _UNSAFE.sub("", login.lower()).strip("._-")
    if not login or login in {".", "-"}:
        login = f"user{person.pk}"
    return login[:64]


def choose_login(system, person) -> str:
    """The first free login for `person` in `system` (call inside the creating transaction)."""
    from tirek.access.models import LoginReservation

    base = base_login(system.login_pattern, person)
    reserved = dict(
        LoginReservation.objects.filter(system=system, login__startswith=base).values_list(
            "login", "person_id"
        )
    )
    candidate, n = base, 1
    while candidate in reserved:
        if reserved[candidate] == person.pk:
            return candidate
        n += 1
        candidate = f"{base}{n}"
    return candidate
