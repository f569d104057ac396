"""Models and services: validation, the unit tree, audit rows with personal data masked."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tirek.core.models import AuditAction, AuditEvent
from tirek.core.roles import Role, forget_roles, roles_for
from tirek.people import services
from tirek.people.iin import make_iin
from tirek.people.models import AffiliationStatus, OrgUnit, Person

pytestmark = pytest.mark.django_db

BORN = dt.date(1991, 7, 4)


def test_create_person_writes_masked_audit_row(org):
    iin = make_iin(BORN, "F", 42)
    person = services.create_person(
        None,
        last_name="Құрманова",
        first_name="Іңкәр",
        patronymic="Өркенқызы",
        sex="F",
        birth_date=BORN,
        iin=iin,
        phone="+7 701 234 56 78",
        personal_email="inkar@example.kz",
    )
    assert Person.objects.get(pk=person.pk).last_name == "Құрманова"  # Kazakh letters kept
    event = AuditEvent.objects.filter(object_type="people.person", object_id=str(person.pk)).get()
    assert event.action == AuditAction.CREATE
    text = str(event.changes)
    assert iin not in text and "1991-07-04" not in text
    assert "+7 701 234 56 78" not in text and "inkar@example.kz" not in text
    assert event.changes["after"]["last_name"] == "Құрманова"


def test_birth_date_must_agree_with_iin():
    with pytest.raises(ValidationError) as info:
        services.create_person(
            None,
            last_name="Қасымов",
            first_name="Ерлан",
            birth_date=BORN,
            iin=make_iin(BORN.replace(day=5), "M", 1),
        )
    assert "birth_date" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.create_person(
            None, last_name="Қасымов", first_name="Ерлан", sex="F", iin=make_iin(BORN, "M", 1)
        )
    assert "sex" in info.value.message_dict
    assert not Person.objects.exists()


def test_invalid_iin_refused_and_empty_iins_allowed():
    with pytest.raises(ValidationError):
        services.create_person(None, last_name="Қасымов", first_name="Ерлан", iin="900515300128")
    services.create_person(None, last_name="Қасымов", first_name="Ерлан", iin="")
    services.create_person(None, last_name="Омарова", first_name="Дана", iin="")
    assert Person.objects.filter(iin__isnull=True).count() == 2


def test_update_person_records_only_changes(personas):
    person = personas["employee"].person
    services.update_person(personas["dept_staff"], person, phone="+7 777 111 22 33")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(person.pk)).first()
    assert event.actor == personas["dept_staff"]
    assert set(event.changes["after"]) == {"phone"}
    assert "111 22 33" not in str(event.changes)
    count = AuditEvent.objects.count()
    services.update_person(None, person, phone="+7 777 111 22 33")  # no change, no event
    assert AuditEvent.objects.count() == count


def test_unit_paths_follow_moves(org):
    assert org.chair_a1.path == f"/{org.root.pk}/{org.inst_a.pk}/{org.chair_a1.pk}/"
    services.update_unit(None, org.inst_a, parent=org.inst_b)
    org.chair_a1.refresh_from_db()
    assert org.chair_a1.path.startswith(f"/{org.root.pk}/{org.inst_b.pk}/{org.inst_a.pk}/")
    assert set(OrgUnit.objects.subtree_of([org.inst_b])) == {org.inst_b, org.inst_a, org.chair_a1}


def test_unit_cannot_move_under_itself(org):
    with pytest.raises(ValidationError):
        services.update_unit(None, org.inst_a, parent=org.chair_a1)
    with pytest.raises(ValidationError):
        services.update_unit(None, org.inst_a, parent=org.inst_a)


def test_unit_name_follows_language(org):
    with translation.override("ru"):
        assert org.inst_a.name == "Инженерный институт"
    with translation.override("en"):
        assert org.inst_a.name.startswith("Institute of Engineering")
    with translation.override("en"):
        assert org.root.name == org.root.name_kk  # falls back to Kazakh


def test_derived_roles(personas, django_assert_max_num_queries):
    assert Role.UNIT_HEAD in roles_for(personas["unit_head"])
    assert Role.FACULTY in roles_for(personas["unit_head"])
    assert roles_for(personas["student"]) == {Role.STUDENT}
    assert roles_for(personas["outsider"]) == {Role.EMPLOYEE}
    assert roles_for(personas["auditor"]) == {Role.AUDITOR}
    assert roles_for(personas["dept_head"]) == {Role.DEPT_HEAD, Role.EMPLOYEE}
    unit_head = type(personas["unit_head"]).objects.get(pk=personas["unit_head"].pk)
    with django_assert_max_num_queries(1):
        assert roles_for(unit_head) == {Role.UNIT_HEAD, Role.FACULTY}


def test_ending_affiliation_drops_role_and_scope(personas, org):
    student = personas["student"]
    affiliation = student.person.affiliations.get()
    services.end_affiliation(None, affiliation, status=AffiliationStatus.GRADUATED)
    forget_roles(student)
    assert Role.STUDENT not in roles_for(student)
    from tirek.people.permissions import visible_people

    assert student.person not in visible_people(personas["unit_head"])
    with pytest.raises(ValueError):
        services.end_affiliation(None, affiliation, status=AffiliationStatus.ACTIVE)


def test_closed_unit_head_is_not_unit_head(personas, org):
    services.update_unit(None, org.inst_a, is_active=False)
    forget_roles(personas["unit_head"])
    assert Role.UNIT_HEAD not in roles_for(personas["unit_head"])


def test_affiliation_validation(personas, org):
    person = personas["outsider"].person
    with pytest.raises(ValidationError):
        services.add_affiliation(None, person, kind="employee", unit=org.inst_b, rate="3.00")
    with pytest.raises(ValidationError):
        services.add_affiliation(
            None,
            person,
            kind="employee",
            unit=org.inst_b,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2019, 1, 1),
        )


def test_link_user_moves_login(personas):
    user = personas["outsider"]
    other = personas["employee"].person
    services.link_user(None, other, user)
    user.refresh_from_db()
    assert user.person == other
    assert Person.objects.filter(user=user).count() == 1


def test_staff_edits_contact_through_form(client_for, personas):
    from django.urls import reverse

    person = personas["faculty"].person
    client = client_for("dept_staff")
    url = reverse("people:person_edit", args=[person.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"email": "not-an-email", "personal_email": "", "phone": ""})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    ok = client.post(url, {"email": "s.petrov@test.edu.kz", "personal_email": "", "phone": "1"})
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.email == "s.petrov@test.edu.kz"
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(person.pk), actor=personas["dept_staff"]
    ).exists()


def test_edit_denied_to_others(client_for, personas, org):
    from django.urls import reverse

    person = personas["faculty"].person
    for role in ("unit_head", "auditor", "faculty", "student"):
        client = client_for(role)
        assert client.get(reverse("people:person_edit", args=[person.pk])).status_code == 403
        assert client.post(reverse("people:unit_edit", args=[org.inst_a.pk])).status_code == 403


def test_staff_edits_unit_through_form(client_for, personas, org):
    from django.urls import reverse

    client = client_for("dept_head")
    url = reverse("people:unit_edit", args=[org.chair_a1.pk])
    form = {
        "code": "ignored",
        "name_kk": "Жаңа атау",
        "name_ru": "",
        "name_en": "",
        "kind": "chair",
        "parent": org.inst_b.pk,
        "head": personas["faculty"].person.pk,
        "is_active": "on",
    }
    assert client.post(url, form).status_code == 302
    org.chair_a1.refresh_from_db()
    assert org.chair_a1.code == "CH-A1"  # the code is fixed once created
    assert org.chair_a1.parent == org.inst_b and org.chair_a1.head == personas["faculty"].person
    bad = client.post(url, {**form, "parent": org.chair_a1.pk})
    assert bad.status_code == 200  # not under itself
    new = client.post(
        reverse("people:unit_create"),
        {**form, "code": "NEW", "parent": org.root.pk, "head": ""},
    )
    assert new.status_code == 302 and OrgUnit.objects.filter(code="NEW").exists()
