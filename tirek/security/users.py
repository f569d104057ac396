"""Administration of Tirek's own logins by the department head: the roles given by hand,
two-factor reset (a lost phone), lifting a lockout, switching a login off and on.

Roles that follow from a person's record (unit head, employee, faculty, student) are shown but
not edited here: they change with the HR and Platonus imports. The guards keep the university
from locking itself out: nobody switches off or demotes themself, and there is always at least
one active department head.
"""

from __future__ import annotations

from collections.abc import Iterable

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.core.audit import record
from tirek.core.models import AuditAction
from tirek.core.roles import ASSIGNED_ROLES, Role, forget_roles, roles_for
from tirek.security import services


class UserAdminError(Exception):
    """The change would break a guard; the message is shown to the head."""


def assigned_roles(user) -> list[str]:
    return sorted(
        name for name in user.groups.values_list("name", flat=True) if name in ASSIGNED_ROLES
    )


def search_users(q: str = "", role: str = "") -> QuerySet:
    users = get_user_model().objects.select_related("person").order_by("username")
    q = q.strip()
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(email__icontains=q)
            | Q(person__last_name__icontains=q)
            | Q(person__first_name__icontains=q)
        )
    if role in ASSIGNED_ROLES:
        users = users.filter(groups__name=role)
    return users


def is_locked_out(user) -> bool:
    """Locked out from at least one address now (axes counts per username and address)."""
    return AccessAttempt.objects.filter(
        username=user.get_username(),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).exists()


def _active_heads_other_than(user) -> int:
    users = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    return users.filter(Q(groups__name=Role.DEPT_HEAD) | Q(is_superuser=True)).distinct().count()


@transaction.atomic
def set_assigned_roles(actor, user, roles: Iterable[str]) -> list[str]:
    """Make `user`'s hand-given roles exactly `roles`; returns them."""
    wanted = sorted(set(roles))
    unknown = set(wanted) - set(ASSIGNED_ROLES)
    if unknown:
        raise UserAdminError(_("These roles cannot be given by hand: %s") % ", ".join(unknown))
    before = assigned_roles(user)
    if before == wanted:
        return wanted
    losing_head = Role.DEPT_HEAD in before and Role.DEPT_HEAD not in wanted
    if losing_head and actor.pk == user.pk:
        raise UserAdminError(_("You cannot take the department head role from yourself."))
    if losing_head and user.is_active and not _active_heads_other_than(user):
        raise UserAdminError(_("There must always be at least one active department head."))
    groups = {g.name: g for g in Group.objects.filter(name__in=ASSIGNED_ROLES)}
    for name in ASSIGNED_ROLES:
        if name not in groups:
            groups[name] = Group.objects.create(name=name)
    user.groups.remove(*[groups[name] for name in before if name not in wanted])
    user.groups.add(*[groups[name] for name in wanted if name not in before])
    forget_roles(user)
    record(AuditAction.UPDATE, user, actor=actor, before={"roles": before}, after={"roles": wanted})
    return wanted


@transaction.atomic
def set_active(actor, user, active: bool) -> None:
    """Switch a login off (a leaver, a compromised account) or on again. Sessions of a switched
    off user end at their next request: Django refuses inactive users."""
    if user.is_active == active:
        return
    if not active and actor.pk == user.pk:
        raise UserAdminError(_("You cannot switch off your own login."))
    if not active and Role.DEPT_HEAD in roles_for(user) and not _active_heads_other_than(user):
        raise UserAdminError(_("There must always be at least one active department head."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    forget_roles(user)
    record(
        AuditAction.UPDATE,
        user,
        actor=actor,
        before={"is_active": not active},
        after={"is_active": active},
    )


def reset_two_factor(actor, user) -> None:
    services.reset_two_factor(actor, user)


@transaction.atomic
def unlock(actor, user) -> int:
    """Lift a lockout after too many failed sign-ins; returns how many records were cleared."""
    cleared = axes_reset(username=user.get_username())
    record(AuditAction.UPDATE, user, actor=actor, extra={"event": "unlocked", "cleared": cleared})
    return cleared
