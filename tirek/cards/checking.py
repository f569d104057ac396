"""Checking a scanned code on the server: the offline verifier's checks, then the card's state
in the database (fresher than any published status list)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tirek.cards import keys
from tirek.cards.models import Card, CardStatus
from tirek.cards.verify.core import Reason, Result, TrustList, verify

SIGNED = {Reason.VALID, Reason.EXPIRED, Reason.REVOKED, Reason.SUSPENDED}
STATUS_REASON = {
    CardStatus.SUSPENDED: Reason.SUSPENDED,
    CardStatus.REVOKED: Reason.REVOKED,
    CardStatus.DRAFT: Reason.REVOKED,
    CardStatus.EXPIRED: Reason.EXPIRED,
}


@dataclass
class Check:
    reason: Reason
    result: Result
    card: Card | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is Reason.VALID

    @property
    def signed(self) -> bool:
        """The code is genuine (whatever the card's state): the photo may be shown."""
        return self.card is not None and self.reason in SIGNED


_trust: tuple[dict, TrustList] | None = None


def trust_list() -> TrustList:
    """The verifier's trust list, rebuilt only when the key set changes (keys caches it)."""
    global _trust
    known = keys.all_keys()
    cached = _trust
    if cached is None or cached[0] is not known:
        cached = (known, TrustList({k.kid_bytes: k.public for k in known.values()}))
        _trust = cached
    return cached[1]


def check_code(code: str | bytes, now: float | None = None) -> Check:
    now = time.time() if now is None else now
    result = verify(code, trust_list(), None, now)
    if result.reason not in SIGNED:
        return Check(result.reason, result)
    # Only what the decision and the verify page use: no join, one indexed lookup.
    card = (
        Card.objects.only(
            "id", "number", "kind", "status", "cti", "valid_until", "photo", "photo_sha256"
        )
        .filter(number=result.number)
        .first()
    )
    if card is None:
        return Check(Reason.REVOKED, result)
    reason = result.reason
    if not result.is_live:
        cti = result.claim("cti")
        if not isinstance(cti, bytes) or cti.hex() != card.cti:
            # A genuine token the card no longer carries (a new photo, a new token).
            return Check(Reason.REVOKED, result, card)
    reason = STATUS_REASON.get(card.status, reason) if reason is Reason.VALID else reason
    return Check(reason, result, card)
