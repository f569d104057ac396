"""Sign-in and security actions: each one runs in one transaction and writes the audit log.

Backup codes are kept only as keyed hashes (HMAC with SECRET_KEY): django-otp's static device
compares stored strings, so we store the hash and hash what the user types before comparing.
"""

from __future__ import annotations

import logging
import secrets

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tirek.core.audit import record
from tirek.core.models import AuditAction

log = logging.getLogger(__name__)

TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


# -- linking LDAP users to people ------------------------------------------------------------


def link_person_by_email(user) -> bool:
    """Link `user` to the one Person with the same e-mail, if that person has no login yet.

    Returns True when a link was made. Does nothing when the people app is absent, the user
    already has a person, or the e-mail matches none or several people.
    """
    email = (user.email or "").strip()
    if not email:
        return False
    try:
        person_model = apps.get_model("people", "Person")
    except LookupError:
        return False
    if person_model.objects.filter(user=user).exists():
        return False
    matches = list(person_model.objects.filter(email__iexact=email)[:2])
    if len(matches) != 1 or matches[0].user_id is not None:
        return False
    from tirek.people.services import link_user

    link_user(user, matches[0], user)
    return True


# -- two-factor ------------------------------------------------------------------------------


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (kept across page reloads so a scanned QR works)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def hash_backup_code(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    digest = salted_hmac("tirek.security.backup-code", normalised, algorithm="sha256")
    return digest.hexdigest()[:16]


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def confirm_totp(user, device: TOTPDevice) -> list[str]:
    """Make `device` the user's authenticator; replace older devices; return new backup codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.name = TOTP_DEVICE_NAME
    device.save(update_fields=["confirmed", "name"])
    codes = _replace_backup_codes(user)
    record(
        AuditAction.TWO_FACTOR,
        user,
        actor=user,
        extra={"event": "enrolled", "device": "totp", "backup_codes": len(codes)},
    )
    return codes


def _replace_backup_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=hash_backup_code(code)) for code in codes
    )
    return codes


@transaction.atomic
def regenerate_backup_codes(user) -> list[str]:
    codes = _replace_backup_codes(user)
    record(AuditAction.TWO_FACTOR, user, actor=user, extra={"event": "backup_codes_replaced"})
    return codes


def verify_second_factor(user, code: str):
    """The device that accepts `code` (an authenticator code or a backup code), or None.

    Both devices throttle repeated failures (django-otp's ThrottlingMixin). A used backup code
    is deleted and audited.
    """
    code = code.strip()
    digits = code.replace(" ", "")
    with transaction.atomic():
        if digits.isdigit():
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("-id")
                .first()
            )
            if device is not None and device.verify_token(digits):
                return device
            return None
        backup = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if backup is not None and backup.verify_token(hash_backup_code(code)):
            left = backup.token_set.count()
            record(
                AuditAction.TWO_FACTOR,
                user,
                actor=user,
                extra={"event": "backup_code_used", "left": left},
            )
            return backup
    return None


def second_factor_wait_seconds(user) -> int:
    """Seconds before the user may try a code again after wrong ones (0 = now)."""
    from django.utils import timezone
    from django_otp.models import MAX_THROTTLE_DELAY_SECONDS

    wait = 0.0
    now = timezone.now()
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user, confirmed=True):
            if device.throttling_failure_count and device.throttling_failure_timestamp:
                required = min(
                    device.get_throttle_factor() * 2 ** (device.throttling_failure_count - 1),
                    MAX_THROTTLE_DELAY_SECONDS,
                )
                elapsed = (now - device.throttling_failure_timestamp).total_seconds()
                wait = max(wait, required - elapsed)
    return max(0, int(wait + 0.999))


@transaction.atomic
def reset_two_factor(actor, user) -> None:
    """Remove every second-factor device of `user` (lost phone); they enrol again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(AuditAction.TWO_FACTOR, user, actor=actor, extra={"event": "reset"})


# -- passwords -------------------------------------------------------------------------------


@transaction.atomic
def change_password(user, new_password: str) -> None:
    """Set a local account's password (the form has checked the old one and the rules)."""
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=user.pk)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(AuditAction.PASSWORD_CHANGE, user, actor=user)


# -- API tokens ------------------------------------------------------------------------------


@transaction.atomic
def issue_api_token(user) -> str:
    """Create the user's API token, replacing any old one; the key is returned only here."""
    had = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    record(
        AuditAction.UPDATE if had else AuditAction.CREATE,
        user,
        actor=user,
        object_repr=f"API token of {user.get_username()}",
        extra={"event": "api_token_rotated" if had else "api_token_created"},
    )
    return token.key


@transaction.atomic
def revoke_api_token(user) -> bool:
    deleted = Token.objects.filter(user=user).delete()[0] > 0
    if deleted:
        record(
            AuditAction.DELETE,
            user,
            actor=user,
            object_repr=f"API token of {user.get_username()}",
            extra={"event": "api_token_revoked"},
        )
    return deleted
