"""Issued codes: decoded by the independent decoder and checked by tirek-verify, with every
way a code can be wrong."""

import base64
import json

import cbor2
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric import ec

from tirek.cards import keys, services, statuslist, tokens
from tirek.cards.signing import sign1
from tirek.cards.tests import decoder
from tirek.cards.verify import Reason, StatusList, TrustList, verify
from tirek.cards.verify.cli import main as verify_cli


def trust_json() -> str:
    return json.dumps(keys.trust_list())


def lists():
    trust = TrustList.from_json(trust_json())
    return trust, StatusList.from_token(statuslist.build_token(), trust)


def test_independent_decoder_reads_issued_code(student_card, personas):
    url = tokens.qr_text(bytes(student_card.token))
    claims = decoder.decode(decoder.decode_url(url), decoder.public_keys(trust_json()))
    assert claims[1] == "ksu.edu.kz"
    assert claims["n"] == student_card.number and claims["k"] == "S"
    person = personas["student"].person
    assert claims["e"] == f"urn:schac:personalUniqueCode:int:esi:ksu.edu.kz:P{person.pk}"
    assert claims["i"] == student_card.status_index and claims["s"] == "/sl/1"
    assert claims["p"] == bytes.fromhex(student_card.photo_sha256)[:16]
    assert len(claims[7]) == 8 and claims[4] > claims[6]
    assert claims["u"] == "6B06101"
    # No IIN, no name in the code.
    payload = cbor2.dumps(claims)
    assert person.iin.encode() not in payload
    assert person.last_name.encode() not in payload


def test_qr_is_alphanumeric_and_fits_version_12_at_m(student_card):
    text = tokens.qr_text(bytes(student_card.token))
    assert text.startswith("HTTPS://ID.KSU.EDU.KZ/V/") and "=" not in text
    code = tokens.qr(bytes(student_card.token))
    assert code.mode == "alphanumeric" and code.error == "M"
    assert code.version <= 12
    # The largest realistic student code: long ESI code, big index.
    student_card.person.platonus_id = "1234567890"
    student_card.status_index = 9_999_999
    token, _, _ = tokens.card_token(student_card)
    assert segno.make_qr(tokens.qr_text(token), error="m", boost_error=False).version <= 12


def test_valid_and_status_list(student_card):
    trust, status = lists()
    result = verify(tokens.qr_text(bytes(student_card.token)), trust, status)
    assert result.reason is Reason.VALID and result.status_checked
    assert result.number == student_card.number and result.kind == "student"


def test_revoked_and_suspended_reach_the_offline_verifier(student_card, personas):
    code = tokens.qr_text(bytes(student_card.token))
    services.suspend(None, student_card, "checking")
    trust, status = lists()
    assert verify(code, trust, status).reason is Reason.SUSPENDED
    services.revoke(None, student_card, "lost")
    trust, status = lists()
    assert verify(code, trust, status).reason is Reason.REVOKED
    # Without a status list the signature still holds; revocation is simply unchecked.
    result = verify(code, trust, None)
    assert result.reason is Reason.VALID and not result.status_checked


def test_tampered_code_is_forged(student_card):
    cose = bytearray(bytes(student_card.token))
    number = student_card.number.encode()
    at = bytes(cose).index(number)
    cose[at + len(number) - 1] ^= 0x01  # another card number, same length
    trust, status = lists()
    assert verify(bytes(cose), trust, status).reason is Reason.FORGED
    # A flipped signature bit too.
    cose = bytearray(bytes(student_card.token))
    cose[-1] ^= 0x80
    assert verify(bytes(cose), trust, status).reason is Reason.FORGED


def test_truncated_and_junk_codes_are_malformed(student_card):
    cose = bytes(student_card.token)
    trust, status = lists()
    for bad in (cose[:-10], cose[:5], b"", b"\xff\x00junk"):
        assert verify(bad, trust, status).reason is Reason.MALFORMED
    text = tokens.qr_text(cose)
    assert verify(text[:-7], trust, status).reason is Reason.MALFORMED
    assert verify("HTTPS://X/V/!!!", trust, status).reason is Reason.MALFORMED


def test_expired_code(student_card):
    trust, status = lists()
    claims = cbor2.loads(cbor2.loads(bytes(student_card.token))[2])
    assert verify(bytes(student_card.token), trust, status, now=claims[4] + 60).reason is (
        Reason.EXPIRED
    )


def test_wrong_key(student_card):
    claims = cbor2.loads(cbor2.loads(bytes(student_card.token))[2])
    payload = cbor2.dumps(claims, canonical=True)
    kid = keys.signing_key().kid_bytes
    other = ec.generate_private_key(ec.SECP256R1())
    trust, status = lists()
    # Same key id, another key: the signature does not match.
    assert verify(sign1(payload, other, kid), trust, status).reason is Reason.FORGED
    # A key id nobody published.
    assert verify(sign1(payload, other, b"evil"), trust, status).reason is Reason.UNKNOWN_KEY


def test_rotation_keeps_old_cards_valid(student_card, personas, settings):
    old_kid = keys.signing_key().kid
    keys.generate_key("z-next")  # sorts after the date-named key: it signs from now on
    assert keys.signing_key().kid == "z-next"
    card = services.issue_card(None, personas["employee"].person)
    assert card.kid == "z-next"
    trust, status = lists()
    assert {k["kid"] for k in keys.trust_list()["keys"]} == {old_kid, "z-next"}
    assert verify(bytes(student_card.token), trust, status).ok
    assert verify(bytes(card.token), trust, status).ok
    # Retiring the old private key, keeping its public key: old cards still verify.
    folder = keys.keys_dir()
    public = keys.all_keys()[old_kid].public
    from cryptography.hazmat.primitives import serialization

    (folder / f"{old_kid}.pub.pem").write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (folder / f"{old_kid}.pem").unlink()
    assert verify(bytes(student_card.token), TrustList.from_json(trust_json()), None).ok


def test_dev_key_is_generated_private(settings):
    key = keys.signing_key()
    path = keys.keys_dir() / f"{key.kid}.pem"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600


def test_key_from_environment(monkeypatch, settings):
    from cryptography.hazmat.primitives import serialization

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    monkeypatch.setenv("TIREK_CARD_KEY_ZZENV", pem)
    settings.CARD_SIGNING_KID = "zzenv"
    assert keys.signing_key().kid == "zzenv"
    assert not list(keys.keys_dir().glob("*.pem")) if keys.keys_dir().exists() else True


def test_live_token_window(student_card):
    now = 1_800_000_010.0
    token = tokens.live_token(student_card, now)
    trust, status = lists()
    result = verify(token, trust, status, now=now)
    assert result.ok and result.is_live
    assert verify(token, trust, status, now=now + 60).reason is Reason.EXPIRED
    assert verify(token, trust, status, now=now - 60).reason is Reason.EXPIRED


def test_status_list_format(student_card, personas):
    services.suspend(None, student_card, "x")
    other = services.issue_card(None, personas["employee"].person)
    services.revoke(None, other, "lost")
    token = statuslist.build_token()
    msg = cbor2.loads(token)
    assert msg.tag == 18
    protected = cbor2.loads(msg.value[0])
    assert protected[16] == "application/statuslist+cwt"
    claims = decoder.decode(token, decoder.public_keys(trust_json()))
    assert claims[2] == "https://id.ksu.edu.kz/sl/1" and claims[65534] > 0
    import zlib

    body = claims[65533]
    assert body["bits"] == 2
    raw = zlib.decompress(body["lst"])

    def bits_at(i):
        return (raw[i // 4] >> ((i % 4) * 2)) & 3

    assert bits_at(student_card.status_index) == 2
    assert bits_at(other.status_index) == 1


def test_cli(tmp_path, student_card, capsys):
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(trust_json())
    status_file = tmp_path / "status.cwt"
    status_file.write_bytes(statuslist.build_token())
    code = tokens.qr_text(bytes(student_card.token))
    assert (
        verify_cli(["--trust-list", str(trust_file), "--status-list", str(status_file), code]) == 0
    )
    assert capsys.readouterr().out.startswith("valid\t" + student_card.number)
    forged = base64.b32encode(bytes(student_card.token)[:-3] + b"abc").decode()
    assert verify_cli(["--trust-list", str(trust_file), forged]) == 1
    assert verify_cli(["--trust-list", str(tmp_path / "missing.json"), code]) == 2


def test_verifier_has_no_django_imports():
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "verify"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in {"cbor2", "cryptography", "tirek", "__future__"} or top in (
                    __import__("sys").stdlib_module_names
                ), (path, name)
                if top == "tirek":
                    assert name.startswith("tirek.cards.verify"), (path, name)


@pytest.mark.parametrize("n", [0, 1, 5, 1000])
def test_bit_array_round_trip(n):
    from tirek.cards.verify.core import StatusList as SL

    entries = [(i, i % 3) for i in range(n)]
    sl = SL(2, statuslist.bit_array(entries))
    assert all(sl.get(i) == v for i, v in entries)
