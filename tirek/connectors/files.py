"""Import files for systems Tirek cannot call: the open create operations of a system, written
in the layout its administrator imports (today OJS 3's PKP users XML).

`build_import_file(system, operations)` is the reusable part: the manual-work queue (issue 5)
hands it the operations of a batch. `download_import_file(actor, system)` serves the view and
the `tirek import_file` command: every open create operation of the system, audited as an
export (which operations, never a password).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from tirek.core.audit import record
from tirek.core.models import AuditAction

# Connector kinds whose systems get their accounts through an import file.
IMPORT_FILE_KINDS = ("ojs_file",)


@dataclass
class ImportFile:
    filename: str
    content_type: str
    content: bytes
    operation_ids: list[int]
    command: str  # what the target's administrator runs with the file


def open_create_operations(system) -> QuerySet:
    """Create operations not yet carried out: waiting, retrying or waiting for a person."""
    from tirek.access.models import Operation, OperationKind, OperationStatus

    return (
        Operation.objects.filter(
            system=system,
            kind=OperationKind.CREATE,
            status__in=[
                OperationStatus.PENDING,
                OperationStatus.RUNNING,
                OperationStatus.FAILED,
                OperationStatus.NEEDS_ATTENTION,
            ],
        )
        .select_related("account__person", "system")
        .prefetch_related("account__grants__role")
        .order_by("id")
    )


def build_import_file(system, operations: Sequence) -> ImportFile:
    """The import file for `operations` (create operations of `system`, at least one)."""
    from tirek.access import credentials
    from tirek.access.operations import account_data
    from tirek.connectors import ojs

    if system.connector_kind != "ojs_file":
        raise ValueError(f"{system.code}: no import file for connector {system.connector_kind}")
    settings = system.connector_settings or {}
    users = []
    for op in operations:
        data = account_data(op.account)
        users.append(
            ojs.OjsUser(
                username=data.login,
                given_name=data.given_name,
                family_name=data.family_name,
                email=data.email,
                password=credentials.decrypt(op.secret) if op.secret else None,
                groups=[g.role.target_group or g.role.code for g in op.account.grants.all()],
            )
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{system.code}-users-{stamp}.xml"
    return ImportFile(
        filename=filename,
        content_type="application/xml",
        content=ojs.users_file(users, settings),
        operation_ids=[op.pk for op in operations],
        command=ojs.import_command(settings, filename),
    )


def download_import_file(actor, system) -> ImportFile | None:
    """The file of every open create operation of `system`; None when there is none."""
    operations = list(open_create_operations(system))
    if not operations:
        return None
    result = build_import_file(system, operations)
    record(
        AuditAction.EXPORT,
        system,
        actor=actor,
        extra={
            "import_file": result.filename,
            "operations": result.operation_ids,
            "accounts": [op.account.login for op in operations],
        },
    )
    return result
