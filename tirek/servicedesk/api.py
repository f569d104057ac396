"""The tickets API: create, list, retrieve, comment, transition, with the pages' scoping
(`visible_tickets`) and the same service functions behind every write."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from tirek.access.models import AccessRequest, System, SystemRole
from tirek.core.permissions import HasCapability, can, deny
from tirek.servicedesk import queries, services, sla
from tirek.servicedesk.models import Comment, Kind, Level, PublicationRequest, Ticket
from tirek.servicedesk.permissions import sees_internal, visible_comments, visible_tickets


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"detail": exc.messages})


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicationRequest
        fields = [
            "target_site",
            "section",
            "title_kk",
            "title_ru",
            "title_en",
            "text_kk",
            "text_ru",
            "text_en",
            "wanted_date",
            "scheduled_for",
            "published_url",
            "published_at",
            "confirmed_at",
            "returned_comment",
        ]
        read_only_fields = [
            "scheduled_for",
            "published_url",
            "published_at",
            "confirmed_at",
            "returned_comment",
        ]


class TicketSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(
        slug_field="code",
        queryset=System.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    requester = serializers.CharField(source="requester.username", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)
    sla_state = serializers.SerializerMethodField()
    publication = PublicationSerializer(required=False)
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    access_role = serializers.CharField(
        write_only=True,
        required=False,
        help_text="A service request for access: the role to ask for, as system:role "
        "(e.g. platonus:teacher); an access request is filed for the caller.",
    )
    access_request = serializers.PrimaryKeyRelatedField(read_only=True)
    access_status = serializers.CharField(
        source="access_request.status", read_only=True, default=None
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "subject",
            "description",
            "system",
            "since",
            "affected_people",
            "request_type",
            "impact",
            "urgency",
            "priority",
            "requester",
            "assignee",
            "is_major",
            "major_incident",
            "merged_into",
            "opened_at",
            "response_due",
            "resolution_due",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "response_breached",
            "resolution_breached",
            "rating",
            "sla_state",
            "publication",
            "access_role",
            "access_request",
            "access_status",
        ]
        read_only_fields = [
            "number",
            "status",
            "priority",
            "is_major",
            "major_incident",
            "merged_into",
            "opened_at",
            "response_due",
            "resolution_due",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "response_breached",
            "resolution_breached",
            "rating",
        ]

    def get_sla_state(self, ticket: Ticket) -> str:
        return sla.state(ticket)

    def validate_access_role(self, value: str) -> SystemRole:
        system, _sep, role = (value or "").partition(":")
        found = SystemRole.objects.filter(
            system__code=system, code=role, requestable=True, system__is_active=True
        ).first()
        if found is None:
            raise ValidationError("No requestable role with that code.")
        return found


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "created_at"]
        read_only_fields = ["created_at"]


class PrioritySerializer(serializers.Serializer):
    impact = serializers.ChoiceField(choices=Level.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)


class LinkAccessSerializer(serializers.Serializer):
    access_request = serializers.IntegerField(
        min_value=1,
        help_text=gettext_lazy("Number of an existing access request of the requester."),
    )


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    published_url = serializers.CharField(required=False, allow_blank=True, default="")
    scheduled_for = serializers.DateField(required=False, allow_null=True, default=None)


class TicketViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets the caller may see. Filters: kind, status (or "all"; open by default for
    staff), system (code), q (search)."""

    serializer_class = TicketSerializer
    permission_classes = [HasCapability]
    capabilities = ("servicedesk.submit",)

    def get_queryset(self):
        tickets = visible_tickets(self.request.user).select_related(
            "system", "requester", "assignee", "publication", "access_request"
        )
        if self.action != "list":
            return tickets
        params = self.request.query_params
        data = {
            "status": params.get("status", "all"),
            "kind": params.get("kind", ""),
            "q": params.get("q", ""),
        }
        if params.get("system"):
            data["system"] = System.objects.filter(code=params["system"]).first()
            if data["system"] is None:
                return tickets.none()
        return queries.apply_filters(tickets, data, self.request.user).order_by("-opened_at", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind = data.pop("kind")
        publication = data.pop("publication", None)
        if kind == Kind.PUBLICATION and publication is None:
            raise ValidationError({"publication": ["required for a publication request"]})
        try:
            ticket = services.submit(request.user, kind=kind, publication=publication, **data)
        except PermissionDenied:
            raise deny(request, "servicedesk.request_publication") from None
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CommentSerializer, responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            return Response(
                CommentSerializer(visible_comments(request.user, ticket), many=True).data
            )
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        internal = serializer.validated_data.get("internal", False)
        if internal and not sees_internal(request.user):
            raise deny(request, "servicedesk.work_queue")
        try:
            note = services.comment(
                request.user, ticket, serializer.validated_data["body"], internal=internal
            )
        except PermissionDenied:
            raise deny(request, "servicedesk.reply") from None
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(CommentSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        ticket = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            ticket = services.transition(
                request.user,
                ticket,
                data["to"],
                comment_text=data["comment"],
                published_url=data["published_url"],
                scheduled_for=data["scheduled_for"],
            )
        except PermissionDenied:
            raise deny(request, "servicedesk.transition") from None
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(self.get_serializer(ticket).data)

    @extend_schema(request=LinkAccessSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path="link-access")
    def link_access(self, request, pk=None):
        """Staff link an access request already filed (in Access) to this service request."""
        ticket = self.get_object()
        serializer = LinkAccessSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        missing = serializers.ValidationError(
            {"access_request": [_("No access request with that number.")]}
        )
        found = AccessRequest.objects.filter(pk=serializer.validated_data["access_request"]).first()
        if found is None:
            raise missing
        try:
            ticket = services.link_access_request(request.user, ticket, found)
        except PermissionDenied:
            if not can(request.user, "servicedesk.work_queue"):
                raise deny(request, "servicedesk.work_queue") from None
            raise missing from None  # one the caller may not see: as if it did not exist
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(self.get_serializer(ticket).data)

    @extend_schema(request=PrioritySerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        """Staff re-assess impact and urgency; the SLA targets follow (services.set_priority)."""
        ticket = self.get_object()
        serializer = PrioritySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ticket = services.set_priority(request.user, ticket, **serializer.validated_data)
        except PermissionDenied:
            raise deny(request, "servicedesk.work_queue") from None
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(self.get_serializer(ticket).data)
