"""The main menu: each entry names the capability that shows it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from tirek.core.permissions import CAPABILITIES
from tirek.core.roles import roles_for


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
    NavItem(_("My card"), "cards:my_card", ("cards.view_own",)),
    NavItem(_("Cards"), "cards:card_list", ("cards.view_all", "cards.view_unit")),
    NavItem(_("Service desk"), "servicedesk:portal", ("servicedesk.submit",)),
    NavItem(_("Queue"), "servicedesk:queue", ("servicedesk.work_queue",)),
    NavItem(_("Figures"), "servicedesk:figures", ("servicedesk.figures",)),
    NavItem(_("Delegates"), "servicedesk:delegates", ("servicedesk.delegate",)),
    NavItem(_("Desk systems"), "servicedesk:systems", ("servicedesk.configure",)),
    NavItem(_("My access"), "access:my_access", ("access.request",)),
    NavItem(_("Systems"), "access:system_list", ("access.catalogue_view",)),
    NavItem(_("Approvals"), "access:inbox", ("access.approve",)),
    NavItem(_("Operations"), "access:operation_list", ("access.view_all",)),
    NavItem(_("Password slips"), "access:slips", ("access.slips",)),
    NavItem(_("Deliveries"), "access:delivery_list", ("access.view_all",)),
    NavItem(_("Policies"), "policies:policy_list", ("policies.view",)),
    NavItem(_("Manual work"), "manualwork:worklist", ("access.manage",)),
    NavItem(_("Audit log"), "core:audit_list", ("audit.view",)),
    NavItem(_("Users and roles"), "security:user_list", ("admin.manage_roles",)),
]


# Menu sections: entries of one section share a drop-down; a section the user sees only one
# entry of shows that entry as a plain link.
SECTIONS: dict[str, str] = {
    "people": _("People"),
    "access": _("Access"),
    "servicedesk": _("Service desk"),
    "cards": _("Cards"),
    "admin": _("Administration"),
}
SECTION_OF: dict[str, str] = {
    "people:person_list": "people",
    "people:unit_list": "people",
    "people:import_list": "people",
    "access:my_access": "access",
    "access:system_list": "access",
    "access:inbox": "access",
    "access:operation_list": "access",
    "access:slips": "access",
    "access:delivery_list": "access",
    "policies:policy_list": "access",
    "manualwork:worklist": "access",
    "servicedesk:portal": "servicedesk",
    "servicedesk:queue": "servicedesk",
    "servicedesk:figures": "servicedesk",
    "servicedesk:delegates": "servicedesk",
    "servicedesk:systems": "servicedesk",
    "cards:my_card": "cards",
    "cards:card_list": "cards",
    "core:audit_list": "admin",
    "security:user_list": "admin",
}


def menu_for(user) -> list[dict]:
    """The menu as the layout draws it: links, and sections holding links."""
    if not user.is_authenticated:
        return []
    # Every signed-in page draws it, and it depends only on the roles: built once per set of
    # roles (labels stay lazy, so each page still shows them in its own language). Shared
    # between requests: read it, never change it.
    return _menu(roles_for(user), get_script_prefix())


def items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    return _items(roles_for(user), get_script_prefix())


@functools.lru_cache(maxsize=64)
def _menu(roles: frozenset, script_prefix: str) -> list[dict]:
    menu: list[dict] = []
    sections: dict[str, dict] = {}
    for item in _items(roles, script_prefix):
        key = SECTION_OF.get(item["url_name"])
        if key is None:
            menu.append(item)
            continue
        if key not in sections:
            sections[key] = {"label": SECTIONS[key], "key": key, "children": []}
            menu.append(sections[key])
        sections[key]["children"].append(item)
    return [
        entry["children"][0] if "children" in entry and len(entry["children"]) == 1 else entry
        for entry in menu
    ]


@functools.lru_cache(maxsize=64)
def _items(roles: frozenset, script_prefix: str) -> list[dict]:
    return [
        {"label": item.label, "url": reverse(item.url_name), "url_name": item.url_name}
        for item in NAV
        if any(roles & CAPABILITIES[c] for c in item.capabilities)
    ]
