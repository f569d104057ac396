from django import template

register = template.Library()


@register.filter
def who(user) -> str:
    """A user's full name, or their login, or a dash when there is nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
