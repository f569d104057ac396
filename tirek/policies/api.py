"""Read-only API of the policies: /api/v1/policies/... (the department and auditors)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from tirek.core.permissions import HasCapability
from tirek.policies.models import Policy, PolicyRun


class PolicySerializer(serializers.ModelSerializer):
    system = serializers.CharField(source="role.system.code", read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True)

    class Meta:
        model = Policy
        fields = [
            "id", "name", "description", "system", "role", "role_code", "affiliation_kinds",
            "unit", "include_subunits", "position_categories", "is_active", "updated_at",
        ]  # fmt: skip


class PolicyRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyRun
        fields = [
            "id", "trigger", "status", "started_at", "finished_at", "people", "grants_added",
            "grants_removed", "accounts_disabled", "accounts_enabled", "summary", "decided_at",
        ]  # fmt: skip


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("policies.view",)
    serializer_class = PolicySerializer
    queryset = Policy.objects.select_related("role__system").order_by("pk")


class PolicyRunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasCapability]
    capabilities = ("policies.view",)
    serializer_class = PolicyRunSerializer
    queryset = PolicyRun.objects.order_by("-pk")
