"""tirek-verify: check a Tirek card code offline, with only the trust list and the status list.

No Django here: only the standard library, cbor2 and cryptography, so a guard's laptop or a
turnstile controller can import it (or run `tirek-verify`) without the rest of Tirek.

    from tirek.cards.verify import TrustList, StatusList, verify
    trust = TrustList.from_json(open("trust-list.json").read())
    status = StatusList.from_token(open("status-list.cwt", "rb").read(), trust)
    result = verify("HTTPS://ID.KSU.EDU.KZ/V/...", trust, status)
    result.reason  # valid, expired, revoked, suspended, forged, unknown-key, malformed
"""

from tirek.cards.verify.core import (
    CLAIMS,
    Reason,
    Result,
    StatusList,
    TrustList,
    code_bytes,
    verify,
)

__all__ = ["CLAIMS", "Reason", "Result", "StatusList", "TrustList", "code_bytes", "verify"]
