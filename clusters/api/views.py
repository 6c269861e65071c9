from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from clusters import services as cluster_services
from clusters.models import Cluster
from core.api.permissions import IsPlatformOrReadOnly
from core.api.views import APIViewSet

from .serializers import ClusterSerializer


@extend_schema_view(
    list=extend_schema(summary="List clusters"),
    retrieve=extend_schema(summary="Get a cluster"),
    create=extend_schema(summary="Add a cluster (platform engineers)"),
    partial_update=extend_schema(summary="Change a cluster (platform engineers)"),
    destroy=extend_schema(summary="Remove a cluster without routes (platform engineers)"),
)
class ClusterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    APIViewSet,
):
    """Clusters and their health. Everyone reads; platform engineers write. Credentials are never returned."""

    serializer_class = ClusterSerializer
    permission_classes = [IsPlatformOrReadOnly]
    queryset = Cluster.objects.all()
    lookup_field = "name"

    def perform_destroy(self, instance):
        cluster_services.delete_cluster(instance, user=self.request.user)
