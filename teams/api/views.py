from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from core.api.permissions import IsPlatformOrReadOnly
from core.api.views import APIViewSet
from teams.access import teams_of
from teams.models import TeamNamespace

from .serializers import TeamSerializer


@extend_schema_view(
    list=extend_schema(summary="List teams", description="Your teams (all teams for platform engineers)."),
    retrieve=extend_schema(summary="Get a team"),
    create=extend_schema(summary="Create a team (platform engineers)"),
    partial_update=extend_schema(
        summary="Change a team (platform engineers)",
        description="members and namespaces, when given, replace the current ones. A change of domains, "
        "namespaces or flags that would leave a live route of the team outside its policy answers 409 naming "
        "the routes; turning auto_approve on is audited and announced to platform engineers.",
    ),
)
class TeamViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, APIViewSet
):
    """Teams: members, where they may route, and their policy."""

    serializer_class = TeamSerializer
    permission_classes = [IsPlatformOrReadOnly]
    lookup_field = "slug"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        namespaces = Prefetch("namespaces", queryset=TeamNamespace.objects.select_related("cluster"))
        return teams_of(self.request.user).prefetch_related("members", namespaces)
