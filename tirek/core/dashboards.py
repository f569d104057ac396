"""The panels of the home page: one per role a user holds, in a fixed order.

People data is read only through `tirek.people.permissions`, the same querysets the people
pages use, so a dashboard never counts what its reader may not see. The people app builds on
core, so it is imported lazily and the page still renders without it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tirek.core.models import AuditAction, AuditEvent
from tirek.core.permissions import can
from tirek.core.roles import Role, roles_for


@dataclass
class Panel:
    key: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def _people_permissions():
    try:
        from tirek.people import permissions
    except ImportError:  # the people app not installed yet
        return None
    return permissions


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def start_of_today() -> dt.datetime:
    today = timezone.localdate()
    return dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())


def _count(qs_factory) -> int | None:
    try:
        return qs_factory().count()
    except Exception:  # a missing table must not take the home page down
        return None


def head_panel(user) -> Panel:
    perms = _people_permissions()
    since = start_of_today()
    today = AuditEvent.objects.filter(created_at__gte=since)
    return Panel(
        "dept_head",
        "core/panels/dept_head.html",
        {
            "people_count": _count(lambda: perms.visible_people(user)) if perms else None,
            "unit_count": _count(lambda: perms.visible_units(user)) if perms else None,
            "events_today": today.count(),
            "failed_logins_today": today.filter(action=AuditAction.LOGIN_FAILED).count(),
            "people_url": url_or_none("people:person_list"),
            "units_url": url_or_none("people:unit_list"),
            "failed_logins_url": reverse("core:audit_list")
            + f"?action={AuditAction.LOGIN_FAILED}&date_from={timezone.localdate():%Y-%m-%d}",
        },
    )


def staff_panel(user) -> Panel:
    return Panel(
        "dept_staff",
        "core/panels/dept_staff.html",
        {
            "people_url": url_or_none("people:person_list"),
            "units_url": url_or_none("people:unit_list"),
            "operations_url": url_or_none("access:operation_list"),
            "manual_url": url_or_none("manualwork:worklist"),
            "cards_url": url_or_none("cards:card_list"),
        },
    )


def desk_panel(user) -> Panel | None:
    """The service desk queue at a glance: the counts of the queue page, each a link to it."""
    try:
        from tirek.servicedesk import queries
        from tirek.servicedesk.permissions import visible_tickets
    except ImportError:  # the service desk not installed
        return None
    queue = url_or_none("servicedesk:queue")
    if queue is None:
        return None
    counts = queries.queue_counts(visible_tickets(user), user)
    # The same counts, words and filters as the badges of the queue page.
    links = [
        ("open", _("open"), "", "primary"),
        ("unassigned", _("unassigned"), "?assignee=none", "secondary"),
        ("mine", _("mine"), "?assignee=me", "info"),
        ("warning", _("due soon"), "?sla=warning", "warning"),
        ("breached", _("overdue"), "?sla=breached", "danger"),
        ("paused", _("waiting"), "?sla=paused", "light"),
    ]
    return Panel(
        "servicedesk",
        "core/panels/servicedesk.html",
        {
            "queue_url": queue,
            "figures_url": url_or_none("servicedesk:figures")
            if can(user, "servicedesk.figures")
            else None,
            "counts": [
                {
                    "key": key,
                    "label": label,
                    "count": counts[key],
                    "url": queue + query,
                    "colour": c,
                }
                for key, label, query, c in links
            ],
        },
    )


def unit_head_panel(user) -> Panel:
    perms = _people_permissions()
    units: list[dict[str, Any]] = []
    if perms is not None:
        from tirek.people.models import OrgUnit

        visible = perms.visible_people(user)
        for unit in perms.headed_units(user).order_by("path"):
            subtree = OrgUnit.objects.subtree_of([unit])
            people = visible.filter(
                affiliations__unit__in=subtree.values("pk"),
                affiliations__status__in=_current_statuses(),
            ).distinct()
            units.append({"unit": unit, "people": people.count()})
    return Panel(
        "unit_head",
        "core/panels/unit_head.html",
        {"units": units, "people_url": url_or_none("people:person_list")},
    )


def _current_statuses():
    from tirek.people.models import CURRENT_STATUSES

    return CURRENT_STATUSES


def profile_panel(user) -> Panel:
    person = getattr(user, "person", None) if _people_permissions() else None
    affiliations = []
    if person is not None:
        affiliations = list(person.affiliations.select_related("unit", "position"))
    return Panel(
        "profile",
        "core/panels/profile.html",
        {
            "person": person,
            "affiliations": affiliations,
            "profile_url": url_or_none("people:person_detail", person.pk) if person else None,
        },
    )


def auditor_panel(user) -> Panel:
    return Panel(
        "auditor",
        "core/panels/auditor.html",
        {
            "event_count": AuditEvent.objects.count(),
            "events_today": AuditEvent.objects.filter(created_at__gte=start_of_today()).count(),
            "denied_today_url": reverse("core:audit_list")
            + f"?action={AuditAction.PERMISSION_DENIED}"
            f"&date_from={timezone.localdate():%Y-%m-%d}",
        },
    )


def reports_panel(user) -> Panel:
    """Figures for the vice-rector: aggregate counts only, never a list of people."""
    perms = _people_permissions()
    by_kind: dict[str, int] = {}
    unit_count = None
    if perms is not None and can(user, "reports.view"):
        from tirek.people.models import Affiliation

        unit_count = _count(lambda: perms.visible_units(user).filter(is_active=True))
        rows = (
            Affiliation.objects.current().values("kind").annotate(n=Count("person", distinct=True))
        )
        by_kind = {row["kind"]: row["n"] for row in rows}
    return Panel(
        "vice_rector",
        "core/panels/vice_rector.html",
        {
            "unit_count": unit_count,
            "employees": by_kind.get("employee", 0),
            "faculty": by_kind.get("faculty", 0),
            "students": by_kind.get("student", 0),
        },
    )


def panels_for(user) -> list[Panel]:
    roles = roles_for(user)
    panels: list[Panel] = []
    if Role.DEPT_HEAD in roles:
        panels.append(head_panel(user))
    if Role.DEPT_STAFF in roles:
        panels.append(staff_panel(user))
    if can(user, "servicedesk.work_queue"):
        desk = desk_panel(user)
        if desk is not None:
            panels.append(desk)
    if Role.VICE_RECTOR in roles:
        panels.append(reports_panel(user))
    if Role.AUDITOR in roles:
        panels.append(auditor_panel(user))
    if Role.UNIT_HEAD in roles:
        panels.append(unit_head_panel(user))
    if roles & {Role.EMPLOYEE, Role.FACULTY, Role.STUDENT} or not roles:
        panels.append(profile_panel(user))
    return panels
