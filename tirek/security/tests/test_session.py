import time

import pytest
from django.conf import settings
from django.urls import reverse

from tirek.core.models import AuditAction, AuditEvent
from tirek.security.middleware import LAST_SEEN_KEY

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")
LOGIN = reverse("security:login")


def age_session(client, seconds: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def user_client(client, make_user):
    client.force_login(make_user("aigerim"))
    assert client.get(HOME).status_code == 200
    assert isinstance(client.session[LAST_SEEN_KEY], int)
    return client


def test_idle_session_ends_with_a_notice(user_client):
    age_session(user_client, settings.SESSION_IDLE_MINUTES * 60 + 5)
    response = user_client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2F"
    assert "_auth_user_id" not in user_client.session
    page = user_client.get(response["Location"])
    assert 'data-testid="idle-notice"' in page.content.decode()
    # The notice is shown once.
    assert 'data-testid="idle-notice"' not in user_client.get(LOGIN).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()


def test_active_session_continues(user_client):
    age_session(user_client, settings.SESSION_IDLE_MINUTES * 60 - 60)
    assert user_client.get(HOME).status_code == 200
    # The request counted as activity.
    assert int(time.time()) - user_client.session[LAST_SEEN_KEY] < 5


def test_idle_limit_follows_setting(settings, user_client):
    settings.SESSION_IDLE_MINUTES = 1
    age_session(user_client, 90)
    assert user_client.get(HOME).status_code == 302


def test_idle_htmx_request_gets_hx_redirect(user_client):
    age_session(user_client, settings.SESSION_IDLE_MINUTES * 60 + 5)
    response = user_client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == LOGIN


def test_idle_api_session_is_refused_not_redirected(user_client):
    age_session(user_client, settings.SESSION_IDLE_MINUTES * 60 + 5)
    response = user_client.get(reverse("person-list"))
    assert response.status_code in (401, 403)
    assert "_auth_user_id" not in user_client.session
