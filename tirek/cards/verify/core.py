"""Decoding and checking COSE_Sign1 / CWT card tokens and the signed status list.

The formats (see docs/cards.md):
- a card token is COSE_Sign1 (RFC 9052) over a CWT claims map (RFC 8392), ES256, with the key
  id in the protected header; the signature is raw r||s (64 bytes), as COSE requires;
- the status list is a CWT of the IETF OAuth Token Status List draft: claim 65533 holds
  {"bits": 2, "lst": zlib(bit array)}; card i's status is bits [2i, 2i+2) counted from the
  least significant bit of byte 0; 0 valid, 1 invalid (revoked), 2 suspended.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# COSE header labels and values (RFC 9052/9053).
HDR_ALG = 1
HDR_KID = 4
HDR_TYP = 16
ALG_ES256 = -7
COSE_SIGN1_TAG = 18
CWT_TAG = 61

# CWT claim keys. Registered ones are integers (RFC 8392, Token Status List draft); Tirek's
# private claims use one-letter text keys, which RFC 8392 allows and which cost 2 bytes where a
# private-use integer (< -65536) costs 5: every byte counts for the QR to stay at version 12.
CLAIMS = {
    "iss": 1,
    "sub": 2,
    "exp": 4,
    "nbf": 5,
    "iat": 6,
    "cti": 7,
    "ttl": 65534,  # status list token: seconds a verifier may cache it
    "status_list": 65533,  # status list token: {"bits": 1|2|4|8, "lst": zlib bytes}
    "kind": "k",  # "S" student, "E" employee, "F" faculty
    "number": "n",  # the card number printed on the card
    "esi": "e",  # European Student Identifier URN (students only)
    "unit": "u",  # code of the programme (students) or the unit (staff)
    "idx": "i",  # the card's index in the status list
    "sl": "s",  # the status list's path on the issuer's site, e.g. "/sl/1"
    "photo": "p",  # SHA-256 of the card photo, first 16 bytes
    "live": "l",  # true on the 30-second phone token
}
KIND_NAMES = {"S": "student", "E": "employee", "F": "faculty"}
STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED = 0, 1, 2
# Clock difference between issuer and verifier a verifier tolerates.
LEEWAY = 5


class Reason(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    FORGED = "forged"
    UNKNOWN_KEY = "unknown-key"
    MALFORMED = "malformed"


class VerifyError(Exception):
    def __init__(self, reason: Reason, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass
class Result:
    reason: Reason
    detail: str = ""
    kid: str = ""
    claims: dict[int, Any] = field(default_factory=dict)
    # False when no status list was given or it could not be used: revocation was not checked.
    status_checked: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is Reason.VALID

    def claim(self, name: str, default: Any = None) -> Any:
        return self.claims.get(CLAIMS[name], default)

    @property
    def kind(self) -> str:
        return KIND_NAMES.get(self.claim("kind", ""), "")

    @property
    def number(self) -> str:
        return self.claim("number", "") or ""

    @property
    def is_live(self) -> bool:
        return bool(self.claim("live", False))

    @property
    def status_index(self) -> int | None:
        idx = self.claim("idx")
        return idx if isinstance(idx, int) and not isinstance(idx, bool) else None


# --- input -----------------------------------------------------------------------------------


def code_bytes(code: str | bytes) -> bytes:
    """The COSE bytes from what a scanner read: the verify URL, or the bare base32, or bytes."""
    if isinstance(code, bytes | bytearray):
        return bytes(code)
    text = "".join(str(code).split()).upper()
    if "/" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    if not text or len(text) > 4096:
        raise VerifyError(Reason.MALFORMED, "empty or too long")
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise VerifyError(Reason.MALFORMED, "not base32") from exc


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


# --- keys ------------------------------------------------------------------------------------


class TrustList:
    """kid -> P-256 public key, from the JSON trust list Tirek publishes (a JWK set)."""

    def __init__(self, keys: Mapping[bytes, ec.EllipticCurvePublicKey]):
        self.keys = dict(keys)

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustList:
        data = json.loads(text)
        keys: dict[bytes, ec.EllipticCurvePublicKey] = {}
        for jwk in data.get("keys", []):
            if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
                continue
            x = int.from_bytes(_b64url(jwk["x"]), "big")
            y = int.from_bytes(_b64url(jwk["y"]), "big")
            numbers = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1())
            keys[jwk["kid"].encode()] = numbers.public_key()
        return cls(keys)

    def get(self, kid: bytes) -> ec.EllipticCurvePublicKey | None:
        return self.keys.get(kid)


# --- COSE_Sign1 ------------------------------------------------------------------------------


@dataclass
class Sign1:
    protected_bytes: bytes
    protected: dict
    unprotected: dict
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes:
        kid = self.protected.get(HDR_KID, self.unprotected.get(HDR_KID, b""))
        return kid if isinstance(kid, bytes) else b""

    def to_be_signed(self) -> bytes:
        return cbor2.dumps(["Signature1", self.protected_bytes, b"", self.payload])


def decode_sign1(data: bytes) -> Sign1:
    try:
        obj = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several kinds on truncated or junk input
        raise VerifyError(Reason.MALFORMED, "not CBOR") from exc
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise VerifyError(Reason.MALFORMED, f"unexpected tag {obj.tag}")
        obj = obj.value
    # cbor2 6 decodes arrays as tuples or lists depending on options: accept both.
    if not isinstance(obj, list | tuple) or len(obj) != 4:
        raise VerifyError(Reason.MALFORMED, "not a COSE_Sign1 array")
    protected_bytes, unprotected, payload, signature = obj
    if not isinstance(protected_bytes, bytes) or not isinstance(unprotected, Mapping):
        raise VerifyError(Reason.MALFORMED, "bad headers")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise VerifyError(Reason.MALFORMED, "bad payload or signature")
    try:
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    except Exception as exc:
        raise VerifyError(Reason.MALFORMED, "bad protected header") from exc
    if not isinstance(protected, Mapping):
        raise VerifyError(Reason.MALFORMED, "bad protected header")
    return Sign1(protected_bytes, dict(protected), dict(unprotected), payload, signature)


def check_signature(msg: Sign1, trust: TrustList) -> None:
    if msg.protected.get(HDR_ALG) != ALG_ES256:
        raise VerifyError(Reason.FORGED, "algorithm is not ES256")
    key = trust.get(msg.kid)
    if key is None:
        raise VerifyError(Reason.UNKNOWN_KEY, msg.kid.decode("ascii", "replace"))
    if len(msg.signature) != 64:
        raise VerifyError(Reason.FORGED, "signature is not 64 bytes")
    r = int.from_bytes(msg.signature[:32], "big")
    s = int.from_bytes(msg.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), msg.to_be_signed(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VerifyError(Reason.FORGED, "bad signature") from exc


def _claims(msg: Sign1) -> dict[int, Any]:
    try:
        claims = cbor2.loads(msg.payload)
    except Exception as exc:
        raise VerifyError(Reason.MALFORMED, "payload is not CBOR") from exc
    if isinstance(claims, cbor2.CBORTag) and claims.tag == CWT_TAG:
        claims = claims.value
    if not isinstance(claims, Mapping):
        raise VerifyError(Reason.MALFORMED, "payload is not a claims map")
    return dict(claims)


# --- status list -----------------------------------------------------------------------------


class StatusList:
    """The decoded bit array of a status list token whose signature was checked."""

    def __init__(self, bits: int, lst: bytes, uri: str = "", iat: int = 0, exp: int | None = None):
        if bits not in (1, 2, 4, 8):
            raise VerifyError(Reason.MALFORMED, "status list bits must be 1, 2, 4 or 8")
        self.bits = bits
        self.lst = lst
        self.uri = uri
        self.iat = iat
        self.exp = exp

    @classmethod
    def from_token(cls, token: bytes, trust: TrustList) -> StatusList:
        msg = decode_sign1(token)
        check_signature(msg, trust)
        claims = _claims(msg)
        body = claims.get(CLAIMS["status_list"])
        if not isinstance(body, Mapping) or not isinstance(body.get("lst"), bytes):
            raise VerifyError(Reason.MALFORMED, "no status_list claim")
        try:
            lst = zlib.decompress(body["lst"])
        except zlib.error as exc:
            raise VerifyError(Reason.MALFORMED, "status list is not zlib") from exc
        return cls(
            body.get("bits", 1),
            lst,
            uri=claims.get(CLAIMS["sub"], ""),
            iat=claims.get(CLAIMS["iat"], 0),
            exp=claims.get(CLAIMS["exp"]),
        )

    def __len__(self) -> int:
        return len(self.lst) * 8 // self.bits

    def get(self, idx: int) -> int:
        if not 0 <= idx < len(self):
            raise IndexError(idx)
        per_byte = 8 // self.bits
        byte = self.lst[idx // per_byte]
        return (byte >> ((idx % per_byte) * self.bits)) & ((1 << self.bits) - 1)


# --- the check -------------------------------------------------------------------------------


def verify(
    code: str | bytes,
    trust: TrustList,
    status: StatusList | None = None,
    now: float | None = None,
) -> Result:
    """Check one scanned code: format, key, signature, validity time, then the status list."""
    now = time.time() if now is None else now
    try:
        msg = decode_sign1(code_bytes(code))
        kid = msg.kid.decode("ascii", "replace")
        check_signature(msg, trust)
        claims = _claims(msg)
    except VerifyError as exc:
        return Result(exc.reason, exc.detail)
    result = Result(Reason.VALID, kid=kid, claims=claims)
    exp = claims.get(CLAIMS["exp"])
    nbf = claims.get(CLAIMS["nbf"], claims.get(CLAIMS["iat"]))
    if not isinstance(exp, int) or claims.get(CLAIMS["number"]) is None:
        result.reason, result.detail = Reason.MALFORMED, "no exp or number claim"
        return result
    if now > exp + LEEWAY:
        result.reason = Reason.EXPIRED
    elif isinstance(nbf, int) and now < nbf - LEEWAY:
        result.reason, result.detail = Reason.EXPIRED, "not yet valid"
    idx = result.status_index
    if status is not None and idx is not None:
        try:
            value = status.get(idx)
        except IndexError:
            value = None  # issued after this status list was made: nothing known against it
        result.status_checked = True
        if result.reason is Reason.VALID and value == STATUS_INVALID:
            result.reason = Reason.REVOKED
        elif result.reason is Reason.VALID and value == STATUS_SUSPENDED:
            result.reason = Reason.SUSPENDED
    return result
