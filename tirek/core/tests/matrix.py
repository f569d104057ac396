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
# The roles each persona holds (tirek/core/roles.py): one each, except that the staff of the
# department and the vice-rector also work somewhere (employee), and the "outsider" is an
# employee of another institute with no other role.
PERSONA_ROLES = {
    "dept_head": {"dept_head", "employee"},
    "dept_staff": {"dept_staff", "employee"},
    "unit_head": {"unit_head", "faculty"},
    "employee": {"employee"},
    "faculty": {"faculty"},
    "student": {"student"},
    "auditor": {"auditor"},
    "vice_rector": {"vice_rector", "employee"},
    "outsider": {"employee"},
}
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

    to: str = ""  # the path the Location names, on this site ("" = any page but the login form)


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
    # The body of a POST: a mapping, or a function of (world, role) for one that names objects
    # made for the request (called after `args`, in the same savepoint).
    data: Mapping[str, Any] | Callable[[Any, str], Mapping[str, Any]] | None = None
    # role -> reason, for cells that are known bugs the lead must merge around (strict xfail).
    bugs: Mapping[str, str] = field(default_factory=dict)

    def data_for(self, world, role: str) -> Mapping[str, Any]:
        return (self.data(world, role) if callable(self.data) else self.data) or {}

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


# --- argument builders: (world, role) -> reverse() kwargs --------------------------------------


def own_person(world, role) -> dict:
    """The persona's own Person (anonymous: someone else's, it must not matter)."""
    person = world.person(role) or world.in_unit
    return {"pk": person.pk}


def employee_user(world, role) -> dict:
    """The login of the employee persona (the head administers it)."""
    return {"pk": world.personas["employee"].pk}


def employee_unlock(world, role) -> dict:
    return {"pk": world.personas["employee"].pk, "action": "unlock"}


def a_policy(world, role) -> dict:
    """A birthright policy (students of Chair A1 get the first role of the catalogue)."""
    from tirek.access.models import SystemRole
    from tirek.policies.models import Policy

    policy, _ = Policy.objects.get_or_create(
        name="Matrix policy",
        defaults={
            "role": SystemRole.objects.order_by("pk").first(),
            "affiliation_kinds": ["student"],
            "unit": world.org.chair_a1,
        },
    )
    return {"pk": policy.pk}


def a_waiting_run(world, role) -> dict:
    from tirek.policies.models import PolicyRun

    run, _ = PolicyRun.objects.get_or_create(
        trigger="nightly", status="waiting", defaults={"person_ids": []}
    )
    return {"pk": run.pk}


def a_waiting_run_discard(world, role) -> dict:
    return {**a_waiting_run(world, role), "decision": "discard"}


def a_work_item(world, role) -> dict:
    """An open work item: a Platonus (manual) account for the student of Chair A1."""
    from tirek.access import services as access_services
    from tirek.access.models import System
    from tirek.manualwork import services as manual
    from tirek.manualwork.models import WorkItem

    item = WorkItem.objects.filter(operation__account__person=world.in_unit).first()
    if item is None:
        access_services.create_account(None, world.in_unit, System.objects.get(code="platonus"))
        manual.collect()
        item = WorkItem.objects.get(operation__account__person=world.in_unit)
    return {"pk": item.pk}


def a_work_batch(world, role) -> dict:
    """A batch holding the open work item (its file can be downloaded and the batch closed)."""
    from tirek.manualwork.models import WorkBatch, WorkItem

    item = WorkItem.objects.get(**a_work_item(world, role))
    if item.batch_id is None:
        item.batch = WorkBatch.objects.create(system=item.system, file_format="csv")
        item.save(update_fields=["batch"])
    return {"pk": item.batch_id}


def manual_system_with_item(world, role) -> dict:
    """Platonus with one open work item outside a batch, so a batch can be made."""
    a_work_item(world, role)
    return {"code": "platonus"}


def person_in_unit(world, role) -> dict:
    """A student of Chair A1, inside the unit head's Institute A, with no login of their own."""
    return {"pk": world.in_unit.pk}


def person_other_unit(world, role) -> dict:
    """An employee of Institute B: outside the unit head's reach."""
    return {"pk": world.other_unit.pk}


def person_former(world, role) -> dict:
    """A graduate of Chair A1: no longer the unit head's person."""
    return {"pk": world.former.pk}


def person_peer(world, role) -> dict:
    """The employee persona's record (Institute A): another real user's person."""
    return {"pk": world.person("employee").pk}


def unit_inst_a(world, role) -> dict:
    return {"pk": world.org.inst_a.pk}


def unit_closed(world, role) -> dict:
    """A closed (inactive) unit: only staff who see everything see it."""
    return {"pk": world.closed_unit.pk}


def audit_event(world, role) -> dict:
    return {"pk": world.audit_event.pk}


def _import_source():
    from tirek.people.imports.models import ImportSource

    source, _ = ImportSource.objects.get_or_create(
        code="matrix",
        defaults={
            "name": "Matrix feed",
            "origin": "platonus",
            "affiliation_kind": "student",
            "mapping": {"iin": "IIN", "last_name": "L", "first_name": "F", "unit": "U"},
        },
    )
    return source


def import_source(world, role) -> dict:
    """An import source (made on first use, inside the test's savepoint)."""
    return {"pk": _import_source().pk}


def import_run(world, role) -> dict:
    """A dry-run import of a file with a header and no rows (applying it changes nothing)."""
    from tirek.people.imports import services

    source = _import_source()
    run = source.runs.first() or services.upload(None, source, b"IIN;L;F;U\r\n", filename="m.csv")
    return {"pk": run.pk}


# URL patterns that are not Tirek's own and are checked elsewhere, with the reason.
EXCLUDED_NAMESPACES = {
    # Django admin: superusers only. Its dozens of generated URLs are covered by
    # test_admin_is_closed_to_every_persona, which opens every registered model's changelist.
    "admin": "Django admin, checked by test_admin_is_closed_to_every_persona",
}
EXCLUDED_NAMES: dict[str, str] = {}

# Who sees which person: the whole university (staff-wide), a unit head their units' people,
# everyone their own record. Someone out of reach is a 404, so a 403 cannot confirm they exist.
SEES_IN_UNIT = expect(HIDDEN, **dict.fromkeys((*STAFF_WIDE, "unit_head"), OK))
SEES_OTHER_UNIT = expect(HIDDEN, **dict.fromkeys(STAFF_WIDE, OK))
PEOPLE_LISTS = only(*STAFF_WIDE, "unit_head")
PEOPLE_EDITORS = ("dept_head", "dept_staff")  # people.edit, orgunits.edit
TWO_FACTOR = ("dept_head", "dept_staff")

CASES: list[Case] = [
    # --- shell -----------------------------------------------------------------------------
    Case("core:home", SIGNED_IN),
    # Load balancers poll it without a login; it tells nothing but "ok".
    Case("core:healthz", PUBLIC),
    Case("core:healthz", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED), method="POST"),
    # Anyone may switch the interface language, even on the login page.
    Case(
        "core:set_language",
        expect(redirect("/people/units/"), anonymous=redirect("/people/units/")),
        method="POST",
        data={"language": "ru", "next": "/people/units/"},
    ),
    # A "next" on another site is not followed (no open redirect): home instead.
    Case(
        "core:set_language",
        expect(redirect("/"), anonymous=redirect("/")),
        label="foreign_next",
        method="POST",
        data={"language": "en", "next": "https://evil.example/"},
    ),
    Case(
        "core:set_language",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
    ),
    # Django's own language switch (i18n/setlang/), still routed: same rule.
    Case(
        "set_language",
        expect(redirect("/people/units/"), anonymous=redirect("/people/units/")),
        method="POST",
        data={"language": "ru", "next": "/people/units/"},
    ),
    # --- audit log: head and auditors --------------------------------------------------------
    Case("core:audit_list", only("dept_head", "auditor")),
    Case("core:audit_detail", only("dept_head", "auditor"), args=audit_event),
    Case("core:audit_export", only("dept_head", "auditor")),
    # Verifying reads the whole chain: POST only, and a GET is refused before anything else.
    Case("core:audit_verify", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED)),
    Case("core:audit_verify", only("dept_head", "auditor"), method="POST"),
    # --- sign-in and one's own account ----------------------------------------------------------
    Case("security:login", expect(redirect("/"), anonymous=OK)),
    # Logout is POST-only (a GET link could sign people out from another site's <img>).
    Case("security:logout", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED)),
    Case(
        "security:logout",
        expect(redirect("/auth/login/"), anonymous=redirect("/auth/login/")),
        method="POST",
    ),
    Case("security:account", SIGNED_IN),
    Case("security:password_change", SIGNED_IN),
    # Wrong current password: the form comes back with an error, nothing changes.
    Case(
        "security:password_change",
        SIGNED_IN,
        method="POST",
        data={"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    ),
    # Two-factor pages: staff and head (verified by login_as) see their status; everyone else
    # is sent back to their account page, which says they do not use 2FA.
    Case(
        "security:two_factor_setup",
        expect(redirect("/auth/account/"), **dict.fromkeys(TWO_FACTOR, OK)),
    ),
    Case(
        "security:two_factor_verify",
        expect(redirect("/auth/2fa/setup/"), **dict.fromkeys(TWO_FACTOR, redirect("/"))),
    ),
    Case("security:api_token", SIGNED_IN),
    Case(
        "security:api_token",
        expect(redirect("/auth/token/")),
        method="POST",
        data={"action": "revoke"},
    ),
    # --- users and roles: the department head only ----------------------------------------
    Case("security:user_list", only("dept_head")),
    Case("security:user_detail", only("dept_head"), args=employee_user),
    Case(
        "security:user_detail",
        only("dept_head", allowed=redirect()),
        method="POST",
        args=employee_user,
        data={"roles": ["auditor"]},
    ),
    Case(
        "security:user_action",
        only("dept_head", allowed=redirect()),
        method="POST",
        args=employee_unlock,
    ),
    Case(
        "security:user_action",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED, dept_head=NOT_ALLOWED),
        label="get",
        args=employee_unlock,
    ),
    # --- birthright policies: the department edits, auditors read ----------------------------
    Case("policies:policy_list", only(*STAFF_WIDE)),
    Case("policies:policy_create", only("dept_head", "dept_staff")),
    Case("policies:policy_edit", only("dept_head", "dept_staff"), args=a_policy),
    Case(
        "policies:policy_edit",
        only("dept_head", "dept_staff"),
        label="preview",
        method="POST",
        args=a_policy,
        data={"action": "preview", "name": "Matrix policy", "role": "1", "is_active": "on"},
    ),
    Case(
        "policies:policy_delete",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=a_policy,
    ),
    Case(
        "policies:policy_delete",
        only("dept_head", "dept_staff", allowed=redirect()),
        method="POST",
        args=a_policy,
    ),
    Case("policies:run_list", only(*STAFF_WIDE)),
    Case("policies:run_detail", only(*STAFF_WIDE), args=a_waiting_run),
    Case(
        "policies:run_decide",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=a_waiting_run_discard,
    ),
    Case(
        "policies:run_decide",
        only("dept_head", "dept_staff", allowed=redirect()),
        method="POST",
        args=a_waiting_run_discard,
    ),
    Case("policies:run_now", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED), label="get"),
    Case(
        "policies:run_now",
        only("dept_head", "dept_staff", allowed=redirect()),
        method="POST",
    ),
    Case("policies:person_entitlements", only(*STAFF_WIDE), args=person_in_unit),
    # --- manual work: the department (capability access.manage) ----------------------------
    Case("manualwork:worklist", only("dept_head", "dept_staff")),
    Case("manualwork:item_detail", only("dept_head", "dept_staff"), args=a_work_item),
    Case(
        "manualwork:item_detail",
        only("dept_head", "dept_staff", allowed=redirect()),
        label="problem",
        method="POST",
        args=a_work_item,
        data={"action": "problem", "note": "matrix"},
    ),
    Case(
        "manualwork:item_password",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=a_work_item,
    ),
    Case(
        "manualwork:item_password",
        only("dept_head", "dept_staff"),
        method="POST",
        args=a_work_item,
    ),
    Case(
        "manualwork:batch_create",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=manual_system_with_item,
    ),
    Case(
        "manualwork:batch_create",
        only("dept_head", "dept_staff"),
        method="POST",
        args=manual_system_with_item,
    ),
    Case("manualwork:batch_list", only("dept_head", "dept_staff")),
    Case("manualwork:batch_detail", only("dept_head", "dept_staff"), args=a_work_batch),
    Case(
        "manualwork:batch_download",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=a_work_batch,
    ),
    Case(
        "manualwork:batch_download",
        only("dept_head", "dept_staff"),
        method="POST",
        args=a_work_batch,
    ),
    Case(
        "manualwork:batch_close",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=a_work_batch,
    ),
    Case(
        "manualwork:batch_close",
        only("dept_head", "dept_staff", allowed=redirect()),
        method="POST",
        args=a_work_batch,
    ),
    # --- people ----------------------------------------------------------------------------
    Case("people:person_list", PEOPLE_LISTS),
    Case("people:person_detail", SIGNED_IN, label="own", args=own_person),
    Case("people:person_detail", SEES_IN_UNIT, label="in_unit", args=person_in_unit),
    Case("people:person_detail", SEES_OTHER_UNIT, label="other_unit", args=person_other_unit),
    Case("people:person_detail", SEES_OTHER_UNIT, label="former", args=person_former),
    Case(
        "people:person_detail",
        expect(HIDDEN, employee=OK, **dict.fromkeys((*STAFF_WIDE, "unit_head"), OK)),
        label="peer",
        args=person_peer,
    ),
    # Unmasked personal data: holders of people.view_personal_data only (audited).
    Case(
        "people:person_personal_data",
        only(*PEOPLE_EDITORS),
        label="in_unit",
        args=person_in_unit,
    ),
    Case(
        "people:person_personal_data",
        only(*PEOPLE_EDITORS),
        label="other_unit",
        args=person_other_unit,
    ),
    Case("people:person_photo", SEES_IN_UNIT, label="in_unit", args=person_in_unit),
    Case("people:person_photo", SEES_OTHER_UNIT, label="other_unit", args=person_other_unit),
    Case("people:person_edit", only(*PEOPLE_EDITORS), label="in_unit", args=person_in_unit),
    # An invalid e-mail: editors get the form back with an error, nobody else gets in.
    Case(
        "people:person_edit",
        only(*PEOPLE_EDITORS),
        label="in_unit",
        method="POST",
        args=person_in_unit,
        data={"email": "not-an-email"},
    ),
    Case("people:unit_list", SIGNED_IN),
    Case("people:unit_detail", SIGNED_IN, label="active", args=unit_inst_a),
    Case("people:unit_detail", SEES_OTHER_UNIT, label="closed", args=unit_closed),
    Case("people:unit_create", only(*PEOPLE_EDITORS)),
    Case("people:unit_create", only(*PEOPLE_EDITORS), method="POST", data={"code": ""}),
    Case("people:unit_edit", only(*PEOPLE_EDITORS), args=unit_inst_a),
    Case(
        "people:unit_edit",
        only(*PEOPLE_EDITORS),
        method="POST",
        args=unit_inst_a,
        data={"name_kk": ""},
    ),
    # --- imports (HR, Platonus): department head and staff -----------------------------------
    Case("people:import_list", only(*PEOPLE_EDITORS)),
    Case("people:import_upload", only(*PEOPLE_EDITORS)),
    # No file: the form comes back with an error, nothing is written.
    Case("people:import_upload", only(*PEOPLE_EDITORS), method="POST", data={}),
    Case("people:import_run", only(*PEOPLE_EDITORS), args=import_run),
    Case("people:import_run_export", only(*PEOPLE_EDITORS), args=import_run),
    Case("people:import_apply", only(*PEOPLE_EDITORS, allowed=redirect()), args=import_run),
    Case(
        "people:import_apply",
        only(*PEOPLE_EDITORS, allowed=redirect()),
        method="POST",
        args=import_run,
    ),
    Case("people:import_source_create", only(*PEOPLE_EDITORS)),
    Case("people:import_source_create", only(*PEOPLE_EDITORS), method="POST", data={"code": ""}),
    Case("people:import_source_edit", only(*PEOPLE_EDITORS), args=import_source),
    # --- API (read-only) -----------------------------------------------------------------------
    Case("person-list", PEOPLE_LISTS),
    # Read-only: a write is refused, with 405 for those who may read and 403 for the rest.
    Case(
        "person-list",
        only(*STAFF_WIDE, "unit_head", allowed=NOT_ALLOWED),
        method="POST",
        data={"last_name": "X"},
    ),
    Case("person-detail", SIGNED_IN, label="own", args=own_person),
    Case("person-detail", SEES_IN_UNIT, label="in_unit", args=person_in_unit),
    Case("person-detail", SEES_OTHER_UNIT, label="other_unit", args=person_other_unit),
    Case("person-detail", SEES_OTHER_UNIT, label="former", args=person_former),
    Case(
        "person-detail",
        expect(HIDDEN, employee=OK, **dict.fromkeys((*STAFF_WIDE, "unit_head"), OK)),
        label="peer",
        args=person_peer,
    ),
    Case(
        "person-detail",
        only(*STAFF_WIDE, "unit_head", allowed=NOT_ALLOWED),
        label="other_unit",
        method="DELETE",
        args=person_other_unit,
    ),
    # Imports API: department head and staff (upload is multipart, tested in people/tests).
    Case("importsource-list", only(*PEOPLE_EDITORS)),
    Case("importsource-detail", only(*PEOPLE_EDITORS), args=import_source),
    Case("importrun-list", only(*PEOPLE_EDITORS)),
    Case("importrun-detail", only(*PEOPLE_EDITORS), args=import_run),
    Case("importrun-apply", only(*PEOPLE_EDITORS), method="POST", args=import_run),
    Case("orgunit-list", SIGNED_IN),
    Case("orgunit-detail", SIGNED_IN, label="active", args=unit_inst_a),
    Case("orgunit-detail", SEES_OTHER_UNIT, label="closed", args=unit_closed),
    # The schema and its docs page describe every endpoint: signed-in users only, so that an
    # anonymous visitor cannot map the attack surface of an intranet system.
    Case("api-schema", SIGNED_IN),
    Case("api-docs", SIGNED_IN),
]


# --- service desk ---------------------------------------------------------------------------
# A ticket is seen by its requester, by a head of the requester's unit, and by those who see
# every ticket (staff, head, auditors); anyone else gets a 404. Only staff work the queue; the
# requester moves their own ticket only where its workflow lets them (confirm, resubmit, close).


def _ticket_of(world, role_of_requester: str, with_file: bool = False):
    """A failure report about Platonus filed by a persona (made per request, in its savepoint)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tirek.access.models import System
    from tirek.servicedesk import services as sd

    files = []
    if with_file:
        from tirek.core.tests.test_permission_matrix import PNG_1x1

        files = [SimpleUploadedFile("screen.png", PNG_1x1, "image/png")]
    return sd.submit(
        world.personas[role_of_requester],
        kind="incident",
        subject="Platonus does not open",
        description="Since this morning",
        system=System.objects.get(code="platonus"),
        files=files,
    )


def ticket_in_unit(world, role) -> dict:
    """Filed by the employee of Institute A (the unit head's institute)."""
    return {"pk": _ticket_of(world, "employee").pk}


def service_request_in_unit(world, role) -> dict:
    """An access service request filed by the employee of Institute A, not linked yet."""
    from tirek.servicedesk import services as sd

    ticket = sd.submit(
        world.personas["employee"],
        kind="service_request",
        subject="Access to the repository",
        request_type="access",
    )
    return {"pk": ticket.pk}


def employees_access_request(world, role) -> dict:
    """Body naming an access request the employee filed for themself."""
    return {"access_request": _access_request(world).pk}


def ticket_other_unit(world, role) -> dict:
    """Filed by the outsider of Institute B."""
    return {"pk": _ticket_of(world, "outsider").pk}


def attachment_in_unit(world, role) -> dict:
    return {"pk": _ticket_of(world, "employee", with_file=True).attachments.get().pk}


def delegation_in_unit(world, role) -> dict:
    """The unit head's delegation of Institute A's publication requests to its employee."""
    from tirek.servicedesk import services as sd

    delegate = sd.add_delegate(
        world.personas["unit_head"], world.org.inst_a, world.personas["employee"]
    )
    return {"pk": delegate.pk}


def team_of_desk(world, role) -> dict:
    from tirek.servicedesk.models import Team

    return {"pk": Team.objects.create(name=f"Team of {role}").pk}


SD_WORKERS = ("dept_head", "dept_staff")  # servicedesk.work_queue
SD_FIGURES = ("dept_head", "vice_rector", "auditor")  # servicedesk.figures
SD_PUBLISHERS = ("unit_head", "dept_head", "dept_staff", "vice_rector")
SD_SEES_IN_UNIT = expect(HIDDEN, **dict.fromkeys((*STAFF_WIDE, "unit_head", "employee"), OK))
SD_SEES_OTHER_UNIT = expect(HIDDEN, **dict.fromkeys((*STAFF_WIDE, "outsider"), OK))
# Writing on a ticket one sees: staff, the requester and the unit head; auditors only read.
SD_REPLY_IN_UNIT = expect(
    HIDDEN,
    auditor=DENIED,
    **dict.fromkeys((*SD_WORKERS, "unit_head", "employee"), redirect()),
)

CASES += [
    Case("servicedesk:portal", SIGNED_IN),
    Case("servicedesk:status", PUBLIC),
    Case("servicedesk:status", expect(NOT_ALLOWED, anonymous=NOT_ALLOWED), method="POST"),
    Case("servicedesk:submit", SIGNED_IN, label="incident", args=lambda w, r: {"kind": "incident"}),
    # An empty form comes back with its errors; nothing is filed.
    Case(
        "servicedesk:submit",
        SIGNED_IN,
        label="incident",
        method="POST",
        args=lambda w, r: {"kind": "incident"},
        data={"subject": ""},
    ),
    Case(
        "servicedesk:submit",
        only(*SD_PUBLISHERS),
        label="publication",
        args=lambda w, r: {"kind": "publication"},
    ),
    Case("servicedesk:submit", expect(HIDDEN), label="unknown", args=lambda w, r: {"kind": "x"}),
    Case("servicedesk:ticket_detail", SD_SEES_IN_UNIT, label="in_unit", args=ticket_in_unit),
    Case(
        "servicedesk:ticket_detail", SD_SEES_OTHER_UNIT, label="other_unit", args=ticket_other_unit
    ),
    Case("servicedesk:attachment", SD_SEES_IN_UNIT, label="in_unit", args=attachment_in_unit),
    Case(
        "servicedesk:comment",
        SD_REPLY_IN_UNIT,
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"body": "Any news?"},
    ),
    Case(
        "servicedesk:comment",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=ticket_in_unit,
    ),
    # Starting work on a new ticket is the staff's move; the requester and the unit head are
    # refused (they see the ticket), the rest do not see it.
    Case(
        "servicedesk:transition",
        expect(
            HIDDEN,
            **dict.fromkeys(("auditor", "unit_head", "employee"), DENIED),
            **dict.fromkeys(SD_WORKERS, redirect()),
        ),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"to": "in_progress"},
    ),
    # Rating is the requester's: an unresolved ticket gets a message, not a change.
    Case(
        "servicedesk:rate",
        expect(
            HIDDEN,
            employee=redirect(),
            **dict.fromkeys((*STAFF_WIDE, "unit_head"), DENIED),
        ),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"rating": "5"},
    ),
    Case(
        "servicedesk:ticket_action",
        only(*SD_WORKERS, allowed=redirect()),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"action": "assign_auto"},
    ),
    Case("servicedesk:queue", only(*SD_WORKERS)),
    Case(
        "servicedesk:queue_bulk",
        only(*SD_WORKERS, allowed=redirect("/servicedesk/queue/")),
        method="POST",
        data={"action": "assign_me"},
    ),
    Case("servicedesk:figures", only(*SD_FIGURES)),
    Case(
        "servicedesk:figures_export",
        only(*SD_FIGURES),
        label="xlsx",
        args=lambda w, r: {"fmt": "xlsx"},
    ),
    Case(
        "servicedesk:figures_export",
        only(*SD_FIGURES),
        label="csv",
        args=lambda w, r: {"fmt": "csv"},
    ),
    # What the desk keeps per system (owning team, status page): the department head.
    Case("servicedesk:systems", only("dept_head")),
    Case(
        "servicedesk:system_profile",
        only("dept_head", allowed=redirect("/servicedesk/systems/")),
        method="POST",
        args=lambda w, r: {"code": "platonus"},
        data={"platonus-position": "10", "platonus-on_status_page": "on"},
    ),
    Case(
        "servicedesk:system_profile",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=lambda w, r: {"code": "platonus"},
    ),
    Case(
        "servicedesk:team_create",
        only("dept_head", allowed=redirect("/servicedesk/systems/")),
        method="POST",
        data={"new-name": "Platonus team"},
    ),
    Case(
        "servicedesk:team_save",
        only("dept_head", allowed=redirect("/servicedesk/systems/")),
        method="POST",
        args=team_of_desk,
        data={"name": "Library"},
    ),
    # Delegates for publication requests: heads of unit only, for the units they head.
    Case("servicedesk:delegates", only("unit_head")),
    Case(
        "servicedesk:delegates",
        only("unit_head"),
        label="bad input",
        method="POST",
        data={"user": "nobody"},
    ),
    Case(
        "servicedesk:delegate_revoke",
        only("unit_head", allowed=redirect("/servicedesk/delegates/")),
        method="POST",
        args=delegation_in_unit,
    ),
    Case(
        "servicedesk:delegate_revoke",
        expect(NOT_ALLOWED, anonymous=NOT_ALLOWED),
        label="get",
        args=delegation_in_unit,
    ),
    Case("servicedesk:preferences", SIGNED_IN),
    Case(
        "servicedesk:preferences",
        expect(redirect("/servicedesk/preferences/")),
        method="POST",
        data={"reply": "on"},
    ),
    # --- service desk API ---
    Case("ticket-list", SIGNED_IN),
    Case(
        "ticket-list",
        SIGNED_IN,
        label="create",
        method="POST",
        data={"kind": "question", "subject": "How do I reset my password?"},
    ),
    Case("ticket-detail", SD_SEES_IN_UNIT, label="in_unit", args=ticket_in_unit),
    Case("ticket-detail", SD_SEES_OTHER_UNIT, label="other_unit", args=ticket_other_unit),
    Case("ticket-comments", SD_SEES_IN_UNIT, label="in_unit", args=ticket_in_unit),
    Case(
        "ticket-comments",
        expect(
            HIDDEN,
            auditor=DENIED,
            **dict.fromkeys((*SD_WORKERS, "unit_head", "employee"), OK),
        ),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"body": "Any news?"},
    ),
    Case(
        "ticket-transition",
        expect(
            HIDDEN,
            **dict.fromkeys(("auditor", "unit_head", "employee"), DENIED),
            **dict.fromkeys(SD_WORKERS, OK),
        ),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"to": "in_progress"},
    ),
    Case(
        "ticket-priority",
        expect(
            HIDDEN,
            **dict.fromkeys(("auditor", "unit_head", "employee"), DENIED),
            **dict.fromkeys(SD_WORKERS, OK),
        ),
        label="in_unit",
        method="POST",
        args=ticket_in_unit,
        data={"impact": 1, "urgency": 1},
    ),
    Case(
        "ticket-link-access",
        expect(
            HIDDEN,
            **dict.fromkeys(("auditor", "unit_head", "employee"), DENIED),
            **dict.fromkeys(SD_WORKERS, OK),
        ),
        label="in_unit",
        method="POST",
        args=service_request_in_unit,
        data=employees_access_request,
    ),
]

# --- personal data: who sees it in full, who sees it masked ---------------------------------
# `subject` picks the person whose data is looked for. FULL: the raw IIN is in the response;
# MASKED: the masked IIN is, and none of the raw IIN, personal e-mail or phone are. Roles not
# named are not checked here (the access cells above say what they get). The subject's last
# name must be in the response, so that a check cannot pass on a page that lacks the person.
FULL = "full"
MASKED = "masked"


def subject_in_unit(world, role):
    return world.in_unit


def subject_self(world, role):
    return world.person(role)


@dataclass(frozen=True)
class Masking:
    url_name: str
    expect: Mapping[str, str]
    label: str = ""
    args: Args = no_args
    subject: Callable[[Any, str], Any] = subject_in_unit
    query: Mapping[str, str] | None = None
    # Pages that must not carry a masked IIN either (lists, logs): no IIN at all is fine.
    mask_must_show: bool = True
    # False for fragments that carry only the data (the htmx "reveal" panel).
    names_subject: bool = True

    @property
    def id(self) -> str:
        return f"{self.url_name}[{self.label}]" if self.label else self.url_name


def masked_for(*roles: str) -> dict[str, str]:
    return dict.fromkeys(roles, MASKED)


MASKING: list[Masking] = [
    # The person page shows personal data masked to everyone but the person; staff who hold
    # people.view_personal_data reveal it on purpose (next row), and that is audited.
    Masking(
        "people:person_detail",
        masked_for(*STAFF_WIDE, "unit_head"),
        label="in_unit",
        args=person_in_unit,
    ),
    Masking(
        "people:person_detail",
        dict.fromkeys(PERSONAS, FULL),
        label="own",
        args=own_person,
        subject=subject_self,
    ),
    Masking(
        "people:person_personal_data",
        dict.fromkeys(PEOPLE_EDITORS, FULL),
        label="in_unit",
        args=person_in_unit,
        names_subject=False,
    ),
    # Lists never carry personal data in the clear, not even for staff.
    Masking(
        "people:person_list",
        masked_for(*STAFF_WIDE, "unit_head"),
        query={"q": "matrix1@"},
        mask_must_show=False,
    ),
    Masking(
        "people:unit_detail",
        masked_for(*STAFF_WIDE, "unit_head"),
        label="chair",
        mask_must_show=False,
        args=lambda world, role: {"pk": world.org.chair_a1.pk},
    ),
    # The API: one person in full for PD holders (audited) and for themself, masked otherwise.
    Masking(
        "person-detail",
        {**masked_for("auditor", "unit_head"), **dict.fromkeys(PEOPLE_EDITORS, FULL)},
        label="in_unit",
        args=person_in_unit,
    ),
    Masking(
        "person-detail",
        dict.fromkeys(PERSONAS, FULL),
        label="own",
        args=own_person,
        subject=subject_self,
    ),
    Masking("person-list", masked_for(*STAFF_WIDE, "unit_head")),
    # The audit log keeps personal data masked, also for those who may read it.
    Masking(
        "core:audit_list",
        masked_for("dept_head", "auditor"),
        mask_must_show=False,
        query={"object_type": "people.person"},
    ),
    Masking(
        "core:audit_detail",
        masked_for("dept_head", "auditor"),
        label="person_created",
        args=lambda world, role: {"pk": world.in_unit_created.pk},
    ),
    Masking("core:audit_export", masked_for("dept_head", "auditor"), mask_must_show=False),
]


# --- accounts and access (tirek/access) ------------------------------------------------------
# Builders make their objects inside the cell's savepoint, so each cell starts from the same
# world: the employee persona's DSpace account (with an undelivered password and an open
# operation) and an access request the employee made, waiting for the unit head.


def _access_catalogue():
    import importlib

    from django.apps import apps

    importlib.import_module("tirek.access.migrations.0002_catalogue").load(apps, None)
    from tirek.access.models import System

    return System.objects.get(code="dspace")


def access_account_own(world, role) -> dict:
    from tirek.access import services as access

    account, _token = access.create_account(None, world.person("employee"), _access_catalogue())
    return {"pk": account.pk}


def access_account_other_unit(world, role) -> dict:
    from tirek.access import services as access

    account, _token = access.create_account(None, world.person("outsider"), _access_catalogue())
    return {"pk": account.pk}


def access_account_reset(world, role) -> dict:
    return {**access_account_own(world, role), "action": "reset_password"}


def access_operation_cancel(world, role) -> dict:
    from tirek.access.models import Operation

    pk = access_account_own(world, role)["pk"]
    return {"pk": Operation.objects.filter(account_id=pk).first().pk, "action": "cancel"}


def access_operation(world, role) -> dict:
    return {"pk": access_operation_cancel(world, role)["pk"]}


def access_credential(world, role) -> dict:
    from tirek.access.models import CredentialDelivery

    pk = access_account_own(world, role)["pk"]
    return {"pk": CredentialDelivery.objects.filter(account_id=pk).first().pk}


def access_mailed_credential(world, role) -> dict:
    """A link mailed to the employee's personal address (sent, not yet opened)."""
    import datetime as dt

    from django.utils import timezone

    from tirek.access import credentials
    from tirek.access.models import Account, CredentialDelivery

    account = Account.objects.get(pk=access_account_own(world, role)["pk"])
    token, digest = credentials.new_token()
    CredentialDelivery.objects.create(
        account=account,
        channel="mail",
        token_hash=digest,
        secret=credentials.encrypt("Matrix-Secret-1"),
        expires_at=timezone.now() + dt.timedelta(days=1),
        mail_status="sent",
    )
    return {"token": token}


def _access_request(world):
    from tirek.access import services as access
    from tirek.access.models import SystemRole

    role = SystemRole.objects.get(system=_access_catalogue(), code="submitter")
    employee = world.user("employee")
    return access.request_access(employee, employee.person, role, reason="Theses")


def access_request(world, role) -> dict:
    return {"pk": _access_request(world).pk}


def access_approval(world, role) -> dict:
    return {"pk": _access_request(world).approvals.get(step="unit_head").pk}


def access_system(world, role) -> dict:
    return {"code": _access_catalogue().code}


ACCESS_EDITORS = ("dept_head", "dept_staff")  # access.catalogue_edit, access.manage
# The employee's own account: staff-wide, the employee, their unit head (Institute A).
SEES_EMPLOYEE_ACCOUNT = expect(HIDDEN, employee=OK, unit_head=OK, **dict.fromkeys(STAFF_WIDE, OK))
SEES_OUTSIDER_ACCOUNT = expect(HIDDEN, outsider=OK, **dict.fromkeys(STAFF_WIDE, OK))

CASES += [
    Case("access:my_access", SIGNED_IN),
    Case("access:system_list", SIGNED_IN),
    Case("access:system_detail", SIGNED_IN, args=access_system),
    Case("access:system_edit", only(*ACCESS_EDITORS), args=access_system),
    # An empty Kazakh name: editors get the form back with an error, nobody else gets in.
    Case(
        "access:system_edit",
        only(*ACCESS_EDITORS),
        method="POST",
        args=access_system,
        data={"name_kk": ""},
    ),
    Case("access:account_detail", SEES_EMPLOYEE_ACCOUNT, label="own", args=access_account_own),
    Case(
        "access:account_detail",
        SEES_OUTSIDER_ACCOUNT,
        label="other_unit",
        args=access_account_other_unit,
    ),
    Case(
        "access:account_action",
        only(*ACCESS_EDITORS, allowed=redirect()),
        method="POST",
        args=access_account_reset,
    ),
    Case("access:request_create", SIGNED_IN),
    # No role and no reason: the form comes back with errors for everyone.
    Case("access:request_create", SIGNED_IN, method="POST", data={"reason": ""}),
    Case(
        "access:request_detail",
        expect(HIDDEN, employee=OK, unit_head=OK, **dict.fromkeys(STAFF_WIDE, OK)),
        args=access_request,
    ),
    Case("access:inbox", SIGNED_IN),
    # Only the unit head decides the first step; a rejection without a reason is sent back.
    Case(
        "access:decide",
        expect(HIDDEN, unit_head=redirect()),
        method="POST",
        args=access_approval,
        data={"decision": "reject", "comment": ""},
    ),
    Case("access:operation_list", only(*STAFF_WIDE)),
    Case(
        "access:operation_action",
        only(*ACCESS_EDITORS, allowed=redirect("/access/operations/")),
        method="POST",
        args=access_operation_cancel,
    ),
    # A one-time password: its person only (everyone else is refused, and that is audited).
    Case("access:credential", only("employee"), args=access_credential),
    # A mailed link opens without signing in; GET only shows the button (POST is tested in
    # tirek/access/tests/test_deliveries.py: another signed-in user is refused).
    Case("access:mailed_credential", PUBLIC, args=access_mailed_credential),
    # Slips: staff for everyone, unit heads for their own units (scoped in the view's service).
    Case("access:slips", only(*ACCESS_EDITORS, "unit_head")),
    # No system and no group: the form comes back with errors; nothing is printed.
    Case("access:slips", only(*ACCESS_EDITORS, "unit_head"), method="POST", data={"group": ""}),
    Case("access:delivery_list", only(*STAFF_WIDE)),
    # API
    Case("policies-policy-list", only(*STAFF_WIDE)),
    Case("policies-policy-detail", only(*STAFF_WIDE), args=a_policy),
    Case("policies-run-list", only(*STAFF_WIDE)),
    Case("policies-run-detail", only(*STAFF_WIDE), args=a_waiting_run),
    Case("access-system-list", SIGNED_IN),
    Case("access-system-detail", SIGNED_IN, args=access_system),
    Case("access-account-list", SIGNED_IN),
    Case("access-account-detail", SEES_EMPLOYEE_ACCOUNT, label="own", args=access_account_own),
    Case(
        "access-account-detail",
        SEES_OUTSIDER_ACCOUNT,
        label="other_unit",
        args=access_account_other_unit,
    ),
    Case("access-operation-list", only(*STAFF_WIDE)),
    Case("access-operation-detail", only(*STAFF_WIDE), args=access_operation),
    Case("access-request-list", SIGNED_IN),
    Case("access-delivery-list", only(*STAFF_WIDE)),
    Case("access-delivery-detail", only(*STAFF_WIDE), args=access_credential),
    Case(
        "access-request-detail",
        expect(HIDDEN, employee=OK, unit_head=OK, **dict.fromkeys(STAFF_WIDE, OK)),
        args=access_request,
    ),
]


# --- reconciliation (tirek/access/reconciliation.py) -----------------------------------------
# A finished run of the university directory with one open orphan: staff-wide read it, the head
# and staff act on it (access.reconcile); auditors read only.


def _recon_run(world):
    from tirek.access.models import Finding, ReconciliationRun, RunStatus, System

    _access_catalogue()
    run = ReconciliationRun.objects.create(
        system=System.objects.get(code="ldap"), trigger="command", status=RunStatus.DONE
    )
    finding = Finding.objects.create(run=run, kind="orphan", login="stray")
    return run, finding


def recon_system(world, role) -> dict:
    _access_catalogue()
    return {"code": "ldap"}


def recon_run(world, role) -> dict:
    return {"pk": _recon_run(world)[0].pk}


def recon_finding_ignore(world, role) -> dict:
    return {"pk": _recon_run(world)[1].pk, "action": "ignore"}


def recon_finding(world, role) -> dict:
    return {"pk": _recon_run(world)[1].pk}


RECONCILERS = ("dept_head", "dept_staff")  # access.reconcile

CASES += [
    Case("access:run_list", only(*STAFF_WIDE), args=recon_system),
    Case("access:run_detail", only(*STAFF_WIDE), args=recon_run),
    # Queues a run (the worker reads the directory) and shows it.
    Case(
        "access:reconcile_now",
        only(*RECONCILERS, allowed=redirect()),
        method="POST",
        args=recon_system,
    ),
    Case(
        "access:finding_action",
        only(*RECONCILERS, allowed=redirect()),
        method="POST",
        args=recon_finding_ignore,
        data={"reason": "matrix"},
    ),
    # No action chosen: sent back with an error.
    Case(
        "access:bulk_action",
        only(*RECONCILERS, allowed=redirect()),
        method="POST",
        args=recon_run,
        data={},
    ),
    Case("access-reconciliation-run-list", only(*STAFF_WIDE)),
    Case("access-reconciliation-run-detail", only(*STAFF_WIDE), args=recon_run),
    Case("access-finding-list", only(*STAFF_WIDE)),
    Case("access-finding-detail", only(*STAFF_WIDE), args=recon_finding),
]


# --- cards and passes (tirek/cards) -----------------------------------------------------------
def _card_of(world, role: str):
    """The card of `role`'s persona, issued on first use (undone with the test's savepoint)."""
    from tirek.cards import services
    from tirek.cards.models import Card

    person = world.person(role)
    return Card.objects.filter(person=person).first() or services.issue_card(None, person)


def card_student(world, role) -> dict:
    """The student persona's card (Chair A1, inside the unit head's Institute A)."""
    return {"pk": _card_of(world, "student").pk}


def card_outsider(world, role) -> dict:
    """The outsider's pass (Institute B): outside the unit head's reach."""
    return {"pk": _card_of(world, "outsider").pk}


CARD_LISTS = only("dept_head", "dept_staff", "unit_head")  # cards.view_all, cards.view_unit
CARD_MANAGERS = ("dept_staff",)  # cards.manage
SEES_STUDENT_CARD = expect(
    HIDDEN, **dict.fromkeys(("dept_head", "dept_staff", "unit_head", "student"), OK)
)
SEES_OUTSIDER_CARD = expect(HIDDEN, **dict.fromkeys(("dept_head", "dept_staff", "outsider"), OK))

CASES += [
    # Everyone signed in has a "my card" page (it says so when they have none).
    Case("cards:my_card", SIGNED_IN),
    Case("cards:my_card_live", SIGNED_IN),
    Case("cards:card_list", CARD_LISTS),
    Case("cards:figures", only("dept_head", "dept_staff", "vice_rector")),
    Case("cards:card_detail", SEES_STUDENT_CARD, label="student", args=card_student),
    Case("cards:card_detail", SEES_OUTSIDER_CARD, label="other_unit", args=card_outsider),
    Case("cards:card_qr", SEES_STUDENT_CARD, label="student", args=card_student),
    Case("cards:card_qr", SEES_OUTSIDER_CARD, label="other_unit", args=card_outsider),
    Case("cards:card_pdf", only(*CARD_MANAGERS), label="student", args=card_student),
    Case("cards:card_issue", only(*CARD_MANAGERS)),
    # No such person: the form comes back with an error.
    Case("cards:card_issue", only(*CARD_MANAGERS), method="POST", data={"person": "nobody"}),
    Case("cards:card_bulk_issue", only(*CARD_MANAGERS)),
    Case("cards:card_bulk_issue", only(*CARD_MANAGERS), method="POST", data={}),
    # A sheet needs a group or a unit: without one there is nothing to print (404).
    Case("cards:sheet_pdf", only(*CARD_MANAGERS, allowed=HIDDEN)),
    Case(
        "cards:card_action",
        only(*CARD_MANAGERS, allowed=redirect()),
        label="student",
        method="POST",
        args=card_student,
        data={"action": "suspend", "reason": "matrix"},
    ),
    Case(
        "cards:card_photo",
        only(*CARD_MANAGERS, allowed=redirect()),
        label="student",
        method="POST",
        args=card_student,
        data={},
    ),
    Case(
        "cards:card_chip",
        only(*CARD_MANAGERS, allowed=redirect()),
        label="student",
        method="POST",
        args=card_student,
        data={"chip_uid": ""},
    ),
    # Identifiers for access control without an API: cards staff only (a file, or the form
    # again for bad input).
    Case("cards:identifier_exports", only(*CARD_MANAGERS)),
    Case("cards:identifier_exports", only(*CARD_MANAGERS), method="POST", data={"format": "csv"}),
    Case(
        "cards:identifier_exports",
        only(*CARD_MANAGERS),
        label="bad_format",
        method="POST",
        data={"format": "x"},
    ),
    # Public: what the QR opens (a junk code is "not a card code"), offline verifiers' lists.
    Case("cards:verify", PUBLIC),
    Case("cards:verify", PUBLIC, method="POST", data={"code": "NOT-A-CODE"}),
    Case("cards:verify_code", PUBLIC, args=lambda world, role: {"code": "ABCDEFGH"}),
    Case("cards:verify_app", PUBLIC),
    Case("cards:service_worker", PUBLIC),
    # The photo only for a genuine code.
    Case(
        "cards:verify_photo",
        expect(HIDDEN, anonymous=HIDDEN),
        args=lambda world, role: {"code": "ABCDEFGH"},
    ),
    Case("cards:trust_list", PUBLIC),
    Case("cards:status_list", PUBLIC, args=lambda world, role: {"list_id": 1}),
    # API: the turnstile decision for staff (and device tokens, tested in tirek/cards).
    Case("cards-turnstile", only("dept_staff"), method="POST", data={"code": "junk"}),
    Case("cards-identifier-exports", only(*CARD_MANAGERS)),
    Case(
        "cards-identifier-exports",
        only(*CARD_MANAGERS),
        method="POST",
        data={"format": "csv", "delta": True},
    ),
    Case("card-list", CARD_LISTS),
    Case("card-detail", SEES_STUDENT_CARD, label="student", args=card_student),
    Case("card-detail", SEES_OUTSIDER_CARD, label="other_unit", args=card_outsider),
]


# --- SCIM service provider (tirek/scim) ------------------------------------------------------
# Read-only SCIM for other systems: capability scim.read, held by those who see everyone.
# Anonymous and bad tokens get 401 with a SCIM error; writes get 501 (tirek/scim/tests).


def scim_path(rest: str):
    return lambda world, role: {"rest": rest}


def scim_own_user(world, role) -> dict:
    person = world.person(role) or world.in_unit
    return {"rest": f"Users/{person.pk}"}


CASES += [
    Case("scim:root", only(*STAFF_WIDE)),
    Case("scim:endpoint", only(*STAFF_WIDE), label="users", args=scim_path("Users")),
    Case("scim:endpoint", only(*STAFF_WIDE), label="own_user", args=scim_own_user),
    Case("scim:endpoint", only(*STAFF_WIDE), label="groups", args=scim_path("Groups")),
    Case(
        "scim:endpoint", only(*STAFF_WIDE), label="config", args=scim_path("ServiceProviderConfig")
    ),
    Case("scim:endpoint", only(*STAFF_WIDE), label="schemas", args=scim_path("Schemas")),
]


# --- import files (tirek/connectors) ----------------------------------------------------------


def ojs_import_file(world, role) -> dict:
    """The OJS system switched to the import-file connector, with the employee waiting."""
    from tirek.access import services as access

    system = _access_catalogue().__class__.objects.get(code="ojs")
    system.connector_kind = "ojs_file"
    system.save(update_fields=["connector_kind"])
    access.create_account(None, world.person("employee"), system)
    return {"code": system.code}


CASES += [
    Case("connectors:import_file", only(*ACCESS_EDITORS), args=ojs_import_file),
]
