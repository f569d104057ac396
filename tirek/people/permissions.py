"""Who may see which people and units: the one set of querysets lists, detail pages, search
and the API all use (NetBox's restrict() idea), so a list never shows what a detail denies.

Personal data (IIN, date of birth, personal e-mail, phone) is shown unmasked only to holders
of people.view_personal_data and to the person themself. Staff see it masked by default and
reveal it per person; each reveal is written to the audit log (VIEW_PERSONAL).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tirek.core.masking import mask_email, mask_iin, mask_phone
from tirek.core.permissions import can
from tirek.core.roles import Role, roles_for
from tirek.people.models import Affiliation, OrgUnit, Person

PERSONAL_DATA_FIELDS = ("iin", "birth_date", "personal_email", "phone")


def headed_units(user) -> QuerySet[OrgUnit]:
    """Active units whose head is the user's person."""
    if not getattr(user, "is_authenticated", False):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(head__user_id=user.pk, is_active=True)


def managed_units(user) -> QuerySet[OrgUnit]:
    """The units a unit head answers for: the ones they head and everything under them."""
    heads = list(headed_units(user).only("pk", "path"))
    if not heads:
        return OrgUnit.objects.none()
    return OrgUnit.objects.subtree_of(heads)


def visible_people(user) -> QuerySet[Person]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Person.objects.none()
    if can(user, "people.view_all"):
        return Person.objects.all()
    own = Q(user_id=user.pk)
    if Role.UNIT_HEAD in roles_for(user) and can(user, "people.view_unit"):
        in_units = Affiliation.objects.current().filter(unit__in=managed_units(user).values("pk"))
        return Person.objects.filter(own | Q(pk__in=in_units.values("person_id")))
    if can(user, "people.view_self"):
        return Person.objects.filter(own)
    return Person.objects.none()


def visible_units(user) -> QuerySet[OrgUnit]:
    """The organisation chart is open to everyone signed in; closed units only to staff."""
    if not getattr(user, "is_authenticated", False) or not can(user, "orgunits.view"):
        return OrgUnit.objects.none()
    if can(user, "people.view_all"):
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(is_active=True)


def can_view_personal_data(user, person: Person) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return person.user_id == user.pk or can(user, "people.view_personal_data")


def is_self(user, person: Person) -> bool:
    return getattr(user, "is_authenticated", False) and person.user_id == user.pk


def masked_personal_data(person: Person) -> dict[str, str]:
    return {
        "iin": mask_iin(person.iin),
        "birth_date": "**.**.****" if person.birth_date else "",
        "personal_email": mask_email(person.personal_email),
        "phone": mask_phone(person.phone),
    }


def personal_data(person: Person) -> dict:
    return {f: getattr(person, f) for f in PERSONAL_DATA_FIELDS}
