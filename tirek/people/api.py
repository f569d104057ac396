"""Read-only API for people and units, with the pages' scoping and masking.

Lists always carry personal data masked. A single person fetched by a holder of
people.view_personal_data carries it in the clear, and that fetch is audited (VIEW_PERSONAL);
a person fetching themself sees their own data.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from tirek.core.permissions import HasCapability
from tirek.people import services
from tirek.people.models import Affiliation, OrgUnit, Person
from tirek.people.permissions import (
    can_view_personal_data,
    is_self,
    masked_personal_data,
    visible_people,
    visible_units,
)
from tirek.people.views import PEOPLE_LIST_CAPS, PERSON_CAPS


class AffiliationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    position_title = serializers.CharField(
        source="position.title", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Affiliation
        fields = [
            "id",
            "kind",
            "unit",
            "unit_name",
            "position",
            "position_title",
            "rate",
            "programme",
            "group",
            "study_year",
            "status",
            "start_date",
            "end_date",
            "source",
        ]


class PersonSerializer(serializers.ModelSerializer):
    """Personal data fields are strings: masked ones cannot be dates."""

    full_name = serializers.CharField(read_only=True)
    iin = serializers.CharField(read_only=True, allow_null=True)
    birth_date = serializers.CharField(
        read_only=True, allow_null=True, help_text="YYYY-MM-DD, or masked"
    )
    affiliations = AffiliationSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "full_name",
            "last_name",
            "first_name",
            "patronymic",
            "last_name_latin",
            "first_name_latin",
            "sex",
            "email",
            "iin",
            "birth_date",
            "personal_email",
            "phone",
            "affiliations",
        ]

    def to_representation(self, instance: Person) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("unmasked"):
            data.update(masked_personal_data(instance))
        elif instance.birth_date:
            data["birth_date"] = instance.birth_date.isoformat()
        return data


class OrgUnitSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    head_name = serializers.CharField(
        source="head.full_name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "kind",
            "parent",
            "head",
            "head_name",
            "is_active",
        ]


@extend_schema_view(
    list=extend_schema(summary="People the caller may see (personal data masked)"),
    retrieve=extend_schema(
        summary="One person; personal data in the clear for holders of "
        "people.view_personal_data (audited) and for the person themself"
    ),
)
class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer
    permission_classes = [HasCapability]
    queryset = Person.objects.none()  # for the schema; get_queryset() scopes

    @property
    def capabilities(self) -> tuple[str, ...]:
        # As in the pages: lists for staff and unit heads, one's own record for everyone.
        return PERSON_CAPS if self.action == "retrieve" else PEOPLE_LIST_CAPS

    def get_queryset(self):
        return visible_people(self.request.user).prefetch_related(
            "affiliations__unit", "affiliations__position"
        )

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        unmasked = can_view_personal_data(request.user, person)
        if unmasked and not is_self(request.user, person):
            services.record_personal_data_view(request.user, person, via="api")
        context = {**self.get_serializer_context(), "unmasked": unmasked}
        return Response(PersonSerializer(person, context=context).data)


@extend_schema_view(
    list=extend_schema(summary="Organisational units"),
    retrieve=extend_schema(summary="One organisational unit"),
)
class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrgUnitSerializer
    permission_classes = [HasCapability]
    capabilities = ("orgunits.view",)
    queryset = OrgUnit.objects.none()

    def get_queryset(self):
        return visible_units(self.request.user).select_related("head")
