"""One catalogue of systems, business-hour figures, priority changes, access requests linked
to service requests, and delegates for publication requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from tirek.access.models import System
from tirek.core.models import AuditEvent
from tirek.servicedesk import figures, services, sla
from tirek.servicedesk.models import Kind, Priority, Status, SystemProfile, Ticket
from tirek.servicedesk.tests.test_services import at, report

EN = {"Accept-Language": "en"}


# --- one catalogue of systems ---------------------------------------------------------------


def test_status_page_lists_the_systems_the_desk_shows(services, platonus):
    hr = System.objects.get(code="hr")
    SystemProfile.objects.filter(system=hr).update(on_status_page=False)
    text = Client().get(reverse("servicedesk:status"), headers=EN).text
    assert "Platonus" in text and "University website" in text
    assert hr.name_en not in text


def test_a_ticket_without_a_system_is_about_other(client_for, personas, services):
    client = client_for("employee")
    response = client.post(
        reverse("servicedesk:submit", args=["incident"]),
        {"system": "", "subject": "Printer", "description": "jams", "urgency": 2},
    )
    ticket = Ticket.objects.get(subject="Printer")
    assert response.status_code == 302 and ticket.system is None
    bad = client.post(
        reverse("servicedesk:submit", args=["incident"]),
        {"system": "999999", "subject": "Bad", "description": "x", "urgency": 2},
        headers=EN,
    )
    assert bad.status_code == 200 and not Ticket.objects.filter(subject="Bad").exists()


def test_owning_team_comes_from_the_systems_profile(personas, team, platonus):
    ticket = report(personas["employee"], platonus)
    assert ticket.team == team and ticket.assignee is not None
    other = report(personas["employee"], System.objects.get(code="kabis"))
    assert other.team is None and other.assignee is None


def test_api_filters_and_creates_by_system_code(client_for, personas, platonus):
    client = client_for("employee")
    bad = client.post(
        reverse("ticket-list"),
        {"kind": "incident", "subject": "x", "system": "no-such-system"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "system" in bad.json()


# --- figures in business hours --------------------------------------------------------------


def test_mean_times_are_business_hours(personas, platonus):
    staff = personas["dept_staff"]
    # Opened on Friday 17:00; answered Monday 10:00 = 1 h (Fri 17-18) + 1 h (Mon 9-10) = 2 h
    # of business time, though 65 calendar hours passed. Resolved Monday 12:00 = 4 h.
    ticket = report(personas["employee"], platonus, now=at(2026, 11, 20, 17))
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_at=at(2026, 11, 23, 10), resolved_at=at(2026, 11, 23, 12),
        status=Status.RESOLVED,
    )  # fmt: skip
    # A second one waited 1 business hour for its requester: that hour is not counted.
    other = report(personas["student"], platonus, now=at(2026, 11, 23, 9))
    Ticket.objects.filter(pk=other.pk).update(
        first_response_at=at(2026, 11, 23, 9, 30), resolved_at=at(2026, 11, 23, 12),
        status=Status.RESOLVED, paused_seconds=3600,
    )  # fmt: skip
    result = figures.compute(Ticket.objects.all(), dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    month = result.months[0]
    assert month.respond_hours == round((2 + 0.5) / 2, 1)
    assert month.resolve_hours == round((4 + 2) / 2, 1)  # (4 h) and (3 h - 1 h paused)
    assert [r.label for r in result.by_system] == ["Platonus"]
    assert result.by_system[0].resolve_hours == 3.0
    del staff


# --- impact and urgency ---------------------------------------------------------------------


def test_staff_change_priority_and_the_targets_follow(personas, platonus):
    staff, employee = personas["dept_staff"], personas["employee"]
    opened = at(2026, 11, 23, 9)  # Monday
    ticket = report(employee, platonus, impact=3, urgency=3, now=opened)  # P4: 40 h
    assert ticket.priority == Priority.LOW
    ticket.paused_seconds = 3600  # it waited one business hour for the requester
    ticket.save()
    ticket = services.set_priority(staff, ticket, impact=1, urgency=1, now=at(2026, 11, 23, 10))
    assert ticket.priority == Priority.CRITICAL
    cal = sla.calendar()
    # P1 incident: 0.5 h to respond, 4 h to resolve, counted from the opening, pause kept.
    assert ticket.response_due == cal.add(opened, 0.5 * 3600 + 3600)
    assert ticket.resolution_due == cal.add(opened, 4 * 3600 + 3600)
    event = AuditEvent.objects.filter(object_id=str(ticket.pk)).latest("id")
    assert event.changes["extra"]["action"] == "priority"
    note = ticket.comments.get()
    assert note.internal and "P4" in note.body and "P1" in note.body
    with pytest.raises(PermissionDenied):
        services.set_priority(employee, ticket, impact=3, urgency=3)
    with pytest.raises(ValidationError):
        services.set_priority(staff, ticket, impact=7, urgency=1)


def test_lowering_priority_lifts_a_breach_that_no_longer_is(personas, platonus):
    staff = personas["dept_staff"]
    ticket = report(personas["employee"], platonus, impact=1, urgency=1, now=at(2026, 11, 23, 9))
    services.check_sla(now=at(2026, 11, 23, 14))  # past the 4 h of P1: escalated
    ticket.refresh_from_db()
    assert ticket.resolution_breached and ticket.escalated_at
    ticket = services.set_priority(staff, ticket, impact=3, urgency=3, now=at(2026, 11, 23, 14))
    assert not ticket.resolution_breached and ticket.escalated_at is None
    assert sla.state(ticket, at(2026, 11, 23, 14)) == sla.SlaState.OK


def test_priority_form_on_the_ticket_page(client_for, personas, platonus):
    ticket = report(personas["employee"], platonus, impact=3, urgency=3)
    url = reverse("servicedesk:ticket_action", args=[ticket.pk])
    staff = client_for("dept_staff")
    assert 'name="impact"' in staff.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])).text
    staff.post(url, {"action": "priority", "impact": "1", "urgency": "2"})
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    bad = staff.post(url, {"action": "priority", "impact": "x", "urgency": "2"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH and bad.status_code == 200
    requester = client_for("employee")
    assert (
        requester.post(url, {"action": "priority", "impact": "1", "urgency": "1"}).status_code
        == 403
    )
    assert Ticket.objects.get(pk=ticket.pk).kind == Kind.INCIDENT


# --- service requests that carry an access request ------------------------------------------


def _ask_for_platonus_teacher(client):
    from tirek.access.models import SystemRole

    role = SystemRole.objects.get(system__code="platonus", code="teacher")
    return role, client.post(
        reverse("servicedesk:submit", args=["service_request"]),
        {
            "request_type": "access",
            "system": role.system_id,
            "role": role.pk,
            "subject": "Platonus as a teacher",
            "description": "I teach a course from January.",
            "urgency": 3,
        },
    )


def test_service_request_files_an_access_request_and_follows_it(
    client_for, personas, services, django_capture_on_commit_callbacks
):
    from tirek.access import services as access
    from tirek.access.models import Operation, RequestStatus
    from tirek.access.permissions import decidable_approvals

    employee = client_for("employee")
    role, response = _ask_for_platonus_teacher(employee)
    ticket = Ticket.objects.get(subject="Platonus as a teacher")
    assert response.status_code == 302
    req = ticket.access_request
    assert req.role == role and req.person == personas["employee"].person
    assert req.status == RequestStatus.PENDING and ticket.system.code == "platonus"
    page = employee.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]), headers=EN).text
    assert "Access request" in page and "waiting for approval" in page
    # The head of the unit approves; the system has no owner, so the department head decides.
    (step,) = decidable_approvals(personas["unit_head"])
    access.decide(personas["unit_head"], step, approve=True)
    (step,) = decidable_approvals(personas["dept_head"])
    access.decide(personas["dept_head"], step, approve=True)
    ticket.refresh_from_db()
    assert ticket.is_open
    assert "approved" in ticket.comments.filter(internal=False).last().body
    # Platonus is a manual system: its work items wait for staff, who confirm them when done.
    from tirek.manualwork import services as manual
    from tirek.manualwork.models import WorkItem

    manual.collect()
    items = list(WorkItem.objects.filter(operation__account__grants__request=req).order_by("id"))
    assert len(items) == Operation.objects.filter(account__grants__request=req).count()
    for item in items[:-1]:
        manual.confirm(personas["dept_staff"], item)
    assert Ticket.objects.get(pk=ticket.pk).is_open  # one work item still open
    manual.confirm(personas["dept_staff"], items[-1])
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert "granted" in ticket.comments.filter(internal=False).last().body


def test_rejected_access_request_is_told_on_the_ticket(
    client_for, personas, services, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from tirek.access import services as access
    from tirek.access.permissions import decidable_approvals
    from tirek.servicedesk.tests.test_services import IMMEDIATE

    settings.TASKS = IMMEDIATE
    _role, _ = _ask_for_platonus_teacher(client_for("employee"))
    ticket = Ticket.objects.get(subject="Platonus as a teacher")
    (step,) = decidable_approvals(personas["unit_head"])
    mailoutbox.clear()
    # The approver works in Russian; the note is in the requester's language (English here).
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        access.decide(personas["unit_head"], step, approve=False, comment="Not in the plan")
    ticket.refresh_from_db()
    note = ticket.comments.filter(internal=False).last()
    assert "rejected" in note.body and "Not in the plan" in note.body and ticket.is_open
    assert [m.to for m in mailoutbox] == [["employee@test.edu.kz"]]
    assert "Not in the plan" in mailoutbox[0].body


def test_access_request_bad_input_and_denials(client_for, personas, services):
    from tirek.access import services as access
    from tirek.access.models import SystemRole

    client = client_for("employee")
    role = SystemRole.objects.get(system__code="platonus", code="teacher")
    url = reverse("servicedesk:submit", args=["service_request"])
    base = {"subject": "S", "description": "d", "urgency": 3}
    # A role with a request that is not about access; a role of another system.
    for data in (
        {"request_type": "install", "role": role.pk},
        {"request_type": "access", "role": role.pk, "system": System.objects.get(code="hr").pk},
    ):
        assert client.post(url, {**base, **data}, headers=EN).status_code == 200
    assert not Ticket.objects.filter(subject="S").exists()
    # Someone else's access request cannot be linked (it is not in the form's choices).
    other = access.request_access(
        personas["outsider"], personas["outsider"].person, role, reason="x"
    )
    assert (
        client.post(url, {**base, "request_type": "access", "access_request": other.pk}).status_code
        == 200
    )
    assert not Ticket.objects.filter(subject="S").exists()


def test_staff_link_an_existing_access_request(client_for, personas, services, platonus):
    from tirek.access import services as access
    from tirek.access.models import SystemRole

    role = SystemRole.objects.get(system__code="platonus", code="teacher")
    outsider = personas["outsider"]
    req = access.request_access(outsider, outsider.person, role, reason="x")
    from tirek.servicedesk import services as sd

    ticket = sd.submit(outsider, kind=Kind.SERVICE_REQUEST, subject="Access", request_type="access")
    url = reverse("servicedesk:ticket_action", args=[ticket.pk])
    assert (
        client_for("outsider")
        .post(url, {"action": "link_access", "access_request": req.pk})
        .status_code
        == 403
    )
    staff = client_for("dept_staff")
    staff.post(url, {"action": "link_access", "access_request": "#999999"})
    assert Ticket.objects.get(pk=ticket.pk).access_request is None
    mine = access.request_access(
        personas["employee"], personas["employee"].person, role, reason="y"
    )
    staff.post(url, {"action": "link_access", "access_request": mine.pk})  # not the requester's
    assert Ticket.objects.get(pk=ticket.pk).access_request is None
    staff.post(url, {"action": "link_access", "access_request": f"#{req.pk}"})
    ticket.refresh_from_db()
    assert ticket.access_request == req and ticket.system == platonus
    incident = report(outsider, platonus)
    with pytest.raises(ValidationError):
        sd.link_access_request(personas["dept_staff"], incident, req)
    # The ticket page shows the linked request, its role and where it stands.
    page = staff.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]), headers=EN)
    assert 'data-testid="access-request"' in page.text and f"#{req.pk}" in page.text
    assert str(role) in page.text


def test_api_links_an_existing_access_request(client_for, personas, services, platonus):
    from tirek.access import services as access
    from tirek.access.models import SystemRole
    from tirek.servicedesk import services as sd

    role = SystemRole.objects.get(system__code="platonus", code="teacher")
    outsider = personas["outsider"]
    req = access.request_access(outsider, outsider.person, role, reason="x")
    mine = access.request_access(
        personas["employee"], personas["employee"].person, role, reason="y"
    )
    ticket = sd.submit(outsider, kind=Kind.SERVICE_REQUEST, subject="Access", request_type="access")
    url = reverse("ticket-link-access", args=[ticket.pk])
    # The requester may not link (only staff do), even their own request.
    denied = client_for("outsider").post(url, {"access_request": req.pk})
    assert denied.status_code == 403
    staff = client_for("dept_staff")
    for bad in ({}, {"access_request": "abc"}, {"access_request": 0}, {"access_request": 999999}):
        answer = staff.post(url, bad, headers=EN)
        assert answer.status_code == 400 and "access_request" in answer.json(), bad
    assert (
        "No access request"
        in staff.post(url, {"access_request": 999999}).json()["access_request"][0]
    )
    # Someone else's request is refused with a field error; nothing is linked.
    other = staff.post(url, {"access_request": mine.pk}, headers=EN)
    assert other.status_code == 400 and "not the requester" in str(other.json())
    assert Ticket.objects.get(pk=ticket.pk).access_request is None
    done = staff.post(url, {"access_request": req.pk}, headers=EN)
    assert done.status_code == 200, done.content
    assert done.json()["access_request"] == req.pk and done.json()["system"] == "platonus"
    assert AuditEvent.objects.filter(
        object_type="servicedesk.ticket",
        object_id=str(ticket.pk),
        changes__extra__action="link_access_request",
    ).exists()
    # An incident cannot carry an access request.
    incident = report(outsider, platonus)
    wrong = staff.post(
        reverse("ticket-link-access", args=[incident.pk]), {"access_request": req.pk}
    )
    assert wrong.status_code == 400


# --- delegates for publication requests -----------------------------------------------------


def _publication_form(**extra) -> dict:
    return {
        "subject": "Conference news",
        "target_site": "ksu.edu.kz",
        "section": "News",
        "wanted_date": "2026-12-20",
        "title_kk": "Конференция",
        "text_kk": "Мәтін",
        **extra,
    }


def test_head_names_a_delegate_who_files_and_confirms(client_for, personas, org):
    head, employee = client_for("unit_head"), client_for("employee")
    # Before: the employee may not file publication requests.
    assert employee.get(reverse("servicedesk:submit", args=["publication"])).status_code == 403
    response = head.post(
        reverse("servicedesk:delegates"), {"unit": org.inst_a.pk, "user": personas["employee"].pk}
    )
    assert response.status_code == 302
    delegation = personas["employee"].publication_delegations.get()
    assert AuditEvent.objects.filter(
        object_type="servicedesk.publicationdelegate", object_id=str(delegation.pk)
    ).exists()
    employee.post(reverse("servicedesk:submit", args=["publication"]), _publication_form())
    ticket = Ticket.objects.get(subject="Conference news")
    assert ticket.requester_unit == org.inst_a and ticket.kind == Kind.PUBLICATION
    # The head sees it and may confirm it; the head's own request is seen by the delegate.
    assert head.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])).status_code == 200
    own = services.submit(
        personas["unit_head"], kind=Kind.PUBLICATION, subject="Head's news",
        publication={"target_site": "ksu.edu.kz", "wanted_date": dt.date(2026, 12, 1),
                     "text_kk": "x"},
    )  # fmt: skip
    assert employee.get(reverse("servicedesk:ticket_detail", args=[own.pk])).status_code == 200
    staff = personas["dept_staff"]
    services.transition(staff, own, Status.IN_REVIEW)
    services.transition(staff, own, Status.PUBLISHED, published_url="https://ksu.edu.kz/n/1")
    services.transition(personas["employee"], own, Status.CONFIRMED)  # the delegate confirms
    assert Ticket.objects.get(pk=own.pk).status == Status.CONFIRMED
    # Other tickets of the unit stay the head's business, not the delegate's.
    faculty_report = report(personas["faculty"], System.objects.get(code="platonus"))
    assert (
        employee.get(reverse("servicedesk:ticket_detail", args=[faculty_report.pk])).status_code
        == 404
    )
    # Revoked: the employee no longer files nor sees the unit's requests.
    head.post(reverse("servicedesk:delegate_revoke", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.revoked_at and delegation.revoked_by == personas["unit_head"]
    assert employee.get(reverse("servicedesk:submit", args=["publication"])).status_code == 403
    assert employee.get(reverse("servicedesk:ticket_detail", args=[own.pk])).status_code == 404
    # The employee's own request stays theirs.
    assert employee.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])).status_code == 200


def test_delegation_ends_on_its_date(personas, org):
    from tirek.servicedesk.permissions import may_request_publication

    delegation = services.add_delegate(
        personas["unit_head"], org.inst_a, personas["employee"], valid_until=dt.date.today()
    )
    assert may_request_publication(personas["employee"])
    type(delegation).objects.filter(pk=delegation.pk).update(
        valid_until=dt.date.today() - dt.timedelta(days=1)
    )
    assert not may_request_publication(personas["employee"])


def test_delegation_denials_and_bad_input(client_for, personas, org):
    head = personas["unit_head"]
    with pytest.raises(ValidationError):  # not a person of the unit
        services.add_delegate(head, org.inst_a, personas["outsider"])
    with pytest.raises(ValidationError):  # a date in the past
        services.add_delegate(
            head, org.inst_a, personas["employee"], valid_until=dt.date(2000, 1, 1)
        )
    with pytest.raises(PermissionDenied):  # not the head of that unit
        services.add_delegate(head, org.inst_b, personas["outsider"])
    with pytest.raises(PermissionDenied):  # an employee cannot name delegates
        services.add_delegate(personas["employee"], org.inst_a, personas["faculty"])
    delegation = services.add_delegate(head, org.inst_a, personas["faculty"])  # Chair A1
    with pytest.raises(ValidationError):  # twice
        services.add_delegate(head, org.inst_a, personas["faculty"])
    with pytest.raises(PermissionDenied):
        services.revoke_delegate(personas["dept_head"], delegation)
    # Pages: only heads of unit; someone else's delegation is not found.
    assert client_for("employee").get(reverse("servicedesk:delegates")).status_code == 403
    page = client_for("unit_head").post(
        reverse("servicedesk:delegates"), {"unit": org.inst_a.pk, "user": "nobody"}, headers=EN
    )
    assert page.status_code == 200 and "Select a valid choice" in page.text
    services.revoke_delegate(head, delegation)
    with pytest.raises(ValidationError):
        services.revoke_delegate(head, delegation)


def test_department_head_sets_team_and_status_page(client_for, personas, team, platonus):
    from tirek.servicedesk.models import Team

    library = Team.objects.create(name="Library")
    kabis = System.objects.get(code="kabis")
    head = client_for("dept_head")
    page = head.get(reverse("servicedesk:systems"), headers=EN)
    assert page.status_code == 200 and 'form="f-kabis"' in page.text
    url = reverse("servicedesk:system_profile", args=["kabis"])
    head.post(url, {"kabis-team": library.pk, "kabis-position": "5"})
    profile = SystemProfile.objects.get(system=kabis)
    assert profile.team == library and profile.position == 5 and not profile.on_status_page
    assert AuditEvent.objects.filter(
        object_type="servicedesk.systemprofile", object_id=str(profile.pk)
    ).exists()
    assert report(personas["employee"], kabis).team == library
    head.post(url, {"kabis-position": "-3", "kabis-on_status_page": "on"})
    assert SystemProfile.objects.get(system=kabis).position == 5  # refused
    assert client_for("dept_staff").post(url, {"kabis-position": "1"}).status_code == 403
    assert (
        head.post(
            reverse("servicedesk:system_profile", args=["nope"]), {"nope-position": "1"}
        ).status_code
        == 404
    )


def test_api_files_an_access_request_and_staff_set_priority(client_for, personas, platonus):
    client = client_for("employee")
    url = reverse("ticket-list")
    body = {"kind": "service_request", "subject": "Teacher role", "request_type": "access"}
    bad = client.post(
        url, {**body, "access_role": "platonus:nope"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "access_role" in bad.json()
    wrong_kind = client.post(
        url,
        {**body, "request_type": "install", "access_role": "platonus:teacher"},
        content_type="application/json",
    )
    assert wrong_kind.status_code == 400
    made = client.post(
        url, {**body, "access_role": "platonus:teacher"}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["access_request"] and data["access_status"] == "pending"
    assert data["system"] == "platonus" and "access_role" not in data
    priority = reverse("ticket-priority", args=[data["id"]])
    assert client.post(priority, {"impact": 1, "urgency": 1}).status_code == 403
    staff = client_for("dept_staff")
    assert staff.post(priority, {"impact": 9, "urgency": 1}).status_code == 400
    changed = staff.post(priority, {"impact": 1, "urgency": 1})
    assert changed.status_code == 200 and changed.json()["priority"] == Priority.CRITICAL


def test_department_head_makes_teams_of_staff(client_for, personas, services):
    from tirek.servicedesk.models import Team

    head = client_for("dept_head")
    staff = personas["dept_staff"]
    head.post(
        reverse("servicedesk:team_create"), {"new-name": "Library", "new-members": [staff.pk]}
    )
    team = Team.objects.get(name="Library")
    assert list(team.members.all()) == [staff]
    assert AuditEvent.objects.filter(
        object_type="servicedesk.team", object_id=str(team.pk)
    ).exists()
    # Only staff can be members; a name is needed; names are unique.
    url = reverse("servicedesk:team_save", args=[team.pk])
    head.post(
        url, {f"team{team.pk}-name": "Library", f"team{team.pk}-members": [personas["employee"].pk]}
    )
    assert list(team.members.all()) == [staff]
    head.post(reverse("servicedesk:team_create"), {"new-name": "library"})
    assert Team.objects.count() == 1
    head.post(url, {f"team{team.pk}-name": "Library and KABIS", f"team{team.pk}-members": []})
    team.refresh_from_db()
    assert team.name == "Library and KABIS" and not team.members.exists()
    page = head.get(reverse("servicedesk:systems"), headers=EN).text
    assert "Library and KABIS" in page
    assert client_for("dept_staff").post(url, {f"team{team.pk}-name": "x"}).status_code == 403
