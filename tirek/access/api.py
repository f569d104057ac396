"""Read-only API of the access app, with the pages' scoping: /api/v1/access/..."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from tirek.access.models import (
    AccessRequest,
    Account,
    CredentialDelivery,
    Finding,
    Operation,
    ReconciliationRun,
    System,
    SystemRole,
)
from tirek.access.permissions import (
    visible_accounts,
    visible_findings,
    visible_operations,
    visible_requests,
    visible_runs,
)
from tirek.core.permissions import HasCapability


class SystemRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = SystemRole
        fields = ["id", "code", "name_kk", "name_ru", "name_en", "requestable", "is_privileged"]


class SystemSerializer(serializers.ModelSerializer):
    roles = SystemRoleSerializer(many=True, read_only=True)

    class Meta:
        model = System
        # No connector settings: they are staff's business, and shown on the staff page only.
        fields = [
            "id", "code", "name_kk", "name_ru", "name_en", "description_kk", "description_ru",
            "description_en", "owner", "connector_kind", "approval_chain", "is_active", "roles",
        ]  # fmt: skip


class AccountSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="code", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "person",
            "system",
            "login",
            "external_id",
            "status",
            "last_synced_at",
            "roles",
        ]

    def get_roles(self, account) -> list[str]:
        return [g.role.code for g in account.grants.all()]


class OperationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Operation
        fields = [
            "id", "account", "system", "kind", "payload", "status", "attempts",
            "next_attempt_at", "last_error", "created_at", "finished_at",
        ]  # fmt: skip


class CredentialDeliverySerializer(serializers.ModelSerializer):
    """Who delivered which password by which channel, and when: never the secret or a token."""

    class Meta:
        model = CredentialDelivery
        fields = [
            "id", "account", "channel", "created_by", "created_at", "expires_at", "delivered_at",
            "delivered_by", "viewed_at", "wiped_at", "mail_status", "mail_sent_at", "mail_error",
        ]  # fmt: skip


class AccessRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "person",
            "role",
            "reason",
            "valid_until",
            "status",
            "created_at",
            "decided_at",
        ]


class SystemViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("access.catalogue_view",)
    serializer_class = SystemSerializer
    lookup_field = "code"
    queryset = System.objects.prefetch_related("roles")


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("access.catalogue_view",)
    serializer_class = AccountSerializer

    def get_queryset(self):
        return (
            visible_accounts(self.request.user)
            .select_related("system")
            .prefetch_related("grants__role")
        )


class OperationViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("access.view_all",)
    serializer_class = OperationSerializer

    def get_queryset(self):
        return visible_operations(self.request.user).order_by("-id")


class AccessRequestViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("access.request",)
    serializer_class = AccessRequestSerializer

    def get_queryset(self):
        return visible_requests(self.request.user)


class CredentialDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("access.view_all",)
    serializer_class = CredentialDeliverySerializer

    # The same rule as the deliveries page: staff-wide readers see every delivery.
    queryset = CredentialDelivery.objects.order_by("-created_at", "-id")


class ReconciliationRunSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReconciliationRun
        fields = [
            "id", "system", "trigger", "started_by", "status", "created_at", "started_at",
            "finished_at", "entries_read", "accounts_compared", "counts", "error",
        ]  # fmt: skip


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = [
            "id", "run", "kind", "login", "external_id", "account", "suggested_person",
            "target_values", "tirek_values", "resolution", "note", "resolved_by", "resolved_at",
            "operation",
        ]  # fmt: skip


class ReconciliationRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Reconciliation reports; `?system=<code>` narrows to one system."""

    permission_classes = [HasCapability]
    capabilities = ("access.view_all",)
    serializer_class = ReconciliationRunSerializer

    def get_queryset(self):
        runs = visible_runs(self.request.user).select_related("system")
        system = self.request.query_params.get("system")
        return runs.filter(system__code=system) if system else runs


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings; `?run=`, `?kind=` and `?resolution=` narrow the list."""

    permission_classes = [HasCapability]
    capabilities = ("access.view_all",)
    serializer_class = FindingSerializer

    def get_queryset(self):
        findings = visible_findings(self.request.user).order_by("id")
        params = self.request.query_params
        run = params.get("run", "")
        if run.isdigit():
            findings = findings.filter(run_id=int(run))
        for name in ("kind", "resolution"):
            if params.get(name):
                findings = findings.filter(**{name: params[name]})
        return findings
