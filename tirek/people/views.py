"""People and units pages. Every view states its capability and reads through the scoping
querysets of permissions.py, so a person outside the viewer's reach is a 404, not a 403 that
would confirm they exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tirek.core.permissions import can, capability_required
from tirek.people import services
from tirek.people.forms import PersonContactForm, PersonSearchForm, UnitForm
from tirek.people.models import Affiliation, OrgUnit, Person
from tirek.people.permissions import (
    can_view_personal_data,
    is_self,
    masked_personal_data,
    personal_data,
    visible_people,
    visible_units,
)

PEOPLE_LIST_CAPS = ("people.view_all", "people.view_unit")
PERSON_CAPS = ("people.view_all", "people.view_unit", "people.view_self")
PAGE_SIZE = 25


def _name_q(term: str) -> Q:
    # SQLite's LIKE folds case for ASCII only; trying the typed and the capitalised form
    # finds "әбілов" and "Әбілов" alike there (PostgreSQL folds Unicode itself).
    q = Q()
    for variant in {term, term.capitalize(), term.lower()}:
        q |= (
            Q(last_name__icontains=variant)
            | Q(first_name__icontains=variant)
            | Q(patronymic__icontains=variant)
            | Q(last_name_latin__icontains=variant)
            | Q(first_name_latin__icontains=variant)
            | Q(email__icontains=variant)
        )
    return q


def search_people(user, people: QuerySet[Person], data: dict) -> QuerySet[Person]:
    """Apply the list's search and filters. Searching by IIN is for PD holders only: for
    anyone else a hit would disclose whose IIN it is."""
    terms = (data.get("q") or "").split()
    for term in terms[:5]:
        if term.isdigit() and len(term) == 12:
            people = (
                people.filter(iin=term) if can(user, "people.view_personal_data") else people.none()
            )
        else:
            people = people.filter(_name_q(term))
    affiliations = Affiliation.objects.all()
    filtered = False
    if data.get("unit"):
        affiliations = affiliations.filter(unit__path__startswith=data["unit"].path)
        filtered = True
    if data.get("kind"):
        affiliations = affiliations.filter(kind=data["kind"])
        filtered = True
    if data.get("status"):
        affiliations = affiliations.filter(status=data["status"])
        filtered = True
    if filtered:
        people = people.filter(pk__in=affiliations.values("person_id"))
    return people


def _with_current_affiliations(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.prefetch_related(
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.current().select_related("unit", "position"),
            to_attr="current_affiliations",
        )
    )


@capability_required(*PEOPLE_LIST_CAPS)
def person_list(request):
    units = visible_units(request.user)
    form = PersonSearchForm(request.GET or None, units=units)
    people = visible_people(request.user)
    if form.is_valid():
        people = search_people(request.user, people, form.cleaned_data)
    page = Paginator(_with_current_affiliations(people), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx and request.htmx.target == "person-results":
        return render(request, "people/_person_results.html", context)
    return render(request, "people/person_list.html", context)


def _visible_person(request, pk: int) -> Person:
    return get_object_or_404(visible_people(request.user), pk=pk)


@capability_required(*PERSON_CAPS)
def person_detail(request, pk: int):
    person = _visible_person(request, pk)
    affiliations = person.affiliations.select_related("unit", "position").order_by(
        "-start_date", "-id"
    )
    own = is_self(request.user, person)
    context = {
        "person": person,
        "current": [a for a in affiliations if a.is_current],
        "past": [a for a in affiliations if not a.is_current],
        "headed_units": person.headed_units.filter(is_active=True),
        # The person sees their own data; staff see it masked and reveal it on purpose.
        "pd": personal_data(person) if own else masked_personal_data(person),
        "pd_masked": not own,
        "can_reveal": not own and can_view_personal_data(request.user, person),
        "can_edit": can(request.user, "people.edit"),
        "lifecycle_events": lifecycle_history(person),
        "can_see_imports": can(request.user, "imports.run"),
    }
    return render(request, "people/person_detail.html", context)


def lifecycle_history(person: Person, limit: int = 50) -> list[dict]:
    """The person's joiner/mover/leaver events, newest first, with readable before/after."""
    from tirek.people.imports.mapping import TARGETS

    labels = {t.name: t.label for t in TARGETS} | {"kind": _("kind"), "external_id": _("id")}
    events = list(person.lifecycle_events.select_related("run__source")[:limit])
    unit_ids = {
        v
        for e in events
        for side in (e.before, e.after)
        for k, v in side.items()
        if k == "unit" and v
    }
    units = {u.pk: u.name for u in OrgUnit.objects.filter(pk__in=unit_ids)}

    def show(key, value):
        if key == "unit" and value:
            return units.get(value, value)
        return "—" if value in (None, "") else value

    return [
        {
            "event": e,
            "changes": [
                (labels.get(k, k), show(k, e.before.get(k)), show(k, e.after.get(k)))
                for k in sorted(set(e.before) | set(e.after))
            ],
        }
        for e in events
    ]


@capability_required("people.view_personal_data")
def person_personal_data(request, pk: int):
    """Unmasked personal data of one person; every opening is audited."""
    person = _visible_person(request, pk)
    services.record_personal_data_view(request.user, person, via="page")
    context = {"person": person, "pd": personal_data(person), "pd_masked": False}
    return render(request, "people/_personal_data.html", context)


@capability_required(*PERSON_CAPS)
def person_photo(request, pk: int):
    person = _visible_person(request, pk)
    if not person.photo:
        raise Http404
    return FileResponse(person.photo.open("rb"))


@capability_required("people.edit")
def person_edit(request, pk: int):
    person = _visible_person(request, pk)
    form = PersonContactForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.update_person(request.user, person, **form.cleaned_data)
        messages.success(request, _("Contact details saved."))
        return redirect("people:person_detail", pk=person.pk)
    if request.method == "GET":
        # The form shows the personal e-mail and phone in the clear.
        services.record_personal_data_view(request.user, person, via="edit_form")
    return render(request, "people/person_form.html", {"person": person, "form": form})


def unit_tree(units: QuerySet[OrgUnit]) -> list[OrgUnit]:
    """Units in tree order (siblings by name), each with `level` set for indentation."""
    units = list(units.select_related("head"))
    ids = {u.pk for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    ordered: list[OrgUnit] = []

    def walk(parent: int | None, level: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.name.casefold()):
            unit.level = level
            ordered.append(unit)
            walk(unit.pk, level + 1)

    walk(None, 0)
    return ordered


@capability_required("orgunits.view")
def unit_list(request):
    units = unit_tree(visible_units(request.user))
    return render(
        request,
        "people/unit_list.html",
        {"units": units, "can_edit": can(request.user, "orgunits.edit")},
    )


@capability_required("orgunits.view")
def unit_detail(request, pk: int):
    units = visible_units(request.user)
    unit = get_object_or_404(units.select_related("head", "parent"), pk=pk)
    ancestor_ids = [int(p) for p in unit.path.strip("/").split("/")[:-1] if p]
    ancestors = sorted(units.filter(pk__in=ancestor_ids), key=lambda u: ancestor_ids.index(u.pk))
    members = (
        Affiliation.objects.current()
        .filter(unit=unit, person__in=visible_people(request.user))
        .select_related("person", "position")
        .order_by("kind", "person__last_name", "person__first_name")
    )
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "ancestors": ancestors,
        "subunits": sorted(units.filter(parent=unit), key=lambda u: u.name.casefold()),
        "page": page,
        "can_edit": can(request.user, "orgunits.edit"),
        "can_see_people": can(request.user, "people.view_all")
        or can(request.user, "people.view_unit"),
    }
    return render(request, "people/unit_detail.html", context)


@capability_required("orgunits.edit")
def unit_edit(request, pk: int | None = None):
    unit = get_object_or_404(visible_units(request.user), pk=pk) if pk else OrgUnit()
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        if unit.pk:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "code"}
            unit = services.update_unit(request.user, unit, **fields)
        else:
            unit = services.create_unit(request.user, **form.cleaned_data)
        messages.success(request, _("Unit saved."))
        return redirect("people:unit_detail", pk=unit.pk)
    return render(request, "people/unit_form.html", {"unit": unit, "form": form})
