"""Building COSE_Sign1 messages (RFC 9052) with cbor2 and cryptography directly.

pycose 1.1 does not work with cbor2 6, and the structure is small enough to write plainly:
COSE_Sign1 = [protected: bstr(map), unprotected: map, payload: bstr, signature: bstr], tag 18,
signed over Sig_structure ["Signature1", protected, external_aad = b"", payload]. ES256
signatures are raw r||s, 32 bytes each (RFC 9053 §2.1), not DER.
"""

from __future__ import annotations

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tirek.cards.verify.core import ALG_ES256, COSE_SIGN1_TAG, HDR_ALG, HDR_KID, HDR_TYP


def sign1(
    payload: bytes,
    key: ec.EllipticCurvePrivateKey,
    kid: bytes,
    typ: str | None = None,
    tagged: bool = False,
) -> bytes:
    headers: dict[int, object] = {HDR_ALG: ALG_ES256, HDR_KID: kid}
    if typ:
        headers[HDR_TYP] = typ
    protected = cbor2.dumps(headers, canonical=True)
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    der = key.sign(to_be_signed, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    message = [protected, {}, payload, signature]
    # Card codes go untagged (every byte counts in the QR); the status list token is tagged.
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message) if tagged else message)
