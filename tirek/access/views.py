"""Pages of the access app. Each states its capability; objects come from permissions.py
querysets, so what a list does not show, a detail page answers with 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tirek.access import credentials, deliveries, services
from tirek.access.forms import AccessRequestForm, DecisionForm, ResetForm, SlipForm, SystemForm
from tirek.access.models import (
    Account,
    CredentialDelivery,
    DeliveryChannel,
    MailStatus,
    Operation,
    OperationStatus,
    System,
)
from tirek.access.permissions import (
    can_decide,
    decidable_approvals,
    people_in_my_units,
    visible_accounts,
    visible_operations,
    visible_requests,
    visible_runs,
)
from tirek.core.permissions import can, capability_required, deny
from tirek.people.models import OrgUnit, Person
from tirek.people.permissions import managed_units

PAGE_SIZE = 50


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@capability_required("access.catalogue_view")
def system_list(request):
    systems = System.objects.prefetch_related("roles").select_related("owner")
    return render(
        request,
        "access/system_list.html",
        {"systems": systems, "can_edit": can(request.user, "access.catalogue_edit")},
    )


@capability_required("access.catalogue_view")
def system_detail(request, code: str):
    system = get_object_or_404(System.objects.select_related("owner"), code=code)
    accounts = None
    if can(request.user, "access.view_all"):
        accounts = Paginator(
            system.accounts.select_related("person").prefetch_related("grants__role"), PAGE_SIZE
        ).get_page(request.GET.get("page"))
    runs = None
    if can(request.user, "access.view_all") and system.connector_kind in ("ldap", "scim"):
        runs = visible_runs(request.user).filter(system=system).select_related("started_by")[:5]
    return render(
        request,
        "access/system_detail.html",
        {
            "system": system,
            "roles": system.roles.all(),
            "accounts": accounts,
            "can_edit": can(request.user, "access.catalogue_edit"),
            "settings_shown": can(request.user, "access.view_all"),
            "runs": runs,
            "can_reconcile": system.is_active and can(request.user, "access.reconcile"),
        },
    )


@capability_required("access.catalogue_edit")
def system_edit(request, code: str):
    system = get_object_or_404(System, code=code)
    form = SystemForm(request.POST or None, instance=System.objects.get(pk=system.pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        fields["connector_settings"] = form.cleaned_data["connector_settings"]
        fields["approval_chain"] = form.cleaned_data["approval_chain"]
        try:
            services.update_system(request.user, system, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("access:system_detail", code=system.code)
    return render(request, "access/system_form.html", {"system": system, "form": form})


@capability_required("access.catalogue_view")
def account_detail(request, pk: int):
    account = get_object_or_404(
        visible_accounts(request.user).select_related("system", "person"), pk=pk
    )
    return render(
        request,
        "access/account_detail.html",
        {
            "account": account,
            "grants": account.grants.select_related("role", "granted_by"),
            "operations": account.operations.order_by("-id")[:50],
            "deliveries": account.deliveries.select_related("created_by", "delivered_by")[:20]
            if can(request.user, "access.view_all")
            else None,
            "can_manage": can(request.user, "access.manage"),
            "reset_form": ResetForm(),
            "today": timezone.localdate(),
        },
    )


RESET_DONE = {
    DeliveryChannel.LINK: gettext_lazy(
        "A new password is waiting for the person on their access page."
    ),
    DeliveryChannel.MAIL: gettext_lazy(
        "A one-time link to the new password will be mailed to the person."
    ),
    DeliveryChannel.SLIP: gettext_lazy("The new password is printed on a slip."),
}

ACCOUNT_ACTIONS = {
    "disable": services.disable_account,
    "enable": services.enable_account,
    "delete": services.delete_account,
}


@require_POST
@capability_required("access.manage")
def account_action(request, pk: int, action: str):
    account = get_object_or_404(Account, pk=pk)
    try:
        if action == "reset_password":
            form = ResetForm(request.POST)
            channel = form.cleaned_data["channel"] if form.is_valid() else DeliveryChannel.LINK
            services.reset_password(request.user, account, channel)
            if channel == DeliveryChannel.SLIP and account.person is not None:
                pdf, _rows = deliveries.print_slips(request.user, account.system, [account.person])
                return _pdf(pdf, f"{account.system.code}-{account.login}")
            messages.success(request, RESET_DONE[channel])
        elif action in ACCOUNT_ACTIONS:
            ACCOUNT_ACTIONS[action](request.user, account)
            messages.success(request, _("Done; the change is queued for the system."))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("access:account_detail", pk=account.pk)


@capability_required("access.request")
def my_access(request):
    """One's own accounts, new passwords waiting to be seen, and one's requests."""
    person = getattr(request.user, "person", None)
    accounts = (
        Account.objects.filter(person=person).select_related("system").prefetch_related("grants")
        if person
        else Account.objects.none()
    )
    waiting = (
        CredentialDelivery.objects.filter(
            account__person=person, secret__isnull=False, channel=DeliveryChannel.LINK
        )
        .select_related("account__system")
        .order_by("-created_at")
        if person
        else []
    )
    requests_ = visible_requests(request.user).filter(person=person) if person else []
    made = visible_requests(request.user).filter(requested_by=request.user).exclude(person=person)
    return render(
        request,
        "access/my_access.html",
        {
            "accounts": accounts,
            "deliveries": [d for d in waiting if d.is_available],
            "requests": requests_,
            "made": made,
        },
    )


def _requestable_people(user):
    if can(user, "access.manage"):
        return Person.objects.all()
    mine = Person.objects.filter(user_id=user.pk)
    return (mine | people_in_my_units(user)).distinct()


@capability_required("access.request")
def request_create(request):
    people = _requestable_people(request.user)
    initial = {}
    if "person" in request.GET:
        initial["person"] = request.GET["person"]
    elif getattr(request.user, "person", None):
        initial["person"] = request.user.person.pk
    form = AccessRequestForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.request_access(
                request.user,
                data["person"],
                data["role"],
                reason=data["reason"],
                valid_until=data["valid_until"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The request is sent for approval."))
            return redirect("access:request_detail", pk=req.pk)
    return render(request, "access/request_form.html", {"form": form})


@capability_required("access.request")
def request_detail(request, pk: int):
    req = get_object_or_404(
        visible_requests(request.user).select_related("person", "role__system", "requested_by"),
        pk=pk,
    )
    approvals = list(req.approvals.select_related("decided_by"))
    for approval in approvals:
        approval.request = req
        approval.mine = can_decide(request.user, approval)
    return render(
        request,
        "access/request_detail.html",
        {"req": req, "approvals": approvals, "form": DecisionForm()},
    )


@capability_required("access.approve")
def inbox(request):
    return render(
        request,
        "access/inbox.html",
        {"approvals": decidable_approvals(request.user).order_by("request__created_at")},
    )


@require_POST
@capability_required("access.approve")
def decide(request, pk: int):
    approval = get_object_or_404(decidable_approvals(request.user, any_state=True), pk=pk)
    if not can_decide(request.user, approval):
        raise deny(request, "access.approve")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("access:request_detail", pk=approval.request_id)
    try:
        services.decide(
            request.user,
            approval,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Your decision is recorded."))
    return redirect("access:request_detail", pk=approval.request_id)


@capability_required("access.view_all")
def operation_list(request):
    ops = visible_operations(request.user).select_related("account", "system").order_by("-id")
    status = request.GET.get("status", OperationStatus.NEEDS_ATTENTION)
    if status in OperationStatus.values:
        ops = ops.filter(status=status)
    page = Paginator(ops, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "access/operation_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OperationStatus.choices,
            "can_manage": can(request.user, "access.manage"),
        },
    )


@require_POST
@capability_required("access.manage")
def operation_action(request, pk: int, action: str):
    op = get_object_or_404(Operation, pk=pk)
    handler = {"retry": services.retry_operation, "cancel": services.cancel_operation}.get(action)
    if handler is None:
        raise PermissionDenied
    try:
        handler(request.user, op)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Done."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    return redirect(back or "access:operation_list")


@capability_required("access.credentials")
def credential(request, pk: int):
    """A new password, shown once to its person after they sign in. GET shows a button (so
    that link previews and prefetching cannot use the one view up); POST reveals it."""
    delivery = get_object_or_404(
        CredentialDelivery.objects.select_related("account__system", "account__person"), pk=pk
    )
    person = delivery.account.person
    if person is None or person.user_id != request.user.pk:
        raise deny(request, "access.credentials")
    context = {"delivery": delivery, "account": delivery.account}
    if request.method == "POST":
        try:
            account, secret = services.view_credential_by_id(request.user, pk)
        except services.CredentialUnavailable:
            context["gone"] = True
        else:
            context.update(secret=secret, account=account)
            response = render(request, "access/credential.html", context)
            response["Cache-Control"] = "no-store"
            return response
    elif not delivery.is_available:
        context["gone"] = True
    return render(request, "access/credential.html", context)


def mailed_credential(request, token: str):
    """The link mailed to a personal address: no sign-in needed (a new student may have no
    Tirek login yet), but someone signed in as another user is refused. GET shows a button
    (mail scanners and link previews follow links); POST reveals the password once."""
    delivery = CredentialDelivery.objects.filter(
        token_hash=credentials.token_hash(token),
        channel=DeliveryChannel.MAIL,
        mail_status=MailStatus.SENT,
    ).first()
    context = {"delivery": delivery, "account": delivery.account if delivery else None}
    if request.method == "POST":
        try:
            account, secret = services.view_mailed_credential(request.user, token)
        except services.CredentialUnavailable:
            context["gone"] = True
        else:
            context.update(secret=secret, account=account)
    elif delivery is None or not delivery.is_available:
        context["gone"] = True
    if context.get("gone"):
        context["account"] = None  # say nothing about whose link it was
    response = render(request, "access/credential.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="slips-{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _slip_units(user):
    if can(user, "access.manage"):
        return OrgUnit.objects.filter(is_active=True)
    return managed_units(user).filter(is_active=True)


@capability_required("access.slips")
def slips(request):
    """Pick a system and a group or unit; see who gets a slip; print (which uses the
    passwords up)."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = SlipForm(data, units=_slip_units(request.user))
    rows = None
    if data is not None and form.is_valid():
        system = form.cleaned_data["system"]
        try:
            people = deliveries.slip_people(
                request.user, group=form.cleaned_data["group"], unit=form.cleaned_data["unit"]
            )
            if request.method == "POST" and request.POST.get("action") == "mail":
                queued, left = deliveries.mail_links(request.user, system, people)
                messages.success(
                    request,
                    _("%(queued)s one-time links will be mailed; %(left)s people were left out.")
                    % {"queued": queued, "left": len(left)},
                )
                return redirect(f"{request.path}?{data.urlencode()}")
            if request.method == "POST":
                pdf, _rows = deliveries.print_slips(request.user, system, people)
                return _pdf(pdf, system.code)
            rows = deliveries.slip_rows(system, people)
        except PermissionDenied:
            raise deny(request, "access.slips") from None
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "access/slips_form.html",
        {
            "form": form,
            "rows": rows,
            "ready": sum(1 for r in rows if r.state == deliveries.READY) if rows else 0,
            "mailable": sum(
                1 for r in rows if r.state == deliveries.READY and r.person.personal_email
            )
            if rows
            else 0,
        },
    )


@capability_required("access.view_all")
def delivery_list(request):
    """Every password delivery: channel, who and when; mails that failed first."""
    qs = CredentialDelivery.objects.select_related(
        "account__system", "account__person", "created_by", "delivered_by"
    ).order_by("-created_at", "-id")
    problems = request.GET.get("show") == "problems"
    if problems:
        qs = qs.filter(deliveries.failed_mail())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "access/delivery_list.html",
        {"page": page, "problems": problems, "now": timezone.now()},
    )
