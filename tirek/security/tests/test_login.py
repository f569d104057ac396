import pytest
from django.conf import settings
from django.urls import reverse

from tirek.core.models import AuditAction, AuditEvent
from tirek.security.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("security:login")


def post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_is_keyboard_friendly(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'autocomplete="username"' in html and "autofocus" in html
    assert 'autocomplete="current-password"' in html


def test_local_login_succeeds_and_is_audited(client, make_user):
    user = make_user("aigerim")
    response = post_login(client, "aigerim", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(user.pk)
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN).get()
    assert event.actor_id == user.pk and event.ip == "127.0.0.1"
    assert user.password.startswith("argon2")


def test_signed_in_user_is_sent_home_from_login_page(client, make_user):
    client.force_login(make_user("bolat"))
    assert client.get(LOGIN)["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def test_wrong_password_is_refused_and_audited(client, make_user):
    make_user("aigerim")
    response = post_login(client, "aigerim", "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.object_id == "aigerim" and event.actor_id is None and event.ip == "127.0.0.1"
    assert "not-the-password" not in str(event.changes)


def test_lockout_after_failure_limit(client, make_user):
    make_user("aigerim")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert post_login(client, "aigerim", "wrong").status_code == 200
    locked = post_login(client, "aigerim", "wrong")
    assert locked.status_code == 429
    assert "security/locked_out.html" in [t.name for t in locked.templates]
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    html = locked.content.decode()
    notice = html[html.index('data-testid="locked-out"') :]
    notice = notice[: notice.index("</div>")]
    assert f" {minutes} " in notice  # says when to try again
    # Even the right password is refused while locked.
    again = post_login(client, "aigerim", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, object_id="aigerim").exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() >= limit


def test_lockout_is_per_login(client, make_user):
    make_user("aigerim")
    make_user("bolat")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "aigerim", "wrong")
    assert post_login(client, "bolat", PASSWORD).status_code == 302


def test_logout_needs_post_and_is_audited(client, make_user):
    user = make_user("aigerim")
    client.force_login(user)
    logout = reverse("security:logout")
    assert client.get(logout).status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.post(logout)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=user).exists()


def test_inactive_user_cannot_sign_in(client, make_user):
    make_user("gone", is_active=False)
    assert post_login(client, "gone", PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
