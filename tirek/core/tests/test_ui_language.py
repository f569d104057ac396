"""The language switch: a cookie for everyone, and remembered on the user for signed-in users."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tirek.core import services
from tirek.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _lang(response) -> str:
    html = response.content.decode()
    start = html.index("<html lang=") + len('<html lang="')
    return html[start : html.index('"', start)]


def test_default_language_is_kazakh(client_for):
    assert _lang(client_for("student").get("/")) == "kk"


def test_switch_saves_the_users_language_and_audits_it(client_for, personas):
    client = client_for("student")
    response = client.post(reverse("core:set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    user = personas["student"]
    user.refresh_from_db()
    assert user.language == "ru"
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="core.user").first()
    assert event.object_id == str(user.pk)
    assert event.changes["before"] == {"language": ""}
    assert event.changes["after"] == {"language": "ru"}
    # The next page is in Russian.
    page = client.get("/")
    assert _lang(page) == "ru"
    with translation.override("ru"):
        sign_out = translation.gettext("Sign out")
    assert sign_out != "Sign out", "the Russian catalogue should translate the menu"
    assert sign_out in page.content.decode()


def test_saved_language_follows_the_user_to_a_new_browser(client_for, personas, login_as):
    client_for("employee").post(reverse("core:set_language"), {"language": "en", "next": "/"})
    fresh = login_as(Client(), personas["employee"])  # no language cookie here
    assert _lang(fresh.get("/")) == "en"


def test_anonymous_switch_sets_only_the_cookie(client, django_user_model):
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/auth/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()
    assert _lang(client.get(reverse("security:login"))) == "en"


def test_unknown_language_is_refused(client_for, personas):
    client = client_for("student")
    response = client.post(reverse("core:set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 400
    personas["student"].refresh_from_db()
    assert personas["student"].language == ""


def test_next_to_another_site_goes_home_instead(client_for):
    response = client_for("student").post(
        reverse("core:set_language"), {"language": "ru", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_get_is_not_allowed(client):
    assert client.get(reverse("core:set_language"), {"language": "ru"}).status_code == 405


def test_csrf_is_required(personas, login_as):
    client = login_as(Client(enforce_csrf_checks=True), personas["student"])
    response = client.post(reverse("core:set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 403
    personas["student"].refresh_from_db()
    assert personas["student"].language == ""


def test_switch_shows_each_language_in_itself_and_posts_to_our_view(client_for):
    html = client_for("student").get("/").content.decode()
    assert f'action="{reverse("core:set_language")}"' in html
    for name in ("Қазақша", "Русский", "English"):
        assert name in html
    assert 'aria-pressed="true"' in html


def test_service_refuses_an_unknown_language_and_skips_no_op_changes(personas):
    user = personas["faculty"]
    with pytest.raises(ValidationError):
        services.set_user_language(user, user, "de")
    services.set_user_language(user, user, "ru")
    count = AuditEvent.objects.count()
    services.set_user_language(user, user, "ru")
    assert AuditEvent.objects.count() == count
