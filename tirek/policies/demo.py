"""Example policies for `tirek demo`: written switched off, so that the demo's worker does not
try to reach systems that exist only at the university. Staff open one, press Preview to see
who it concerns, and switch it on once the system is connected."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tirek.access.models import SystemRole
from tirek.policies.models import Policy

EXAMPLES = [
    # system, role, affiliation kinds, position categories
    ("ldap", "students", ["student"], []),
    ("ldap", "staff", ["employee", "faculty"], []),
    ("platonus", "student", ["student"], []),
    ("platonus", "teacher", ["faculty"], []),
    ("irbis64", "reader", ["student", "employee", "faculty"], []),
    ("bbb", "moderator", ["faculty"], []),
]


def create_demo_policies() -> int:
    made = 0
    for system, role_code, kinds, categories in EXAMPLES:
        role = SystemRole.objects.filter(system__code=system, code=role_code).first()
        if role is None:
            continue
        _policy, created = Policy.objects.get_or_create(
            role=role,
            affiliation_kinds=kinds,
            defaults={
                "name": f"{role.system} — {role}",
                "description": _("Example: switch it on once the system is connected."),
                "position_categories": categories,
                "is_active": False,
            },
        )
        made += created
    return made
