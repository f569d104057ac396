"""Masking of personal data for people who do not need to see it, and for the audit log."""

from __future__ import annotations

import re
from typing import Any

# Field names whose values are personal data. The audit log never stores them in the clear.
PERSONAL_FIELDS = frozenset(
    {
        "iin",
        "birth_date",
        "phone",
        "personal_email",
        "photo",
        "address",
        "document_number",
    }
)
_IIN_RE = re.compile(r"\b(\d{12})\b")


def mask_iin(iin: str | None) -> str:
    """'990101300123' -> '********0123': the last four digits identify a row to staff."""
    if not iin:
        return ""
    return "*" * (len(iin) - 4) + iin[-4:]


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return email or ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "*** ** " + "".join(digits[-2:]) if len(digits) > 2 else "***"


def mask_value(field: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if field == "iin":
        return mask_iin(str(value))
    if field in {"personal_email"}:
        return mask_email(str(value))
    if field == "phone":
        return mask_phone(str(value))
    return "***"


def mask_text(text: str) -> str:
    """Mask anything that looks like an IIN inside free text."""
    return _IIN_RE.sub(lambda m: mask_iin(m.group(1)), text or "")


def mask_changes(changes: dict[str, Any]) -> dict[str, Any]:
    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if key in PERSONAL_FIELDS:
            return mask_value(key, value)
        if isinstance(value, str):
            return mask_text(value)
        return value

    return walk(changes)
