"""REST API v1, mounted at /api/v1/ by portico/urls.py: each app serves its own resources from its api/ package."""

from rest_framework.routers import DefaultRouter

from clusters.api.views import ClusterViewSet
from routes.api.views import HostClaimViewSet, RouteViewSet
from teams.api.views import TeamViewSet

router = DefaultRouter()
# One URL per resource: no ".json" twins, so the schema lists each operation once.
router.include_format_suffixes = False
router.register("routes", RouteViewSet, basename="route")
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("teams", TeamViewSet, basename="team")
router.register("host-claims", HostClaimViewSet, basename="hostclaim")

urlpatterns = router.urls
