"""The signed status list (IETF OAuth Token Status List draft, CWT form).

Two bits per card, at the card's `status_index`: 0 valid, 1 invalid (revoked, expired, draft),
2 suspended. The byte array is zlib-compressed (DEFLATE in the ZLIB format, as the draft says)
and signed as a CWT in a tagged COSE_Sign1 with typ "application/statuslist+cwt":
{sub: the list's URI, iat, exp, ttl, 65533: {"bits": 2, "lst": ...}}.

It is rebuilt by a periodic job and after every status change (on commit), stored in one row,
and served as is with an ETag.
"""

from __future__ import annotations

import hashlib
import time
import zlib

import cbor2
from django.db import transaction
from django.utils import timezone

from tirek.cards import keys
from tirek.cards.models import Card, CardStatus, StatusListSnapshot
from tirek.cards.signing import sign1
from tirek.cards.tokens import STATUS_LIST_ID, status_list_uri
from tirek.cards.verify.core import CLAIMS, STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID

BITS = 2
TYP = "application/statuslist+cwt"
# How long a verifier may use a list before fetching again, and when the token itself expires.
TTL = 300
LIFETIME = 24 * 3600

STATUS_VALUE = {
    CardStatus.ACTIVE: STATUS_VALID,
    CardStatus.SUSPENDED: STATUS_SUSPENDED,
}


def bit_array(entries: list[tuple[int, int]], bits: int = BITS) -> bytes:
    """The byte array with `value` at each `index` (least significant bits first)."""
    size = max((i for i, _ in entries), default=-1) + 1
    per_byte = 8 // bits
    out = bytearray(max(16, -(-size // per_byte)))
    for index, value in entries:
        out[index // per_byte] |= value << ((index % per_byte) * bits)
    return bytes(out)


def build_token(now: int | None = None) -> bytes:
    now = int(time.time()) if now is None else now
    entries = [
        (idx, STATUS_VALUE.get(status, STATUS_INVALID))
        for idx, status in Card.objects.values_list("status_index", "status").iterator()
    ]
    claims = {
        CLAIMS["sub"]: status_list_uri(STATUS_LIST_ID),
        CLAIMS["iat"]: now,
        CLAIMS["exp"]: now + LIFETIME,
        CLAIMS["ttl"]: TTL,
        CLAIMS["status_list"]: {"bits": BITS, "lst": zlib.compress(bit_array(entries), 9)},
    }
    key = keys.signing_key()
    return sign1(cbor2.dumps(claims, canonical=True), key.private, key.kid_bytes, TYP, True)


def publish() -> StatusListSnapshot:
    token = build_token()
    snapshot, _ = StatusListSnapshot.objects.update_or_create(
        list_id=STATUS_LIST_ID,
        defaults={
            "token": token,
            "etag": hashlib.sha256(token).hexdigest()[:32],
            "size": len(token),
            "generated_at": timezone.now(),
        },
    )
    return snapshot


def _publish_after_commit() -> None:
    publish()


def publish_on_commit() -> None:
    """Publish once the transaction commits: once, however many cards it changed (a bulk
    issue or an import's joiners would otherwise rebuild and sign the list per card)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Already due from this transaction, registered in savepoints that enclose this one (so
        # nothing can roll that registration back without rolling this change back too).
        open_savepoints = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if func is _publish_after_commit and sids <= open_savepoints:
                return
    transaction.on_commit(_publish_after_commit)


def current() -> StatusListSnapshot:
    snapshot = StatusListSnapshot.objects.filter(list_id=STATUS_LIST_ID).first()
    if snapshot is None or (timezone.now() - snapshot.generated_at).total_seconds() > TTL * 2:
        # No list yet, or the job has not run for a while: never serve a stale one.
        snapshot = publish()
    return snapshot
