"""Two-factor for demo logins: a known device that `tirek totp-code` can read.

Only a device named "demo" is readable by the command, so real accounts (whose devices are named
by enrolment) stay out of its reach.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tirek.core.audit import record
from tirek.core.models import AuditAction

DEMO_DEVICE_NAME = "demo"


@transaction.atomic
def create_demo_totp(user) -> str:
    """Give `user` a confirmed TOTP device named "demo"; return a one-line sign-in hint."""
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    record(AuditAction.TWO_FACTOR, user, extra={"event": "demo_device_created"})
    return _("2FA code: .venv/bin/tirek totp-code %(username)s") % {"username": user.get_username()}


def demo_totp_code(user) -> str | None:
    """The current code of `user`'s demo device, or None if the user has no such device."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
