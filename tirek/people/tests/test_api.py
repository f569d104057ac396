"""The read-only API: same scoping and masking as the pages."""

import pytest

from tirek.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_people_list_scoped(client_for, personas):
    everyone = {u.person.pk for u in personas.values()}
    assert _ids(client_for("dept_staff").get("/api/v1/people/")) == everyone
    assert _ids(client_for("auditor").get("/api/v1/people/")) == everyone
    head = _ids(client_for("unit_head").get("/api/v1/people/"))
    assert head == {personas[r].person.pk for r in ("unit_head", "employee", "faculty", "student")}


def test_people_list_denied_to_students_and_employees(client_for):
    for role in ("student", "outsider", "faculty", "vice_rector"):
        assert client_for(role).get("/api/v1/people/").status_code == 403, role


def test_list_is_masked_even_for_staff(client_for, personas):
    body = client_for("dept_staff").get("/api/v1/people/").content.decode()
    for user in personas.values():
        assert user.person.iin not in body
        assert user.person.phone not in body


def test_detail_scoping(client_for, personas):
    outsider = personas["outsider"].person.pk
    assert client_for("unit_head").get(f"/api/v1/people/{outsider}/").status_code == 404
    assert client_for("student").get(f"/api/v1/people/{outsider}/").status_code == 404
    mine = client_for("outsider").get(f"/api/v1/people/{outsider}/")
    assert mine.status_code == 200
    assert mine.json()["iin"] == personas["outsider"].person.iin  # one's own data in the clear


def test_detail_unmasked_for_staff_and_audited(client_for, personas):
    person = personas["faculty"].person
    data = client_for("dept_staff").get(f"/api/v1/people/{person.pk}/").json()
    assert data["iin"] == person.iin
    assert data["birth_date"] == person.birth_date.isoformat()
    assert data["phone"] == person.phone
    event = AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).first()
    assert event.object_id == str(person.pk) and event.changes["extra"]["via"] == "api"


def test_detail_masked_for_auditor_and_unit_head(client_for, personas):
    person = personas["faculty"].person
    for role in ("auditor", "unit_head"):
        data = client_for(role).get(f"/api/v1/people/{person.pk}/").json()
        assert data["iin"] != person.iin and data["iin"].endswith(person.iin[-4:])
        assert data["phone"] != person.phone
        assert data["birth_date"] != person.birth_date.isoformat()
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).exists()


def test_units(client_for, org):
    response = client_for("student").get("/api/v1/units/")
    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} >= {"KRU", "INST-A", "BKEASB"}
    detail = client_for("student").get(f"/api/v1/units/{org.it.pk}/").json()
    assert detail["name_en"] == "Software Development and Support Department"


def test_anonymous_refused(client, org):
    assert client.get("/api/v1/people/").status_code in (401, 403)
    assert client.get("/api/v1/units/").status_code in (401, 403)


def test_token_auth(personas, org):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=personas["unit_head"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/people/").status_code == 200
    outsider = personas["outsider"].person.pk
    assert api.get(f"/api/v1/people/{outsider}/").status_code == 404
