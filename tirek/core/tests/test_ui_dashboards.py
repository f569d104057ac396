"""The home page shows one panel per role the user holds, and only those."""

import pytest
from django.urls import reverse

from tirek.core.audit import record
from tirek.core.models import AuditAction

pytestmark = pytest.mark.django_db

ALL_PANELS = {
    "dept_head",
    "dept_staff",
    "servicedesk",
    "unit_head",
    "profile",
    "auditor",
    "vice_rector",
}

EXPECTED = {
    "dept_head": {"dept_head", "servicedesk", "profile"},
    "dept_staff": {"dept_staff", "servicedesk", "profile"},
    "unit_head": {"unit_head", "profile"},
    "employee": {"profile"},
    "faculty": {"profile"},
    "student": {"profile"},
    "auditor": {"auditor"},
    "vice_rector": {"vice_rector", "profile"},
    "outsider": {"profile"},
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    # Pages are read in the English source strings (Kazakh is the default language).
    settings.LANGUAGE_CODE = "en"


def _panels(html: str) -> set[str]:
    return {p for p in ALL_PANELS if f'data-testid="panel-{p}"' in html}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_its_panels(client_for, role):
    response = client_for(role).get(reverse("core:home"))
    assert response.status_code == 200
    assert _panels(response.content.decode()) == EXPECTED[role]


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:login"))


def test_user_with_several_roles_sees_each_panel(personas, login_as, client):
    from django.contrib.auth.models import Group

    from tirek.core.roles import forget_roles

    head = personas["dept_head"]
    head.groups.add(Group.objects.get_or_create(name="auditor")[0])
    forget_roles(head)
    html = login_as(client, head).get("/").content.decode()
    assert _panels(html) == {"dept_head", "servicedesk", "auditor", "profile"}


def test_user_without_roles_gets_a_note_not_a_refusal(django_user_model, client):
    user = django_user_model.objects.create_user("nobody", password="x-long-password-1")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-roles"' in html
    assert "Your login is not linked to a person record yet" in html


def test_head_figures_count_todays_failed_logins_and_events(client_for, personas):
    client = client_for("dept_head")
    record(AuditAction.LOGIN_FAILED, object_type="core.user", object_id="x", object_repr="x")
    record(AuditAction.LOGIN_FAILED, object_type="core.user", object_id="y", object_repr="y")
    response = client.get("/")
    panel = response.context["panels"][0]
    assert panel.key == "dept_head"
    assert panel.context["failed_logins_today"] == 2
    assert panel.context["events_today"] >= 2
    # People and units are counted through people.permissions: the head sees everyone.
    from tirek.people.models import OrgUnit, Person

    assert panel.context["people_count"] == Person.objects.count()
    assert panel.context["unit_count"] == OrgUnit.objects.count()


def test_unit_head_sees_their_units_with_people_counts(client_for):
    response = client_for("unit_head").get("/")
    panel = next(p for p in response.context["panels"] if p.key == "unit_head")
    rows = {row["unit"].code: row["people"] for row in panel.context["units"]}
    # Institute A (with Chair A1 under it): unit_head, employee, faculty, student.
    assert rows == {"INST-A": 4}
    assert panel.context["units"][0]["unit"].name in response.content.decode()


def test_profile_shows_own_name_group_and_status(client_for, personas):
    response = client_for("student").get("/")
    html = response.content.decode()
    person = personas["student"].person
    assert person.full_name in html
    assert "ИС-24-1" in html
    assert 'data-testid="profile-affiliation"' in html
    # Nobody else's name reaches a student's home page.
    assert personas["faculty"].person.full_name not in html


def test_vice_rector_sees_aggregate_figures_only(client_for, personas):
    response = client_for("vice_rector").get("/")
    panel = next(p for p in response.context["panels"] if p.key == "vice_rector")
    assert panel.context["students"] == 1
    assert panel.context["faculty"] == 2  # unit_head and faculty
    html = response.content.decode()
    assert personas["student"].person.full_name not in html


def test_auditor_home_does_not_run_verify_on_load(client_for, monkeypatch):
    calls = []
    monkeypatch.setattr("tirek.core.views.verify", lambda: calls.append(1) or iter(()))
    html = client_for("auditor").get("/").content.decode()
    assert calls == []
    assert 'data-testid="audit-verify"' in html


def test_navigation_marks_the_active_item(client_for):
    audit = reverse("core:audit_list")
    # The auditor has one administration entry: a plain link.
    html = client_for("auditor").get(audit).content.decode()
    assert f'class="nav-link active" aria-current="page" href="{audit}"' in html
    # The head has two, in the Administration drop-down.
    html = client_for("dept_head").get(audit).content.decode()
    assert 'data-testid="nav-section-admin"' in html
    assert f'class="dropdown-item active" aria-current="page" href="{audit}"' in html
    assert f'class="dropdown-item" href="{reverse("security:user_list")}"' in html


def test_layout_has_skip_link_footer_and_local_htmx(client_for, settings):
    html = client_for("student").get("/").content.decode()
    assert 'href="#main"' in html and 'id="main"' in html
    assert settings.UNIVERSITY_NAME in html
    assert "vendor/htmx/htmx.min.js" in html
    assert "cdn" not in html.lower()
    assert 'data-testid="sign-out"' in html


def test_desk_panel_counts_the_queue_and_links_to_it(client_for, personas):
    from tirek.access.models import System
    from tirek.servicedesk import services

    platonus = System.objects.get(code="platonus")
    for n in range(3):
        services.submit(personas["employee"], kind="incident", subject=f"Down {n}", system=platonus)
    mine = services.submit(personas["faculty"], kind="question", subject="How?")
    services.assign(personas["dept_staff"], mine, assignee=personas["dept_staff"])
    html = client_for("dept_staff").get(reverse("core:home")).content.decode()
    queue = reverse("servicedesk:queue")
    for key, url, count in (
        ("open", queue, 4),
        ("unassigned", f"{queue}?assignee=none", 3),
        ("mine", f"{queue}?assignee=me", 1),
        ("breached", f"{queue}?sla=breached", 0),
    ):
        assert f'href="{url}" data-testid="desk-{key}"' in html, key
        start = html.index(f'data-testid="desk-{key}"')
        assert f'fw-semibold">{count}</span>' in html[start : start + 300], key
    # Figures are the head's, not the staff's.
    assert reverse("servicedesk:figures") not in html.split('data-testid="panel-servicedesk"')[1]
    head = client_for("dept_head").get(reverse("core:home")).content.decode()
    assert reverse("servicedesk:figures") in head.split('data-testid="panel-servicedesk"')[1]
