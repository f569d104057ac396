import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tirek.security.demo import create_demo_totp
from tirek.security.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def run(username: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("totp-code", username, stdout=out)
    return out.getvalue().strip()


def test_demo_device_code_signs_in(make_user):
    head = make_user("demo.head", groups=["dept_head"])
    hint = create_demo_totp(head)
    assert "tirek totp-code demo.head" in hint
    code = run("demo.head")
    assert len(code) == 6 and code.isdigit()
    client = Client()
    response = client.post(
        reverse("security:login"), {"username": "demo.head", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("core:home"))["Location"].startswith(
        reverse("security:two_factor_verify")
    )
    client.post(reverse("security:two_factor_verify"), {"code": code})
    assert client.get(reverse("core:home")).status_code == 200


def test_refuses_real_devices(make_user):
    user = make_user("real.staff", groups=["dept_staff"])
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    with pytest.raises(CommandError, match="demo"):
        run("real.staff")


def test_refuses_unknown_user(db):
    with pytest.raises(CommandError, match="No user"):
        run("nobody")
