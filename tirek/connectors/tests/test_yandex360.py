"""The Yandex 360 Directory API connector against a fake built from the API reference."""

from __future__ import annotations

import pytest

from tirek.connectors import for_kind
from tirek.connectors.base import AccountData, PermanentError, TargetUnavailable
from tirek.testing.fake_yandex360 import FakeYandex360


@pytest.fixture
def yandex(monkeypatch):
    server = FakeYandex360().start()
    server.add_group("Students")
    monkeypatch.setenv("TEST_Y360_TOKEN", server.token)
    yield server
    server.stop()
    assert not server.rejected, f"undocumented calls: {server.rejected}"


def connect(yandex, **extra):
    return for_kind(
        "yandex360",
        {"url": yandex.url, "org_id": yandex.org_id, "secret_env": "TEST_Y360_TOKEN", **extra},
    )


@pytest.fixture
def connector(yandex):
    c = connect(yandex, department_id=5)
    yield c
    c.close()


def nurlan(**extra) -> AccountData:
    fields = {
        "login": "nurlan.seitov",
        "given_name": "Nurlan",
        "family_name": "Seitov",
        "person_key": "tirek-3",
    }
    return AccountData(**{**fields, **extra})


def test_create_block_unblock_group_delete(yandex, connector):
    uid = connector.create(nurlan(), "Initial-pass-1")
    user = yandex.users[uid]
    assert user["nickname"] == "nurlan.seitov"
    assert user["name"] == {"first": "Nurlan", "last": "Seitov"}
    assert user["departmentId"] == 5
    assert user["externalId"] == "tirek-3"
    assert user["passwordChangeRequired"] is True
    assert yandex.passwords[uid] == "Initial-pass-1"

    account = nurlan(external_id=uid)
    connector.disable(account)
    assert yandex.users[uid]["isEnabled"] is False
    connector.enable(account)
    assert yandex.users[uid]["isEnabled"] is True
    connector.set_password(account, "Reset-pass-2")
    assert yandex.passwords[uid] == "Reset-pass-2"

    connector.add_to_group(account, "Students")
    assert yandex.groups[1]["members"] == [{"id": uid, "type": "user"}]
    read = connector.read("nurlan.seitov")
    assert read.groups == ["Students"] and read.active and read.email == "nurlan.seitov@ksu.edu.kz"
    connector.remove_from_group(account, "Students")
    assert yandex.groups[1]["members"] == []

    connector.update(nurlan(external_id=uid, given_name="Nurlan B."))
    assert yandex.users[uid]["name"]["first"] == "Nurlan B."
    connector.delete(account)
    assert yandex.users == {}
    assert connector.read("nurlan.seitov") is None


def test_every_call_is_idempotent(yandex, connector):
    uid = connector.create(nurlan(), "Initial-pass-1")
    # A new batch (a new connector) finds the user by nickname, not by a second POST.
    again = connect(yandex)
    assert again.create(nurlan(), "Initial-pass-1") == uid
    assert len(yandex.users) == 1
    for _ in range(2):
        again.disable(nurlan())
        again.add_to_group(nurlan(), "Students")
    assert yandex.groups[1]["members"] == [{"id": uid, "type": "user"}]
    for _ in range(2):
        again.remove_from_group(nurlan(), "Students")
        again.delete(nurlan())
    assert yandex.users == {}
    assert ("POST", "/directory/v1/org/4242/users") in yandex.calls


def test_a_nickname_held_by_someone_else_is_a_conflict(yandex, connector):
    connector.create(nurlan(), None)
    with pytest.raises(PermanentError, match="someone else"):
        connect(yandex).create(nurlan(person_key="tirek-99"), None)


def test_a_create_without_password_still_gets_one(yandex, connector):
    uid = connector.create(nurlan(), None)
    assert len(yandex.passwords[uid]) >= 20


def test_bad_token_and_unknown_group_are_permanent(yandex, connector, monkeypatch):
    uid = connector.create(nurlan(), None)
    with pytest.raises(PermanentError, match="no group"):
        connector.add_to_group(nurlan(external_id=uid), "Teachers")
    monkeypatch.setenv("TEST_Y360_TOKEN", "wrong")
    with pytest.raises(PermanentError, match="401"):
        connect(yandex).disable(nurlan(external_id=uid))


def test_target_down_is_unavailable_and_work_resumes(yandex, connector):
    uid = connector.create(nurlan(), None)
    yandex.stop()
    with pytest.raises(TargetUnavailable):
        connector.disable(nurlan(external_id=uid))
    yandex.start()
    connector.disable(nurlan(external_id=uid))
    assert yandex.users[uid]["isEnabled"] is False


def test_the_fake_rejects_what_the_reference_does_not_have(yandex):
    import httpx

    response = httpx.get(
        f"{yandex.url}/directory/v1/org/4242/users/by-nickname/x",
        headers={"Authorization": f"OAuth {yandex.token}"},
    )
    assert response.status_code == 404
    assert yandex.rejected
    yandex.rejected.clear()


@pytest.mark.django_db
def test_through_the_outbox_a_mailbox_is_created_blocked_and_unblocked(yandex, personas):
    from tirek.access import operations
    from tirek.access import services as access
    from tirek.access.models import Operation, System, SystemRole

    yandex.add_group("mailbox")
    system = System.objects.get(code="yandex360")
    system.connector_kind = "yandex360"
    system.connector_settings = {
        "url": yandex.url,
        "org_id": yandex.org_id,
        "secret_env": "TEST_Y360_TOKEN",
    }
    system.save()
    role = SystemRole.objects.get(system=system, code="mailbox")
    grant = access.grant_role(None, personas["student"].person, role, reason="enrolled")

    def work():
        Operation.objects.update(next_attempt_at=operations.timezone.now())
        while claimed := operations.claim("w"):
            operations.run_batch(claimed, {})

    work()
    assert set(Operation.objects.values_list("status", flat=True)) == {"done"}
    (user,) = yandex.users.values()
    assert user["externalId"] == f"tirek-{personas['student'].person.pk}"
    assert yandex.groups[2]["members"] == [{"id": user["id"], "type": "user"}]
    access.disable_account(None, grant.account)
    work()
    assert user["isEnabled"] is False
    access.enable_account(None, grant.account)
    work()
    assert user["isEnabled"] is True
    assert len(yandex.users) == 1
