"""The printed password slip: A4, eight slips a page with dashed cut lines, rendered by
WeasyPrint from HTML. The texts on a slip are in Kazakh, Russian and English, as the university
prints its forms (fixed texts, not the reader's language); the last page, for the staff member
who prints, lists the people who got no slip, in the staff member's language."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from tirek.access.models import System

# (Kazakh, Russian, English)
TEXTS = {
    "login": ("Логин", "Логин", "Login"),
    "password": ("Бастапқы құпиясөз", "Начальный пароль", "Initial password"),
    "where": ("Кіру мекенжайы", "Адрес входа", "Sign in at"),
    "change": (
        "Алғаш кірген кезде құпиясөзді ауыстырыңыз.",
        "Смените пароль при первом входе.",
        "Change the password at first sign-in.",
    ),
    "private": (
        "Бұл парақты ешкімге көрсетпеңіз.",
        "Никому не показывайте этот листок.",
        "Show this slip to no one.",
    ),
}
PER_PAGE = 8


def render(system: System, printed: list, others: list) -> bytes:
    """`printed`: (SlipRow, secret) pairs; `others`: the rows that got no slip."""
    from weasyprint import HTML  # heavy import, only when printing

    slips = [
        {
            "name": row.person.full_name,
            "latin": row.person.latin_name,
            "login": row.account.login,
            "secret": secret,
        }
        for row, secret in printed
    ]
    pages = [slips[i : i + PER_PAGE] for i in range(0, len(slips), PER_PAGE)]
    html = render_to_string(
        "access/slips.html",
        {
            "system": system,
            # "DSpace · DSpace · DSpace" says it once.
            "names": list(
                dict.fromkeys(n for n in (system.name_kk, system.name_ru, system.name_en) if n)
            ),
            "where": system.login_url,
            "texts": TEXTS,
            "pages": pages,
            "others": others,
            "university": settings.UNIVERSITY_NAMES,
            "printed_at": timezone.localtime(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
