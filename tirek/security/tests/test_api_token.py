import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tirek.core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("security:api_token")


@pytest.fixture
def staff(personas):
    return personas["dept_staff"]


def api_status(key: str) -> int:
    return Client().get(reverse("person-list"), HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_anonymous_is_sent_to_login(client):
    assert client.get(URL)["Location"].startswith(reverse("security:login"))


def test_unverified_staff_must_pass_two_factor_first(client, staff):
    client.force_login(staff)
    assert client.get(URL)["Location"].startswith(reverse("security:two_factor_setup"))
    assert client.post(URL, {"action": "issue"}).status_code == 302
    assert not Token.objects.filter(user=staff).exists()


def test_create_rotate_revoke(staff, login_as):
    client = login_as(Client(), staff)
    response = client.get(URL)
    assert response.status_code == 200 and "new_key" not in response.context

    response = client.post(URL, {"action": "issue"})
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert api_status(key) == 200
    # Shown once: later pages do not carry it.
    assert key not in client.get(URL).content.decode()

    rotated = client.post(URL, {"action": "issue"}).context["new_key"]
    assert rotated != key
    assert api_status(key) == 401 and api_status(rotated) == 200

    assert client.post(URL, {"action": "revoke"}).status_code == 302
    assert api_status(rotated) == 401
    events = [
        e.changes["extra"]["event"]
        for e in AuditEvent.objects.filter(actor=staff, object_type="core.user").order_by("id")
        if "extra" in e.changes
    ]
    assert events == ["api_token_created", "api_token_rotated", "api_token_revoked"]


def test_unknown_action_changes_nothing(staff, login_as):
    client = login_as(Client(), staff)
    client.post(URL, {"action": "drop-table"})
    assert not Token.objects.filter(user=staff).exists()


def test_token_is_personal(personas, login_as):
    student = login_as(Client(), personas["student"])
    key = student.post(URL, {"action": "issue"}).context["new_key"]
    assert Token.objects.get(key=key).user == personas["student"]
    # The token acts with the student's own permissions: units yes, the people list no.
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert Client().get(reverse("orgunit-list"), **auth).status_code == 200
    assert Client().get(reverse("person-list"), **auth).status_code == 403
