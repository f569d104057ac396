"""Every URL of Tirek, opened as every persona, gets what the matrix (matrix.py) says.

1. The root URL resolver is walked; a URL that the matrix does not declare fails the build.
2. Each (case, role) is one test, so a failure reads "student GET /people/7/ (GET
   people:person_detail[in_unit]): expected hidden (404), got 200". Every 403 must also leave
   a PERMISSION_DENIED row naming the user in the audit log.
3. API cases run again with a DRF token instead of a session.
4. Personal data is checked to be masked (or shown in full) where MASKING says so; lists must
   show exactly the people and units whose detail pages open.
5. Head and staff signed in without the second factor, and a deactivated login, are checked on
   every URL that needs a sign-in; the Django admin is checked closed to every persona.

The world (personas of tirek/testing/personas.py plus a few people without a login) is built
once per module in a transaction rolled back at the end; each test runs in a savepoint.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.views import APIView

from tirek.core.tests import matrix
from tirek.core.tests.matrix import (
    ANONYMOUS,
    DENIED,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    PERSONAS,
    ROLES,
    Case,
    Outcome,
    Redirect,
)

# --- walking the URL configuration ---------------------------------------------------------


def walk_urls(
    patterns=None, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every URL pattern under the root resolver: key -> (route, namespaces).

    The key is the reversible name ("people:person_detail"); an unnamed pattern is keyed by its
    route ("<unnamed> api/v1/foo/"), so that it too must be declared or excluded.
    """
    if patterns is None:
        patterns = get_resolver().url_patterns
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            found.update(walk_urls(pattern.url_patterns, route, inner))
        elif isinstance(pattern, URLPattern):
            key = ":".join((*namespaces, pattern.name)) if pattern.name else f"<unnamed> {route}"
            found.setdefault(key, (route, namespaces))
    return found


def declared_urls() -> set[str]:
    return {case.url_name for case in matrix.CASES}


def is_excluded(key: str, namespaces: tuple[str, ...]) -> bool:
    return key in matrix.EXCLUDED_NAMES or any(
        ns in matrix.EXCLUDED_NAMESPACES for ns in namespaces
    )


def test_the_walk_sees_included_and_api_urls():
    """Guard the walker itself: it must reach namespaced includes, the API and the admin."""
    urls = walk_urls()
    for key in ("core:home", "security:login", "api-schema", "api-docs", "admin:index"):
        assert key in urls, f"the URL walker missed {key}"


def undeclared(urls: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    return sorted(
        f"{key}  ({route})"
        for key, (route, namespaces) in urls.items()
        if key not in declared_urls() and not is_excluded(key, namespaces)
    )


def test_every_url_is_in_the_matrix():
    missing = undeclared(walk_urls())
    assert not missing, (
        "These URLs have no access rule in tirek/core/tests/matrix.py; add a Case for each "
        "(who may open it, as every persona):\n  " + "\n  ".join(missing)
    )


def test_a_new_url_without_a_rule_is_caught():
    """The guard above must bite: a view added later, named or not, in an app or at the root."""
    from django.http import HttpResponse
    from django.urls import include, path

    def view(request):
        return HttpResponse()

    extra = [
        path("new/", view, name="brand_new"),
        path("nameless/", view),
        path("app/", include(([path("x/", view, name="x")], "newapp"))),
    ]
    missing = undeclared(walk_urls([*get_resolver().url_patterns, *extra]))
    assert missing == [
        "<unnamed> nameless/  (nameless/)",
        "brand_new  (new/)",
        "newapp:x  (app/x/)",
    ]


def test_the_matrix_names_only_real_urls():
    urls = walk_urls()
    stale = sorted(declared_urls() - set(urls))
    assert not stale, f"matrix cases for URLs that no longer exist: {stale}"
    excluded_but_declared = sorted(
        name for name in declared_urls() if is_excluded(name, tuple(name.split(":")[:-1]))
    )
    assert not excluded_but_declared


def test_every_case_states_every_role():
    for case in matrix.CASES:
        assert set(case.expect) == set(ROLES), f"{case.id} misses {set(ROLES) - set(case.expect)}"
    ids = [case.id for case in matrix.CASES]
    assert len(ids) == len(set(ids)), "two cases share an id; give them distinct labels"


# --- the world the requests run in ---------------------------------------------------------


@dataclass
class World:
    """What argument builders in matrix.py may use: the small university of the personas, plus
    a student of Chair A1 and an employee of Institute B who have no login (both with a photo),
    a closed unit and one audit event."""

    org: Any
    personas: dict
    in_unit: Any
    other_unit: Any
    closed_unit: Any
    audit_event: Any
    in_unit_created: Any  # the audit event of in_unit's creation (it holds the IIN, masked)
    former: Any  # a graduate of Chair A1: their affiliation there has ended

    def user(self, role: str):
        return None if role == ANONYMOUS else self.personas[role]

    def person(self, role: str):
        """The Person record of `role`'s persona."""
        user = self.user(role)
        return getattr(user, "person", None) if user is not None else None


PNG_1x1 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02"
    b"\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _person(org_unit, kind: str, n: int, born: dt.date, sex: str, **affiliation):
    from tirek.people import services
    from tirek.people.iin import make_iin

    person = services.create_person(
        None,
        last_name=f"Матрицаев{n}",
        first_name="Тест",
        sex=sex,
        birth_date=born,
        iin=make_iin(born, sex, 7000 + n),
        email=f"matrix{n}@test.edu.kz",
        personal_email=f"matrix{n}.home@example.kz",
        phone=f"+7 702 555 44 {n:02d}",
    )
    extra = (
        {"programme": "6B06101 Information systems", "group": "ИС-24-2", "study_year": 1}
        if kind == "student"
        else {"rate": Decimal("0.50")}
    )
    services.add_affiliation(None, person, kind=kind, unit=org_unit, **extra, **affiliation)
    # Test set-up, not a domain change: a photo file so that the photo view has one to serve.
    person.photo.save(f"{person.pk}.png", ContentFile(PNG_1x1), save=True)
    return person


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once per module inside a transaction that is rolled back at the end.

    Each test still runs in its own savepoint (pytest-django's `db`), so what one request
    changes (a language, a token, an audit row) is undone before the next.
    """
    from tirek.core.models import AuditEvent
    from tirek.people import services
    from tirek.testing import personas as persona_fixtures

    overrides = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"),
        # WhiteNoise indexes every static file (thousands, with bootstrap-icons) each time a
        # test Client builds its middleware, unless it looks files up on demand instead.
        WHITENOISE_AUTOREFRESH=True,
    )
    overrides.enable()
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            org = persona_fixtures.build_org()
            users = persona_fixtures.build_personas(org)
            closed = services.create_unit(
                None,
                code="OLD-C",
                name_kk="Жабық бөлім",
                kind="office",
                parent=org.root,
                is_active=False,
            )
            in_unit = _person(org.chair_a1, "student", 1, dt.date(2006, 5, 17), "F")
            former = _person(
                org.chair_a1, "student", 3, dt.date(2001, 2, 3), "M", start_date=dt.date(2019, 9, 1)
            )
            services.end_affiliation(
                None, former.affiliations.get(), status="graduated", end_date=dt.date(2023, 6, 30)
            )
            built = World(
                org=org,
                personas=users,
                in_unit=in_unit,
                other_unit=_person(org.inst_b, "employee", 2, dt.date(1975, 11, 2), "M"),
                closed_unit=closed,
                audit_event=AuditEvent.objects.order_by("-id").first(),
                former=former,
                in_unit_created=AuditEvent.objects.get(
                    object_type="people.person", object_id=str(in_unit.pk), action="create"
                ),
            )
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            overrides.disable()
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        overrides.disable()


def is_api(path: str) -> bool:
    view = resolve(path).func
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


def login_path() -> str:
    return resolve_url(settings.LOGIN_URL)


def matches(outcome: Outcome, response, api: bool) -> bool:
    status = response.status_code
    location = response.get("Location", "")
    if outcome is OK:
        return 200 <= status < 300
    if outcome is DENIED:
        return status == 403
    if outcome is HIDDEN:
        return status == 404
    if outcome is NOT_ALLOWED:
        return status == 405
    if outcome is LOGIN:
        if api:
            return status in (401, 403)
        return status == 302 and location.startswith(login_path()) and "next=" in location
    if isinstance(outcome, Redirect):
        target = urlsplit(location)
        to_login_form = target.path == login_path() and "next=" in target.query
        on_this_site = not target.netloc or target.netloc == "testserver"
        return (
            300 <= status < 400
            and not to_login_form
            and on_this_site
            and (not outcome.to or target.path == outcome.to)
        )
    raise AssertionError(f"unknown outcome {outcome}")


def describe(response) -> str:
    text = str(response.status_code)
    if response.get("Location"):
        text += f" -> {response['Location']}"
    return text


def send(client: Client, case: Case, path: str, api: bool, data: Mapping, **headers):
    method = case.method.lower()
    if case.method == "GET":
        return client.get(path, headers=headers)
    if api:
        body = json.dumps(data)
        return client.generic(
            case.method, path, body, content_type="application/json", headers=headers
        )
    return getattr(client, method)(path, data, headers=headers)


def path_for(case: Case, world: World, role: str) -> str:
    return reverse(case.url_name, kwargs=dict(case.args(world, role)) or None)


def cell_params(cases, roles):
    params = []
    for case in cases:
        for role in roles:
            marks = []
            if role in case.bugs:
                marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {case.bugs[role]}"))
            params.append(pytest.param(case, role, id=f"{case.id}-{role}", marks=marks))
    return params


# --- the matrix itself ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", PERSONAS)
def test_each_persona_holds_the_role_it_is_named_for(role: str, world: World):
    """The matrix reads "student" as "a user whose only role is student"; guard that."""
    from tirek.core.roles import forget_roles, roles_for

    user = world.user(role)
    forget_roles(user)
    held = {str(r) for r in roles_for(user)}
    assert held == matrix.PERSONA_ROLES[role], f"{role} holds {sorted(held)}"


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "role"), cell_params(matrix.CASES, ROLES))
def test_session(case: Case, role: str, world: World, client: Client):
    from tirek.testing.personas import login_as

    if role != ANONYMOUS:
        login_as(client, world.user(role))
    path = path_for(case, world, role)
    api = is_api(path)
    response = send(client, case, path, api, case.data_for(world, role))
    expected = case.expect[role]
    assert matches(expected, response, api), (
        f"{role} {case.method} {path} ({case.id}): expected {expected}, got {describe(response)}"
    )
    if expected is DENIED:
        assert_refusal_audited(world.user(role), path)


def assert_refusal_audited(user, path: str) -> None:
    """A refusal is a security event: the audit log names who was refused where."""
    from tirek.core.models import AuditAction, AuditEvent

    refusals = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_repr=path)
    actors = [e.actor_label or "<nobody>" for e in refusals]
    assert user.get_username() in actors, (
        f"{user} was refused {path}, but the audit log does not say so "
        f"(refusals of that path name: {actors or 'none'})"
    )


def api_url_names() -> set[str]:
    """URL names whose view is a DRF view (checked with token auth too)."""
    names = set()
    for key, (_route, namespaces) in walk_urls().items():
        if is_excluded(key, namespaces) or key.startswith("<unnamed>"):
            continue
        view = resolve_view(key)
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if isinstance(cls, type) and issubclass(cls, APIView):
            names.add(key)
    return names


def resolve_view(name: str):
    """The view function behind a URL name, without having to build its arguments."""
    resolver = get_resolver()
    *namespaces, short = name.split(":")
    for ns in namespaces:
        resolver = resolver.namespace_dict[ns][1]
    for pattern in walk_patterns(resolver.url_patterns):
        if pattern.name == short:
            return pattern.callback
    raise LookupError(name)


def walk_patterns(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if not pattern.namespace:
                yield from walk_patterns(pattern.url_patterns)
        else:
            yield pattern


API_CASES = [case for case in matrix.CASES if case.url_name in api_url_names()]


def test_token_auth_is_exercised():
    """The API part of the matrix must not silently become empty."""
    assert API_CASES


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "role"), cell_params(API_CASES, PERSONAS))
def test_token(case: Case, role: str, world: World):
    """The same cells with a DRF token instead of a session: the API must agree."""
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=world.user(role))
    client = Client()
    path = path_for(case, world, role)
    response = send(
        client, case, path, True, case.data_for(world, role), authorization=f"Token {token.key}"
    )
    expected = case.expect[role]
    assert matches(expected, response, True), (
        f"{role} {case.method} {path} ({case.id}) with a token: "
        f"expected {expected}, got {describe(response)}"
    )
    if expected is DENIED:
        assert_refusal_audited(world.user(role), path)


@pytest.mark.django_db
def test_a_bad_token_is_refused(world: World):
    for case in API_CASES:
        if case.method != "GET":
            continue
        path = path_for(case, world, "dept_head")
        response = Client().get(path, headers={"authorization": "Token not-a-real-token"})
        assert response.status_code == 401, f"{path} with a bad token: {describe(response)}"


# --- Django admin: superusers only ---------------------------------------------------------


def admin_paths() -> list[str]:
    paths = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    return paths


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_closed_to_every_persona(role: str, world: World, client: Client):
    """No persona is a superuser or staff member: the admin sends them to its login form."""
    from tirek.testing.personas import login_as

    if role != ANONYMOUS:
        login_as(client, world.user(role))
    admin_login = reverse("admin:login")
    for path in admin_paths():
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(admin_login), (
            f"{role} GET {path}: expected a redirect to the admin login, got {describe(response)}"
        )


@pytest.mark.django_db
def test_admin_opens_for_a_superuser(client: Client, django_user_model):
    from tirek.testing.personas import login_as

    root = django_user_model.objects.create_superuser("root", "root@example.org", None)
    login_as(client, root)
    for path in admin_paths():
        response = client.get(path)
        assert response.status_code == 200, f"superuser GET {path}: {describe(response)}"


# --- personal data masking ----------------------------------------------------------------


def masking_params():
    return [pytest.param(m, role, id=f"{m.id}-{role}") for m in matrix.MASKING for role in m.expect]


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("masking", "role"), masking_params())
def test_personal_data(masking: matrix.Masking, role: str, world: World, client: Client):
    from tirek.core.masking import mask_iin
    from tirek.testing.personas import login_as

    login_as(client, world.user(role))
    person = masking.subject(world, role)
    path = reverse(masking.url_name, kwargs=dict(masking.args(world, role)) or None)
    response = client.get(path, masking.query or {})
    assert response.status_code == 200, f"{role} GET {path}: {describe(response)}"
    body = body_text(response)
    where = f"{role} GET {path} ({masking.id})"
    if masking.names_subject:
        assert person.last_name in body, f"{where}: {person} is not in the response at all"
    if masking.expect[role] == matrix.FULL:
        assert person.iin in body, f"{where}: the IIN should be shown in full"
        return
    for field in ("iin", "personal_email", "phone"):
        value = getattr(person, field)
        assert value not in body, f"{where}: {field} {value!r} is shown unmasked"
    if masking.mask_must_show:
        assert mask_iin(person.iin) in body, f"{where}: the masked IIN is missing"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "found"), [("dept_staff", True), ("auditor", False), ("unit_head", False)]
)
def test_search_by_iin_needs_personal_data_rights(role, found, world: World, client: Client):
    """A hit on an IIN search would tell who owns that IIN: only PD holders may search by it."""
    from tirek.testing.personas import login_as

    login_as(client, world.user(role))
    response = client.get(reverse("people:person_list"), {"q": world.in_unit.iin})
    assert response.status_code == 200
    assert (world.in_unit.last_name in response.content.decode()) is found, (
        f"{role} searching by IIN: expected found={found}"
    )


# --- department staff whose session has not passed the second factor ----------------------

TWO_FACTOR_PAGES = {"security:two_factor_setup", "security:two_factor_verify"}


def unverified_params():
    """Every cell that needs a sign-in, as head and staff signed in with a password only."""
    return [
        pytest.param(case, role, id=f"{case.id}-{role}")
        for case in matrix.CASES
        if case.expect[ANONYMOUS] is LOGIN and case.url_name not in TWO_FACTOR_PAGES
        for role in matrix.TWO_FACTOR
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "role"), unverified_params())
def test_without_second_factor(case: Case, role: str, world: World, client: Client):
    """Pages send them to the second factor; the API treats them as not signed in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = world.user(role)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)  # the password step only
    path = path_for(case, world, role)
    api = is_api(path)
    response = send(client, case, path, api, case.data_for(world, role))
    where = f"{role} without 2FA {case.method} {path} ({case.id})"
    if api:
        assert response.status_code in (401, 403), f"{where}: got {describe(response)}"
    else:
        assert response.status_code == 302, f"{where}: got {describe(response)}"
        assert response["Location"].startswith("/auth/2fa/"), f"{where}: {describe(response)}"


# --- lists never show what detail pages deny ------------------------------------------------

LIST_DETAIL = [
    # list URL, detail case label -> world attribute of the subject, the detail URL name
    ("people:person_list", "people:person_detail", ("in_unit", "other_unit", "former")),
    ("person-list", "person-detail", ("in_unit", "other_unit", "former")),
    ("people:unit_list", "people:unit_detail", ("closed",)),
    ("orgunit-list", "orgunit-detail", ("closed",)),
]
SUBJECTS = {
    "in_unit": lambda w: (w.in_unit.pk, w.in_unit.last_name),
    "other_unit": lambda w: (w.other_unit.pk, w.other_unit.last_name),
    "former": lambda w: (w.former.pk, w.former.last_name),
    "closed": lambda w: (w.closed_unit.pk, w.closed_unit.name_kk),
}


def list_params():
    cases = {case.id: case for case in matrix.CASES}
    params = []
    for list_name, detail_name, labels in LIST_DETAIL:
        for role in PERSONAS:
            if cases[f"GET {list_name}"].expect[role] is not OK:
                continue
            wants = {
                label: cases[f"GET {detail_name}[{label}]"].expect[role] is OK for label in labels
            }
            params.append(pytest.param(list_name, role, wants, id=f"{list_name}-{role}"))
    return params


@pytest.mark.django_db
@pytest.mark.parametrize(("list_name", "role", "wants"), list_params())
def test_lists_agree_with_detail_pages(list_name, role, wants, world: World, client: Client):
    from tirek.testing.personas import login_as

    login_as(client, world.user(role))
    response = client.get(reverse(list_name))
    assert response.status_code == 200
    body = response.content.decode()
    for label, wanted in wants.items():
        _pk, name = SUBJECTS[label](world)
        assert (name in body) is wanted, (
            f"{role} GET {list_name}: {label} subject {name!r} "
            f"{'missing from' if wanted else 'shown in'} the list, but its detail page "
            f"{'opens' if wanted else 'is hidden'}"
        )


# --- a login that has been switched off -----------------------------------------------------


def signed_in_only():
    return [
        pytest.param(case, id=case.id)
        for case in matrix.CASES
        if case.expect[ANONYMOUS] is LOGIN and case.url_name not in TWO_FACTOR_PAGES
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", signed_in_only())
def test_deactivated_head_is_treated_as_anonymous(case: Case, world: World, client: Client):
    """A leaver's session and token stop working the moment their login is switched off."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from tirek.testing.personas import login_as

    user = world.user("dept_head")
    login_as(client, user)
    token, _ = Token.objects.get_or_create(user=user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    path = path_for(case, world, "dept_head")
    api = is_api(path)
    data = case.data_for(world, "dept_head")
    response = send(client, case, path, api, data)
    assert matches(LOGIN, response, api), (
        f"deactivated dept_head {case.method} {path} with a session: {describe(response)}"
    )
    if api:
        response = send(Client(), case, path, api, data, authorization=f"Token {token.key}")
        assert response.status_code == 401, (
            f"deactivated dept_head {case.method} {path} with a token: {describe(response)}"
        )
