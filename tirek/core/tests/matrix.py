"""The permission matrix: who may open every URL of Tirek, and what they get.

Each `Case` names a URL (by its reversible name), how to build its arguments for the persona
making the request, the HTTP method, and one expected outcome for every persona and for an
anonymous visitor. A URL may have several cases (its own record, a record in another unit, a
POST next to a GET). `test_permission_matrix.py` walks the root URL resolver and fails when a
URL has no case here, so a new view cannot ship without a declared access rule.

This file is the specification: when a view disagrees with it, decide which one is wrong; do not
edit the expectation just to make a test pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Every persona of tirek/testing/personas.py, then a visitor who is not signed in.
PERSONAS = (
    "dept_head",
    "dept_staff",
    "unit_head",
    "employee",
    "faculty",
    "student",
    "auditor",
    "vice_rector",
    "outsider",
)
ANONYMOUS = "anonymous"
ROLES = (*PERSONAS, ANONYMOUS)


@dataclass(frozen=True)
class Outcome:
    """A class of responses. `api` outcomes differ only for LOGIN (401/403, not a redirect)."""

    label: str

    def __str__(self) -> str:
        return self.label


OK = Outcome("allowed (2xx)")
DENIED = Outcome("denied (403)")
HIDDEN = Outcome("hidden (404)")
LOGIN = Outcome("login required (302 to login page; 401 for the API)")
NOT_ALLOWED = Outcome("method not allowed (405)")


@dataclass(frozen=True)
class Redirect(Outcome):
    """A 3xx to a page other than the login form, e.g. logout -> login, set language -> back."""

    to: str = ""  # path prefix the Location must start with ("" = anywhere but the login form)


def redirect(to: str = "") -> Redirect:
    return Redirect(f"redirect to {to or 'a page'}", to)


# How to fill in a URL's arguments: (world, role) -> kwargs for reverse(). `world` is
# `tirek.core.tests.test_permission_matrix.World`: the personas and the small university.
Args = Callable[[Any, str], Mapping[str, Any]]


def no_args(world, role) -> dict:
    return {}


@dataclass(frozen=True)
class Case:
    url_name: str
    expect: Mapping[str, Outcome]
    label: str = ""  # tells cases of one URL apart: "own", "other_unit", ...
    method: str = "GET"
    args: Args = no_args
    data: Mapping[str, Any] | None = None
    # role -> reason, for cells that are known bugs the lead must merge around (strict xfail).
    bugs: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        suffix = f"[{self.label}]" if self.label else ""
        return f"{self.method} {self.url_name}{suffix}"


def expect(default: Outcome, anonymous: Outcome = LOGIN, **by_role: Outcome) -> dict[str, Outcome]:
    """One outcome per role: `default` for every persona not named, LOGIN for anonymous."""
    unknown = set(by_role) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas {sorted(unknown)}")
    table = {role: by_role.get(role, default) for role in PERSONAS}
    table[ANONYMOUS] = anonymous
    return table


def only(*roles: str, allowed: Outcome = OK, others: Outcome = DENIED) -> dict[str, Outcome]:
    """`roles` get `allowed`, every other persona `others`, anonymous LOGIN."""
    return expect(others, **dict.fromkeys(roles, allowed))


SIGNED_IN = expect(OK)
PUBLIC = expect(OK, anonymous=OK)
STAFF_WIDE = ("dept_head", "dept_staff", "auditor")  # capability people.view_all


# URL patterns that are not Tirek's own and are checked elsewhere, with the reason.
EXCLUDED_NAMESPACES = {
    # Django admin: superusers only. Its dozens of generated URLs are covered by
    # test_admin_is_closed_to_every_persona, which opens every registered model's changelist.
    "admin": "Django admin, checked by test_admin_is_closed_to_every_persona",
}
EXCLUDED_NAMES: dict[str, str] = {}


CASES: list[Case] = [
    # --- shell -----------------------------------------------------------------------------
    Case("core:home", SIGNED_IN),
    Case("core:audit_list", only("dept_head", "auditor")),
    # --- login and security ----------------------------------------------------------------
    Case("security:login", PUBLIC),
    # Logout is POST-only (a GET link could log people out from another site's <img>).
    Case("security:logout", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED)),
    Case(
        "security:logout",
        expect(redirect("/auth/login/"), anonymous=redirect("/auth/login/")),
        method="POST",
    ),
    # Anyone may switch the interface language, even on the login page.
    Case(
        "set_language",
        expect(redirect("/"), anonymous=redirect("/")),
        method="POST",
        data={"language": "ru", "next": "/"},
    ),
    # --- people ----------------------------------------------------------------------------
    Case("people:person_list", only(*STAFF_WIDE, "unit_head")),
    Case("people:unit_list", SIGNED_IN),
    # --- API -------------------------------------------------------------------------------
    # The schema and its docs page describe every endpoint: signed-in users only, so that an
    # anonymous visitor cannot map the attack surface of an intranet system.
    Case("api-schema", SIGNED_IN),
    Case("api-docs", SIGNED_IN),
]
