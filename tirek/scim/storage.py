"""A read-only scim2-server storage over Tirek's people, org units and system roles.

Users are people. `userName` is the person's university e-mail (lower case), the address every
university system already knows; a person with no university e-mail yet is `person-<id>`.
`active` is true while the person holds an affiliation in status "active" (students on academic
leave and leavers are inactive, so consumers suspend them). `title` is the position and the
enterprise extension carries the unit (`department`), the unit head (`manager`) and the HR id
(`employeeNumber`) of the person's main affiliation.

Groups are org units (`unit-<id>`, members: people with a current affiliation there) and system
roles (`role-<id>`, displayName `<system>/<role>`, members: people holding a grant of it).

Filters on the common User attributes are translated to SQL; any other filter is evaluated by
scim2-models on every resource, which is correct but slower (a few thousand people at most).
`meta.version` is a hash of the resource, so ETags change whenever anything shown changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import translation
from django.utils.dateparse import parse_datetime
from scim2_models import (
    Group,
    Meta,
    NotFoundException,
    NotImplementedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    User,
)
from scim2_models.path import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize

from tirek.access.models import AccountStatus, Grant, SystemRole
from tirek.people.models import Affiliation, AffiliationStatus, OrgUnit, Person

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
UNIT_PREFIX = "unit-"
ROLE_PREFIX = "role-"
NO_EMAIL_PREFIX = "person-"


class _Fallback(Exception):
    """The filter has a part SQL translation does not cover: evaluate it in memory."""


def _version(resource: Resource[Any]) -> str:
    body = resource.model_dump(scim_ctx=None)
    body.pop("meta", None)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def _meta(resource: Resource[Any], kind: str, created, modified) -> Resource[Any]:
    resource.meta = Meta(resource_type=kind, created=created, last_modified=modified)
    resource.meta.version = _version(resource)
    return resource


def _in_language(value_of):
    """Names in the university's default language: SCIM has one display name per resource."""
    with translation.override(settings.LANGUAGE_CODE):
        return value_of()


# --- building resources --------------------------------------------------------------------


def _people() -> Any:
    current = Affiliation.objects.current().select_related("unit__head", "position")
    grants = Grant.objects.exclude(account__status=AccountStatus.DELETED).select_related(
        "role__system"
    )
    return Person.objects.order_by("pk").prefetch_related(
        Prefetch("affiliations", queryset=current, to_attr="current_affiliations"),
        Prefetch("accounts__grants", queryset=grants),
    )


def _main_affiliation(person: Person) -> Affiliation | None:
    current = person.current_affiliations
    active = [a for a in current if a.status == AffiliationStatus.ACTIVE]
    return (active or current or [None])[0]


def user_name(person: Person) -> str:
    return person.email.lower() if person.email else f"{NO_EMAIL_PREFIX}{person.pk}"


def _full_name(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name) if p)


def build_user(model: type[User], person: Person) -> User:
    main = _main_affiliation(person)
    data: dict[str, Any] = {
        "id": str(person.pk),
        "externalId": person.hr_id or person.platonus_id or None,
        "userName": user_name(person),
        "name": {
            "givenName": person.first_name,
            "familyName": person.last_name,
            "middleName": person.patronymic or None,
            "formatted": _full_name(person),
        },
        "displayName": _full_name(person),
        "active": any(a.status == AffiliationStatus.ACTIVE for a in person.current_affiliations),
        "userType": main.kind if main else None,
        "title": _in_language(lambda: main.position.title) if main and main.position else None,
        "emails": [{"value": person.email, "type": "work", "primary": True}]
        if person.email
        else None,
    }
    groups = {
        f"{UNIT_PREFIX}{a.unit_id}": _in_language(lambda a=a: a.unit.name)
        for a in person.current_affiliations
    }
    for account in person.accounts.all():
        for grant in account.grants.all():
            groups[f"{ROLE_PREFIX}{grant.role_id}"] = f"{grant.role.system.code}/{grant.role.code}"
    data["groups"] = [
        {"value": gid, "$ref": f"Groups/{gid}", "display": name, "type": "direct"}
        for gid, name in sorted(groups.items())
    ] or None
    if main is not None:
        head = main.unit.head
        data[ENTERPRISE] = {
            "employeeNumber": person.hr_id or None,
            "organization": settings.UNIVERSITY_NAMES.get(
                settings.LANGUAGE_CODE[:2], settings.UNIVERSITY_NAME
            ),
            "department": _in_language(lambda: main.unit.name),
            "manager": {
                "value": str(head.pk),
                "$ref": f"Users/{head.pk}",
                "displayName": _full_name(head),
            }
            if head is not None and head.pk != person.pk
            else None,
        }
    user = model.model_validate(_without_none(data))
    return _meta(user, "User", person.created_at, person.updated_at)


def _without_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


def _unit_members(unit_ids: Iterable[int] | None = None) -> dict[int, list[Person]]:
    members: dict[int, dict[int, Person]] = {}
    affiliations = Affiliation.objects.current().select_related("person")
    if unit_ids is not None:
        affiliations = affiliations.filter(unit_id__in=list(unit_ids))
    for a in affiliations.order_by("person_id"):
        members.setdefault(a.unit_id, {})[a.person_id] = a.person
    return {k: list(v.values()) for k, v in members.items()}


def _role_members(role_ids: Iterable[int] | None = None) -> dict[int, list[Person]]:
    members: dict[int, dict[int, Person]] = {}
    grants = (
        Grant.objects.exclude(account__status=AccountStatus.DELETED)
        .filter(account__person__isnull=False)
        .select_related("account__person")
    )
    if role_ids is not None:
        grants = grants.filter(role_id__in=list(role_ids))
    for g in grants.order_by("account__person_id"):
        members.setdefault(g.role_id, {})[g.account.person_id] = g.account.person
    return {k: list(v.values()) for k, v in members.items()}


def _members(people: list[Person]) -> list[dict] | None:
    return [
        {"value": str(p.pk), "$ref": f"Users/{p.pk}", "type": "User", "display": _full_name(p)}
        for p in people
    ] or None


def build_unit_group(model: type[Group], unit: OrgUnit, members: list[Person]) -> Group:
    group = model.model_validate(
        _without_none(
            {
                "id": f"{UNIT_PREFIX}{unit.pk}",
                "externalId": unit.code,
                "displayName": _in_language(lambda: unit.name),
                "members": _members(members),
            }
        )
    )
    return _meta(group, "Group", unit.created_at, unit.updated_at)


def build_role_group(model: type[Group], role: SystemRole, members: list[Person]) -> Group:
    name = f"{role.system.code}/{role.code}"
    group = model.model_validate(
        _without_none(
            {
                "id": f"{ROLE_PREFIX}{role.pk}",
                "externalId": name,
                "displayName": name,
                "members": _members(members),
            }
        )
    )
    return _meta(group, "Group", role.system.created_at, role.system.updated_at)


# --- filters to SQL ------------------------------------------------------------------------

# Lower-cased attribute path -> Person fields (any of them may match). caseExact=false for all.
# `id`, `active` and `meta.lastModified` have their own translation below.
USER_FIELDS = {
    ("username", None): ("email",),
    ("emails", None): ("email",),
    ("emails", "value"): ("email",),
    ("name", "givenname"): ("first_name",),
    ("name", "familyname"): ("last_name",),
    ("name", "middlename"): ("patronymic",),
    ("externalid", None): ("hr_id", "platonus_id"),
    ("employeenumber", None): ("hr_id",),
}
LOOKUPS = {
    CompareOperator.eq: "iexact",
    CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith",
    CompareOperator.ew: "iendswith",
}


def _user_q(node) -> Q:
    if isinstance(node, LogicalExpr):
        parts = [_user_q(term) for term in node.terms]
        q = parts[0]
        for part in parts[1:]:
            q = (q & part) if node.op == LogicalOperator.and_ else (q | part)
        return q
    if isinstance(node, Not):
        return ~_user_q(node.expr)
    if isinstance(node, Present | Comparison):
        path = node.attr_path
        if path.uri and path.uri.lower() not in (ENTERPRISE.lower(), User.__schema__.lower()):
            raise _Fallback
        key = (path.attr.lower(), path.sub_attr.lower() if path.sub_attr else None)
        if key == ("id", None) and isinstance(node, Comparison):
            if node.op not in (CompareOperator.eq, CompareOperator.ne):
                raise _Fallback
            value = str(node.value)
            q = Q(pk=int(value)) if value.isdigit() else Q(pk__in=[])
            return q if node.op == CompareOperator.eq else ~q
        if key == ("active", None) and isinstance(node, Comparison):
            return _active_q(node)
        if key == ("meta", "lastmodified") and isinstance(node, Comparison):
            return _modified_q(node)
        fields = USER_FIELDS.get(key)
        if fields is None:
            raise _Fallback
        if isinstance(node, Present):
            q = Q()
            for f in fields:
                q |= Q(**{f"{f}__gt": ""})
            return q
        if not isinstance(node.value, str):
            raise _Fallback
        op = CompareOperator.eq if node.op == CompareOperator.ne else node.op
        lookup = LOOKUPS.get(op)
        if lookup is None:
            raise _Fallback
        q = Q(pk__in=[])
        for f in fields:
            q |= Q(**{f"{f}__{lookup}": node.value})
        if key == ("username", None):
            # People with no university e-mail are "person-<id>": match that form too.
            q |= Q(email="", pk__in=_fallback_ids(node.value, op))
        return ~q if node.op == CompareOperator.ne else q
    raise _Fallback


def _active_q(node: Comparison) -> Q:
    """`active eq true` and the like: the common filter of a sync client, in SQL."""
    if node.op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(node.value, bool):
        raise _Fallback
    active = Q(
        pk__in=Affiliation.objects.filter(status=AffiliationStatus.ACTIVE).values("person_id")
    )
    wanted = node.value if node.op == CompareOperator.eq else not node.value
    return active if wanted else ~active


def _modified_q(node: Comparison) -> Q:
    """`meta.lastModified gt "..."` (incremental sync): the person's updated_at, as shown."""
    lookups = {
        CompareOperator.gt: "gt",
        CompareOperator.ge: "gte",
        CompareOperator.lt: "lt",
        CompareOperator.le: "lte",
        CompareOperator.eq: "exact",
    }
    when = parse_datetime(node.value) if isinstance(node.value, str) else None
    if when is None or node.op not in lookups:
        raise _Fallback
    return Q(**{f"updated_at__{lookups[node.op]}": when})


def _fallback_ids(value: str, op: CompareOperator) -> Any:
    value = value.lower()
    if op == CompareOperator.eq:
        rest = value.removeprefix(NO_EMAIL_PREFIX)
        ok = value.startswith(NO_EMAIL_PREFIX) and rest.isdigit()
        return [int(rest)] if ok else []
    # co/sw/ew on the "person-<id>" form: rare; let the database find the candidates.
    candidates = Person.objects.filter(email="").values_list("pk", flat=True)
    test = {
        CompareOperator.co: lambda s: value in s,
        CompareOperator.sw: lambda s: s.startswith(value),
        CompareOperator.ew: lambda s: s.endswith(value),
    }[op]
    return [pk for pk in candidates if test(f"{NO_EMAIL_PREFIX}{pk}")]


# --- the storage -------------------------------------------------------------------------


class TirekStorage(ScimStorage):
    """Reads only: writes are refused before they reach it (views.py), and here again."""

    def __init__(self, models: dict[str, type[Resource[Any]]]) -> None:
        self.models = models  # resource type name -> model with its extensions

    # Reading one resource ---------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        found = self._by_id(resource_type.name, resource_id)
        if found is None:
            raise NotFoundException(detail=f"{resource_type.name} {resource_id} not found")
        return found

    def _by_id(self, kind: str, resource_id: str) -> Resource[Any] | None:
        model = self.models[kind]
        if kind == "User":
            if not resource_id.isdigit():
                return None
            person = _people().filter(pk=int(resource_id)).first()
            return build_user(model, person) if person else None
        rest = resource_id.removeprefix(UNIT_PREFIX)
        if resource_id.startswith(UNIT_PREFIX) and rest.isdigit():
            unit = OrgUnit.objects.filter(pk=int(rest)).first()
            members = _unit_members([int(rest)]).get(int(rest), [])
            return build_unit_group(model, unit, members) if unit else None
        rest = resource_id.removeprefix(ROLE_PREFIX)
        if resource_id.startswith(ROLE_PREFIX) and rest.isdigit():
            role = SystemRole.objects.select_related("system").filter(pk=int(rest)).first()
            members = _role_members([int(rest)]).get(int(rest), [])
            return build_role_group(model, role, members) if role else None
        return None

    # Searching -------------------------------------------------------------------------

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        start = search_request.start_index_0 or 0
        count = search_request.count
        scim_filter = search_request.filter
        kinds = [rt.name for rt in resource_types]
        if kinds == ["User"]:
            people = _people()
            try:
                if scim_filter is not None:
                    people = people.filter(_user_q(scim_filter.ast))
            except _Fallback:
                pass
            else:
                total = people.count()
                stop = None if count is None else start + count
                page = [build_user(self.models["User"], p) for p in people[start:stop]]
                return SearchPage(total, page)
        found = [
            r
            for r in self._all(kinds)
            if scim_filter is None or self._filter_for(scim_filter, r).match(r)
        ]
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    @staticmethod
    def _filter_for(scim_filter: ScimFilter[Any], resource: Resource[Any]) -> ScimFilter[Any]:
        if scim_filter.models:
            return scim_filter
        return parametrize(ScimFilter, type(resource))(str(scim_filter))

    def _all(self, kinds: list[str]) -> list[Resource[Any]]:
        found: list[Resource[Any]] = []
        if "User" in kinds:
            found += [build_user(self.models["User"], p) for p in _people()]
        if "Group" in kinds:
            model = self.models["Group"]
            by_unit = _unit_members()
            found += [
                build_unit_group(model, u, by_unit.get(u.pk, []))
                for u in OrgUnit.objects.order_by("pk")
            ]
            by_role = _role_members()
            found += [
                build_role_group(model, r, by_role.get(r.pk, []))
                for r in SystemRole.objects.select_related("system").order_by("pk")
            ]
        return found

    # Writing: never -------------------------------------------------------------------

    def _read_only(self, *args, **kwargs):
        raise NotImplementedException(detail="Tirek's SCIM service is read-only")

    create = update = delete = _read_only
