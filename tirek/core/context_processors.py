from django.conf import settings
from django.utils import translation

from tirek.core.navigation import menu_for
from tirek.core.roles import roles_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    from tirek.security.middleware import two_factor_required

    # Until a staff member has passed two-factor, every link would lead back to it: show none.
    pending_2fa = two_factor_required(user) and not getattr(user, "is_verified", lambda: False)()
    return {
        "nav_items": [] if pending_2fa else menu_for(user),
        "user_roles": sorted(roles_for(user)),
        "university_name": settings.UNIVERSITY_NAMES.get(
            translation.get_language() or "", settings.UNIVERSITY_NAME
        ),
    }
