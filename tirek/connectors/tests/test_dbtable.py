"""The database-table connector against a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import os

import bcrypt
import pytest
import sqlalchemy as sa

from tirek.connectors import for_kind
from tirek.connectors.base import AccountData, PermanentError, TargetUnavailable

# Our own database on the shared server (never `test` or `test_*`, which Django's runs use).
PG_SERVER = os.environ.get("TIREK_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "connectors5_pg"

DDL = [
    "DROP TABLE IF EXISTS user_roles",
    "DROP TABLE IF EXISTS users",
    """CREATE TABLE users (
        login VARCHAR(150) PRIMARY KEY,
        first_name VARCHAR(100),
        last_name VARCHAR(100),
        email VARCHAR(200),
        tirek_id VARCHAR(40),
        is_active BOOLEAN NOT NULL DEFAULT TRUE,
        password_hash VARCHAR(100)
    )""",
    """CREATE TABLE user_roles (
        login VARCHAR(150) NOT NULL REFERENCES users(login),
        role VARCHAR(64) NOT NULL,
        PRIMARY KEY (login, role)
    )""",
]

SETTINGS = {
    "dsn_env": "TEST_RATING_DSN",
    "accounts": {
        "table": "users",
        "key": "login",
        "columns": {
            "given_name": "first_name",
            "family_name": "last_name",
            "email": "email",
            "person_key": "tirek_id",
            "active": "is_active",
            "password": "password_hash",
        },
    },
    "roles": {"table": "user_roles", "account": "login", "role": "role"},
}


def _sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'rating.db'}"


def _postgres() -> str:
    try:
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DATABASE}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
        admin.dispose()
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc.orig}")
    return f"{PG_SERVER}/{PG_DATABASE}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.integration),
    ]
)
def rating(request, tmp_path, monkeypatch):
    """A Rating-like database: users and their roles. Yields an engine to look inside."""
    dsn = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    engine = sa.create_engine(dsn)
    with engine.begin() as conn:
        for statement in DDL:
            conn.execute(sa.text(statement))
    monkeypatch.setenv("TEST_RATING_DSN", dsn)
    yield engine
    engine.dispose()


@pytest.fixture
def connector(rating):
    c = for_kind("dbtable", SETTINGS)
    yield c
    c.close()


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def gulnur(**extra) -> AccountData:
    fields = {
        "login": "g.zhumabaeva",
        "given_name": "Gulnur",
        "family_name": "Zhumabaeva",
        "email": "g.zhumabaeva@ksu.edu.kz",
        "person_key": "tirek-3",
    }
    return AccountData(**{**fields, **extra})


def test_create_disable_enable_roles_delete(rating, connector):
    assert connector.create(gulnur(), "Initial-pass-1") == "g.zhumabaeva"
    (row,) = rows(
        rating,
        "SELECT login, first_name, last_name, email, tirek_id, is_active, password_hash FROM users",
    )
    assert row[:5] == ("g.zhumabaeva", "Gulnur", "Zhumabaeva", "g.zhumabaeva@ksu.edu.kz", "tirek-3")
    assert bool(row[5]) is True
    assert bcrypt.checkpw(b"Initial-pass-1", row[6].encode())
    assert "Initial-pass-1" not in str(row)

    connector.disable(gulnur())
    assert rows(rating, "SELECT is_active FROM users") in ([(False,)], [(0,)])
    assert connector.read("g.zhumabaeva").active is False
    connector.enable(gulnur())
    assert connector.read("g.zhumabaeva").active is True

    connector.add_to_group(gulnur(), "teacher")
    connector.add_to_group(gulnur(), "chair_head")
    assert connector.read("g.zhumabaeva").groups == ["chair_head", "teacher"]
    connector.remove_from_group(gulnur(), "chair_head")
    assert rows(rating, "SELECT login, role FROM user_roles") == [("g.zhumabaeva", "teacher")]

    connector.update(gulnur(family_name="Zhumabaeva-Ali"))
    assert rows(rating, "SELECT last_name FROM users") == [("Zhumabaeva-Ali",)]
    connector.set_password(gulnur(), "Reset-pass-2")
    (hashed,) = rows(rating, "SELECT password_hash FROM users")[0]
    assert bcrypt.checkpw(b"Reset-pass-2", hashed.encode())

    assert [a.login for a in connector.list_accounts()] == ["g.zhumabaeva"]
    connector.delete(gulnur())
    assert rows(rating, "SELECT count(*) FROM users") == [(0,)]
    assert rows(rating, "SELECT count(*) FROM user_roles") == [(0,)]
    assert connector.read("g.zhumabaeva") is None


def test_every_call_is_idempotent(rating, connector):
    for _ in range(2):
        connector.create(gulnur(), "Initial-pass-1")
        connector.add_to_group(gulnur(), "teacher")
        connector.disable(gulnur())
    assert rows(rating, "SELECT count(*) FROM users") == [(1,)]
    assert rows(rating, "SELECT count(*) FROM user_roles") == [(1,)]
    for _ in range(2):
        connector.remove_from_group(gulnur(), "teacher")
        connector.delete(gulnur())
    assert rows(rating, "SELECT count(*) FROM users") == [(0,)]


def test_a_login_of_another_person_is_a_conflict(rating, connector):
    connector.create(gulnur(), None)
    with pytest.raises(PermanentError, match="belongs to tirek-3"):
        connector.create(gulnur(person_key="tirek-9"), None)


def test_missing_account_table_and_column_are_permanent(rating, connector):
    with pytest.raises(PermanentError, match="no account"):
        connector.disable(gulnur())
    with pytest.raises(PermanentError, match="no account"):
        connector.add_to_group(gulnur(), "teacher")
    bad = for_kind("dbtable", {**SETTINGS, "accounts": {**SETTINGS["accounts"], "table": "nope"}})
    with pytest.raises(PermanentError, match="no table"):
        bad.create(gulnur(), None)
    columns = {**SETTINGS["accounts"]["columns"], "email": "mail"}
    bad = for_kind(
        "dbtable", {**SETTINGS, "accounts": {**SETTINGS["accounts"], "columns": columns}}
    )
    with pytest.raises(PermanentError, match="no column"):
        bad.create(gulnur(), None)


def test_without_password_column_or_with_none_no_password_is_written(rating):
    c = for_kind("dbtable", {**SETTINGS, "hashing": "none"})
    c.create(gulnur(), "Initial-pass-1")
    assert rows(rating, "SELECT password_hash FROM users") == [(None,)]
    c.close()


def test_target_down_is_unavailable(rating, monkeypatch, tmp_path):
    url = rating.url.render_as_string(hide_password=False)
    if url.startswith("sqlite"):
        down = f"sqlite:///{tmp_path / 'missing-dir' / 'rating.db'}"
    else:
        down = url.replace(":5432/", ":1/").replace("127.0.0.1/", "127.0.0.1:1/")
    monkeypatch.setenv("TEST_RATING_DSN", down)
    c = for_kind("dbtable", SETTINGS)
    with pytest.raises(TargetUnavailable):
        c.create(gulnur(), None)
    c.close()


@pytest.mark.parametrize(
    "settings",
    [
        SETTINGS,
        {**SETTINGS, "hashing": "none"},
        {"journal_path": "vestnik", "locale": "en", "masthead": False, "default_group": "reader"},
        {"url": "https://dspace.ksu.edu.kz/server/api", "user": "a@ksu.edu.kz", "secret_env": "X"},
        {"org_id": 1, "secret_env": "X", "department_id": 5, "groups": {"Students": 3}},
    ],
    ids=["dbtable", "dbtable-nohash", "ojs_file", "dspace", "yandex360"],
)
def test_documented_settings_pass_the_catalogues_secret_check(settings):
    """Every connector's documented settings can be saved in the catalogue."""
    from tirek.access.services import check_settings

    check_settings(settings)


def test_the_dsn_comes_from_the_environment_only(monkeypatch):
    monkeypatch.delenv("TEST_RATING_DSN", raising=False)
    with pytest.raises(PermanentError, match="TEST_RATING_DSN"):
        for_kind("dbtable", SETTINGS).create(gulnur(), None)


@pytest.mark.django_db
def test_through_the_outbox_rating_gets_the_teacher_and_the_role(rating, personas):
    from tirek.access import operations
    from tirek.access import services as access
    from tirek.access.models import Operation, System, SystemRole

    system = System.objects.get(code="rating")
    system.connector_kind = "dbtable"
    system.connector_settings = SETTINGS
    system.save()
    role = SystemRole.objects.get(system=system, code="teacher")
    grant = access.grant_role(None, personas["faculty"].person, role, reason="chair A1")
    while claimed := operations.claim("w"):
        operations.run_batch(claimed, {})
    assert set(Operation.objects.values_list("status", flat=True)) == {"done"}
    login = grant.account.login
    assert rows(rating, "SELECT login, tirek_id FROM users") == [
        (login, f"tirek-{personas['faculty'].person.pk}")
    ]
    assert rows(rating, "SELECT login, role FROM user_roles") == [(login, "teacher")]
