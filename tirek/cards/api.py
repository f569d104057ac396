"""Cards API: the turnstile decision, and read-only cards with the pages' scoping.

Turnstiles authenticate with their own device token (`Authorization: Device <token>`, made by
services.register_turnstile, stored as a hash); department staff may call the same endpoint
with their API token (cards.turnstile). A phone's 30-second code is accepted only in its window.
"""

from __future__ import annotations

import threading
import time

from django.contrib.auth.models import AnonymousUser
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from tirek.cards import checking, identifiers, services
from tirek.cards.models import EXPORT_FORMATS, Card, IdentifierExport, Turnstile
from tirek.cards.permissions import visible_cards
from tirek.cards.views import CARD_CAPS, LIST_CAPS
from tirek.core.api import SessionAuthentication2FA
from tirek.core.permissions import HasCapability, can, deny


class DeviceAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents turnstile devices' `Authorization: Device <token>` header."""

    target_class = "tirek.cards.api.DeviceAuthentication"
    name = "deviceAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization"}


# Gates scan all day: a known device is remembered for a few seconds per process, and its
# last_seen_at written at most once a minute, so a scan costs no query and no write for them.
# Saving or deleting a device clears both (other worker processes follow within DEVICE_TTL).
DEVICE_TTL = 10.0
LAST_SEEN_EVERY = 60.0
_devices: dict[str, tuple[Turnstile, float]] = {}
_last_seen: dict[int, float] = {}
_devices_lock = threading.Lock()


@receiver(post_save, sender=Turnstile)
@receiver(post_delete, sender=Turnstile)
def _forget_devices(**kwargs) -> None:
    with _devices_lock:
        _devices.clear()
        _last_seen.clear()


def _device(digest: str) -> Turnstile | None:
    now = time.monotonic()
    with _devices_lock:
        hit = _devices.get(digest)
    if hit is not None and hit[1] > now:
        device = hit[0]
    else:
        device = Turnstile.objects.filter(token_hash=digest, is_active=True).first()
        if device is None:
            return None
        with _devices_lock:
            _devices[digest] = (device, now + DEVICE_TTL)
    if now - _last_seen.get(device.pk, -LAST_SEEN_EVERY) >= LAST_SEEN_EVERY:
        _last_seen[device.pk] = now
        Turnstile.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    return device


class DeviceAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid device token header.")
        device = _device(services.hash_device_token(header[1].decode("latin-1")))
        if device is None:
            raise exceptions.AuthenticationFailed("Invalid device token.")
        return (AnonymousUser(), device)

    def authenticate_header(self, request) -> str:
        return self.keyword


class DeviceOrCapability(BasePermission):
    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, Turnstile):
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if can(request.user, "cards.turnstile"):
            return True
        deny(request, "cards.turnstile")
        return False


class TurnstileRequest(serializers.Serializer):
    code = serializers.CharField(max_length=4096)


@extend_schema(
    request=TurnstileRequest,
    responses=inline_serializer(
        "TurnstileDecision",
        {
            "decision": serializers.ChoiceField(["allow", "deny"]),
            "reason": serializers.CharField(),
            "number": serializers.CharField(allow_blank=True),
            "kind": serializers.CharField(allow_blank=True),
            "live": serializers.BooleanField(),
        },
    ),
)
class TurnstileView(APIView):
    """POST a scanned code; the answer is allow or deny with the reason."""

    authentication_classes = [
        DeviceAuthentication,
        authentication.TokenAuthentication,
        SessionAuthentication2FA,
    ]
    permission_classes = [DeviceOrCapability]
    throttle_classes: list = []  # gates scan all day; device tokens are not per-person

    def post(self, request):
        data = TurnstileRequest(data=request.data)
        data.is_valid(raise_exception=True)
        check = checking.check_code(data.validated_data["code"])
        card = check.card
        return Response(
            {
                "decision": "allow" if check.allowed else "deny",
                "reason": str(check.reason),
                "number": card.number if card and check.signed else "",
                "kind": card.kind if card and check.signed else "",
                "live": check.result.is_live,
            }
        )


class CardSerializer(serializers.ModelSerializer):
    holder = serializers.CharField(source="person.full_name", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = Card
        fields = [
            "id",
            "number",
            "kind",
            "holder",
            "unit_code",
            "group",
            "valid_from",
            "valid_until",
            "status",
            "status_reason",
            "status_index",
            "kid",
        ]


class CardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CardSerializer
    permission_classes = [HasCapability]

    @property
    def capabilities(self):
        return LIST_CAPS if self.action == "list" else CARD_CAPS

    def get_queryset(self):
        return visible_cards(self.request.user).select_related("person", "unit").order_by("pk")


class IdentifierExportSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default="", read_only=True)

    class Meta:
        model = IdentifierExport
        fields = [
            "id",
            "created_at",
            "created_by",
            "format",
            "delta",
            "base",
            "total",
            "added",
            "changed",
            "removed",
        ]


class IdentifierExportRequest(serializers.Serializer):
    format = serializers.ChoiceField(EXPORT_FORMATS, default="csv")
    delta = serializers.BooleanField(default=False)


class IdentifierExportView(APIView):
    """Active identifiers for access control without an API (cards staff only).

    GET lists past exports; POST makes one (all active identifiers, or with `delta` only what
    changed since the last export) and answers with the CSV or XLSX file itself.
    """

    permission_classes = [HasCapability]
    capabilities = ("cards.manage",)

    @extend_schema(responses=IdentifierExportSerializer(many=True))
    def get(self, request):
        exports = IdentifierExport.objects.select_related("created_by").defer("rows")[:50]
        return Response(IdentifierExportSerializer(exports, many=True).data)

    @extend_schema(
        request=IdentifierExportRequest,
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="CSV or XLSX file")},
    )
    def post(self, request):
        data = IdentifierExportRequest(data=request.data)
        data.is_valid(raise_exception=True)
        export, content = identifiers.export_identifiers(
            request.user, data.validated_data["format"], data.validated_data["delta"]
        )
        response = HttpResponse(content, content_type=identifiers.content_type(export.format))
        response["Content-Disposition"] = f'attachment; filename="{identifiers.filename(export)}"'
        response["X-Tirek-Export"] = str(export.pk)
        return response
