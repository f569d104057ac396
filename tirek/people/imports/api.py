"""Import API: upload a file (answered with its dry run), read runs, apply a run.

    POST /api/v1/import-runs/            multipart: source=<code>, file=<CSV or XLSX>
    GET  /api/v1/import-runs/{id}/       counts, errors (with messages), changes
    POST /api/v1/import-runs/{id}/apply/ {"exclude_errors": false, "confirm_leavers": false}

Errors come in the caller's language (Accept-Language or their account's language).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from tirek.core.permissions import HasCapability
from tirek.people.imports import services
from tirek.people.imports.errors import with_messages
from tirek.people.imports.models import ImportRun, ImportSource, RunTrigger
from tirek.people.imports.readers import MAX_BYTES

CAPS = ("imports.run",)


class ImportSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportSource
        fields = [
            "id",
            "code",
            "name",
            "origin",
            "affiliation_kind",
            "file_format",
            "encoding",
            "delimiter",
            "mapping",
            "key_field",
            "mode",
            "leaver_threshold",
            "inbox_enabled",
            "is_active",
        ]


class ImportRunSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    errors = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "source",
            "original_name",
            "size",
            "sha256",
            "trigger",
            "status",
            "encoding",
            "delimiter",
            "rows",
            "counts",
            "errors",
            "result",
            "excluded_rows",
            "created_at",
            "applied_at",
        ]

    def get_errors(self, run: ImportRun) -> list[dict]:
        return with_messages(run.errors)


class UploadSerializer(serializers.Serializer):
    source = serializers.SlugRelatedField(
        slug_field="code", queryset=ImportSource.objects.filter(is_active=True)
    )
    file = serializers.FileField()

    def validate_file(self, upload):
        if upload.size > MAX_BYTES:
            raise serializers.ValidationError(f"larger than {MAX_BYTES // 1048576} MB")
        return upload


class ApplySerializer(serializers.Serializer):
    exclude_errors = serializers.BooleanField(default=False)
    confirm_leavers = serializers.BooleanField(default=False)


class ImportSourceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ImportSourceSerializer
    permission_classes = [HasCapability]
    capabilities = CAPS
    queryset = ImportSource.objects.all()


class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportRunSerializer
    permission_classes = [HasCapability]
    capabilities = CAPS
    queryset = ImportRun.objects.select_related("source").order_by("-created_at", "-id")
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=UploadSerializer, responses={201: ImportRunSerializer})
    def create(self, request):
        """Upload a file; the answer is its dry run. Nothing else is written."""
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        run = services.upload(
            request.user,
            upload.validated_data["source"],
            file.read(),
            filename=file.name,
            trigger=RunTrigger.API,
        )
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ApplySerializer,
        responses={
            200: ImportRunSerializer,
            409: inline_serializer(
                "ImportRefused",
                {"code": serializers.CharField(), "detail": serializers.CharField()},
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply a run in one transaction. 409 when rows have errors (send exclude_errors) or
        too many people would leave (send confirm_leavers after checking the file)."""
        run = self.get_object()
        options = ApplySerializer(data=request.data)
        options.is_valid(raise_exception=True)
        try:
            run = services.apply_run(request.user, run, **options.validated_data)
        except services.ImportRefused as exc:
            return Response({"code": exc.code, "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ImportRunSerializer(run).data)
