"""`tirek demo` on a small scale: counts, valid IINs, logins with their roles, idempotence."""

from io import StringIO

import pytest
from django.core.management import call_command

from tirek.core.models import AuditAction, AuditEvent
from tirek.core.roles import Role, roles_for
from tirek.people.demo_data import PROGRAMMES
from tirek.people.iin import iin_birth_date, iin_sex, is_valid_iin
from tirek.people.models import Affiliation, OrgUnit, Person

pytestmark = pytest.mark.django_db

LOGIN_ROLES = {
    "head": Role.DEPT_HEAD,
    "staff": Role.DEPT_STAFF,
    "unithead": Role.UNIT_HEAD,
    "employee": Role.EMPLOYEE,
    "faculty": Role.FACULTY,
    "student": Role.STUDENT,
    "auditor": Role.AUDITOR,
    "vicerector": Role.VICE_RECTOR,
}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # Argon2 is slow on purpose; these tests are about the demo data, not password hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args):
    out = StringIO()
    call_command("demo", "--students", "60", "--employees", "50", *args, stdout=out)
    return out.getvalue()


def test_demo_small_run(django_user_model):
    output = run()
    assert OrgUnit.objects.count() >= 40
    assert OrgUnit.objects.filter(code="BKEASB", name_en__contains="Software Development").exists()
    students = Affiliation.objects.filter(kind="student")
    assert students.count() == 60 + 1  # and the student login
    staff = Affiliation.objects.exclude(kind="student")
    assert staff.count() == 50 + 7  # and seven logins with a job
    prefixes = {prefix for prefix, _ in PROGRAMMES.values()}
    for group in students.values_list("group", flat=True):
        prefix, year, number = group.split("-")
        assert prefix in prefixes and len(year) == 2 and number.isdigit(), group
    assert set(students.values_list("study_year", flat=True)) == {1, 2, 3, 4}
    # Every IIN valid and agreeing with the person's birth date and sex; all distinct.
    iins = list(Person.objects.values_list("iin", "birth_date", "sex"))
    assert all(is_valid_iin(i) and iin_birth_date(i) == b and iin_sex(i) == s for i, b, s in iins)
    assert len({i for i, _, _ in iins}) == len(iins)
    assert all(p.email.endswith("@ksu.edu.kz") for p in Person.objects.all())
    assert Person.objects.filter(patronymic__endswith="қызы").exists()
    # Heads first: every unit has a head even in a small run.
    assert not OrgUnit.objects.filter(head__isnull=True).exists()
    # One login per role, with its password, linked to a person.
    for username, role in LOGIN_ROLES.items():
        user = django_user_model.objects.get(username=username)
        assert user.check_password(f"demo-{username}-2026"), username
        assert role in roles_for(user), username
        assert user.person.full_name in output
        assert f"demo-{username}-2026" in output
    # A single audit event for the bulk load, one per unit.
    assert AuditEvent.objects.filter(object_id="bulk", action=AuditAction.CREATE).count() == 1
    assert AuditEvent.objects.filter(object_type="people.orgunit", action="create").count() == 44
    # The unit head login heads the engineering institute and sees its people only.
    from tirek.people.permissions import visible_people

    head = django_user_model.objects.get(username="unithead")
    seen = visible_people(head)
    assert seen.filter(affiliations__unit__code="IET-IS").exists()
    assert not seen.filter(affiliations__unit__code="LAW-CIV").exists()

    # Idempotent: a second run changes nothing.
    counts = (Person.objects.count(), OrgUnit.objects.count(), AuditEvent.objects.count())
    run()
    assert (Person.objects.count(), OrgUnit.objects.count()) == counts[:2]
    assert AuditEvent.objects.count() == counts[2]


def test_demo_is_deterministic_and_reset_rebuilds(django_user_model):
    run()
    first = list(Person.objects.order_by("iin").values_list("iin", "last_name", "email"))
    run("--reset")
    second = list(Person.objects.order_by("iin").values_list("iin", "last_name", "email"))
    assert first == second
    assert django_user_model.objects.get(username="student").check_password("demo-student-2026")
