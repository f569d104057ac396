"""Systems the department built itself and whose database it owns (e.g. Rating): accounts and
roles written straight into configured tables over SQL (connector kind `dbtable`).

SQLAlchemy Core does the SQL, so the same code drives PostgreSQL, SQLite (and MySQL or MariaDB
with their driver): tables are reflected, every value is a bound parameter, and names come only
from the settings, never from data. Each call is one transaction.

Settings (`System.connector_settings`), for example::

    {
      "dsn_env": "TIREK_RATING_DSN",            # postgresql+psycopg://tirek@db/rating
      "accounts": {
        "table": "users", "key": "login",
        "columns": {"given_name": "first_name", "family_name": "last_name",
                    "email": "email", "person_key": "tirek_id",
                    "active": "is_active", "password": "password_hash"},
        "active_values": [true, false]           # what "active" and "disabled" are stored as
      },
      "roles": {"table": "user_roles", "account": "login", "role": "role"},
      "hashing": "bcrypt"                        # or "none": never write a password
    }

The DSN is read from the environment variable named by `dsn_env` (it may hold a password).
`key` is the account's login column; `columns` maps AccountData fields to columns (any may be
left out). A row whose `person_key` column names another person is a conflict. Roles are rows
(account login, role) in the roles table; role = the SystemRole's target group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import bcrypt
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from tirek.connectors.base import (
    AccountData,
    Connector,
    PermanentError,
    TargetUnavailable,
    read_secret,
)

FIELDS = ("given_name", "family_name", "display_name", "email", "person_key")


class DBTableConnector(Connector):
    kind = "dbtable"

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        accounts = self.settings.get("accounts") or {}
        if not accounts.get("table") or not accounts.get("key"):
            raise PermanentError("dbtable: settings need accounts.table and accounts.key")
        self.acc = accounts
        self.columns: dict[str, str] = dict(accounts.get("columns") or {})
        values = accounts.get("active_values") or [True, False]
        self.active_value, self.disabled_value = values[0], values[1]
        self.roles_conf = self.settings.get("roles") or {}
        self._engine: sa.Engine | None = None
        self._tables: dict[str, sa.Table] = {}

    # -- plumbing ------------------------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            dsn = read_secret(self.settings, "dsn_env")
            if not dsn:
                raise PermanentError("dbtable: setting dsn_env names no DSN")
            self._engine = sa.create_engine(dsn, pool_pre_ping=True)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._tables = {}

    def _table(self, name: str) -> sa.Table:
        if name not in self._tables:
            try:
                self._tables[name] = sa.Table(
                    name,
                    sa.MetaData(),
                    autoload_with=self.engine,
                    schema=self.settings.get("schema"),
                )
            except sa_exc.NoSuchTableError as exc:
                raise PermanentError(f"dbtable: no table {name!r}") from exc
            except sa_exc.OperationalError as exc:
                raise TargetUnavailable(f"dbtable: {exc.orig}") from exc
        return self._tables[name]

    def _column(self, table: sa.Table, name: str) -> sa.Column:
        if name not in table.c:
            raise PermanentError(f"dbtable: no column {name!r} in {table.name}")
        return table.c[name]

    def _run(self, work) -> Any:
        """Run `work(connection)` in one transaction, translating database errors."""
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except sa_exc.IntegrityError as exc:
            raise PermanentError(f"dbtable: {exc.orig}") from exc
        except sa_exc.OperationalError as exc:
            # Connection refused, server gone, database locked: the target is unavailable.
            raise TargetUnavailable(f"dbtable: {exc.orig}") from exc
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise TargetUnavailable(f"dbtable: {exc.orig}") from exc
            raise PermanentError(f"dbtable: {exc.orig}") from exc

    @property
    def accounts(self) -> sa.Table:
        return self._table(self.acc["table"])

    @property
    def key(self) -> sa.Column:
        return self._column(self.accounts, self.acc["key"])

    def _values(self, account: AccountData) -> dict[str, Any]:
        values = {}
        for field in FIELDS:
            column = self.columns.get(field)
            if column:
                values[self._column(self.accounts, column).name] = getattr(account, field)
        return values

    def _password_value(self, password: str) -> str | None:
        # Not "password_…": the catalogue refuses setting names that look like secrets.
        scheme = self.settings.get("hashing", "bcrypt")
        if scheme == "none" or not self.columns.get("password"):
            return None
        if scheme != "bcrypt":
            raise PermanentError(f"dbtable: unknown hashing {scheme!r}")
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()

    def _row(self, conn, login: str):
        return conn.execute(sa.select(self.accounts).where(self.key == login)).mappings().first()

    def _roles(self) -> tuple[sa.Table, sa.Column, sa.Column]:
        if not self.roles_conf.get("table"):
            raise PermanentError("dbtable: no roles table in the settings")
        table = self._table(self.roles_conf["table"])
        return (
            table,
            self._column(table, self.roles_conf.get("account", "login")),
            self._column(table, self.roles_conf.get("role", "role")),
        )

    # -- the interface -------------------------------------------------------------------

    def create(self, account: AccountData, password: str | None) -> str:
        def work(conn):
            row = self._row(conn, account.login)
            person_col = self.columns.get("person_key")
            if row is not None:
                other = row.get(person_col) if person_col else None
                if other and account.person_key and other != account.person_key:
                    raise PermanentError(f"dbtable: {account.login} belongs to {other}")
                return account.login
            values = {self.key.name: account.login, **self._values(account)}
            if self.columns.get("active"):
                values[self.columns["active"]] = (
                    self.active_value if account.active else self.disabled_value
                )
            hashed = self._password_value(password) if password else None
            if hashed:
                values[self.columns["password"]] = hashed
            conn.execute(sa.insert(self.accounts).values(**values))
            return account.login

        return self._run(work)

    def _update(self, login: str, values: dict[str, Any], must_exist: bool = True) -> None:
        def work(conn):
            result = conn.execute(
                sa.update(self.accounts).where(self.key == login).values(**values)
            )
            if must_exist and result.rowcount == 0:
                raise PermanentError(f"dbtable: no account {login}")

        if values:
            self._run(work)

    def update(self, account: AccountData) -> None:
        self._update(account.login, self._values(account))

    def set_password(self, account: AccountData, password: str) -> None:
        hashed = self._password_value(password)
        if hashed:
            self._update(account.login, {self.columns["password"]: hashed})

    def disable(self, account: AccountData) -> None:
        if self.columns.get("active"):
            self._update(account.login, {self.columns["active"]: self.disabled_value})

    def enable(self, account: AccountData) -> None:
        if self.columns.get("active"):
            self._update(account.login, {self.columns["active"]: self.active_value})

    def delete(self, account: AccountData) -> None:
        roles = self._roles() if self.roles_conf.get("table") else None

        def work(conn):
            if roles is not None:
                table, acc_col, _ = roles
                conn.execute(sa.delete(table).where(acc_col == account.login))
            conn.execute(sa.delete(self.accounts).where(self.key == account.login))

        self._run(work)

    def add_to_group(self, account: AccountData, group: str) -> None:
        table, acc_col, role_col = self._roles()

        def work(conn):
            if self._row(conn, account.login) is None:
                raise PermanentError(f"dbtable: no account {account.login}")
            exists = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(acc_col == account.login, role_col == group)
            ).scalar()
            if not exists:
                conn.execute(
                    sa.insert(table).values({acc_col.name: account.login, role_col.name: group})
                )

        self._run(work)

    def remove_from_group(self, account: AccountData, group: str) -> None:
        table, acc_col, role_col = self._roles()
        self._run(
            lambda conn: conn.execute(
                sa.delete(table).where(acc_col == account.login, role_col == group)
            )
        )

    def _account(self, row, roles: list[str]) -> AccountData:
        def get(field: str) -> str:
            column = self.columns.get(field)
            value = row.get(column) if column else None
            return "" if value is None else str(value)

        active_col = self.columns.get("active")
        active = True if not active_col else row.get(active_col) == self.active_value
        return AccountData(
            login=row[self.key.name],
            given_name=get("given_name"),
            family_name=get("family_name"),
            display_name=get("display_name"),
            email=get("email"),
            person_key=get("person_key"),
            active=active,
            groups=sorted(roles),
            external_id=row[self.key.name],
        )

    def _all_roles(self, conn, login: str | None = None) -> dict[str, list[str]]:
        if not self.roles_conf.get("table"):
            return {}
        _table, acc_col, role_col = self._roles()
        query = sa.select(acc_col, role_col)
        if login is not None:
            query = query.where(acc_col == login)
        found: dict[str, list[str]] = {}
        for acc, role in conn.execute(query):
            found.setdefault(acc, []).append(role)
        return found

    def read(self, login: str) -> AccountData | None:
        def work(conn):
            row = self._row(conn, login)
            if row is None:
                return None
            return self._account(row, self._all_roles(conn, login).get(login, []))

        return self._run(work)

    def list_accounts(self) -> Iterator[AccountData]:
        def work(conn):
            roles = self._all_roles(conn)
            rows = conn.execute(sa.select(self.accounts).order_by(self.key)).mappings().all()
            return [self._account(row, roles.get(row[self.key.name], [])) for row in rows]

        yield from self._run(work)
