"""REST API v1, mounted at /api/v1/ by portico/urls.py."""
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
# One URL per resource: no ".json" twins, so the schema lists each operation once.
router.include_format_suffixes = False
router.register("routes", views.RouteViewSet, basename="route")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("teams", views.TeamViewSet, basename="team")
router.register("host-claims", views.HostClaimViewSet, basename="hostclaim")

urlpatterns = router.urls
