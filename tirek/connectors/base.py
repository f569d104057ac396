"""The one interface every connector implements.

Every method is idempotent, because the worker may run an operation again after a crash:
creating an account that exists with the same identity succeeds, deleting a missing one
succeeds, adding a member who is already in the group succeeds. A connector raises
`TargetUnavailable` when the target cannot be reached (the operation stays pending and is
retried), `PermanentError` when retrying cannot help (bad data, a conflict), and returns
normally otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field


class ConnectorError(Exception):
    """Something went wrong in the target; the worker retries with backoff."""


class TargetUnavailable(ConnectorError):
    """The target did not answer (down, timeout, refused)."""


class PermanentError(ConnectorError):
    """Retrying cannot help: the operation goes to the needs-attention list at once."""


@dataclass
class AccountData:
    """What Tirek knows about an account, in the target's neutral terms."""

    login: str
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    email: str = ""
    # Tirek's correlation key for the person (stable across renames): "tirek-<person id>".
    person_key: str = ""
    active: bool = True
    groups: list[str] = field(default_factory=list)
    external_id: str = ""
    # Kind-specific details the operation carries (its payload), e.g. the PERCo staff record.
    extra: dict = field(default_factory=dict)

    def attributes(self) -> dict[str, str]:
        """The attributes compared for drift."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "display_name": self.display_name,
            "email": self.email,
            "person_key": self.person_key,
        }


def read_secret(settings: dict, key: str = "secret_env") -> str:
    """The secret named by `settings[key]`, from the environment; never from the settings."""
    name = settings.get(key) or ""
    if not name:
        return ""
    value = os.environ.get(name)
    if value is None:
        raise PermanentError(f"environment variable {name} is not set")
    return value


class Connector:
    """Base class; subclasses implement every method."""

    kind = ""

    def __init__(self, settings: dict) -> None:
        self.settings = dict(settings or {})

    def close(self) -> None:
        """Release connections (the worker calls it after a batch)."""

    def create(self, account: AccountData, password: str | None) -> str:
        """Create the account (or accept an identical existing one); return its external id."""
        raise NotImplementedError

    def update(self, account: AccountData) -> None:
        raise NotImplementedError

    def set_password(self, account: AccountData, password: str) -> None:
        raise NotImplementedError

    def disable(self, account: AccountData) -> None:
        raise NotImplementedError

    def enable(self, account: AccountData) -> None:
        raise NotImplementedError

    def delete(self, account: AccountData) -> None:
        raise NotImplementedError

    def add_to_group(self, account: AccountData, group: str) -> None:
        raise NotImplementedError

    def remove_from_group(self, account: AccountData, group: str) -> None:
        raise NotImplementedError

    def set_identifier(self, account: AccountData, identifier: str) -> None:
        """Make `identifier` the account's main access card (access control systems only)."""
        raise PermanentError(f"{self.kind or 'this'} connector has no card identifiers")

    def remove_identifier(self, account: AccountData, identifier: str = "") -> None:
        """Take the main access card away (only `identifier`, when given)."""
        raise PermanentError(f"{self.kind or 'this'} connector has no card identifiers")

    def read(self, login: str) -> AccountData | None:
        raise NotImplementedError

    def list_accounts(self) -> Iterator[AccountData]:
        """Every account in the target (reconciliation reads the whole target)."""
        raise NotImplementedError

    def group_members(self, groups: list[str]) -> dict[str, set[str]] | None:
        """For reconciliation: the external ids (lower case) of the members of each of `groups`
        that exists in the target; None when the connector cannot tell."""
        return None
