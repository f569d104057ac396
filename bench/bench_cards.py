"""Card benchmarks: offline verification with tirek-verify against a bare ECDSA verify of the
same signature and bytes, and issuing + printing a group of 500 cards.

    .venv/bin/python bench/bench_cards.py [--cards 500] [--skip-pdf]

Verification needs no database. The PDF part builds a throw-away SQLite database with 500
students (with photos), issues their cards in bulk and renders the A4 sheets with WeasyPrint.
Prints medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bench_verify(rounds: int = 5, n: int = 2000) -> None:
    import base64
    import json

    import cbor2
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from tirek.cards.signing import sign1
    from tirek.cards.verify import TrustList, verify

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()

    def b64(i: int) -> str:
        return base64.urlsafe_b64encode(i.to_bytes(32, "big")).rstrip(b"=").decode()

    trust = TrustList.from_json(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "EC",
                        "crv": "P-256",
                        "kid": "k1",
                        "x": b64(numbers.x),
                        "y": b64(numbers.y),
                    }
                ]
            }
        )
    )
    claims = {
        1: "ksu.edu.kz",
        4: int(time.time()) + 10**7,
        6: int(time.time()),
        7: os.urandom(8),
        "k": "S",
        "n": "S0001234",
        "i": 1234,
        "s": "/sl/1",
        "p": os.urandom(16),
        "e": "urn:schac:personalUniqueCode:int:esi:ksu.edu.kz:P1234",
        "u": "6B06101",
    }
    token = sign1(cbor2.dumps(claims, canonical=True), key, b"k1")
    code = "HTTPS://ID.KSU.EDU.KZ/V/" + base64.b32encode(token).decode().rstrip("=")
    msg = cbor2.loads(token)
    tbs = cbor2.dumps(["Signature1", msg[0], b"", msg[2]])
    der = encode_dss_signature(
        int.from_bytes(msg[3][:32], "big"), int.from_bytes(msg[3][32:], "big")
    )
    public = key.public_key()

    def rate(fn) -> float:
        runs = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            runs.append(n / (time.perf_counter() - start))
        return statistics.median(runs)

    assert verify(code, trust).ok
    raw = rate(lambda: public.verify(der, tbs, ec.ECDSA(hashes.SHA256())))
    ours = rate(lambda: verify(code, trust))
    print(f"raw cryptography ECDSA P-256 verify: {raw:,.0f}/s")
    print(f"tirek-verify (URL -> base32 -> COSE -> signature -> claims): {ours:,.0f}/s")
    print(f"ratio: {ours / raw:.0%} of raw (goal >= 50%)")


def bench_pdf(count: int) -> None:
    tmp = tempfile.mkdtemp(prefix="bench-cards-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tirek.settings")
    os.environ["TIREK_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["TASKS_BACKEND"] = "immediate"
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from tirek.cards import pdf, services
    from tirek.cards.models import Card
    from tirek.cards.tests.conftest import image_bytes
    from tirek.people import services as people

    unit = people.create_unit(None, code="CH", name_kk="Кафедра", kind="chair")
    photo = image_bytes("JPEG", (600, 800))
    for i in range(count):
        person = people.create_person(
            None,
            last_name=f"Студент{i}",
            first_name="Тест",
            first_name_latin="Test",
            last_name_latin=f"Student{i}",
        )
        person.photo.save(f"{i}.jpg", ContentFile(photo), save=True)
        people.add_affiliation(
            None,
            person,
            kind="student",
            unit=unit,
            group="BENCH-1",
            programme="6B06101 IS",
            study_year=1,
        )
    start = time.perf_counter()
    issued = services.issue_bulk(None, group="BENCH-1")
    issue_s = time.perf_counter() - start
    cards = list(
        Card.objects.filter(pk__in=[c.pk for c in issued]).select_related("person", "unit")
    )
    start = time.perf_counter()
    data = pdf.render_sheets(cards)
    pdf_s = time.perf_counter() - start
    print(f"issue {count} cards (photo processing, signing, audit): {issue_s:.1f} s")
    print(f"render A4 sheets for {count} cards: {pdf_s:.1f} s, {len(data) / 1e6:.1f} MB")
    print(f"total {issue_s + pdf_s:.1f} s (goal < 60 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--skip-pdf", action="store_true")
    args = parser.parse_args()
    bench_verify()
    if not args.skip_pdf:
        bench_pdf(args.cards)
