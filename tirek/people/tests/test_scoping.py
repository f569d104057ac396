"""Who sees which people and units, in pages: allowed and denied, per persona."""

import pytest
from django.urls import reverse

from tirek.core.models import AuditAction, AuditEvent
from tirek.people.permissions import visible_people, visible_units

pytestmark = pytest.mark.django_db


def _names(qs):
    return {p.user.username for p in qs if p.user_id}


def test_unit_head_sees_own_subtree_and_self(personas):
    seen = _names(visible_people(personas["unit_head"]))
    assert seen == {"unit_head", "employee", "faculty", "student"}


def test_outsider_and_student_see_only_themselves(personas):
    assert _names(visible_people(personas["outsider"])) == {"outsider"}
    assert _names(visible_people(personas["student"])) == {"student"}


def test_staff_and_auditor_see_everyone(personas):
    for role in ("dept_head", "dept_staff", "auditor"):
        assert visible_people(personas[role]).count() == len(personas)


def test_vice_rector_has_no_people_list(client_for, personas):
    assert client_for("vice_rector").get(reverse("people:person_list")).status_code == 403


def test_person_list_allowed_and_denied(client_for):
    for role in ("dept_head", "dept_staff", "auditor", "unit_head"):
        assert client_for(role).get(reverse("people:person_list")).status_code == 200, role
    for role in ("student", "employee", "faculty", "outsider"):
        assert client_for(role).get(reverse("people:person_list")).status_code == 403, role


def test_denied_list_is_audited(client_for):
    client_for("student").get(reverse("people:person_list"))
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()


def test_unit_head_list_shows_only_their_people(client_for, personas):
    body = client_for("unit_head").get(reverse("people:person_list")).content.decode()
    assert personas["faculty"].person.last_name in body
    assert personas["outsider"].person.last_name not in body
    assert personas["dept_head"].person.last_name not in body


def test_detail_outside_scope_is_404(client_for, personas):
    outsider = personas["outsider"].person
    url = reverse("people:person_detail", args=[outsider.pk])
    assert client_for("unit_head").get(url).status_code == 404
    assert client_for("student").get(url).status_code == 404
    assert client_for("outsider").get(url).status_code == 200


def test_student_sees_self_unmasked(client_for, personas):
    person = personas["student"].person
    body = client_for("student").get(reverse("people:person_detail", args=[person.pk]))
    assert person.iin in body.content.decode()


def test_auditor_sees_all_but_masked_and_cannot_reveal(client_for, personas):
    person = personas["faculty"].person
    client = client_for("auditor")
    body = client.get(reverse("people:person_detail", args=[person.pk])).content.decode()
    assert person.iin not in body
    assert person.iin[-4:] in body
    assert person.phone not in body
    assert person.personal_email not in body
    assert "reveal-pd" not in body
    reveal = client.get(reverse("people:person_personal_data", args=[person.pk]))
    assert reveal.status_code == 403


def test_unit_head_sees_masked(client_for, personas):
    person = personas["faculty"].person
    body = client_for("unit_head").get(reverse("people:person_detail", args=[person.pk]))
    assert person.iin not in body.content.decode()


def test_staff_reveals_personal_data_and_it_is_audited(client_for, personas):
    person = personas["student"].person
    client = client_for("dept_staff")
    body = client.get(reverse("people:person_detail", args=[person.pk])).content.decode()
    assert person.iin not in body and "reveal-pd" in body
    before = AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).count()
    reveal = client.get(reverse("people:person_personal_data", args=[person.pk]))
    assert reveal.status_code == 200
    text = reveal.content.decode()
    assert person.iin in text and person.phone in text and person.personal_email in text
    event = AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).first()
    assert AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).count() == before + 1
    assert event.actor == personas["dept_staff"] and event.object_id == str(person.pk)
    assert person.iin not in str(event.changes) + event.object_repr


def test_search_by_iin_only_for_pd_holders(client_for, personas):
    person = personas["faculty"].person
    url = reverse("people:person_list") + f"?q={person.iin}"
    staff = client_for("dept_staff").get(url).content.decode()
    assert person.last_name in staff
    head = client_for("unit_head").get(url).content.decode()
    assert person.last_name not in head


def test_search_by_name_and_filters(client_for, personas, org):
    client = client_for("dept_head")
    url = reverse("people:person_list")
    body = client.get(url, {"q": "өмірзақ"}).content.decode()
    assert "Өмірзақова" in body and "Петров" not in body
    body = client.get(url, {"kind": "student"}).content.decode()
    assert "Өмірзақова" in body and "Петров" not in body
    body = client.get(url, {"unit": org.inst_b.pk}).content.decode()
    assert "Смирнов" in body and "Петров" not in body
    bad = client.get(url, {"unit": "not-a-unit"})
    assert bad.status_code == 200  # a bad filter is ignored, not a crash


def test_htmx_partial(client_for):
    response = client_for("dept_head").get(
        reverse("people:person_list"),
        {"q": "Петров"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="person-results",
    )
    body = response.content.decode()
    assert "Петров" in body and "<html" not in body


def test_units_open_to_everyone_signed_in(client_for, org):
    for role in ("student", "outsider", "vice_rector"):
        client = client_for(role)
        assert client.get(reverse("people:unit_list")).status_code == 200
        assert client.get(reverse("people:unit_detail", args=[org.it.pk])).status_code == 200


def test_unit_list_is_a_tree(client_for, org):
    body = client_for("student").get(reverse("people:unit_list")).content.decode()
    assert body.index(org.root.name) < body.index(org.inst_a.name) < body.index(org.chair_a1.name)


def test_unit_detail_shows_only_visible_people(client_for, personas, org):
    url = reverse("people:unit_detail", args=[org.chair_a1.pk])
    student_view = client_for("student").get(url).content.decode()
    assert "Өмірзақова" in student_view and "Петров" not in student_view
    head_view = client_for("unit_head").get(url).content.decode()
    assert "Өмірзақова" in head_view and "Петров" in head_view


def test_closed_units_hidden_from_non_staff(personas, org):
    from tirek.people import services

    services.update_unit(None, org.inst_b, is_active=False)
    assert org.inst_b not in visible_units(personas["student"])
    assert org.inst_b in visible_units(personas["auditor"])


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("people:person_list"))
    assert response.status_code == 302
