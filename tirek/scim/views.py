"""The /scim/v2/ endpoint: authenticate, check `scim.read`, hand the request to scim2-server.

Callers authenticate with their Tirek API token, sent as `Authorization: Bearer <key>` (what SCIM
clients send) or DRF's `Token <key>`; a signed-in browser session works too. Anonymous callers
and bad tokens get 401, callers without `scim.read` 403, both with a SCIM error body. Every write
(POST, PUT, PATCH, DELETE, bulk) gets 501 Not Implemented: the service is read-only and its
ServiceProviderConfig says so. Reads are not audited one by one: SCIM shows no masked personal
data (no IIN, no phone), and consumers poll it often.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.views import APIView
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    ForbiddenException,
    NotImplementedException,
    Patch,
    ResourceType,
    SCIMException,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    TooManyException,
    UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation, Target
from scim2_server.service import ScimService
from scim2_server.utils import load_default_resource_types, load_default_schemas

from tirek.core.api import SessionAuthentication2FA
from tirek.core.permissions import can, deny
from tirek.scim.storage import TirekStorage

CAPABILITY = "scim.read"
MAX_RESULTS = 200
WRITES = {Operation.create, Operation.replace, Operation.patch, Operation.delete}


class BearerTokenAuthentication(TokenAuthentication):
    """The same API tokens, under the keyword SCIM clients use (RFC 6750)."""

    keyword = "Bearer"


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri="https://github.com/tirek/tirek/blob/main/docs/scim.md",
        patch=Patch(supported=False),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A Tirek API token of a user holding the scim.read capability",
                primary=True,
            )
        ],
    )


class ReadOnlyService(ScimService):
    def authorize(self, request: ScimRequest, target: Target, resource_type: ResourceType):
        # The caller's capability was checked before the request got here; only writes remain.
        if target.operation in WRITES:
            raise NotImplementedException(detail="Tirek's SCIM service is read-only")


@cache
def handler() -> ScimHandler:
    """Built once per process: composing the models from the schemas takes a while."""
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(),
        load_default_resource_types().values(),
        config=service_provider_config(),
    )
    models = {rt.name: provider.model_for(rt) for rt in provider.resource_types}
    return ScimHandler(ReadOnlyService(provider), TirekStorage(models))


def _as_http(response: ScimResponse) -> HttpResponse:
    body = b"" if response.body is None else json.dumps(response.body).encode()
    http = HttpResponse(body, status=int(response.status))
    for name, value in response.headers.items():
        http[name] = value
    return http


class ScimView(APIView):
    authentication_classes = [
        BearerTokenAuthentication,
        TokenAuthentication,
        SessionAuthentication2FA,
    ]
    permission_classes: list[Any] = []
    schema = None  # SCIM describes itself (/ServiceProviderConfig, /Schemas); not in OpenAPI

    def handle_exception(self, exc):
        """Authentication and throttling errors in SCIM's own error format."""
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return self._error(UnauthorizedException(detail="Authentication required"))
        if isinstance(exc, exceptions.Throttled):
            return self._error(TooManyException(detail=str(exc.detail)))
        return super().handle_exception(exc)

    def _error(self, exc: SCIMException) -> HttpResponse:
        return _as_http(handler().service.error_response(exc))

    def serve(self, request, rest: str = "") -> HttpResponse:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated
        if not can(user, CAPABILITY):
            deny(request, CAPABILITY)
            return self._error(ForbiddenException(detail="The scim.read capability is needed"))
        base_url = request.build_absolute_uri(reverse("scim:root")).rstrip("/")
        scim_request = ScimRequest(
            method=request.method,
            base_url=base_url,
            path="/" + rest,
            query=dict(request.query_params.items()),
            headers=dict(request.headers.items()),
            body=request._request.body,
            subject=user,
        )
        try:
            return _as_http(handler().handle(scim_request))
        except SCIMException as exc:
            return self._error(exc)

    get = post = put = patch = delete = serve
