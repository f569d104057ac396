from django import template

from tirek.access.permissions import may_request_for, visible_accounts
from tirek.core.permissions import can

register = template.Library()


@register.inclusion_tag("access/_person_access.html", takes_context=True)
def person_access(context, person):
    """The person's accounts and roles, for the person page (same scoping as everywhere)."""
    user = context["request"].user
    accounts = (
        visible_accounts(user)
        .filter(person=person)
        .select_related("system")
        .prefetch_related("grants__role")
    )
    return {
        "person": person,
        "accounts": accounts,
        "may_request": may_request_for(user, person),
        "may_see_entitlements": can(user, "policies.view"),
        "request": context["request"],
    }
