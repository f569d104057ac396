"""Personas for tests: one user per role, in a small university (healthchecks' alice/bob idea).

Loaded as a pytest plugin by the root conftest. The organisation:

    KRU (university)
    ├── Institute A            head: unit_head; employee works here
    │   └── Chair A1           faculty teaches here; student studies here (group ИС-24-1)
    ├── Institute B            outsider works here
    └── IT department (БҚЕӘСБ) dept_head and dept_staff work here

    client_for("unit_head")    -> a django Client logged in (with 2FA done where required)
    login_as(client, user)     -> the same for a client you hold
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.test import Client

from tirek.core.roles import TWO_FACTOR_ROLES, forget_roles, roles_for
from tirek.people import services
from tirek.people.iin import make_iin

PERSONA_ROLES = (
    "dept_head",
    "dept_staff",
    "unit_head",
    "employee",
    "faculty",
    "student",
    "auditor",
    "vice_rector",
    "outsider",
)


def login_as(client: Client, user) -> Client:
    """Log `user` in on `client`; for roles that need 2FA, also pass the second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    forget_roles(user)
    if roles_for(user) & TWO_FACTOR_ROLES:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@functools.cache
def persona_password_hash(role: str) -> str:
    """A real (argon2) hash of persona_password(role), computed once per test process:
    argon2 is slow on purpose, and nine hashes per test would dominate the suite."""
    return make_password(persona_password(role))


def persona_password(role: str) -> str:
    return f"pw-{role}-2026!"


@pytest.fixture
def org(db) -> SimpleNamespace:
    return build_org()


def build_org() -> SimpleNamespace:
    """The small university every test uses (plain function: module-scoped worlds call it)."""
    root = services.create_unit(
        None, code="KRU", name_kk="Қостанай өңірлік университеті", kind="university"
    )
    inst_a = services.create_unit(
        None,
        code="INST-A",
        name_kk="Инженерлік институт",
        name_ru="Инженерный институт",
        name_en="Institute of Engineering (A)",
        kind="institute",
        parent=root,
    )
    chair_a1 = services.create_unit(
        None,
        code="CH-A1",
        name_kk="Ақпараттық жүйелер кафедрасы",
        name_ru="Кафедра информационных систем",
        name_en="Chair of Information Systems (A1)",
        kind="chair",
        parent=inst_a,
    )
    inst_b = services.create_unit(
        None,
        code="INST-B",
        name_kk="Гуманитарлық институт",
        name_ru="Гуманитарный институт",
        name_en="Institute of Humanities (B)",
        kind="institute",
        parent=root,
    )
    it = services.create_unit(
        None,
        code="BKEASB",
        name_kk="Бағдарламалық қамтамасыз етуді әзірлеу және сүйемелдеу бөлімі",
        name_ru="Отдел разработки и сопровождения программного обеспечения",
        name_en="Software Development and Support Department",
        kind="department",
        parent=root,
    )
    return SimpleNamespace(root=root, inst_a=inst_a, chair_a1=chair_a1, inst_b=inst_b, it=it)


_PEOPLE = {
    # role: (last, first, patronymic, sex, group, affiliation kind, unit attr)
    "dept_head": ("Әбілқасымов", "Ерұлан", "Серікұлы", "M", "dept_head", "employee", "it"),
    "dept_staff": ("Иванова", "Ольга", "Петровна", "F", "dept_staff", "employee", "it"),
    "unit_head": ("Жұмабаева", "Гүлнұр", "Қайратқызы", "F", None, "faculty", "inst_a"),
    "employee": ("Сейітов", "Нұрлан", "Бекұлы", "M", None, "employee", "inst_a"),
    "faculty": ("Петров", "Сергей", "Иванович", "M", None, "faculty", "chair_a1"),
    "student": ("Өмірзақова", "Әйгерім", "Ғаниқызы", "F", None, "student", "chair_a1"),
    "auditor": ("Һадиев", "Ілияс", "Үсенұлы", "M", "auditor", None, None),
    "vice_rector": ("Ахметов", "Қанат", "Маратұлы", "M", "vice_rector", "employee", "root"),
    "outsider": ("Смирнов", "Андрей", "Олегович", "M", None, "employee", "inst_b"),
}


@pytest.fixture
def personas(org) -> dict:
    return build_personas(org)


def build_personas(org: SimpleNamespace) -> dict:
    """role name -> User, each linked to a Person with the right affiliation or group."""
    User = get_user_model()
    users = {}
    for n, (role, (last, first, patronymic, sex, group, kind, unit_attr)) in enumerate(
        _PEOPLE.items(), start=1
    ):
        user = User.objects.create(
            username=role, password=persona_password_hash(role), first_name=first, last_name=last
        )
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        born = dt.date(1980 + n, n, 10 + n) if kind != "student" else dt.date(2005, 3, 8)
        person = services.create_person(
            None,
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            sex=sex,
            birth_date=born,
            iin=make_iin(born, sex, 100 + n),
            email=f"{role}@test.edu.kz",
            personal_email=f"{role}.home@example.kz",
            phone=f"+7 701 000 00 {n:02d}",
            user=user,
        )
        if kind:
            extra = (
                {"programme": "6B06101 Information systems", "group": "ИС-24-1", "study_year": 2}
                if kind == "student"
                else {"rate": Decimal("1.00")}
            )
            services.add_affiliation(None, person, kind=kind, unit=getattr(org, unit_attr), **extra)
        users[role] = user
    services.set_unit_head(None, org.inst_a, users["unit_head"].person)
    for user in users.values():
        forget_roles(user)
    return users


@pytest.fixture(name="login_as")
def login_as_fixture():
    return login_as


@pytest.fixture
def client_for(personas):
    """client_for("unit_head") -> a Client logged in as that persona."""

    def make(role: str) -> Client:
        return login_as(Client(), personas[role])

    return make
