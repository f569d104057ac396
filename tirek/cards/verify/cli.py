"""`tirek-verify`: check card codes offline.

    tirek-verify --trust-list trust-list.json --status-list status-list.cwt CODE [CODE ...]
    tirek-verify --trust-list https://id.ksu.edu.kz/.well-known/tirek/trust-list ...  (fetch once)

Prints one line per code: the reason, the card number and kind. Exit status 0 when every code
is valid, 1 when any is not, 2 on bad arguments or unreadable lists.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request

from tirek.cards.verify.core import StatusList, TrustList, VerifyError, verify


def _read(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 (http(s) only)
            return response.read()
    with open(source, "rb") as fh:
        return fh.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tirek-verify", description=__doc__.split("\n")[0])
    parser.add_argument("--trust-list", required=True, help="file or URL of the trust list")
    parser.add_argument("--status-list", help="file or URL of the status list token")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("codes", nargs="*", help="codes (verify URLs or base32); '-' reads stdin")
    args = parser.parse_args(argv)
    try:
        trust = TrustList.from_json(_read(args.trust_list))
        status = StatusList.from_token(_read(args.status_list), trust) if args.status_list else None
    except (OSError, ValueError, KeyError, VerifyError) as exc:
        print(f"tirek-verify: cannot load the lists: {exc}", file=sys.stderr)
        return 2
    codes = args.codes or ["-"]
    if codes == ["-"]:
        codes = [line.strip() for line in sys.stdin if line.strip()]
    all_valid = True
    for code in codes:
        result = verify(code, trust, status)
        all_valid &= result.ok
        if args.json:
            print(
                json.dumps(
                    {
                        "reason": str(result.reason),
                        "number": result.number,
                        "kind": result.kind,
                        "kid": result.kid,
                        "status_checked": result.status_checked,
                        "detail": result.detail,
                    }
                )
            )
        else:
            print(f"{result.reason}\t{result.number}\t{result.kind}")
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main())
