"""The Django admin shows the audit log read-only, even to a superuser."""

import pytest
from django.test import Client

from tirek.core.audit import record
from tirek.core.models import AuditAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(django_user_model, login_as):
    user = django_user_model.objects.create_superuser("root", "root@test.kz", "x-long-pass-1")
    return login_as(Client(), user)


def test_audit_events_are_listed_and_shown_but_never_changed(superuser_client):
    event = record(AuditAction.CREATE, object_type="test.thing", object_id="1")
    assert superuser_client.get("/admin/core/auditevent/").status_code == 200
    detail = superuser_client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert superuser_client.get("/admin/core/auditevent/add/").status_code == 403
    response = superuser_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    event.refresh_from_db()


def test_users_are_managed_with_their_language(superuser_client, django_user_model):
    user = django_user_model.objects.get(username="root")
    html = superuser_client.get(f"/admin/core/user/{user.pk}/change/").content.decode()
    assert 'name="language"' in html
