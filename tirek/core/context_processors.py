from django.conf import settings

from tirek.core.navigation import items_for
from tirek.core.roles import roles_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "nav_items": items_for(user),
        "user_roles": sorted(roles_for(user)),
        "university_name": settings.UNIVERSITY_NAME,
    }
