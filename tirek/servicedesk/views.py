"""Service desk pages: the portal everyone uses, the staff queue, figures and the public
status page. Every view states its capability and reads tickets through `visible_tickets`, so
a ticket out of reach is a 404, never a 403 that would confirm it exists."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tirek.access.models import AccessRequest
from tirek.core.permissions import can, capability_required
from tirek.servicedesk import queries, services, sla, workflow
from tirek.servicedesk.forms import (
    FORMS,
    BulkForm,
    CommentForm,
    PreferencesForm,
    QueueFilterForm,
    RateForm,
    TransitionForm,
)
from tirek.servicedesk.models import (
    DONE_STATUSES,
    Attachment,
    Kind,
    Level,
    NotificationPreference,
    Status,
    SystemProfile,
    Ticket,
)
from tirek.servicedesk.permissions import (
    is_requester,
    may_request_publication,
    sees_internal,
    speaks_for_requester,
    visible_comments,
    visible_tickets,
    works_queue,
)

PAGE_SIZE = 25
SUBMIT = "servicedesk.submit"
QUEUE = "servicedesk.work_queue"


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def _visible(request, pk: int) -> Ticket:
    return get_object_or_404(visible_tickets(request.user), pk=pk)


# --- portal ---------------------------------------------------------------------------------


@capability_required(SUBMIT)
def portal(request):
    """My tickets (and, for a head of unit, those of their units)."""
    tickets = visible_tickets(request.user)
    if sees_internal(request.user):  # staff work from the queue; here, their own
        tickets = tickets.filter(requester=request.user)
    scope = request.GET.get("scope", "")
    if scope == "mine":
        tickets = tickets.filter(requester=request.user)
    status = request.GET.get("status", "all")
    tickets = queries.apply_filters(
        tickets, {"status": status, "q": request.GET.get("q")}, request.user
    )
    page = Paginator(queries.for_list(tickets), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "servicedesk/portal.html",
        {
            "page": page,
            "query": query.urlencode(),
            "kinds": _submit_kinds(request.user),
            "can_delegate": can(request.user, DELEGATE),
            "status": status,
            "q": request.GET.get("q", ""),
            "now": timezone.now(),
        },
    )


def _submit_kinds(user) -> list[tuple[str, str]]:
    kinds = [(k.value, k.label) for k in Kind]
    if not may_request_publication(user):
        kinds = [(k, label) for k, label in kinds if k != Kind.PUBLICATION]
    return kinds


@capability_required(SUBMIT)
def submit(request, kind: str):
    if kind not in FORMS:
        raise Http404
    if kind == Kind.PUBLICATION and not may_request_publication(request.user):
        from tirek.core.permissions import deny

        raise deny(request, "servicedesk.request_publication")
    form_class = FORMS[kind]
    form = form_class(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.submit(request.user, kind=kind, **form.service_kwargs())
        except PermissionDenied:
            form.add_error(None, _("You may not use this access request."))
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(
                request, _("Your ticket %(number)s is registered.") % {"number": ticket.number}
            )
            return redirect("servicedesk:ticket_detail", pk=ticket.pk)
    return render(
        request,
        "servicedesk/submit.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
        },
    )


@capability_required(SUBMIT)
def ticket_detail(request, pk: int):
    # Joined: what every ticket shows. The team is not shown; "merged into", "major incident"
    # and the access request are rarely set, and an empty link costs no query: joining them
    # cost every page (PostgreSQL took longer to plan the eight-table join than to run it).
    ticket = get_object_or_404(
        visible_tickets(request.user).select_related(
            "system", "assignee", "requester", "requester_unit"
        ),
        pk=pk,
    )
    return render(request, "servicedesk/ticket_detail.html", _detail_context(request, ticket))


def _detail_context(request, ticket: Ticket, **extra) -> dict:
    user = request.user
    parties = set()
    if works_queue(user):
        parties.add(workflow.STAFF)
    if speaks_for_requester(user, ticket):
        parties.add(workflow.REQUESTER)
    sees_all = sees_internal(user)
    access_request = (
        AccessRequest.objects.select_related("role__system").get(pk=ticket.access_request_id)
        if ticket.access_request_id
        else None
    )

    def conversation() -> tuple[list, list]:
        comments = visible_comments(user, ticket).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.all())
        )
        return list(comments), list(ticket.attachments.filter(comment__isnull=True))

    # Kept briefly per ticket version (see queries.py): a page seen again costs no query here.
    comments, files = queries.remember(queries.conversation_key(ticket, sees_all), conversation)
    context = {
        "ticket": ticket,
        "publication": getattr(ticket, "publication", None)
        if ticket.kind == Kind.PUBLICATION
        else None,
        "comments": comments,
        "files": files,
        "comment_form": CommentForm(),
        "transition_form": TransitionForm(),
        "rate_form": RateForm(),
        "next_statuses": [
            (s, Status(s).label)
            for s in workflow.next_statuses(ticket.kind, ticket.status, parties)
        ],
        "is_staff": workflow.STAFF in parties,
        "is_requester": workflow.REQUESTER in parties,
        "sees_internal": sees_all,
        "can_rate": is_requester(user, ticket)
        and ticket.status in (Status.RESOLVED, Status.CLOSED, Status.PUBLISHED, Status.CONFIRMED),
        "sla_state": sla.state(ticket),
        "linked_reports": ticket.linked_reports.select_related("requester")
        if ticket.is_major
        else [],
        "majors": Ticket.objects.filter(is_major=True)
        .exclude(status__in=DONE_STATUSES)
        .exclude(pk=ticket.pk)
        .only("pk", "number", "subject")[:20]
        if workflow.STAFF in parties
        else [],
        "staff": queries.remember("servicedesk:staff", lambda: list(_staff_choices()))
        if workflow.STAFF in parties
        else [],
        "levels": Level.choices,
        "access_request": access_request,
        "approvals": access_request.approvals.select_related("decided_by")
        if access_request
        else [],
        "now": timezone.now(),
    }
    context.update(extra)
    return context


def _staff_choices():
    from tirek.servicedesk.forms import staff_users

    return staff_users()


@require_POST
@capability_required(SUBMIT)
def comment(request, pk: int):
    ticket = _visible(request, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.comment(
                request.user,
                ticket,
                form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                files=form.cleaned_data["files"],
            )
        except PermissionDenied:
            from tirek.core.permissions import deny

            raise deny(request, QUEUE) from None
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("servicedesk:ticket_detail", pk=ticket.pk)


@require_POST
@capability_required(SUBMIT)
def transition(request, pk: int):
    ticket = _visible(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("servicedesk:ticket_detail", pk=ticket.pk)
    data = form.cleaned_data
    try:
        services.transition(
            request.user,
            ticket,
            data["to"],
            comment_text=data["comment"],
            published_url=data["published_url"],
            scheduled_for=data["scheduled_for"],
        )
    except PermissionDenied:
        from tirek.core.permissions import deny

        raise deny(request, "servicedesk.transition") from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Status changed."))
    return redirect("servicedesk:ticket_detail", pk=ticket.pk)


@require_POST
@capability_required(SUBMIT)
def rate(request, pk: int):
    ticket = _visible(request, pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.rate(
                request.user, ticket, form.cleaned_data["rating"], form.cleaned_data["comment"]
            )
        except PermissionDenied:
            from tirek.core.permissions import deny

            raise deny(request, "servicedesk.rate") from None
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Thank you for your rating."))
    else:
        messages.error(request, _("Give a rating from 1 to 5."))
    return redirect("servicedesk:ticket_detail", pk=ticket.pk)


@require_POST
@capability_required(QUEUE)
def ticket_action(request, pk: int):
    """Staff actions on one ticket: assign, merge, link to or declare a major incident."""
    ticket = _visible(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "assign":
            user_id = request.POST.get("assignee") or ""
            assignee = _staff_choices().filter(pk=user_id).first() if user_id.isdigit() else None
            services.assign(request.user, ticket, assignee)
        elif action == "assign_auto":
            services.assign(request.user, ticket, auto=True)
        elif action == "merge":
            into = (
                visible_tickets(request.user)
                .filter(number__iexact=request.POST.get("into", "").strip())
                .first()
            )
            if into is None:
                raise ValidationError(_("No ticket with that number."))
            services.merge(request.user, ticket, into)
        elif action == "link_major":
            major = get_object_or_404(Ticket, pk=request.POST.get("major") or 0, is_major=True)
            services.link_to_major(request.user, ticket, major)
        elif action == "declare_major":
            major = services.declare_major_incident(
                request.user, [ticket], request.POST.get("subject", "") or ticket.subject
            )
            return redirect("servicedesk:ticket_detail", pk=major.pk)
        elif action == "priority":
            services.set_priority(
                request.user,
                ticket,
                impact=request.POST.get("impact"),
                urgency=request.POST.get("urgency"),
            )
        elif action == "link_access":
            raw = str(request.POST.get("access_request", "")).lstrip("#").strip()
            found = AccessRequest.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            if found is None:
                raise ValidationError(_("No access request with that number."))
            try:
                services.link_access_request(request.user, ticket, found)
            except PermissionDenied:
                raise ValidationError(_("No access request with that number.")) from None
        elif action == "inform_major":
            services.inform_major(request.user, ticket, request.POST.get("body", ""))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("servicedesk:ticket_detail", pk=ticket.pk)


@capability_required(SUBMIT)
def attachment(request, pk: int):
    """Serve a file only to those who see its ticket (and its note, if internal)."""
    item = get_object_or_404(Attachment.objects.select_related("comment"), pk=pk)
    if not visible_tickets(request.user).filter(pk=item.ticket_id).exists():
        raise Http404
    if item.internal and not sees_internal(request.user):
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = item.content_type.startswith("image/") or item.content_type == "application/pdf"
    response = FileResponse(
        handle,
        content_type=item.content_type,
        as_attachment=not inline,
        filename=item.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- staff queue ----------------------------------------------------------------------------


@capability_required(QUEUE)
def queue(request):
    query = request.GET.copy()
    query.pop("page", None)
    # The page's parts are kept briefly per user and filter (see queries.py): a hit costs one
    # index probe instead of the counts, the rows and the form.
    key = queries.queue_cache_key(
        request.user,
        urlencode(sorted(request.GET.lists()), doseq=True),
        sees_internal(request.user),
    )
    parts = queries.cached_queue(key)
    if parts is None:
        parts = _queue_parts(request, query.urlencode())
        queries.keep_queue(key, parts)
    context = {
        "counts": parts["counts"],
        "form_html": mark_safe(parts["form"]),  # noqa: S308 (our own rendered template)
        "rows_html": mark_safe(parts["rows"]),  # noqa: S308
        "pager_html": mark_safe(parts["pager"]),  # noqa: S308
        "bulk_actions": BulkForm.ACTIONS,
    }
    if request.htmx and request.htmx.target == "queue-results":
        return render(request, "servicedesk/_queue_rows.html", context)
    return render(request, "servicedesk/queue.html", context)


def _queue_parts(request, query: str) -> dict:
    """Render what the queue shows of the tickets: counts, filter form, rows and pager."""
    form = QueueFilterForm(request.GET or None)
    tickets = visible_tickets(request.user)
    data = form.cleaned_data if form.is_valid() else {}
    counts = queries.queue_counts(tickets, request.user)
    filtered = queries.apply_filters(tickets, data, request.user).order_by(
        "priority", "resolution_due", "-id"
    )
    # The default view is all open tickets: counted already.
    known = None if any(data.values()) else counts["open"]
    page = queries.page_of(queries.for_list(filtered), request.GET.get("page"), PAGE_SIZE, known)
    context = {"form": form, "page": page, "query": query, "now": timezone.now()}
    return {
        "counts": counts,
        "form": render_to_string("servicedesk/_queue_form.html", context),
        "rows": render_to_string("servicedesk/_queue_tbody.html", context),
        "pager": render_to_string("people/_pager.html", context),
    }


@require_POST
@capability_required(QUEUE)
def queue_bulk(request):
    ids = [int(i) for i in request.POST.getlist("tickets") if i.isdigit()][:200]
    tickets = list(visible_tickets(request.user).filter(pk__in=ids))
    action = request.POST.get("action", "")
    done, failed = 0, []
    if action == "major" and tickets:
        try:
            major = services.declare_major_incident(
                request.user, tickets, request.POST.get("subject", "") or tickets[0].subject
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request, _("Major incident %(number)s declared.") % {"number": major.number}
            )
            return redirect("servicedesk:ticket_detail", pk=major.pk)
        return redirect("servicedesk:queue")
    for ticket in tickets:
        try:
            if action == "assign_me":
                services.assign(request.user, ticket, request.user)
            elif action == "assign_auto":
                services.assign(request.user, ticket, auto=True)
            elif action == "in_progress":
                services.transition(request.user, ticket, Status.IN_PROGRESS)
            elif action == "resolve":
                services.transition(request.user, ticket, Status.RESOLVED)
            else:
                raise ValidationError(_("Unknown action."))
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            reason = _errors(exc) if isinstance(exc, ValidationError) else _("not allowed")
            failed.append(f"{ticket.number}: {reason}")
    if done:
        messages.success(request, _("%(n)s tickets updated.") % {"n": done})
    for line in failed[:10]:
        messages.error(request, line)
    if not tickets:
        messages.error(request, _("Choose tickets first."))
    return redirect(
        request.POST.get("next")
        if str(request.POST.get("next", "")).startswith("/servicedesk/queue")
        else "servicedesk:queue"
    )


# --- systems of the desk ---------------------------------------------------------------------

CONFIGURE = "servicedesk.configure"


@capability_required(CONFIGURE)
def systems(request):
    """The catalogue's systems with what the desk keeps about each (team, status page, order)."""
    from tirek.servicedesk.forms import SystemProfileForm, desk_systems

    rows = []
    for system in desk_systems().select_related("desk_profile__team"):
        profile = getattr(system, "desk_profile", None)
        initial = {
            "team": profile.team_id if profile else None,
            "on_status_page": profile.on_status_page if profile else False,
            "position": profile.position if profile else 100,
        }
        form = SystemProfileForm(initial=initial, prefix=system.code)
        for field in form.fields.values():
            # One row, one form: the inputs sit in table cells and name their form.
            field.widget.attrs.update({"form": f"f-{system.code}", "aria-label": field.label})
        rows.append((system, profile, form))
    from tirek.servicedesk.forms import TeamForm
    from tirek.servicedesk.models import Team

    teams = [
        (team, TeamForm(initial={"name": team.name, "members": list(team.members.all())},
                        prefix=f"team{team.pk}"))
        for team in Team.objects.prefetch_related("members")
    ]  # fmt: skip
    return render(
        request,
        "servicedesk/systems.html",
        {"rows": rows, "teams": teams, "new_team": TeamForm(prefix="new")},
    )


@require_POST
@capability_required(CONFIGURE)
def team_save(request, pk: int | None = None):
    """Create a team (no pk) or change one's name and members."""
    from tirek.servicedesk.forms import TeamForm
    from tirek.servicedesk.models import Team

    team = get_object_or_404(Team, pk=pk) if pk is not None else None
    form = TeamForm(request.POST, prefix=f"team{pk}" if pk is not None else "new")
    if form.is_valid():
        try:
            services.save_team(
                request.user,
                team,
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("servicedesk:systems")


@require_POST
@capability_required(CONFIGURE)
def system_profile(request, code: str):
    from tirek.access.models import System
    from tirek.servicedesk.forms import SystemProfileForm

    system = get_object_or_404(System, code=code, is_active=True)
    form = SystemProfileForm(request.POST, prefix=system.code)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_system_profile(
                request.user,
                system,
                team=data["team"],
                on_status_page=data["on_status_page"],
                position=data["position"],
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("servicedesk:systems")


# --- delegates for publication requests -----------------------------------------------------

DELEGATE = "servicedesk.delegate"


@capability_required(DELEGATE)
def delegates(request):
    """A head of unit names and revokes the people who file publication requests for it."""
    from tirek.servicedesk.forms import DelegateForm
    from tirek.servicedesk.models import PublicationDelegate

    form = DelegateForm(request.POST or None, head=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_delegate(
                request.user, data["unit"], data["user"], valid_until=data["valid_until"]
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("The delegate is added."))
            return redirect("servicedesk:delegates")
    units = form.fields["unit"].queryset
    rows = (
        PublicationDelegate.objects.filter(unit__in=units)
        .select_related("unit", "user", "granted_by", "revoked_by")
        .order_by("revoked_at", "unit__code", "-created_at")
    )
    return render(
        request,
        "servicedesk/delegates.html",
        {"form": form, "rows": rows, "today": timezone.localdate()},
    )


@require_POST
@capability_required(DELEGATE)
def delegate_revoke(request, pk: int):
    from tirek.servicedesk.models import PublicationDelegate

    delegate = get_object_or_404(
        PublicationDelegate.objects.select_related("unit__head"),
        pk=pk,
        unit__head__user_id=request.user.pk,
    )
    try:
        services.revoke_delegate(request.user, delegate)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The delegation is revoked."))
    return redirect("servicedesk:delegates")


# --- preferences and the public status page -------------------------------------------------


@capability_required(SUBMIT)
def preferences(request):
    prefs = NotificationPreference.objects.filter(user=request.user).first()
    initial = {
        k: getattr(prefs, k) if prefs else True
        for k in ("reply", "status_change", "new_ticket", "sla_warning")
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(request.user, **form.cleaned_data)
        messages.success(request, _("Your choices are saved."))
        return redirect("servicedesk:preferences")
    return render(request, "servicedesk/preferences.html", {"form": form})


def status_page(request):
    """The university's systems and the outages open now (no login: it is public)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    majors = list(
        Ticket.objects.filter(is_major=True)
        .exclude(status__in=DONE_STATUSES)
        .select_related("system")
        .only(
            "subject",
            "opened_at",
            "system_id",
            "status",
            "system__code",
            "system__name_kk",
            "system__name_ru",
            "system__name_en",
        )
    )
    down = {m.system_id: m for m in majors}
    shown = (
        SystemProfile.objects.filter(on_status_page=True, system__is_active=True)
        .select_related("system")
        .order_by("position", "system__code")
    )
    systems = [{"system": p.system, "incident": down.get(p.system_id)} for p in shown]
    return render(
        request,
        "servicedesk/status.html",
        {"systems": systems, "majors": majors, "now": timezone.now()},
    )


# --- figures --------------------------------------------------------------------------------

FIGURES = "servicedesk.figures"


def _period(request) -> tuple:
    import datetime as dt

    today = timezone.localdate()
    default_start = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    try:
        start = dt.date.fromisoformat(request.GET.get("from", "")[:10])
    except ValueError:
        start = default_start
    try:
        end = dt.date.fromisoformat(request.GET.get("to", "")[:10])
    except ValueError:
        end = today
    if end < start:
        start, end = end, start
    return start, end


def _figure_tickets(request):
    from tirek.servicedesk.models import Ticket as T

    # Figures are about the whole desk: those who hold the capability see every ticket.
    return T.objects.all()


@capability_required(FIGURES)
def figures(request):
    from tirek.servicedesk import charts
    from tirek.servicedesk import figures as calc

    start, end = _period(request)
    result = calc.compute(_figure_tickets(request), start, end)
    return render(
        request,
        "servicedesk/figures.html",
        {
            "figures": result,
            "start": start,
            "end": end,
            "chart": charts.bars(result.months),
            "sections": [
                (_("By month"), result.months),
                (_("By system"), result.by_system),
                (_("By kind"), result.by_kind),
            ],
        },
    )


@capability_required(FIGURES)
def figures_export(request, fmt: str):
    from django.http import HttpResponse, StreamingHttpResponse

    from tirek.core.audit import record
    from tirek.core.exports import csv_lines, neutralise
    from tirek.core.models import AuditAction
    from tirek.servicedesk import figures as calc

    if fmt not in ("csv", "xlsx"):
        raise Http404
    start, end = _period(request)
    result = calc.compute(_figure_tickets(request), start, end)
    rows = calc.rows_for_export(result)
    record(
        AuditAction.EXPORT,
        object_type="servicedesk.figures",
        object_repr=f"service desk figures {start}..{end}",
        extra={"format": fmt},
    )
    name = f"servicedesk-figures-{start}-{end}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(calc.HEADER, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        from io import BytesIO

        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "figures"
        sheet.append(list(calc.HEADER))
        for row in rows:
            # Text is neutralised against formula injection; numbers stay numbers.
            sheet.append([v if isinstance(v, int | float) else neutralise(v) for v in row])
        buffer = BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
