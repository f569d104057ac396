"""Encryption of target passwords while they are in flight, and one-time tokens.

The key is TIREK_CREDENTIAL_KEY (a Fernet key) when set, else derived from SECRET_KEY with
HKDF, so changing SECRET_KEY makes undelivered secrets unreadable (they are short-lived anyway).
A token in a one-time link is stored only as its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import string

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# No characters that people mistake for each other on a printed slip or a phone screen.
AMBIGUOUS = set("0OoIl1|`'\"")
CLASSES = {
    "lower": "".join(c for c in string.ascii_lowercase if c not in AMBIGUOUS),
    "upper": "".join(c for c in string.ascii_uppercase if c not in AMBIGUOUS),
    "digit": "".join(c for c in string.digits if c not in AMBIGUOUS),
    "symbol": "!#%+-=?@_",
}


def _fernet() -> Fernet:
    key = os.environ.get("TIREK_CREDENTIAL_KEY")
    if key:
        return Fernet(key.encode())
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tirek credential key"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret: str) -> bytes:
    return _fernet().encrypt(secret.encode())


def decrypt(token: bytes | memoryview) -> str:
    return _fernet().decrypt(bytes(token)).decode()


def new_token() -> tuple[str, str]:
    """(token for the link, its hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password(policy: dict | None = None) -> str:
    """A random password with at least one character of each class the policy names."""
    policy = policy or {}
    length = max(int(policy.get("length", 12)), 8)
    names = [n for n in policy.get("classes", ["lower", "upper", "digit"]) if n in CLASSES]
    names = names or ["lower", "upper", "digit"]
    alphabet = "".join(CLASSES[n] for n in names)
    while True:
        chars = [secrets.choice(CLASSES[n]) for n in names]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        # Never a leading + - = @: a spreadsheet would read the password (in an import file or
        # a slip list) as a formula.
        if chars[0] not in "+-=@":
            return "".join(chars)
