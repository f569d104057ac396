"""The PERCo-Web connector against the fake server built from the vendor's public examples."""

from __future__ import annotations

import httpx
import pytest

from tirek.connectors import AccountData, PermanentError, TargetUnavailable, for_kind
from tirek.testing.perco_fake import PercoFake


def connector(fake: PercoFake, **extra):
    settings = {"url": fake.url, "login": fake.login, "password_env": "PERCO_TEST_PASSWORD"}
    return for_kind("perco", {**settings, **extra})


def person(n: int = 1, **extra) -> AccountData:
    record = {
        "tabel_number": f"tirek-{n}",
        "last_name": "Әлиев",
        "first_name": "Бақыт",
        "middle_name": "Серікұлы",
        "unit_code": "CS",
        "unit_names": ["Кафедра информатики", "Информатика кафедрасы"],
        "position_names": ["Доцент"],
        **extra,
    }
    return AccountData(login=f"tirek-{n}", person_key=f"tirek-{n}", extra=record)


def test_create_is_idempotent_and_finds_the_record_it_made(perco):
    conn = connector(perco)
    first = conn.create(person(), None)
    # A crash after PUT: the retried create finds the record by its personnel number.
    again = connector(perco).create(person(), None)
    assert first == again
    assert len(perco.staff) == 1
    staff = perco.staff[int(first)]
    assert staff["last_name"] == "Әлиев" and staff["middle_name"] == "Серікұлы"
    assert perco.divisions[staff["division"]]["name"] == "Кафедра информатики"
    assert perco.positions[staff["position"]]["name"] == "Доцент"
    assert ("PUT", "/api/users/staff") in perco.requests


def test_update_changes_the_record(perco):
    conn = connector(perco)
    pk = int(conn.create(person(), None))
    conn.update(person(last_name="Әлиева"))
    assert perco.staff[pk]["last_name"] == "Әлиева"
    assert len(perco.staff) == 1


def test_identifier_set_replace_remove(perco):
    conn = connector(perco)
    pk = int(conn.create(person(), None))
    data = person()
    conn.set_identifier(data, "S0000001")
    conn.set_identifier(data, "S0000001")  # again: nothing changes
    assert perco.staff[pk]["identifier"] == "S0000001"
    conn.set_identifier(data, "S0000002")  # a reissued card replaces the main card
    assert perco.staff[pk]["identifier"] == "S0000002"
    conn.remove_identifier(data, "S0000001")  # an older card: not ours to remove any more
    assert perco.staff[pk]["identifier"] == "S0000002"
    conn.remove_identifier(data, "S0000002")
    conn.remove_identifier(data, "S0000002")  # again: nothing to remove, no error
    assert perco.staff[pk]["identifier"] == ""


def test_dismiss_and_come_back(perco):
    conn = connector(perco)
    pk = int(conn.create(person(), None))
    conn.disable(person())
    conn.disable(person())  # again: nothing to dismiss
    assert perco.staff[pk]["is_active"] == 0 and perco.staff[pk]["dismissed_date"]
    # Coming back: a new record (the dismissed one stays as history).
    new = int(conn.create(AccountData(**{**person().__dict__, "external_id": str(pk)}), None))
    assert new != pk and perco.staff[new]["is_active"] == 1


def test_expired_token_is_renewed(perco):
    conn = connector(perco)
    conn.create(person(), None)
    perco.expire_tokens()
    conn.set_identifier(person(), "S0000009")
    assert sum(1 for r in perco.requests if r[1] == "/api/system/auth") == 2


def test_token_from_environment_is_used_as_is(perco, monkeypatch):
    token = "ready-made-token"
    perco.tokens.add(token)
    monkeypatch.setenv("PERCO_TEST_TOKEN", token)
    conn = for_kind("perco", {"url": perco.url, "token_env": "PERCO_TEST_TOKEN"})
    conn.create(person(), None)
    assert ("POST", "/api/system/auth") not in perco.requests


def test_bad_password_is_permanent(perco, monkeypatch):
    monkeypatch.setenv("PERCO_TEST_PASSWORD", "wrong")
    with pytest.raises(PermanentError, match="refused the login"):
        connector(perco).create(person(), None)


def test_missing_division_is_permanent_unless_mapped(perco):
    conn = connector(perco)
    with pytest.raises(PermanentError, match="no division"):
        conn.create(person(2, unit_names=["Жоқ бөлім"]), None)
    other = perco.add_division("Прочие")
    pk = connector(perco, default_division=other).create(person(2, unit_names=["Жоқ"]), None)
    assert perco.staff[int(pk)]["division"] == other
    mapped = perco.add_division("Отображённое")
    conn = connector(perco, divisions={"X": mapped})
    pk = conn.create(person(3, unit_code="X", unit_names=["Жоқ"]), None)
    assert perco.staff[int(pk)]["division"] == mapped


def test_identifier_in_use_by_someone_else_is_permanent(perco):
    conn = connector(perco)
    conn.create(person(1), None)
    conn.create(person(2), None)
    conn.set_identifier(person(1), "S0000001")
    with pytest.raises(PermanentError, match="уже используется"):
        conn.set_identifier(person(2), "S0000001")


def test_set_identifier_without_record_is_permanent(perco):
    with pytest.raises(PermanentError, match="no active record"):
        connector(perco).set_identifier(person(5), "S0000005")


def test_server_down_is_target_unavailable(perco):
    conn = connector(perco)
    perco.stop()
    with pytest.raises(TargetUnavailable):
        conn.create(person(), None)
    perco.start()
    assert connector(perco).create(person(), None)


def test_read_and_list(perco):
    conn = connector(perco)
    conn.create(person(1), None)
    conn.create(person(2), None)
    conn.set_identifier(person(2), "E0000002")
    assert conn.read("tirek-2").extra["identifier"] == "E0000002"
    assert conn.read("tirek-9") is None
    assert sorted(a.login for a in conn.list_accounts()) == ["tirek-1", "tirek-2"]


def test_no_url_and_no_password_are_permanent(perco):
    with pytest.raises(PermanentError):
        for_kind("perco", {}).create(person(), None)
    with pytest.raises(PermanentError):
        for_kind("perco", {"url": perco.url}).create(person(), None)


def test_unsupported_operations_are_permanent(perco):
    conn = connector(perco)
    with pytest.raises(PermanentError):
        conn.set_password(person(), "x")
    with pytest.raises(PermanentError):
        conn.add_to_group(person(), "g")


# -- the fake rejects what the examples do not show -----------------------------------------


def _token(fake: PercoFake) -> dict:
    response = httpx.post(
        f"{fake.url}/api/system/auth", json={"login": fake.login, "password": fake.password}
    )
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/users/visitors", None, 404),
        ("PATCH", "/api/users/staff", None, 405),
        ("DELETE", "/api/users/staff/1", None, 405),
        ("PUT", "/api/users/staff", {"last_name": "X"}, 400),  # no tabel_number, division
        (
            "PUT",
            "/api/users/staff",
            {"last_name": "X", "tabel_number": "1", "division": 1, "colour": "red"},
            400,
        ),
        ("POST", "/api/users/1/mainCard", {"identifier": "1", "extra": 1}, 400),
        ("GET", "/api/divisions/list", {"x": 1}, 400),
        ("GET", "/api/divisions/list?page=2", None, 400),
        ("GET", "/api/users/staff/table?status=active&sort=id", None, 400),
    ],
)
def test_fake_rejects_other_calls(perco, method, path, body, status):
    response = httpx.request(method, perco.url + path, json=body, headers=_token(perco))
    assert response.status_code == status
    assert "error" in response.json()


def test_fake_needs_a_token(perco):
    assert httpx.get(f"{perco.url}/api/divisions/list").status_code == 401
