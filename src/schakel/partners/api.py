"""REST endpoints of the partners context. Every queryset goes through the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.audit import services as audit
from schakel.partners.models import Organisation, Region, RegionContact, SharingGroup, User


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    functions = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "short_name",
            "sector",
            "country_code",
            "region",
            "functions",
            "email",
            "phone",
            "website",
            "is_active",
        ]

    def get_functions(self, organisation: Organisation) -> list[str]:
        return [f.function for f in organisation.function_set.all()]


class SharingGroupSerializer(serializers.ModelSerializer[SharingGroup]):
    members: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    chair_users: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = SharingGroup
        fields = [
            "id",
            "name",
            "description",
            "region",
            "chair_organisation",
            "members",
            "chair_users",
        ]


class UserSerializer(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "organisation",
            "roles",
            "is_active",
        ]

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.roles)


class RegionContactSerializer(serializers.ModelSerializer[RegionContact]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = RegionContact
        fields = ["id", "region", "kind", "name", "organisation", "email", "phone"]


class PolicyViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """Lists and details filtered by the access policy; invisible records are 404."""

    audit_type: str | None = None  # set for resources whose display is personal data

    def get_queryset(self) -> QuerySet[Any]:
        assert self.queryset is not None
        return policy.visible(self.request.user, self.queryset.all())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._audit(request, response)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        self._audit(request, response)
        return response

    def _audit(self, request: Request, response: Response) -> None:
        if not self.audit_type or response.data is None:
            return
        data = response.data
        rows = data.get("results", [data]) if isinstance(data, dict) else data
        audit.record_read(request, self.audit_type, [row["id"] for row in rows], purpose="api")


class OrganisationViewSet(PolicyViewSet):
    queryset = Organisation.objects.select_related("region").prefetch_related("function_set")
    serializer_class = OrganisationSerializer


class SharingGroupViewSet(PolicyViewSet):
    queryset = SharingGroup.objects.select_related("region").prefetch_related(
        "members", "chair_users"
    )
    serializer_class = SharingGroupSerializer


class UserViewSet(PolicyViewSet):
    queryset = User.objects.prefetch_related("role_set")
    serializer_class = UserSerializer
    audit_type = "partners.user"


class RegionContactViewSet(PolicyViewSet):
    queryset = RegionContact.objects.select_related("region")
    serializer_class = RegionContactSerializer
    audit_type = "partners.regioncontact"


@extend_schema(
    responses=inline_serializer(
        "Me", {"user": UserSerializer(), "organisation": OrganisationSerializer(allow_null=True)}
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """The signed-in user, with their organisation."""
    user: User = request.user  # type: ignore[assignment]
    return Response(
        {
            "user": UserSerializer(user).data,
            "organisation": OrganisationSerializer(user.organisation).data
            if user.organisation
            else None,
        }
    )
