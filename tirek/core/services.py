"""Domain actions of the core app: each runs in one transaction and writes the audit row."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction, User


def set_user_language(actor: User, user: User, language: str) -> User:
    """Remember `language` as `user`'s interface language (audited when it changes)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise ValidationError(_("Unknown language."), code="invalid_language")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.language == language:
            user.language = language
            return user
        before = snapshot(locked, ["language"])
        locked.language = language
        locked.save(update_fields=["language"])
        record(
            AuditAction.UPDATE,
            locked,
            before=before,
            after=snapshot(locked, ["language"]),
            actor=actor,
        )
    user.language = language
    return user
