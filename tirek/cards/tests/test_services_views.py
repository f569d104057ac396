"""Services, pages and the turnstile API, as the personas use them."""

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tirek.cards import lifecycle, photos, services, statuslist, tokens
from tirek.cards.models import Card, CardStatus
from tirek.cards.tests.conftest import image_bytes
from tirek.core.models import AuditEvent


def test_validity_rules():
    assert services.end_of_academic_year(dt.date(2026, 3, 1)) == dt.date(2026, 6, 30)
    assert services.end_of_academic_year(dt.date(2026, 9, 1)) == dt.date(2027, 6, 30)


def test_issue_student_card_audited_and_unique(personas):
    person = personas["student"].person
    card = services.issue_card(personas["dept_staff"], person)
    assert card.kind == "student" and card.status == CardStatus.ACTIVE and card.token
    assert card.valid_until.month == 6 and card.valid_until.day == 30
    assert card.number.startswith("S") and card.unit.code == "CH-A1"
    assert AuditEvent.objects.filter(object_type="cards.card", object_id=str(card.pk)).exists()
    with pytest.raises(ValidationError):
        services.issue_card(None, person)  # one open card per kind
    with pytest.raises(ValidationError):
        services.issue_card(None, personas["auditor"].person)  # no affiliation


def test_staff_pass_ends_with_contract(personas):
    from tirek.people.models import Affiliation

    person = personas["employee"].person
    end = dt.date.today() + dt.timedelta(days=100)
    Affiliation.objects.filter(person=person).update(end_date=end)
    assert services.issue_card(None, person).valid_until == end


def test_bulk_issue_for_group_and_unit(personas, org):
    issued = services.issue_bulk(None, group="ИС-24-1")
    assert [c.person for c in issued] == [personas["student"].person]
    again = services.issue_bulk(None, unit=org.inst_a)
    assert {c.person.pk for c in again} == {
        personas[r].person.pk for r in ("unit_head", "employee", "faculty")
    }
    assert services.issue_bulk(None, unit=org.inst_a) == []
    with pytest.raises(ValidationError):
        services.issue_bulk(None)


def test_lifecycle_suspend_reinstate_revoke_reissue(personas):
    card = services.issue_card(None, personas["student"].person)
    with pytest.raises(ValidationError):
        services.reinstate(None, card)
    card = services.suspend(None, card, "unpaid")
    card = services.reinstate(None, card)
    assert card.status == CardStatus.ACTIVE
    new = services.reissue(None, card, "lost")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.status_reason == "lost"
    assert (
        new.replaces == card and new.number != card.number and new.status_index != card.status_index
    )
    with pytest.raises(ValidationError):
        services.revoke(None, card)


def test_expiry_job(personas):
    card = services.issue_card(None, personas["student"].person)
    Card.objects.filter(pk=card.pk).update(valid_until=dt.date(2020, 6, 30))
    assert services.expire_due() == 1
    card.refresh_from_db()
    assert card.status == CardStatus.EXPIRED


def test_photo_checked_by_content_and_cut_to_3_4():
    import io

    from PIL import Image

    out = photos.process_photo(image_bytes("PNG", (1000, 600)))
    with Image.open(io.BytesIO(out)) as img:
        assert img.format == "JPEG" and img.size == (480, 640)
    with pytest.raises(ValidationError):
        photos.process_photo(b"GIF89a not really" * 10)
    with pytest.raises(ValidationError):
        photos.process_photo(image_bytes("GIF", (400, 400)))  # a real GIF: not allowed
    with pytest.raises(ValidationError):
        photos.process_photo(image_bytes("PNG", (100, 100)))  # too small


def test_photo_change_resigns_and_old_code_stops(student_card):
    old = bytes(student_card.token)
    card = services.set_photo(None, student_card, image_bytes(color=(1, 2, 3)))
    from tirek.cards import checking

    assert checking.check_code(bytes(card.token)).reason == "valid"
    assert checking.check_code(old).reason == "revoked"


def test_joiner_gets_draft_and_leaver_is_revoked(personas):
    person = personas["student"].person
    lifecycle.on_joiner(person)
    card = Card.objects.get(person=person)
    assert card.status == CardStatus.DRAFT and not card.token
    card = services.activate(personas["dept_staff"], card)
    assert card.token
    lifecycle.on_leaver(person)
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.status_reason == "left"


def test_lifecycle_events_subscribed(personas):
    from tirek.people import events

    assert lifecycle.on_events in events._subscribers
    person = personas["employee"].person
    card = services.issue_card(None, person)
    event = events.LifecycleEvent.objects.create(person=person, kind="leaver", reasons="dismissed")
    events.dispatch([event])
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED


# --- pages -------------------------------------------------------------------------------------


def test_phone_card_shows_own_live_code_only(client_for, student_card, personas):
    client = client_for("student")
    page = client.get(reverse("cards:my_card"))
    assert page.status_code == 200 and b'data-testid="live-qr"' in page.content
    fragment = client.get(reverse("cards:my_card_live"))
    assert fragment["Cache-Control"] == "no-store" and b"<svg" in fragment.content
    other = client_for("employee").get(reverse("cards:my_card"))
    assert b'data-testid="no-card"' in other.content


def test_public_verify_page_and_photo(student_card):
    anon = Client()
    url = tokens.qr_text(bytes(student_card.token))
    path = "/V/" + url.split("/V/")[1]
    page = anon.get(path)
    assert page.status_code == 200 and b'data-reason="valid"' in page.content
    photo = anon.get(path + "/photo")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    services.revoke(None, student_card, "lost")
    assert b'data-reason="revoked"' in anon.get(path).content
    assert anon.get("/V/AAAA/photo").status_code == 404
    posted = anon.post(reverse("cards:verify"), {"code": url[:-5]})
    assert b'data-reason="malformed"' in posted.content or b'data-reason="forged"' in posted.content


def test_trust_list_and_status_list_with_etag(student_card, django_capture_on_commit_callbacks):
    anon = Client()
    trust = anon.get(reverse("cards:trust_list")).json()
    assert trust["keys"][0]["kid"] == student_card.kid and trust["keys"][0]["crv"] == "P-256"
    first = anon.get(reverse("cards:status_list", args=[1]))
    assert first["Content-Type"] == "application/statuslist+cwt"
    assert "max-age=60" in first["Cache-Control"]
    same = anon.get(
        reverse("cards:status_list", args=[1]), headers={"If-None-Match": first["ETag"]}
    )
    assert same.status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(None, student_card, "lost")
    changed = anon.get(
        reverse("cards:status_list", args=[1]), headers={"If-None-Match": first["ETag"]}
    )
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert anon.get(reverse("cards:status_list", args=[2])).status_code == 404


def test_turnstile_device_token(student_card, personas):
    _device, raw = services.register_turnstile(personas["dept_staff"], "Main gate")
    gate = Client(headers={"authorization": f"Device {raw}"})
    url = reverse("cards-turnstile")
    ok = gate.post(
        url, {"code": tokens.qr_text(bytes(student_card.token))}, content_type="application/json"
    )
    assert ok.json()["decision"] == "allow" and ok.json()["number"] == student_card.number
    live = tokens.live_token(student_card)
    assert (
        gate.post(url, {"code": tokens.qr_text(live)}, content_type="application/json").json()[
            "decision"
        ]
        == "allow"
    )
    stale = tokens.live_token(student_card, time.time() - 120)
    answer = gate.post(url, {"code": tokens.qr_text(stale)}, content_type="application/json").json()
    assert answer == {
        "decision": "deny",
        "reason": "expired",
        "number": student_card.number,
        "kind": "student",
        "live": True,
    }
    junk = gate.post(url, {"code": "HTTPS://X/V/AAAA"}, content_type="application/json").json()
    assert junk["decision"] == "deny" and junk["reason"] == "malformed"
    bad = Client(headers={"authorization": "Device wrong"})
    assert bad.post(url, {"code": "x"}, content_type="application/json").status_code == 401


def test_unit_head_sees_unit_cards_read_only(client_for, student_card, personas):
    outsider_card = services.issue_card(None, personas["outsider"].person)
    client = client_for("unit_head")
    listing = client.get(reverse("cards:card_list"))
    assert student_card.number.encode() in listing.content
    assert outsider_card.number.encode() not in listing.content
    assert client.get(reverse("cards:card_detail", args=[outsider_card.pk])).status_code == 404
    post = client.post(reverse("cards:card_action", args=[student_card.pk]), {"action": "revoke"})
    assert post.status_code == 403
    student_card.refresh_from_db()
    assert student_card.status == CardStatus.ACTIVE


def test_staff_issue_and_revoke_through_pages(client_for, personas):
    client = client_for("dept_staff")
    person = personas["faculty"].person
    response = client.post(reverse("cards:card_issue"), {"person": str(person.pk)})
    card = Card.objects.get(person=person)
    assert response.status_code == 302 and card.kind == "faculty"
    client.post(
        reverse("cards:card_action", args=[card.pk]),
        {"action": "revoke", "revocation_reason": "damaged"},
    )
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.status_reason == "damaged"


def test_pdfs(client_for, student_card):
    client = client_for("dept_staff")
    one = client.get(reverse("cards:card_pdf", args=[student_card.pk]))
    assert one["Content-Type"] == "application/pdf" and one.content.startswith(b"%PDF")
    sheet = client.get(reverse("cards:sheet_pdf"), {"group": "ИС-24-1"})
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


def test_figures(client_for, student_card):
    page = client_for("dept_head").get(reverse("cards:figures"))
    assert page.status_code == 200 and b'data-testid="card-figures"' in page.content
    assert client_for("student").get(reverse("cards:figures")).status_code == 403


def test_status_list_publish_job(student_card):
    from tirek.cards.tasks import publish_status_list

    assert "status list" in publish_status_list()
    assert statuslist.current().size > 0
