"""The turnstile API's shortcuts: a known device costs no query, deactivation still holds."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tirek.cards import api, services, tokens

pytestmark = pytest.mark.django_db


def post(gate: Client, code: str):
    return gate.post(reverse("cards-turnstile"), {"code": code}, content_type="application/json")


def test_known_device_scans_with_one_query(student_card):
    device, raw = services.register_turnstile(None, "Gate A")
    gate = Client(headers={"authorization": f"Device {raw}"})
    code = tokens.qr_text(bytes(student_card.token))
    assert post(gate, code).json()["decision"] == "allow"
    device.refresh_from_db()
    seen = device.last_seen_at
    assert seen is not None
    with CaptureQueriesContext(connection) as queries:
        assert post(gate, code).json()["decision"] == "allow"
    # Only the card's row: the device is remembered and last_seen_at is not rewritten.
    assert len(queries) == 1 and "cards_card" in queries[0]["sql"]
    device.refresh_from_db()
    assert device.last_seen_at == seen


def test_deactivated_device_is_refused_at_once(student_card):
    device, raw = services.register_turnstile(None, "Gate B")
    gate = Client(headers={"authorization": f"Device {raw}"})
    code = tokens.qr_text(bytes(student_card.token))
    assert post(gate, code).status_code == 200
    device.is_active = False
    device.save()
    assert post(gate, code).status_code == 401
    assert not api._devices


def test_card_state_is_read_fresh_on_every_scan(student_card):
    _device, raw = services.register_turnstile(None, "Gate C")
    gate = Client(headers={"authorization": f"Device {raw}"})
    code = tokens.qr_text(bytes(student_card.token))
    assert post(gate, code).json()["decision"] == "allow"
    services.suspend(None, student_card, "checking")
    assert post(gate, code).json() | {"number": ""} == {
        "decision": "deny",
        "reason": "suspended",
        "number": "",
        "kind": "student",
        "live": False,
    }
