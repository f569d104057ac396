"""The DSpace 7+ connector against a fake built from the DSpace REST contract."""

from __future__ import annotations

import pytest

from tirek.connectors import for_kind
from tirek.connectors.base import AccountData, PermanentError, TargetUnavailable
from tirek.testing.fake_dspace import FakeDSpace


@pytest.fixture
def dspace(monkeypatch):
    server = FakeDSpace().start()
    server.add_group("Submitters")
    server.add_group("Reviewers")
    monkeypatch.setenv("TEST_DSPACE_PASSWORD", server.password)
    yield server
    server.stop()
    assert not server.rejected, f"undocumented calls: {server.rejected}"


@pytest.fixture
def connector(dspace):
    c = for_kind(
        "dspace",
        {"url": dspace.url, "user": dspace.admin, "secret_env": "TEST_DSPACE_PASSWORD"},
    )
    yield c
    c.close()


def aigerim(**extra) -> AccountData:
    return AccountData(
        login="aigerim.omirzakova",
        given_name="Aigerim",
        family_name="Omirzakova",
        email="a.omirzakova@ksu.edu.kz",
        person_key="tirek-7",
        **extra,
    )


def test_create_disable_enable_group_delete(dspace, connector):
    eid = connector.create(aigerim(), "Initial-pass-1")
    eperson = dspace.epersons[eid]
    assert eperson["netid"] == "aigerim.omirzakova"
    assert eperson["canLogIn"] is True
    assert eperson["metadata"]["eperson.firstname"][0]["value"] == "Aigerim"
    assert dspace.passwords[eid] == "Initial-pass-1"

    account = aigerim(external_id=eid)
    connector.disable(account)
    assert dspace.epersons[eid]["canLogIn"] is False
    connector.enable(account)
    assert dspace.epersons[eid]["canLogIn"] is True

    connector.add_to_group(account, "Submitters")
    assert dspace.members("Submitters") == {"a.omirzakova@ksu.edu.kz"}
    read = connector.read("aigerim.omirzakova")
    assert read.groups == ["Submitters"] and read.active
    connector.remove_from_group(account, "Submitters")
    assert dspace.members("Submitters") == set()

    connector.delete(account)
    assert eid not in dspace.epersons
    assert connector.read("aigerim.omirzakova") is None


def test_every_call_is_idempotent(dspace, connector):
    first = connector.create(aigerim(), "Initial-pass-1")
    assert connector.create(aigerim(), "Initial-pass-1") == first  # found by e-mail
    assert len(dspace.epersons) == 1
    account = aigerim(external_id=first)
    for _ in range(2):
        connector.disable(account)
        connector.add_to_group(account, "Reviewers")
    assert dspace.members("Reviewers") == {"a.omirzakova@ksu.edu.kz"}
    for _ in range(2):
        connector.remove_from_group(account, "Reviewers")
        connector.delete(account)
    assert dspace.epersons == {}


def test_someone_elses_eperson_is_a_conflict(dspace, connector):
    connector.create(aigerim(), None)
    other = AccountData(login="a.omirzakova2", email="a.omirzakova@ksu.edu.kz", given_name="A")
    with pytest.raises(PermanentError, match="another login"):
        connector.create(other, None)


def test_unknown_group_and_missing_email_are_permanent(dspace, connector):
    eid = connector.create(aigerim(), None)
    with pytest.raises(PermanentError, match="no group"):
        connector.add_to_group(aigerim(external_id=eid), "Editors")
    with pytest.raises(PermanentError, match="e-mail"):
        connector.create(AccountData(login="x"), None)


def test_an_expired_jwt_means_a_new_login(dspace, connector):
    connector.create(aigerim(), None)
    dspace.jwts.clear()  # the server restarted or the token expired
    connector.disable(aigerim())
    assert dspace.by_mail("a.omirzakova@ksu.edu.kz")["canLogIn"] is False


def test_wrong_password_is_permanent(dspace, monkeypatch):
    monkeypatch.setenv("TEST_DSPACE_PASSWORD", "wrong")
    c = for_kind(
        "dspace", {"url": dspace.url, "user": dspace.admin, "secret_env": "TEST_DSPACE_PASSWORD"}
    )
    with pytest.raises(PermanentError, match="login refused"):
        c.create(aigerim(), None)


def test_target_down_is_unavailable_and_work_resumes(dspace, connector):
    connector.create(aigerim(), None)
    dspace.stop()
    with pytest.raises(TargetUnavailable):
        connector.disable(aigerim())
    dspace.start()
    connector.disable(aigerim())
    assert dspace.by_mail("a.omirzakova@ksu.edu.kz")["canLogIn"] is False


def test_the_fake_rejects_what_the_contract_does_not_have(dspace, connector):
    import httpx

    connector.create(aigerim(), None)
    response = httpx.get(f"{dspace.url}/eperson/epersons/search/byNetid?netid=x")
    assert response.status_code == 404
    assert dspace.rejected == [("GET", "/server/api/eperson/epersons/search/byNetid")]
    dspace.rejected.clear()


@pytest.mark.django_db
def test_through_the_outbox_a_down_target_waits_then_everything_is_done_once(dspace, personas):
    """A role granted in Tirek reaches DSpace through the worker, also across an outage."""
    from tirek.access import operations
    from tirek.access import services as access
    from tirek.access.models import Operation, System, SystemRole

    dspace.add_group("submitter")
    system = System.objects.get(code="dspace")
    system.connector_kind = "dspace"
    system.connector_settings = {
        "url": dspace.url,
        "user": dspace.admin,
        "secret_env": "TEST_DSPACE_PASSWORD",
    }
    system.save()
    role = SystemRole.objects.get(system=system, code="submitter")
    access.grant_role(None, personas["faculty"].person, role, reason="theses")
    ops = Operation.objects.filter(system=system)
    assert sorted(ops.values_list("kind", flat=True)) == ["add_to_group", "create"]

    dspace.stop()
    operations.run_batch(operations.claim("w"), {})
    assert set(ops.values_list("status", flat=True)) == {"pending"}
    dspace.start()
    Operation.objects.filter(system=system).update(next_attempt_at=operations.timezone.now())
    while claimed := operations.claim("w"):  # the group waits for its account's creation
        operations.run_batch(claimed, {})
    assert set(ops.values_list("status", flat=True)) == {"done"}
    assert len(dspace.epersons) == 1
    assert dspace.members("submitter") == {"faculty@test.edu.kz"}
    account = personas["faculty"].person.accounts.get(system=system)
    assert account.status == "active" and account.external_id in dspace.epersons
