"""Small helpers of the layout: language names, the active menu item, the profile link."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from tirek.core.roles import own_person_id

register = template.Library()

# Each language named in itself, so that someone who cannot read the current one finds theirs.
LOCAL_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


@register.simple_tag
def local_language_name(code: str) -> str:
    return LOCAL_NAMES.get(code, code)


@register.simple_tag(takes_context=True)
def nav_active(context, item: dict) -> bool:
    """The menu item of the current page: exact for Home, by URL prefix for the others."""
    request = context.get("request")
    if request is None:
        return False
    url = item.get("url", "")
    if url == "/":
        return request.path == "/"
    return bool(url) and request.path.startswith(url)


@register.simple_tag
def profile_url(user) -> str:
    """The user's own person page, or "" when there is none (or the people pages are absent)."""
    person_id = own_person_id(user)
    if person_id is None:
        return ""
    try:
        return reverse("people:person_detail", args=[person_id])
    except NoReverseMatch:
        return ""


@register.simple_tag
def url_if_exists(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
