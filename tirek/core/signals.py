"""Security events go into the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tirek.core.audit import AuditContext, current_context, record, reset_context, set_context
from tirek.core.middleware import client_ip
from tirek.core.models import AuditAction


def _with_request(request, actor=None):
    ctx = current_context()
    if request is not None:
        ctx = AuditContext(
            actor=actor, ip=client_ip(request), request_id=getattr(request, "request_id", "")
        )
    return set_context(ctx)


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    token = _with_request(request, user)
    try:
        record(AuditAction.LOGIN, user, actor=user)
    finally:
        reset_context(token)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    token = _with_request(request, user)
    try:
        record(AuditAction.LOGOUT, user, actor=user)
    finally:
        reset_context(token)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    token = _with_request(request)
    try:
        username = str(credentials.get("username", ""))[:150]
        record(
            AuditAction.LOGIN_FAILED,
            object_type="core.user",
            object_id=username[:64],
            object_repr=username,
        )
    finally:
        reset_context(token)


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    token = _with_request(request)
    try:
        record(
            AuditAction.LOCKED_OUT,
            object_type="core.user",
            object_id=str(username)[:64],
            object_repr=str(username),
        )
    finally:
        reset_context(token)
