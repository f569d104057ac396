import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tirek.core.models import AuditAction, AuditEvent
from tirek.security import services
from tirek.security.tests.conftest import current_code

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")
SETUP = reverse("security:two_factor_setup")
VERIFY = reverse("security:two_factor_verify")


@pytest.fixture
def staff(make_user):
    return make_user("engineer", groups=["dept_staff"])


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def enrol(client, user) -> list[str]:
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": current_code(device), "next": HOME})
    assert response.status_code == 200, response.content
    return response.context["codes"]


def test_staff_without_device_is_sent_to_enrolment_everywhere(staff_client):
    for path in (HOME, reverse("security:api_token"), reverse("security:account"), "/admin/"):
        response = staff_client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP + "?next="), path


def test_enrolment_page_shows_qr_and_secret(staff_client, staff):
    response = staff_client.get(SETUP)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    secret = response.context["secret"].replace(" ", "")
    from base64 import b32encode

    assert secret == b32encode(device.bin_key).decode()
    # A reload keeps the same key, so a QR code scanned earlier still works.
    staff_client.get(SETUP)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_wrong_code_does_not_enrol(staff_client, staff):
    staff_client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = staff_client.post(SETUP, {"code": wrong})
    assert response.status_code == 200 and response.context["form"].errors
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert staff_client.get(HOME).status_code == 302
    response = staff_client.post(SETUP, {"code": "abc"})
    assert response.context["form"].errors


def test_enrolment_verifies_session_and_makes_backup_codes(staff_client, staff):
    codes = enrol(staff_client, staff)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert staff_client.get(HOME).status_code == 200
    assert staff_client.session[DEVICE_ID_SESSION_KEY].endswith(
        str(TOTPDevice.objects.get(user=staff, confirmed=True).pk)
    )
    # The codes are stored only as keyed hashes.
    stored = set(StaticDevice.objects.get(user=staff).token_set.values_list("token", flat=True))
    assert not stored & set(codes)
    assert stored == {services.hash_backup_code(c) for c in codes}
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR, actor=staff)
    assert event.changes["extra"]["event"] == "enrolled"


def test_new_session_must_verify_with_app_code(staff, staff_client):
    enrol(staff_client, staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    client = Client()
    client.force_login(staff)
    response = client.get(HOME)
    assert response["Location"].startswith(VERIFY)
    # The code used at enrolment cannot be replayed.
    assert client.post(VERIFY, {"code": current_code(device)}).status_code == 200
    assert client.get(HOME).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # the replay counted as a failure; skip the one-second wait
    response = client.post(VERIFY, {"code": current_code(device, offset=1), "next": HOME})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_backup_code_works_once(staff, staff_client):
    codes = enrol(staff_client, staff)
    first = Client()
    first.force_login(staff)
    assert first.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert first.get(HOME).status_code == 200
    second = Client()
    second.force_login(staff)
    response = second.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200 and response.context["form"].errors
    assert second.get(HOME).status_code == 302
    assert StaticDevice.objects.get(user=staff).token_set.count() == 9
    assert AuditEvent.objects.filter(
        action=AuditAction.TWO_FACTOR, changes__extra__event="backup_code_used"
    ).exists()


def test_verify_throttles_guessing(staff, staff_client):
    enrol(staff_client, staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    client = Client()
    client.force_login(staff)
    client.post(VERIFY, {"code": "000000"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # As after five wrong codes in a row (wait 16 s), without making the test wait on the clock.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5)
    # While throttled even the right code is refused, and the page says how long to wait.
    response = client.post(
        VERIFY, {"code": current_code(device, offset=1)}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert re.search(r"Try again in 1[0-6] seconds", str(response.context["form"].errors))
    assert client.get(HOME).status_code == 302


def test_student_is_not_asked(personas):
    client = Client()
    client.force_login(personas["student"])
    assert client.get(HOME).status_code == 200
    assert client.get(SETUP)["Location"] == reverse("security:account")


def test_persona_login_as_counts_as_verified(personas, login_as):
    client = login_as(Client(), personas["dept_head"])
    assert client.get(HOME).status_code == 200


def test_requirement_can_be_switched_off(settings, staff_client):
    settings.TIREK_REQUIRE_2FA = False
    assert staff_client.get(HOME).status_code == 200


def test_exempt_paths_are_reachable(staff_client):
    assert staff_client.get(SETUP).status_code == 200
    assert staff_client.get(VERIFY).status_code == 302  # no device yet: back to setup
    response = staff_client.post(reverse("set_language"), {"language": "ru", "next": SETUP})
    assert response.status_code == 302 and response["Location"] == SETUP
    assert staff_client.post(reverse("security:logout")).status_code == 302


def test_htmx_request_gets_hx_redirect(staff_client):
    response = staff_client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == SETUP


def test_api_refuses_unverified_staff_session(staff, staff_client):
    url = reverse("person-list")
    assert staff_client.get(url).status_code in (401, 403)
    enrol(staff_client, staff)
    assert staff_client.get(url).status_code == 200


def test_reset_two_factor_sends_user_back_to_enrolment(staff, staff_client, make_user):
    enrol(staff_client, staff)
    head = make_user("head", groups=["dept_head"])
    services.reset_two_factor(head, staff)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert staff_client.get(HOME)["Location"].startswith(SETUP)
    event = AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR, actor=head).get()
    assert event.changes["extra"]["event"] == "reset"


def test_new_backup_codes_replace_old(staff, staff_client):
    old = enrol(staff_client, staff)
    response = staff_client.post(SETUP, {"action": "backup_codes"})
    new = response.context["codes"]
    assert "no-store" in response["Cache-Control"]
    assert not set(old) & set(new)
    client = Client()
    client.force_login(staff)
    stored = set(StaticDevice.objects.get(user=staff).token_set.values_list("token", flat=True))
    assert stored == {services.hash_backup_code(c) for c in new}
    assert client.post(VERIFY, {"code": new[1]}).status_code == 302
