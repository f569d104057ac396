"""`tirek demo`: a realistic university to try Tirek with, and one login per role.

Deterministic (seeded): the same seed and the same academic year give the same people.
Idempotent: if the demo university is there already it says so and changes nothing; --reset
wipes people and units first (logins are reset, not deleted).

Audit: one event per created unit, position and login (there are few, and each is a real
decision a person would take), but a single summary event for the bulk load of employees and
students: thousands of per-row events would make the load slow and the log unreadable.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.core.roles import Role
from tirek.people import demo_data as data
from tirek.people import services
from tirek.people.iin import make_iin
from tirek.people.models import (
    Affiliation,
    AffiliationSource,
    AffiliationStatus,
    OrgUnit,
    Person,
)
from tirek.people.translit import to_latin


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    groups: tuple[str, ...]
    name: tuple[str, str, str, str]  # last, first, patronymic, sex
    unit: str
    kind: str
    position: str | None
    heads: bool = False


LOGINS = [
    DemoLogin(
        "head", "dept_head", ("dept_head",),
        ("Әбілқасымов", "Ерұлан", "Серікұлы", "M"), data.IT_CODE, "employee", "HEAD-DEPT",
        heads=True,
    ),
    DemoLogin(
        "staff", "dept_staff", ("dept_staff",),
        ("Иванова", "Ольга", "Петровна", "F"), data.IT_CODE, "employee", "ENGINEER-PROG",
    ),
    DemoLogin(
        "unithead", "unit_head", (),
        ("Жұмабаева", "Гүлнұр", "Қайратқызы", "F"), "IET", "employee", "DIRECTOR", heads=True,
    ),
    DemoLogin(
        "employee", "employee", (),
        ("Сейітов", "Нұрлан", "Бекұлы", "M"), "REG", "employee", "SPECIALIST",
    ),
    DemoLogin(
        "faculty", "faculty", (),
        ("Петров", "Сергей", "Иванович", "M"), "IET-IS", "faculty", "SEN-LECT",
    ),
    DemoLogin(
        "student", "student", (),
        ("Өмірзақова", "Әйгерім", "Ғаниқызы", "F"), "IET-IS", "student", None,
    ),
    DemoLogin(
        "auditor", "auditor", ("auditor",),
        ("Ізбасарова", "Ұлжан", "Төлегенқызы", "F"), "QA", "employee", "EXPERT",
    ),
    DemoLogin(
        "vicerector", "vice_rector", ("vice_rector",),
        ("Ахметов", "Қанат", "Маратұлы", "M"), data.ROOT_CODE, "employee", "VICE-RECTOR",
    ),
]  # fmt: skip

TWO_FACTOR_LOGINS = {"head", "staff"}


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


@dataclass
class Slot:
    unit: str
    kind: str
    position: str
    head: bool = False


def employee_slots(count: int, rng: random.Random, skip_heads: set[str]) -> list[Slot]:
    """Jobs to fill, heads first, so that a small run still gives units their heads."""
    heads: list[Slot] = []
    others: list[Slot] = []
    faculty_titles = ["PROF", "ASSOC-PROF", "ASSOC-PROF", "SEN-LECT", "SEN-LECT", "LECT", "ASSIST"]
    chairs = []
    for code, _parent, kind, *_names in data.UNITS:
        if kind == "university":
            heads.append(Slot(code, "employee", "RECTOR", True))
            others += [Slot(code, "employee", "VICE-RECTOR") for _ in range(3)]
        elif kind in ("institute", "faculty"):
            title = "DIRECTOR" if kind == "institute" else "DEAN"
            heads.append(Slot(code, "employee", title, True))
            others += [Slot(code, "employee", "METHODIST") for _ in range(2)]
        elif kind == "chair":
            chairs.append(code)
            heads.append(Slot(code, "faculty", "HEAD-CHAIR", True))
            others += [Slot(code, "faculty", rng.choice(faculty_titles)) for _ in range(8)]
        elif code == data.IT_CODE:
            heads.append(Slot(code, "employee", "HEAD-DEPT", True))
            others += [
                Slot(code, "employee", "ENGINEER-PROG" if i % 3 else "SYSADMIN") for i in range(11)
            ]
        else:
            job = {"library": "LIBRARIAN", "centre": "EXPERT"}.get(kind, "SPECIALIST")
            job = "ACCOUNTANT" if code == "ACC" else job
            heads.append(Slot(code, "employee", "HEAD-DEPT", True))
            others += [Slot(code, "employee", job) for _ in range(5 if kind == "library" else 4)]
    heads = [s for s in heads if s.unit not in skip_heads]
    slots = heads + others
    n = 0
    while len(slots) < count:  # more employees than jobs: more teachers
        slots.append(Slot(chairs[n % len(chairs)], "faculty", rng.choice(faculty_titles)))
        n += 1
    return slots[:count]


class Generator:
    """Names, IINs, e-mails and phones; one seeded RNG so every run is the same."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.iins: set[str] = set()
        self.emails: set[str] = set()
        self.domain = settings.UNIVERSITY_DOMAIN

    def name(self) -> tuple[str, str, str, str]:
        rng = self.rng
        sex = rng.choice("MF")
        if rng.random() < 0.65:
            first = rng.choice(data.KAZAKH_MALE if sex == "M" else data.KAZAKH_FEMALE)
            last = rng.choice(data.KAZAKH_SURNAMES)
            patronymic = data.kazakh_patronymic(rng.choice(data.KAZAKH_MALE), sex)
        else:
            first = rng.choice(data.RUSSIAN_MALE if sex == "M" else data.RUSSIAN_FEMALE)
            last = rng.choice(data.RUSSIAN_SURNAMES)
            son, daughter = data.RUSSIAN_PATRONYMICS[rng.choice(list(data.RUSSIAN_PATRONYMICS))]
            patronymic = son if sex == "M" else daughter
        if sex == "F":
            last = data.female_surname(last)
        return last, first, patronymic, sex

    def iin(self, born: dt.date, sex: str) -> str:
        while True:
            iin = make_iin(born, sex, self.rng.randrange(1, 10000))
            if iin not in self.iins:
                self.iins.add(iin)
                return iin

    def email(self, first_latin: str, last_latin: str) -> str:
        base = re.sub(r"[^a-z.]", "", f"{first_latin}.{last_latin}".lower())
        local, n = base, 1
        while f"{local}@{self.domain}" in self.emails:
            n += 1
            local = f"{base}{n}"
        address = f"{local}@{self.domain}"
        self.emails.add(address)
        return address

    def phone(self) -> str:
        rng = self.rng
        operator = rng.choice(["701", "702", "705", "707", "747", "771", "775", "777"])
        return (
            f"+7 {operator} {rng.randrange(100, 1000)} "
            f"{rng.randrange(10, 100)} {rng.randrange(10, 100)}"
        )

    def person(self, born: dt.date, name=None, **extra) -> Person:
        last, first, patronymic, sex = name or self.name()
        last_latin, first_latin = to_latin(last), to_latin(first)
        email = self.email(first_latin, last_latin)
        personal = ""
        if self.rng.random() < 0.4:
            personal = (
                email.split("@")[0]
                + f"{self.rng.randrange(10, 100)}@"
                + (self.rng.choice(["mail.kz", "gmail.com", "mail.ru"]))
            )
        return Person(
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            last_name_latin=last_latin,
            first_name_latin=first_latin,
            sex=sex,
            birth_date=born,
            iin=self.iin(born, sex),
            email=email,
            personal_email=personal,
            phone=self.phone(),
            **extra,
        )

    def date_in(self, year: int) -> dt.date:
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))


class Command(BaseCommand):
    help = "Create a demo university (units, employees, students) and one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=300)
        parser.add_argument("--students", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--reset", action="store_true", help="Delete all people and units first."
        )

    def handle(self, *args, employees: int, students: int, seed: int, reset: bool, **opts):
        if employees < 0 or students < 0:
            raise CommandError(_("Counts cannot be negative."))
        exists = OrgUnit.objects.filter(code=data.ROOT_CODE).exists()
        if exists and not reset:
            self.stdout.write(
                _("The demo university is already there; nothing changed. Use --reset to rebuild.")
            )
            self.print_logins(self.existing_logins(), create_2fa=False)
            return
        with transaction.atomic():
            if reset:
                counts = services.wipe_people_and_units(None)
                self.stdout.write(_("Deleted %(people)d people and %(units)d units.") % counts)
            logins = self.build(employees, students, seed)
            try:  # example birthright policies, switched off (the policies app may be absent)
                from tirek.policies.demo import create_demo_policies
            except ImportError:
                pass
            else:
                create_demo_policies()
            try:  # tickets of every kind and state, and four months of history for Figures
                from tirek.servicedesk.demo import create_demo_tickets
            except ImportError:
                pass
            else:
                create_demo_tickets(seed)
        self.print_logins(logins)

    def build(self, employees: int, students: int, seed: int) -> list[tuple[DemoLogin, object]]:
        gen = Generator(seed)
        today = timezone.localdate()
        units: dict[str, OrgUnit] = {}
        for code, parent, kind, kk, ru, en in data.UNITS:
            units[code] = services.create_unit(
                None,
                code=code,
                parent=units.get(parent) if parent else None,
                kind=kind,
                name_kk=kk,
                name_ru=ru,
                name_en=en,
            )
        positions = {
            code: services.create_position(
                None, code=code, category=cat, title_kk=kk, title_ru=ru, title_en=en
            )
            for code, cat, kk, ru, en in data.POSITIONS
        }

        # Employees and faculty.
        people: list[Person] = []
        affiliations: list[tuple[int, Affiliation]] = []
        heads: dict[str, int] = {}
        skip = {login.unit for login in LOGINS if login.heads}
        for n, slot in enumerate(employee_slots(employees, gen.rng, skip)):
            born = gen.date_in(gen.rng.randrange(1962, 2000))
            people.append(gen.person(born, hr_id=f"HR{n + 1:05d}"))
            rates = ["1.00"] * 6 + ["0.50", "0.75", "1.25", "1.50"]
            start = gen.date_in(max(born.year + 23, gen.rng.randrange(2000, today.year)))
            affiliations.append(
                (
                    len(people) - 1,
                    Affiliation(
                        kind=slot.kind,
                        unit=units[slot.unit],
                        position=positions[slot.position],
                        rate=Decimal("1.00" if slot.head else gen.rng.choice(rates)),
                        start_date=min(start, today),
                        source=AffiliationSource.HR,
                        external_id=f"HR{n + 1:05d}",
                    ),
                )
            )
            if slot.head:
                heads[slot.unit] = len(people) - 1

        # Students: programmes in turn, years 1-4, groups of 25.
        academic_year = today.year if today.month >= 9 else today.year - 1
        chairs = list(data.PROGRAMMES)
        for n in range(students):
            chair = chairs[n % len(chairs)]
            year = (n // len(chairs)) % 4 + 1
            seat = n // (len(chairs) * 4)
            prefix, programme = data.PROGRAMMES[chair]
            entered = academic_year - (year - 1)
            born = gen.date_in(entered - 18)
            people.append(gen.person(born, platonus_id=f"PL{n + 1:06d}"))
            on_leave = gen.rng.random() < 0.03
            affiliations.append(
                (
                    len(people) - 1,
                    Affiliation(
                        kind="student",
                        unit=units[chair],
                        programme=programme,
                        group=f"{prefix}-{entered % 100:02d}-{seat // 25 + 1}",
                        study_year=year,
                        status=AffiliationStatus.ACADEMIC_LEAVE
                        if on_leave
                        else AffiliationStatus.ACTIVE,
                        start_date=dt.date(entered, 9, 1),
                        source=AffiliationSource.PLATONUS,
                        external_id=f"PL{n + 1:06d}",
                    ),
                )
            )
        created = services.bulk_load_people(None, people, affiliations, source="demo")
        for code, index in heads.items():
            services.set_unit_head(None, units[code], created[index])

        # One login per role, each a person with the right affiliation.
        result = []
        for login in LOGINS:
            last, first, patronymic, sex = login.name
            if login.kind == "student":
                born, extra = (
                    gen.date_in(academic_year - 19),
                    {
                        "programme": data.PROGRAMMES[login.unit][1],
                        "group": f"{data.PROGRAMMES[login.unit][0]}-{(academic_year - 1) % 100}-1",
                        "study_year": 2,
                        "start_date": dt.date(academic_year - 1, 9, 1),
                    },
                )
            else:
                born, extra = (
                    gen.date_in(gen.rng.randrange(1970, 1995)),
                    {
                        "position": positions[login.position],
                        "rate": Decimal("1.00"),
                        "start_date": dt.date(2015, 9, 1),
                    },
                )
            unsaved = gen.person(born, name=(last, first, patronymic, sex))
            person = services.create_person(
                None,
                **{
                    f.name: getattr(unsaved, f.name)
                    for f in Person._meta.concrete_fields
                    if f.name not in {"id", "created_at", "updated_at", "user", "photo"}
                },
            )
            services.add_affiliation(None, person, kind=login.kind, unit=units[login.unit], **extra)
            if login.heads:
                services.set_unit_head(None, units[login.unit], person)
            user = services.create_login(
                None,
                person,
                username=login.username,
                password=demo_password(login.username),
                groups=login.groups,
            )
            result.append((login, user))
        self.stdout.write(
            _("Created %(units)d units, %(employees)d employees and %(students)d students.")
            % {"units": len(units), "employees": employees, "students": students}
        )
        return result

    def existing_logins(self) -> list[tuple[DemoLogin, object]]:
        from django.contrib.auth import get_user_model

        users = {
            u.username: u
            for u in get_user_model()
            .objects.filter(username__in=[login.username for login in LOGINS], person__isnull=False)
            .select_related("person")
        }
        return [(login, users[login.username]) for login in LOGINS if login.username in users]

    def print_logins(self, logins, create_2fa: bool = True) -> None:
        try:
            from tirek.security.demo import create_demo_totp
        except ImportError:  # the security app may not provide it
            create_demo_totp = None
        rows = [(_("Role"), _("Username"), _("Password"), _("Person"), _("Two-factor"))]
        for login, user in logins:
            two_factor = ""
            if login.username in TWO_FACTOR_LOGINS and create_demo_totp is not None:
                two_factor = (
                    str(create_demo_totp(user))
                    if create_2fa
                    else _("2FA code: .venv/bin/tirek totp-code %(username)s")
                    % {"username": login.username}
                )
            rows.append(
                (
                    Role(login.role).label if login.role in Role.values else login.role,
                    login.username,
                    demo_password(login.username),
                    user.person.full_name,
                    two_factor,
                )
            )
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        for n, row in enumerate(rows):
            line = "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
