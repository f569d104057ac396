"""The signed token on a card and in its QR.

Claims (CWT, RFC 8392; private ones have one-letter text keys, see verify.core.CLAIMS):
iss, iat, exp, cti (random 8 bytes), kind ("S"/"E"/"F"), number, ESI (students), programme or
unit code, status list index and path, SHA-256 of the photo (first 16 bytes). No IIN, no name:
a guard compares the face with the photo the verify page shows. The whole token has to fit a
version-12 QR at error correction M (246 bytes with the verify URL), which is why the status
reference is two flat private claims rather than the draft's nested "status" claim (25 bytes
of map keys) and why the photo digest is cut to 128 bits (still collision-resistant enough to
bind one photo).

The QR text is the verify URL upper-cased with the token in base32 without padding, so that the
whole text is in the QR alphanumeric set (0-9 A-Z space $%*+-./:) and any phone camera opens it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import secrets
import time

import cbor2
import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tirek.cards import keys
from tirek.cards.models import Card, CardKind
from tirek.cards.signing import sign1
from tirek.cards.verify.core import CLAIMS

logger = logging.getLogger("tirek.cards")

# The phone token's window: a new code every 30 s, accepted only inside its window.
LIVE_WINDOW = 30
QR_MAX_VERSION = 12
QR_ERROR = "m"


def esi(card: Card) -> str:
    """European Student Identifier (urn:schac:personalUniqueCode:int:esi:<domain>:<code>)."""
    person = card.person
    code = person.platonus_id or f"P{person.pk}"
    return f"urn:schac:personalUniqueCode:int:esi:{settings.UNIVERSITY_DOMAIN}:{code}"


STATUS_LIST_ID = 1
PHOTO_DIGEST_BYTES = 16


def status_list_path(list_id: int = STATUS_LIST_ID) -> str:
    return reverse("cards:status_list", args=[list_id])


def status_list_uri(list_id: int = STATUS_LIST_ID) -> str:
    return settings.SITE_URL + status_list_path(list_id)


def _end_of_day(day: dt.date) -> int:
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_default_timezone())
    return int(end.timestamp())


def card_claims(card: Card, now: int | None = None) -> dict[int, object]:
    now = int(time.time()) if now is None else now
    claims: dict[int, object] = {
        CLAIMS["iss"]: settings.UNIVERSITY_DOMAIN,
        CLAIMS["iat"]: now,
        CLAIMS["exp"]: _end_of_day(card.valid_until),
        CLAIMS["cti"]: secrets.token_bytes(8),
        CLAIMS["kind"]: card.letter,
        CLAIMS["number"]: card.number,
        CLAIMS["idx"]: card.status_index,
        CLAIMS["sl"]: status_list_path(),
    }
    if card.kind == CardKind.STUDENT:
        claims[CLAIMS["esi"]] = esi(card)
    if card.programme_code:
        claims[CLAIMS["unit"]] = card.programme_code
    if card.photo_sha256:
        claims[CLAIMS["photo"]] = bytes.fromhex(card.photo_sha256)[:PHOTO_DIGEST_BYTES]
    return claims


def sign_claims(claims: dict[int, object]) -> tuple[bytes, str]:
    key = keys.signing_key()
    payload = cbor2.dumps(claims, canonical=True)
    return sign1(payload, key.private, key.kid_bytes), key.kid


def card_token(card: Card, now: int | None = None) -> tuple[bytes, str, bytes]:
    """(COSE bytes, kid, cti) of a new static token for `card`."""
    claims = card_claims(card, now)
    token, kid = sign_claims(claims)
    return token, kid, claims[CLAIMS["cti"]]


def live_token(card: Card, now: float | None = None) -> bytes:
    """The phone's short-lived token: valid for its 30-second window only, no photo hash."""
    now = time.time() if now is None else now
    start = int(now) // LIVE_WINDOW * LIVE_WINDOW
    claims: dict[int, object] = {
        CLAIMS["iss"]: settings.UNIVERSITY_DOMAIN,
        CLAIMS["iat"]: start,
        CLAIMS["nbf"]: start,
        CLAIMS["exp"]: start + LIVE_WINDOW,
        CLAIMS["cti"]: secrets.token_bytes(8),
        CLAIMS["kind"]: card.letter,
        CLAIMS["number"]: card.number,
        CLAIMS["idx"]: card.status_index,
        CLAIMS["sl"]: status_list_path(),
        CLAIMS["live"]: True,
    }
    return sign_claims(claims)[0]


def verify_base() -> str:
    """The verify URL prefix in upper case, e.g. HTTPS://ID.KSU.EDU.KZ/V/."""
    return (settings.SITE_URL + "/V/").upper()


def qr_text(token: bytes) -> str:
    return verify_base() + base64.b32encode(token).decode().rstrip("=")


def qr(token: bytes) -> segno.QRCode:
    """The QR of a token; alphanumeric mode, error correction M. The tests hold real tokens to
    version 12; a longer SITE_URL can push past it, which is logged, not refused."""
    code = segno.make_qr(qr_text(token), error=QR_ERROR, mode="alphanumeric", boost_error=False)
    if code.version > QR_MAX_VERSION:
        logger.warning(
            "Card QR is version %s (> %s): shorten SITE_URL", code.version, QR_MAX_VERSION
        )
    return code


def qr_svg(token: bytes, scale: int = 4) -> str:
    return qr(token).svg_inline(scale=scale, border=2)


def photo_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
