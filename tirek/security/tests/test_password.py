import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tirek.core.models import AuditAction, AuditEvent
from tirek.security.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("security:password_change")
NEW = "Qostanay-river-4417"


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:login"))


def test_local_user_changes_password(client, make_user):
    user = make_user("aigerim")
    client.force_login(user)
    assert client.get(URL).status_code == 200
    response = client.post(
        URL, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302 and response["Location"] == reverse("security:account")
    # The session survives the change; the new password works and the old does not.
    assert client.get(reverse("core:home")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    assert user.password.startswith("argon2")
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE, actor=user).exists()


def test_other_sessions_end_after_change(client, make_user):
    user = make_user("aigerim")
    other = Client()
    other.force_login(user)
    client.force_login(user)
    client.post(URL, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert other.get(reverse("core:home")).status_code == 302


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field"),
    [
        ("wrong-old-password", NEW, NEW, "old_password"),
        (PASSWORD, NEW, NEW + "x", "new_password2"),
        (PASSWORD, "short", "short", "new_password2"),
        (PASSWORD, "1234567890123", "1234567890123", "new_password2"),
    ],
)
def test_bad_input_is_refused(client, make_user, old, new1, new2, field):
    user = make_user("aigerim")
    client.force_login(user)
    response = client.post(URL, {"old_password": old, "new_password1": new1, "new_password2": new2})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


def test_directory_user_is_told_to_use_the_directory(client, db):
    user = get_user_model().objects.create_user("ldap.user")
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="directory-password"' in response.content.decode()
    response = client.post(URL, {"old_password": "", "new_password1": NEW, "new_password2": NEW})
    user.refresh_from_db()
    assert not user.has_usable_password()
