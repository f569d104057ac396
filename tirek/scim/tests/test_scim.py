"""Tirek's SCIM service: authentication, resources, filters, paging, attributes, writes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

USERS = "/scim/v2/Users"
GROUPS = "/scim/v2/Groups"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def token_client(user) -> Client:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return Client(headers={"authorization": f"Bearer {token.key}"})


@pytest.fixture
def scim(personas):
    """A SCIM consumer holding a staff member's API token."""
    return token_client(personas["dept_staff"])


def body(response) -> dict:
    return json.loads(response.content)


def user_names(response) -> list[str]:
    return sorted(r["userName"] for r in body(response).get("Resources", []))


# --- who may read ------------------------------------------------------------------------


def test_anonymous_gets_401_with_a_scim_error(personas):
    response = Client().get(USERS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"
    assert body(response)["schemas"] == [ERROR]
    assert "Bearer" in response["WWW-Authenticate"]


def test_a_bad_token_gets_401(personas):
    response = Client(headers={"authorization": "Bearer nope"}).get(USERS)
    assert response.status_code == 401
    assert body(response)["schemas"] == [ERROR]


@pytest.mark.parametrize("role", ["student", "employee", "unit_head", "vice_rector"])
def test_without_scim_read_gets_403_and_is_audited(personas, role):
    from tirek.core.models import AuditAction, AuditEvent

    response = token_client(personas[role]).get(USERS)
    assert response.status_code == 403
    assert body(response)["status"] == "403"
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_DENIED, actor=personas[role], object_repr=USERS
    ).exists()


@pytest.mark.parametrize("role", ["dept_head", "dept_staff", "auditor"])
def test_those_who_see_everyone_may_read(personas, role):
    assert token_client(personas[role]).get(USERS).status_code == 200


def test_the_drf_token_keyword_works_too(personas):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas["dept_head"])
    assert Client().get(USERS, headers={"authorization": f"Token {token.key}"}).status_code == 200


# --- read-only ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", USERS),
        ("PUT", f"{USERS}/1"),
        ("PATCH", f"{USERS}/1"),
        ("DELETE", f"{USERS}/1"),
        ("POST", GROUPS),
        ("DELETE", f"{GROUPS}/unit-1"),
    ],
)
def test_writes_are_not_implemented(scim, method, path):
    payload = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"}
    response = scim.generic(method, path, json.dumps(payload), content_type="application/scim+json")
    assert response.status_code == 501
    assert body(response)["schemas"] == [ERROR]


def test_service_provider_config_says_read_only(scim):
    config = body(scim.get("/scim/v2/ServiceProviderConfig"))
    assert config["patch"]["supported"] is False
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["etag"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_discovery_lists_users_and_groups(scim):
    types = body(scim.get("/scim/v2/ResourceTypes"))
    assert {r["name"] for r in types["Resources"]} == {"User", "Group"}
    schemas = body(scim.get("/scim/v2/Schemas"))
    assert ENTERPRISE in {s["id"] for s in schemas["Resources"]}


# --- users ---------------------------------------------------------------------------------


def test_a_user_carries_unit_position_and_manager(scim, personas, org):
    from tirek.people.models import Position

    person = personas["employee"].person
    affiliation = person.affiliations.get()
    affiliation.position = Position.objects.create(
        code="ENG", title_kk="Инженер", title_en="Engineer", category="staff"
    )
    affiliation.save()
    user = body(scim.get(f"{USERS}/{person.pk}"))
    assert user["userName"] == "employee@test.edu.kz"
    assert user["name"]["familyName"] == "Сейітов"
    assert user["emails"] == [{"value": "employee@test.edu.kz", "type": "work", "primary": True}]
    assert user["active"] is True
    assert user["userType"] == "employee"
    assert user["title"] == "Инженер"
    ext = user[ENTERPRISE]
    assert ext["department"] == org.inst_a.name_kk
    assert ext["manager"]["value"] == str(personas["unit_head"].person.pk)
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"].endswith(f"/scim/v2/Users/{person.pk}")
    assert f"unit-{org.inst_a.pk}" in {g["value"] for g in user["groups"]}


def test_a_leaver_is_inactive_and_a_person_without_email_gets_a_stable_name(scim, personas):
    from tirek.people import services

    person = personas["outsider"].person
    services.end_affiliation(None, person.affiliations.get(), status="dismissed")
    type(person).objects.filter(pk=person.pk).update(email="")
    user = body(scim.get(f"{USERS}/{person.pk}"))
    assert user["active"] is False
    assert user["userName"] == f"person-{person.pk}"
    found = scim.get(USERS, {"filter": f'userName eq "person-{person.pk}"'})
    assert [r["id"] for r in body(found)["Resources"]] == [str(person.pk)]


def test_unknown_user_is_404(scim):
    for path in (f"{USERS}/999999", f"{USERS}/abc", f"{GROUPS}/unit-999999", f"{GROUPS}/x-1"):
        response = scim.get(path)
        assert response.status_code == 404, path
        assert body(response)["schemas"] == [ERROR]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "STUDENT@test.edu.kz"', ["student@test.edu.kz"]),
        ('userName co "head"', ["dept_head@test.edu.kz", "unit_head@test.edu.kz"]),
        ('userName sw "dept"', ["dept_head@test.edu.kz", "dept_staff@test.edu.kz"]),
        ('userName ew "or@test.edu.kz"', ["auditor@test.edu.kz", "vice_rector@test.edu.kz"]),
        ('name.familyName eq "Петров"', ["faculty@test.edu.kz"]),
        ('userName sw "dept" and name.givenName eq "Ольга"', ["dept_staff@test.edu.kz"]),
        (
            'userName eq "student@test.edu.kz" or userName eq "faculty@test.edu.kz"',
            ["faculty@test.edu.kz", "student@test.edu.kz"],
        ),
        ('emails.value eq "auditor@test.edu.kz"', ["auditor@test.edu.kz"]),
        ('emails[type eq "work" and value sw "outs"]', ["outsider@test.edu.kz"]),
        (
            'not (userName co "_") and userName pr',
            [f"{r}@test.edu.kz" for r in ("auditor", "employee", "faculty", "outsider", "student")],
        ),
        # Not translated to SQL: evaluated on the resources instead, with the same answer.
        ('displayName co "Ольга"', ["dept_staff@test.edu.kz"]),
        (
            f'{ENTERPRISE}:department eq "Гуманитарлық институт"',
            ["outsider@test.edu.kz"],
        ),
        ('userType eq "student"', ["student@test.edu.kz"]),
    ],
)
def test_filters(scim, expression, expected):
    response = scim.get(USERS, {"filter": expression})
    assert response.status_code == 200, response.content
    assert user_names(response) == expected
    assert body(response)["totalResults"] == len(expected)


def test_active_and_last_modified_filters(scim, personas):
    """The filters of an incremental sync client, answered in SQL."""
    import datetime as dt

    from django.utils import timezone

    from tirek.people import services
    from tirek.people.models import Person

    person = personas["outsider"].person
    services.end_affiliation(None, person.affiliations.get(), status="dismissed")
    inactive = body(scim.get(USERS, {"filter": "active eq false"}))
    # The auditor persona has no affiliation at all: also inactive.
    assert {r["userName"] for r in inactive["Resources"]} == {
        "outsider@test.edu.kz",
        "auditor@test.edu.kz",
    }
    assert body(scim.get(USERS, {"filter": "active eq true"}))["totalResults"] == len(personas) - 2
    assert body(scim.get(USERS, {"filter": "active ne true"}))["totalResults"] == 2

    past = timezone.now() - dt.timedelta(days=1)
    Person.objects.update(updated_at=past)
    Person.objects.filter(pk=person.pk).update(updated_at=timezone.now())
    since = (past + dt.timedelta(hours=1)).isoformat()
    changed = body(scim.get(USERS, {"filter": f'meta.lastModified gt "{since}"'}))
    assert [r["id"] for r in changed["Resources"]] == [str(person.pk)]


def test_a_bad_filter_is_400_invalid_filter(scim):
    response = scim.get(USERS, {"filter": "userName eq"})
    assert response.status_code == 400
    assert body(response)["scimType"] == "invalidFilter"


def test_pagination(scim, personas):
    first = body(scim.get(USERS, {"startIndex": 1, "count": 4}))
    second = body(scim.get(USERS, {"startIndex": 5, "count": 4}))
    third = body(scim.get(USERS, {"startIndex": 9, "count": 4}))
    assert first["totalResults"] == len(personas)
    assert (first["startIndex"], first["itemsPerPage"]) == (1, 4)
    ids = [r["id"] for page in (first, second, third) for r in page.get("Resources", [])]
    assert len(ids) == len(set(ids)) == len(personas)
    assert body(scim.get(USERS, {"count": 0}))["totalResults"] == len(personas)


def test_attributes_and_excluded_attributes(scim, personas):
    pk = personas["student"].person.pk
    only = body(scim.get(f"{USERS}/{pk}", {"attributes": "userName,name.familyName"}))
    assert set(only) == {"schemas", "id", "userName", "name"}
    assert set(only["name"]) == {"familyName"}
    without = body(scim.get(USERS, {"excludedAttributes": "groups,emails"}))
    assert all("groups" not in r and "emails" not in r for r in without["Resources"])
    assert all("userName" in r for r in without["Resources"])


def test_etag_and_if_none_match(scim, personas):
    pk = personas["student"].person.pk
    response = scim.get(f"{USERS}/{pk}")
    etag = response["ETag"]
    assert etag.startswith('W/"')
    assert scim.get(f"{USERS}/{pk}", headers={"if-none-match": etag}).status_code == 304
    person = personas["student"].person
    person.first_name = "Айгерим"
    person.save()
    changed = scim.get(f"{USERS}/{pk}", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_search_with_post(scim):
    response = scim.post(
        f"{USERS}/.search",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": 'userName sw "student"',
                "attributes": ["userName"],
            }
        ),
        content_type="application/scim+json",
    )
    assert response.status_code == 200, response.content
    assert user_names(response) == ["student@test.edu.kz"]


# --- groups --------------------------------------------------------------------------------


def test_units_and_roles_are_groups(scim, personas, org):
    from tirek.access import services as access
    from tirek.access.models import SystemRole

    role = SystemRole.objects.get(system__code="dspace", code="submitter")
    access.grant_role(None, personas["faculty"].person, role, reason="test")

    unit = body(scim.get(f"{GROUPS}/unit-{org.chair_a1.pk}"))
    assert unit["displayName"] == org.chair_a1.name_kk
    assert unit["externalId"] == "CH-A1"
    members = {m["value"] for m in unit["members"]}
    assert members == {str(personas["faculty"].person.pk), str(personas["student"].person.pk)}

    found = body(scim.get(GROUPS, {"filter": 'displayName eq "dspace/submitter"'}))
    assert found["totalResults"] == 1
    group = found["Resources"][0]
    assert group["id"] == f"role-{role.pk}"
    assert [m["value"] for m in group["members"]] == [str(personas["faculty"].person.pk)]

    listing = body(scim.get(GROUPS, {"excludedAttributes": "members"}))
    # The five units of the test university and every role of the catalogue.
    assert listing["totalResults"] == 5 + SystemRole.objects.count()


@pytest.mark.parametrize(
    "expression",
    [
        'userName eq "a@ksu.edu.kz"',
        'userName sw "a" and name.familyName co "b"',
        'emails.value ew "@ksu.edu.kz" or externalId eq "HR-1"',
        "active eq true",
        'meta.lastModified ge "2026-01-01T00:00:00Z"',
        'not (id eq "5")',
        f"{ENTERPRISE}:employeeNumber pr",
    ],
)
def test_common_user_filters_run_in_sql(expression):
    """The common filters must not fall back to building every resource in memory."""
    from scim2_models import ScimFilter

    from tirek.scim.storage import _user_q

    _user_q(ScimFilter(expression).ast)  # raises _Fallback when it cannot


def test_other_filters_fall_back(expression='displayName co "x"'):
    from scim2_models import ScimFilter

    from tirek.scim.storage import _Fallback, _user_q

    with pytest.raises(_Fallback):
        _user_q(ScimFilter(expression).ast)
