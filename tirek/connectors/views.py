"""Downloading a system's import file (staff who manage accounts)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from tirek.connectors.files import IMPORT_FILE_KINDS, download_import_file
from tirek.core.permissions import capability_required


@capability_required("access.manage")
def import_file(request, code: str) -> HttpResponse:
    from tirek.access.models import System

    system = get_object_or_404(System, code=code, connector_kind__in=IMPORT_FILE_KINDS)
    result = download_import_file(request.user, system)
    if result is None:
        raise Http404(_("No account is waiting to be imported into this system."))
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    # What to run with it, for scripts that fetch the file (the docs say it too).
    response["X-Import-Command"] = result.command
    return response
