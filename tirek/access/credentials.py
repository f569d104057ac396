"""Encryption of target passwords while they are in flight, and one-time tokens.

The key is TIREK_CREDENTIAL_KEY (a Fernet key) when set, else derived from SECRET_KEY with
HKDF, so changing SECRET_KEY makes undelivered secrets unreadable (they are short-lived anyway).
A token in a one-time link is stored only as its SHA-256.
"""

from __future__ import annotations

import base64
import functools
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
    return _fernet_for(os.environ.get("TIREK_CREDENTIAL_KEY") or "", settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(key: str, secret_key: str) -> Fernet:
    # Cached: deriving the key costs more than encrypting a password (an intake encrypts
    # two per account); a changed key or SECRET_KEY is a new cache entry.
    if key:
        return Fernet(key.encode())
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tirek credential key"
    ).derive(secret_key.encode())
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
    # One read of the system's CSPRNG per password (an intake makes 10,000 of them), turned
    # into unbiased choices by rejection sampling; the same distribution as secrets.choice.
    pool = _RandomBytes()
    while True:
        chars = [c[pool.below(len(c))] for c in (CLASSES[n] for n in names)]
        chars += [alphabet[pool.below(len(alphabet))] for _ in range(length - len(chars))]
        for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates
            j = pool.below(i + 1)
            chars[i], chars[j] = chars[j], chars[i]
        # Never a leading + - = @: a spreadsheet would read the password (in an import file or
        # a slip list) as a formula.
        if chars[0] not in "+-=@":
            return "".join(chars)


class _RandomBytes:
    """Uniform integers below n from os.urandom bytes, refilled as needed (n > 256, only for
    absurdly long passwords, falls back to secrets.randbelow)."""

    def __init__(self) -> None:
        self.buf = b""
        self.pos = 0

    def below(self, n: int) -> int:
        if n > 256:
            return secrets.randbelow(n)
        limit = 256 - 256 % n  # bytes at or above this would favour small values
        while True:
            if self.pos >= len(self.buf):
                self.buf, self.pos = secrets.token_bytes(64), 0
            byte = self.buf[self.pos]
            self.pos += 1
            if byte < limit:
                return byte % n
