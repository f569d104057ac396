"""The main menu: each entry names the capability that shows it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tirek.core.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capabilities: tuple[str, ...]


NAV: list[NavItem] = [
    NavItem(_("Home"), "core:home", ("people.view_self",)),
    NavItem(_("People"), "people:person_list", ("people.view_all", "people.view_unit")),
    NavItem(_("Units"), "people:unit_list", ("orgunits.view",)),
    NavItem(_("Imports"), "people:import_list", ("imports.run",)),
    NavItem(_("Service desk"), "servicedesk:portal", ("servicedesk.submit",)),
    NavItem(_("Queue"), "servicedesk:queue", ("servicedesk.work_queue",)),
    NavItem(_("Figures"), "servicedesk:figures", ("servicedesk.figures",)),
    NavItem(_("My access"), "access:my_access", ("access.request",)),
    NavItem(_("Systems"), "access:system_list", ("access.catalogue_view",)),
    NavItem(_("Approvals"), "access:inbox", ("access.approve",)),
    NavItem(_("Operations"), "access:operation_list", ("access.view_all",)),
    NavItem(_("Audit log"), "core:audit_list", ("audit.view",)),
]


def items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    return [
        {"label": item.label, "url": reverse(item.url_name), "url_name": item.url_name}
        for item in NAV
        if any(can(user, c) for c in item.capabilities)
    ]
