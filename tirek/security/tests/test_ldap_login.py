"""LDAP login against a real OpenLDAP server (tirek.testing.slapd)."""

import itertools

import ldap
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_auth_ldap.config import LDAPSearch

from tirek.core.models import AuditAction, AuditEvent
from tirek.security.tests.conftest import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LOGIN = reverse("security:login")
_serial = itertools.count()


@pytest.fixture
def directory(slapd, settings):
    """Point django-auth-ldap at the test server, as settings.py does for LDAP_AUTH_URL."""
    slapd.start()  # a no-op unless an earlier test stopped it
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.AUTH_LDAP_BIND_DN = slapd.admin_dn
    settings.AUTH_LDAP_BIND_PASSWORD = slapd.admin_password
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(
        slapd.people_dn, ldap.SCOPE_SUBTREE, "(uid=%(user)s)"
    )
    settings.AUTH_LDAP_USER_ATTR_MAP = {
        "first_name": "givenName",
        "last_name": "sn",
        "email": "mail",
    }
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: 2}
    settings.AUTH_LDAP_CACHE_TIMEOUT = 0
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "tirek.security.ldap.TirekLDAPBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return slapd


def new_uid() -> str:
    # The server lives for the whole session (per worker): every test uses fresh names.
    return f"ldap.t{next(_serial)}"


def login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_directory_user_signs_in_and_gets_names(client, directory):
    uid = new_uid()
    directory.add_user(
        uid, "Dir-pass-1", givenName="Айгерім", sn="Сейітқали", mail=f"{uid}@ksu.edu.kz"
    )
    response = login(client, uid, "Dir-pass-1")
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    user = get_user_model().objects.get(username=uid)
    assert (user.first_name, user.last_name, user.email) == (
        "Айгерім",
        "Сейітқали",
        f"{uid}@ksu.edu.kz",
    )
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=user).exists()
    # Their password lives in the directory, not here.
    page = client.get(reverse("security:password_change"))
    assert 'data-testid="directory-password"' in page.content.decode()


def test_wrong_password_is_refused(client, directory):
    uid = new_uid()
    directory.add_user(uid, "Dir-pass-1")
    response = login(client, uid, "not-it")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username=uid).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_id=uid).exists()


def test_absent_user_is_refused(client, directory):
    response = login(client, "nobody.here", "whatever-1")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="nobody.here").exists()


def test_local_account_is_not_taken_over_by_directory_entry(client, directory, make_user):
    uid = new_uid()
    local = make_user(uid)
    directory.add_user(uid, "Dir-pass-1", givenName="Someone", sn="Else")
    assert login(client, uid, "Dir-pass-1").status_code == 200
    assert login(client, uid, PASSWORD).status_code == 302
    local.refresh_from_db()
    assert local.first_name == "" and local.has_usable_password()


def test_directory_down_falls_back_to_local_accounts(client, directory, make_user):
    uid = new_uid()
    directory.add_user(uid, "Dir-pass-1")
    make_user("local.only")
    directory.stop()
    try:
        assert login(client, uid, "Dir-pass-1").status_code == 200
        assert login(client, "local.only", PASSWORD).status_code == 302
    finally:
        directory.start()
    client.post(reverse("security:logout"))
    assert login(client, uid, "Dir-pass-1").status_code == 302


def test_links_person_with_same_email(client, directory):
    from tirek.people import services as people

    uid = new_uid()
    mail = f"{uid}@ksu.edu.kz"
    person = people.create_person(None, last_name="Сейітқали", first_name="Айгерім", email=mail)
    directory.add_user(uid, "Dir-pass-1", mail=mail)
    assert login(client, uid, "Dir-pass-1").status_code == 302
    person.refresh_from_db()
    assert person.user is not None and person.user.username == uid


def test_no_link_when_email_is_ambiguous_or_taken(client, directory, make_user):
    from tirek.people import services as people

    uid, other = new_uid(), new_uid()
    shared = f"{uid}@ksu.edu.kz"
    a = people.create_person(None, last_name="Әбенов", first_name="Ерлан", email=shared)
    b = people.create_person(None, last_name="Бекова", first_name="Дана", email=shared)
    taken_mail = f"{other}@ksu.edu.kz"
    owner = make_user("owner")
    c = people.create_person(
        None, last_name="Жұмабек", first_name="Нұр", email=taken_mail, user=owner
    )
    directory.add_user(uid, "Dir-pass-1", mail=shared)
    directory.add_user(other, "Dir-pass-1", mail=taken_mail)
    assert login(client, uid, "Dir-pass-1").status_code == 302
    assert login(Client(), other, "Dir-pass-1").status_code == 302
    assert get_user_model().objects.filter(username=other).exists()
    for person in (a, b, c):
        person.refresh_from_db()
    assert a.user is None and b.user is None
    assert c.user == owner
