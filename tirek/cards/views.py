"""Card pages: the holder's own card (static and 30-second QR), staff issue and manage, unit
heads read, the head sees figures; and the public verify page, trust list and status list.

Every view states its capability and reads through permissions.visible_cards, so a card out of
reach is a 404. The public views need no login and show no more than a guard needs.
"""

from __future__ import annotations

import json
import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from tirek.cards import checking, identifiers, keys, offline, pdf, services, statuslist, tokens
from tirek.cards.forms import (
    ActionForm,
    BulkIssueForm,
    CardSearchForm,
    ChipForm,
    IdentifierExportForm,
    IssueForm,
    PhotoForm,
    SheetForm,
    VerifyForm,
)
from tirek.cards.models import Card, CardKind, CardStatus, IdentifierExport
from tirek.cards.permissions import own_cards, visible_cards
from tirek.core.permissions import can, capability_required

LIST_CAPS = ("cards.view_all", "cards.view_unit")
CARD_CAPS = ("cards.view_all", "cards.view_unit", "cards.view_own")
PAGE_SIZE = 25


# --- the holder ------------------------------------------------------------------------------


@capability_required("cards.view_own")
def my_card(request):
    cards = own_cards(request.user).select_related("unit").order_by("-id")
    active = [c for c in cards if c.status == CardStatus.ACTIVE and c.token]
    context = {"cards": cards, "active": active, "live_window": tokens.LIVE_WINDOW}
    context.update(_live_context(active))
    return render(request, "cards/my_card.html", context)


def _live_context(active: list[Card]) -> dict:
    if not active:
        return {}
    card = active[0]
    now = time.time()
    token = tokens.live_token(card, now)
    remaining = tokens.LIVE_WINDOW - int(now) % tokens.LIVE_WINDOW
    return {
        "live_card": card,
        "live_svg": tokens.qr_svg(token, scale=5),
        "live_left": remaining,
        "live_start": int(now) // tokens.LIVE_WINDOW * tokens.LIVE_WINDOW,
    }


@capability_required("cards.view_own")
def my_card_live(request):
    """The htmx fragment with the 30-second QR (never cached)."""
    active = [c for c in own_cards(request.user).filter(status=CardStatus.ACTIVE) if c.token]
    response = render(request, "cards/_live_qr.html", _live_context(active))
    response["Cache-Control"] = "no-store"
    return response


# --- staff and unit heads ---------------------------------------------------------------------


@capability_required(*LIST_CAPS)
def card_list(request):
    form = CardSearchForm(request.GET or None)
    cards = visible_cards(request.user).select_related("person", "unit")
    if form.is_valid():
        data = form.cleaned_data
        for term in (data.get("q") or "").split()[:5]:
            cards = cards.filter(
                Q(number__iexact=term)
                | Q(group__iexact=term)
                | Q(person__last_name__icontains=term)
                | Q(person__last_name__icontains=term.capitalize())
                | Q(person__first_name__icontains=term.capitalize())
            )
        if data.get("kind"):
            cards = cards.filter(kind=data["kind"])
        if data.get("status"):
            cards = cards.filter(status=data["status"])
    page = Paginator(cards, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_manage": can(request.user, "cards.manage"),
    }
    return render(request, "cards/card_list.html", context)


def _visible_card(request, pk: int) -> Card:
    return get_object_or_404(visible_cards(request.user).select_related("person", "unit"), pk=pk)


@capability_required(*CARD_CAPS)
def card_detail(request, pk: int):
    card = _visible_card(request, pk)
    manage = can(request.user, "cards.manage")
    context = {
        "card": card,
        "can_manage": manage,
        "qr_svg": tokens.qr_svg(bytes(card.token)) if card.token else "",
        "action_form": ActionForm(),
        "photo_form": PhotoForm(),
        "chip_form": ChipForm(initial={"chip_uid": card.chip_uid}),
    }
    return render(request, "cards/card_detail.html", context)


@capability_required(*CARD_CAPS)
def card_qr(request, pk: int):
    card = _visible_card(request, pk)
    if not card.token:
        raise Http404
    response = HttpResponse(tokens.qr(bytes(card.token)).svg_inline(scale=6), "image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required("cards.manage")
def card_issue(request):
    initial = {"person": request.GET.get("person", "")}
    form = IssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            card = services.issue_card(
                request.user, form.cleaned_data["person"], form.cleaned_data["kind"] or None
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Card %(number)s issued.") % {"number": card.number})
            return redirect("cards:card_detail", pk=card.pk)
    return render(request, "cards/issue_form.html", {"form": form, "bulk": False})


@capability_required("cards.manage")
def card_bulk_issue(request):
    form = BulkIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.issue_bulk(
                request.user, unit=data["unit"], group=data["group"], kind=data["kind"] or None
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(n)s cards issued.") % {"n": len(issued)})
            return redirect("cards:card_list")
    return render(request, "cards/issue_form.html", {"form": form, "bulk": True})


@require_POST
@capability_required("cards.manage")
def card_action(request, pk: int):
    card = _visible_card(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return redirect("cards:card_detail", pk=card.pk)
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    try:
        if action == "activate":
            services.activate(request.user, card)
        elif action == "suspend":
            services.suspend(request.user, card, reason or _("suspended by staff"))
        elif action == "reinstate":
            services.reinstate(request.user, card)
        elif action == "revoke":
            services.revoke(request.user, card, form.cleaned_data["revocation_reason"] or "other")
        elif action == "reissue":
            new = services.reissue(
                request.user, card, form.cleaned_data["revocation_reason"] or "lost"
            )
            messages.success(request, _("New card %(number)s issued.") % {"number": new.number})
            return redirect("cards:card_detail", pk=new.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("cards:card_detail", pk=card.pk)


@require_POST
@capability_required("cards.manage")
def card_photo(request, pk: int):
    card = _visible_card(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.set_photo(request.user, card, form.cleaned_data["photo"].read())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Photo saved."))
    else:
        messages.error(request, _("Choose a photo file."))
    return redirect("cards:card_detail", pk=card.pk)


@require_POST
@capability_required("cards.manage")
def card_chip(request, pk: int):
    """The chip UID read when the plastic was encoded: access control matches it."""
    card = _visible_card(request, pk)
    form = ChipForm(request.POST)
    if form.is_valid():
        try:
            services.set_chip_uid(request.user, card, form.cleaned_data["chip_uid"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Chip UID saved."))
    else:
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
    return redirect("cards:card_detail", pk=card.pk)


@capability_required("cards.manage")
def identifier_exports(request):
    """Active identifiers for access control without an API: a file now, and past exports."""
    form = IdentifierExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export, data = identifiers.export_identifiers(
            request.user, form.cleaned_data["format"], form.cleaned_data["delta"]
        )
        response = HttpResponse(data, content_type=identifiers.content_type(export.format))
        response["Content-Disposition"] = f'attachment; filename="{identifiers.filename(export)}"'
        return response
    exports = IdentifierExport.objects.select_related("created_by").defer("rows")[:50]
    context = {"form": form, "exports": exports, "last": identifiers.last_export()}
    return render(request, "cards/identifier_exports.html", context)


@capability_required("cards.manage")
def card_pdf(request, pk: int):
    card = _visible_card(request, pk)
    if not card.token:
        raise Http404
    data = pdf.render_cards([card])
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{card.number}.pdf"'
    return response


@capability_required("cards.manage")
def sheet_pdf(request):
    form = SheetForm(request.GET)
    if not form.is_valid() or not (form.cleaned_data["group"] or form.cleaned_data["unit"]):
        raise Http404
    cards = visible_cards(request.user).filter(status=CardStatus.ACTIVE, token__isnull=False)
    if form.cleaned_data["group"]:
        cards = cards.filter(group=form.cleaned_data["group"])
    if form.cleaned_data["unit"]:
        cards = cards.filter(unit__path__startswith=form.cleaned_data["unit"].path)
    cards = list(cards.select_related("person", "unit").order_by("person__last_name", "pk"))
    if not cards:
        raise Http404
    response = HttpResponse(pdf.render_sheets(cards), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="cards.pdf"'
    return response


@capability_required("cards.figures")
def figures(request):
    counts = {
        (row["kind"], row["status"]): row["n"]
        for row in Card.objects.values("kind", "status").annotate(n=Count("id"))
    }
    rows = [
        {
            "kind": label,
            "cells": [counts.get((kind, status), 0) for status in CardStatus.values],
            "total": sum(counts.get((kind, s), 0) for s in CardStatus.values),
        }
        for kind, label in CardKind.choices
    ]
    context = {"rows": rows, "statuses": CardStatus.labels}
    return render(request, "cards/figures.html", context)


# --- public: verify, trust list, status list -------------------------------------------------


def _verify_response(request, code: str):
    check = checking.check_code(code)
    context = {
        "check": check,
        "reason": str(check.reason),
        "code": code,
        "form": VerifyForm(initial={"code": code}),
    }
    response = render(request, "cards/verify.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def verify_page(request):
    """Anyone: paste or scan a code (no login)."""
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _verify_response(request, form.cleaned_data["code"])
    return render(request, "cards/verify.html", {"form": form})


@require_GET
def verify_app(request):
    """The page a guard keeps on the phone: checks codes in the browser, also offline (the
    service worker serves this page for any /V/<code> when there is no network)."""
    response = render(request, "cards/verify.html", {"form": VerifyForm()})
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    source = offline.worker_source(reverse("cards:verify_app"))
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def verify_code(request, code: str):
    """What a phone camera opens: HTTPS://<SITE>/V/<BASE32>."""
    return _verify_response(request, code)


@require_GET
def verify_photo(request, code: str):
    """The card photo, only for a genuine code whose photo digest matches the file."""
    check = checking.check_code(code)
    card = check.card
    if not check.signed or card is None or not card.photo:
        raise Http404
    digest = check.result.claim("photo")
    if not check.result.is_live and (
        not isinstance(digest, bytes) or not card.photo_sha256.startswith(digest.hex())
    ):
        raise Http404
    response = FileResponse(card.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def trust_list(request):
    body = json.dumps(keys.trust_list(), indent=2)
    return HttpResponse(body, content_type="application/json")


@require_GET
def status_list(request, list_id: int):
    if list_id != tokens.STATUS_LIST_ID:
        raise Http404
    snapshot = statuslist.current()
    etag = f'"{snapshot.etag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(snapshot.token), content_type=statuslist.TYP)
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response
