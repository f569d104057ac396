"""scim2-tester against Tirek's SCIM service on a live server, with a real API token."""

from __future__ import annotations

import httpx
import pytest
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import Status, check_server
from scim2_tester.utils import ResourceManager

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Read-only: the write checks are not run (the service answers them 501, as it advertises);
# test_scim.py checks those answers.
READ_TAGS = {"discovery", "misc", "crud:read", "crud:read:attributes"}
WRITE_CHECKS = {
    "object_creation",
    "object_replacement",
    "object_deletion",
    "check_add_attribute",
    "check_remove_attribute",
    "check_replace_attribute",
}
READ_CHECKS = {
    "object_query",
    "object_query_without_id",
    "object_query_with_attributes",
    "object_list_with_attributes",
    "search_with_attributes",
}
# Anything else (DEVIATION, ERROR, CRITICAL) fails the test.
GOOD = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


class HttpxClient(BaseSyncSCIMClient):
    """scim2-client over httpx (its own engine needs httpx2, which we do not install)."""

    def __init__(self, client: httpx.Client, **kwargs) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return url.netloc == base.netloc and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response):
        return response.json()

    def request(self, method: str, url: str, **kwargs):
        return self.client.request(method, url, **kwargs)


@pytest.fixture
def seeded(personas):
    """Every person has an external id, so the attribute checks find one to ask for."""
    from tirek.people.models import Person

    for n, person in enumerate(Person.objects.order_by("pk")):
        Person.objects.filter(pk=person.pk).update(hr_id=f"HR-{n:04d}")
    return personas


def test_scim2_tester_passes(seeded, live_server, monkeypatch):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=seeded["dept_staff"])

    # The read checks need a resource to read: instead of creating one (the service is
    # read-only) they get the first existing person or group.
    def existing(self, model, fill_all=False):
        return self.context.client.query(model).resources[0]

    monkeypatch.setattr(ResourceManager, "create_and_register", existing)
    monkeypatch.setattr(ResourceManager, "cleanup", lambda self: None)
    with httpx.Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token.key}"}
    ) as http:
        results = check_server(HttpxClient(http), include_tags=READ_TAGS)

    bad = [r for r in results if r.status not in GOOD]
    assert not bad, "\n".join(
        f"{r.resource_type} {r.title}: {r.status.name} {r.reason}" for r in bad
    )
    ran = {(r.resource_type, r.title) for r in results if r.status is not Status.SKIPPED}
    skipped = {(r.resource_type, r.title) for r in results if r.status is Status.SKIPPED}
    assert skipped == {(kind, check) for kind in ("User", "Group") for check in WRITE_CHECKS}
    for kind in ("User", "Group"):
        assert {(kind, c) for c in READ_CHECKS} <= ran
    assert {(None, "random_url"), (None, "query_all_schemas")} <= ran
