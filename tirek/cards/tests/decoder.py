"""An independent decoder for the tests, written apart from tirek.cards (issuing and verify):
from the published description only (docs/cards.md) — base32 in an upper-case URL, COSE_Sign1
with ES256 raw r||s over ["Signature1", protected, b"", payload], keys from the JWK trust list.
"""

import base64
import json

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def public_keys(trust_list_json: str) -> dict:
    out = {}
    for k in json.loads(trust_list_json)["keys"]:
        x, y = int.from_bytes(b64u(k["x"]), "big"), int.from_bytes(b64u(k["y"]), "big")
        out[k["kid"].encode()] = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    return out


def decode_url(url: str) -> bytes:
    assert url == url.upper()
    b32 = url.split("/V/", 1)[1]
    return base64.b32decode(b32 + "=" * (-len(b32) % 8))


def decode(cose: bytes, keys: dict) -> dict:
    """Return the claims; raise on anything wrong."""
    item = cbor2.loads(cose)
    if isinstance(item, cbor2.CBORTag):
        assert item.tag == 18
        item = item.value
    protected, _unprotected, payload, sig = list(item)
    headers = cbor2.loads(protected)
    assert headers[1] == -7
    key = keys[headers[4]]
    assert len(sig) == 64
    der = utils.encode_dss_signature(
        int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    )
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    key.verify(der, tbs, ec.ECDSA(hashes.SHA256()))
    return cbor2.loads(payload)
