"""The phone card and the in-browser verifier in a real browser (Chromium through Playwright).

The verify page checks codes with WebCrypto and the published trust list and status list; the
tests give it codes made by the issuing code (valid, revoked after the list is republished,
tampered, expired, signed by a wrong key), read a QR from a photo with the npm QR reader, and
then check codes with the browser offline after one visit. The browser's answers are compared
with the independent decoder's.
"""

from __future__ import annotations

import base64
import json
import time

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from tirek.cards import keys, services, tokens
from tirek.cards.signing import sign1
from tirek.cards.tests import decoder
from tirek.testing.browser import sign_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.xdist_group("browser"),
]


def b32(token: bytes) -> str:
    return base64.b32encode(token).decode().rstrip("=")


def device_reason(page, live_server, token: bytes) -> str:
    page.goto(f"{live_server.url}/V/{b32(token)}")
    expect(page.locator("#device-verify")).to_have_attribute("data-ready", "true")
    result = page.get_by_test_id("device-result")
    expect(result).to_be_visible()
    return result.get_attribute("data-reason")


def claims_of(token: bytes) -> dict:
    return cbor2.loads(cbor2.loads(token)[2])


def resign(claims: dict, private=None, kid: bytes | None = None) -> bytes:
    key = keys.signing_key()
    payload = cbor2.dumps(claims, canonical=True)
    return sign1(payload, private or key.private, kid or key.kid_bytes)


def test_phone_card_qr_changes_with_its_window(
    page, live_server, personas, student_card, settings, monkeypatch
):
    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(tokens, "LIVE_WINDOW", 2)  # a 2-s window instead of 30 s
    sign_in(page, live_server, personas["student"])
    page.goto(live_server.url + "/cards/my/")
    qr = page.get_by_test_id("live-qr")
    expect(qr).to_be_visible()
    first_window = qr.get_attribute("data-window")
    first_svg = qr.inner_html()
    # htmx fetches a new code every window; the window start moves on and the QR changes.
    expect(page.get_by_test_id("live-qr")).not_to_have_attribute("data-window", first_window)
    assert page.get_by_test_id("live-qr").inner_html() != first_svg


def test_verify_page_checks_codes_in_the_browser(
    page, live_server, personas, student_card, settings
):
    settings.LANGUAGE_CODE = "en"
    token = bytes(student_card.token)
    assert device_reason(page, live_server, token) == "valid"
    result = page.get_by_test_id("device-result")
    expect(result.locator('[data-part="number"]')).to_have_text(student_card.number)
    expect(result.locator('[data-part="kind"]')).to_have_text("student ID card")
    # Online the server's answer is on the page too, with the photo (shown once).
    server = page.get_by_test_id("verify-result")
    expect(server).to_have_attribute("data-reason", "valid")
    expect(server.locator("img")).to_be_visible()
    expect(result.locator('[data-part="photo"]')).to_be_hidden()
    assert result.get_attribute("data-status-checked") == "true"
    expect(page.get_by_test_id("lists-note")).to_have_attribute("data-cached", "false")

    # Tampered: another card number under the original signature.
    msg = list(cbor2.loads(token))
    claims = claims_of(token)
    claims["n"] = claims["n"][:-1] + ("1" if claims["n"][-1] != "1" else "2")
    msg[2] = cbor2.dumps(claims, canonical=True)
    assert device_reason(page, live_server, cbor2.dumps(msg)) == "forged"
    # Expired.
    claims = claims_of(token)
    claims[6], claims[4] = int(time.time()) - 7200, int(time.time()) - 3600
    assert device_reason(page, live_server, resign(claims)) == "expired"
    # Wrong key: the published key id with another key, and a key id nobody published.
    other = ec.generate_private_key(ec.SECP256R1())
    claims = claims_of(token)
    assert device_reason(page, live_server, resign(claims, other)) == "forged"
    assert device_reason(page, live_server, resign(claims, other, b"evil")) == "unknown-key"
    assert device_reason(page, live_server, token[:-9]) == "malformed"

    # Suspended, then revoked: the status list is republished and the browser fetches it again.
    services.suspend(None, student_card, "checking")
    assert device_reason(page, live_server, token) == "suspended"
    services.revoke(None, student_card, "lost")
    assert device_reason(page, live_server, token) == "revoked"
    expect(page.get_by_test_id("device-result").locator('[data-part="number"]')).to_have_text(
        student_card.number
    )


def test_qr_read_from_a_photo(page, live_server, student_card, settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    png = tmp_path / "qr.png"
    tokens.qr(bytes(student_card.token)).save(str(png), scale=6)
    page.goto(live_server.url + "/V/")
    expect(page.locator("#device-verify")).to_have_attribute("data-ready", "true")
    page.get_by_test_id("qr-photo").set_input_files(str(png))
    # The QR holds the university's URL; the page opens the same code on this site.
    page.wait_for_url(f"**/V/{b32(bytes(student_card.token))}")
    expect(page.get_by_test_id("device-result")).to_have_attribute("data-reason", "valid")


def test_codes_still_verify_offline_after_one_visit(
    page, live_server, personas, student_card, settings
):
    settings.LANGUAGE_CODE = "en"
    revoked = services.issue_card(None, personas["employee"].person)
    revoked_token = bytes(revoked.token)
    services.revoke(None, revoked, "lost")
    token = bytes(student_card.token)

    page.goto(live_server.url + "/verify/")  # one visit, online
    expect(page.locator("#device-verify")).to_have_attribute("data-ready", "true")
    assert page.evaluate(WORKER_ACTIVE)
    page.context.set_offline(True)
    try:
        assert device_reason(page, live_server, token) == "valid"
        # Served by the service worker from the phone's cache: no server check on the page.
        expect(page.get_by_test_id("verify-result")).to_have_count(0)
        expect(page.get_by_test_id("lists-note")).to_have_attribute("data-cached", "true")
        assert device_reason(page, live_server, revoked_token) == "revoked"
        other = ec.generate_private_key(ec.SECP256R1())
        assert device_reason(page, live_server, resign(claims_of(token), other)) == "forged"
    finally:
        page.context.set_offline(False)


# /verify/ is outside the worker's scope (/V/), so wait on the registration, not on `ready`.
WORKER_ACTIVE = """async () => {
  for (let i = 0; i < 100; i++) {
    const reg = await navigator.serviceWorker.getRegistration('/V/')
    if (reg && reg.active && reg.active.state === 'activated') return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}"""

BROWSER_VERIFY = """async ([codes, now]) => {
  const v = await import('/static/cards/verifier.js')
  const trust = await v.importTrustList(await (await fetch('/.well-known/tirek/trust-list')).text())
  const sl = new Uint8Array(await (await fetch('/sl/1', {cache: 'no-cache'})).arrayBuffer())
  const status = await v.importStatusList(sl, trust)
  const out = []
  for (const code of codes) out.push(await v.verifyCode(code, trust, status, now))
  return out
}"""


def test_browser_verifier_agrees_with_the_independent_decoder(
    page, live_server, personas, student_card, settings
):
    employee = services.issue_card(None, personas["employee"].person)
    live = tokens.live_token(student_card)
    codes = [bytes(student_card.token), bytes(employee.token), live]
    page.goto(live_server.url + "/V/")
    results = page.evaluate(BROWSER_VERIFY, [[tokens.qr_text(c) for c in codes], time.time()])
    public = decoder.public_keys(json.dumps(keys.trust_list()))
    for code, result in zip(codes, results, strict=True):
        assert result["reason"] == "valid" and result["statusChecked"]
        expected = decoder.decode(code, public)
        assert result["claims"] == {
            str(k): v.hex() if isinstance(v, bytes) else v for k, v in expected.items()
        }
