"""Card signing keys: private keys from files or the environment, never from the database.

Where keys come from (docs/cards.md):
- `CARD_KEYS_DIR` (setting; default `var/card-keys/`): one PEM file per key id, `<kid>.pem`
  holding an EC P-256 private key, or `<kid>.pub.pem` holding only the public key of a retired
  key (rotation: the old cards stay verifiable while the private key is destroyed);
- the environment: `TIREK_CARD_KEY_<KID>` holding a private key PEM (for secret stores).

The key that signs new cards is `CARD_SIGNING_KID` if set, otherwise the greatest key id that has
a private key (ids sort by date when named so, e.g. `k2026a`). Every key, private or public
only, is in the trust list. With no key at all, and outside production, one is generated into
the keys directory (mode 0600) on first use and the log says so.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger("tirek.cards")

KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
ENV_PREFIX = "TIREK_CARD_KEY_"


@dataclass(frozen=True)
class CardKey:
    kid: str
    public: ec.EllipticCurvePublicKey
    private: ec.EllipticCurvePrivateKey | None = None

    @property
    def kid_bytes(self) -> bytes:
        return self.kid.encode()


def keys_dir() -> Path:
    return Path(getattr(settings, "CARD_KEYS_DIR", settings.VAR_DIR / "card-keys"))


_lock = threading.Lock()
_cache: dict[tuple, dict[str, CardKey]] = {}


def _fingerprint() -> tuple:
    folder = keys_dir()
    try:
        files = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.pem")))
    except OSError:
        files = ()
    env = tuple(sorted(k for k in os.environ if k.startswith(ENV_PREFIX)))
    return (str(folder), files, env)


def _load_private(pem: bytes, origin: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImproperlyConfigured(f"{origin}: a card key must be an EC P-256 private key.")
    return key


def _read_keys() -> dict[str, CardKey]:
    found: dict[str, CardKey] = {}
    folder = keys_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.pem")):
            if path.name.endswith(".pub.pem"):
                kid = path.name[: -len(".pub.pem")]
                if KID_RE.match(kid) and kid not in found:
                    public = serialization.load_pem_public_key(path.read_bytes())
                    if not isinstance(public, ec.EllipticCurvePublicKey):
                        raise ImproperlyConfigured(f"{path}: not an EC public key.")
                    found[kid] = CardKey(kid, public)
                continue
            kid = path.stem
            if not KID_RE.match(kid):
                raise ImproperlyConfigured(f"{path}: key id must match {KID_RE.pattern}.")
            private = _load_private(path.read_bytes(), str(path))
            found[kid] = CardKey(kid, private.public_key(), private)
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX) and value.strip():
            kid = name[len(ENV_PREFIX) :].lower()
            if not KID_RE.match(kid):
                raise ImproperlyConfigured(f"{name}: key id must match {KID_RE.pattern}.")
            private = _load_private(value.encode(), name)
            found[kid] = CardKey(kid, private.public_key(), private)
    return found


def generate_key(kid: str | None = None) -> CardKey:
    """Write a new private key into the keys directory (mode 0600). Used in development and
    by `tirek cards_newkey` for rotation."""
    kid = kid or "k" + timezone.localdate().strftime("%Y%m%d")
    if not KID_RE.match(kid):
        raise ValueError(f"key id must match {KID_RE.pattern}")
    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{kid}.pem"
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    logger.warning("Generated card signing key %s in %s (development default)", kid, path)
    return CardKey(kid, private.public_key(), private)


def all_keys() -> dict[str, CardKey]:
    """Every known key by kid (cached until a key file or variable changes)."""
    with _lock:
        fp = _fingerprint()
        keys = _cache.get(fp)
        if keys is None:
            keys = _read_keys()
            if not any(k.private for k in keys.values()):
                if getattr(settings, "PRODUCTION", False):
                    raise ImproperlyConfigured(
                        "No card signing key: put <kid>.pem in CARD_KEYS_DIR or set "
                        "TIREK_CARD_KEY_<KID> (see docs/cards.md)."
                    )
                # Another process may make today's key first: then use it.
                with contextlib.suppress(FileExistsError):
                    generate_key()
                fp = _fingerprint()
                keys = _read_keys()
            _cache.clear()
            _cache[fp] = keys
        return keys


def signing_key() -> CardKey:
    keys = all_keys()
    wanted = getattr(settings, "CARD_SIGNING_KID", "")
    if wanted:
        key = keys.get(wanted)
        if key is None or key.private is None:
            raise ImproperlyConfigured(f"CARD_SIGNING_KID={wanted!r} has no private key.")
        return key
    return keys[max(kid for kid, key in keys.items() if key.private is not None)]


def _b64url(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


def jwk(key: CardKey) -> dict:
    numbers = key.public.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x),
        "y": _b64url(numbers.y),
        "kid": key.kid,
        "alg": "ES256",
        "use": "sig",
    }


def cose_key(key: CardKey) -> dict[int, object]:
    """The same key as a COSE_Key map (RFC 9053: kty 2 = EC2, crv 1 = P-256)."""
    numbers = key.public.public_numbers()
    return {
        1: 2,
        2: key.kid_bytes,
        3: -7,
        -1: 1,
        -2: numbers.x.to_bytes(32, "big"),
        -3: numbers.y.to_bytes(32, "big"),
    }


def trust_list() -> dict:
    """The public trust list: every key id a valid card may carry, as a JWK set."""
    active = signing_key().kid
    return {
        "issuer": settings.SITE_URL,
        "keys": [
            {**jwk(k), "status": "active" if k.kid == active else "retired"}
            for k in sorted(all_keys().values(), key=lambda k: k.kid)
        ],
    }
