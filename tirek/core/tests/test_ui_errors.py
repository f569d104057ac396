"""Error pages in the layout, a 500 page that cannot fail, and the load balancers' /healthz."""

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.template import loader
from django.test import Client
from django.urls import include, path
from django.utils import translation

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("", include("tirek.urls"))]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    # The source strings are English; pages are read in English unless a test says otherwise.
    with translation.override("en"):
        yield


def _english_client(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_404_is_in_the_layout(client_for):
    response = _english_client(client_for("student")).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'data-testid="nav"' in html  # the layout, with the menu


def test_404_for_anonymous_visitor(client):
    response = _english_client(client).get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_403_is_in_the_layout_and_translated(client_for):
    client = client_for("student")
    client.post("/language/", {"language": "ru", "next": "/"})
    response = client.get("/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="ru">' in html
    with translation.override("ru"):
        assert translation.gettext("Access denied") in html
    assert 'data-testid="nav"' in html


def test_400_page_renders_in_the_layout(rf):
    from django.views.defaults import bad_request

    request = rf.get("/")
    response = bad_request(request, Exception("bad"))
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_500_template_renders_with_no_context_at_all():
    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert "{%" not in html


def test_500_page_is_served_when_a_view_crashes(settings):
    settings.ROOT_URLCONF = __name__
    client = _english_client(Client(raise_request_exception=False))
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_healthz_needs_no_login_and_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from tirek.core import views

    class Broken:
        def cursor(self):
            raise DatabaseError("down")

    monkeypatch.setattr(views, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
