"""REST API v1 endpoints for routes and host claims (docs/api.md; clusters/api and teams/api serve theirs).
Thin: parse with a serializer, call one service, present.

Error mapping, the same for every endpoint:
- policy violations (``services.PolicyError``) answer 400 with field errors, or 409 when every violation is a
  conflict (duplicate name, same host+path, host claimed by another team);
- ``PermissionDenied`` from the services answers 403 with the service's message;
- Django ``ValidationError`` from the cluster and team services answers 400 with field errors, or 409 for a
  ``core.errors.ConflictError`` (name taken, still in use);
- objects outside ``visible_to(user)`` / ``teams_of(user)`` answer 404, exactly like objects that do not exist;
- a team the user does not belong to, named in a route, is a 400 field error on ``team`` that reads the same
  whether or not the team exists.
"""

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api.errors import Conflict
from core.api.filters import NamedFilterBackend
from core.api.views import APIViewSet
from core.models import AuditEvent
from core.names import normalize_host
from routes import claims, services
from routes.domain.render import to_yaml
from routes.filtersets import RouteFilterSet
from routes.models import HostClaim, Route, RouteRevision
from teams.access import teams_of

from . import manifests
from .errors import violations_to_nested
from .formats import ManifestYAMLRenderer
from .rows import RouteListing
from .serializers import (
    DryRunSerializer,
    HostClaimSerializer,
    ManifestsQuerySerializer,
    ReviewRequestSerializer,
    RouteDiffSerializer,
    RouteHistorySerializer,
    RouteSerializer,
    RouteStatusSerializer,
)

DRY_RUN = OpenApiParameter(
    "dry_run",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="Check and render the route without saving anything; answers 200 with the manifests, "
    "or the same 400/409 errors a real request would get.",
)
REVISION = OpenApiParameter(
    "revision",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Render this revision instead of the approved one.",
)
FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["yaml", "json"],
    description="yaml (default): multi-document YAML, ready for kubectl apply -f. json: a list of objects. "
    "The Accept header (application/yaml or application/json) chooses too.",
)
MANIFEST_LIST = {"type": "array", "items": {"type": "object", "additionalProperties": True}}


class RoutesAPIViewSet(APIViewSet):
    """The shared base, plus the route rules' errors and manifests' YAML."""

    def api_exception(self, exc):
        if isinstance(exc, services.PolicyError):
            errors = violations_to_nested(exc.violations)
            return Conflict(errors) if exc.is_conflict else exceptions.ValidationError(errors)
        return super().api_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are JSON even where YAML was negotiated: clients parse one error shape everywhere.
        if response.status_code >= 400 and isinstance(
            getattr(response, "accepted_renderer", None), ManifestYAMLRenderer
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


@extend_schema_view(
    list=extend_schema(
        summary="List routes",
        description="Live routes of your teams (all teams for platform engineers). Deleted routes stay readable by id.",
    ),
    retrieve=extend_schema(summary="Get a route"),
    create=extend_schema(
        summary="Request a route (or dry-run it)",
        parameters=[DRY_RUN],
        responses={
            201: RouteSerializer,
            200: OpenApiResponse(
                DryRunSerializer,
                description="Dry run: the route passes every check; these are the objects it would create.",
            ),
        },
    ),
    partial_update=extend_schema(
        summary="Change a route (new revision)",
        description="Given fields merge over the latest revision's spec and make a new revision, pending review. "
        "The approved revision stays live until the new one is approved. name, team, cluster and namespace "
        "cannot change.",
    ),
    destroy=extend_schema(
        summary="Request deletion",
        description="The route's objects are removed from the cluster; the route is kept, as deleted, in history. "
        "The host claim stays with the team.",
        responses={202: RouteSerializer},
    ),
)
class RouteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RoutesAPIViewSet):
    """Routes: request, change, review, follow and delete them."""

    serializer_class = RouteSerializer
    filter_backends = [NamedFilterBackend]
    filterset_class = RouteFilterSet

    def get_queryset(self):
        routes = Route.objects.visible_to(self.request.user).with_related().order_by("host", "path", "name", "pk")
        if self.action == "list":
            return routes.live()
        return routes

    def paginate_queryset(self, queryset):
        if self.action == "list":
            # Each page read as rows, not models, with only the related columns the JSON shows (routes/api/rows.py).
            queryset = RouteListing(queryset)
        return super().paginate_queryset(queryset)

    def create(self, request, *args, **kwargs):
        dry_run = _flag(request, "dry_run")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if dry_run:
            request_args = cast(RouteSerializer, serializer).request_args()
            objects = manifests.dry_run(**request_args)
            warnings = [notice] if (notice := manifests.schema_notice(request_args["cluster"])) else []
            return Response({"valid": True, "manifests": objects, "yaml": to_yaml(objects), "warnings": warnings})
        route = serializer.save()
        headers = {"Location": request.build_absolute_uri(f"{request.path}{route.pk}/")}
        return Response(self.get_serializer(route).data, status=status.HTTP_201_CREATED, headers=headers)

    def partial_update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        route = serializer.save()
        return Response(self.get_serializer(route).data)

    def destroy(self, request, *args, **kwargs):
        route = services.request_deletion(self.get_object(), user=request.user)
        return Response(self.get_serializer(route).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Rendered manifests",
        description="The objects of the approved revision (or of ?revision=N) exactly as they are applied.",
        parameters=[REVISION, FORMAT],
        responses={(200, "application/yaml"): MANIFEST_LIST, (200, "application/json"): MANIFEST_LIST},
    )
    @action(detail=True, methods=["get"], renderer_classes=[ManifestYAMLRenderer, JSONRenderer])
    def manifests(self, request, pk=None):
        route = self.get_object()
        query = ManifestsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data.get("revision") or route.approved_revision
        if number is None:
            raise exceptions.NotFound("This route has no approved revision yet; ask for one with ?revision=N.")
        try:
            return Response(manifests.revision_objects(route, number))
        except RouteRevision.DoesNotExist:
            raise exceptions.NotFound(f"This route has no revision {number}.") from None

    @extend_schema(
        summary="Diff of the latest revision",
        description="Unified diff of the rendered YAML: the latest revision against the live objects when the "
        "cluster can be read, otherwise against the approved revision; baseline says which.",
        responses={200: RouteDiffSerializer},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        return Response(RouteDiffSerializer(manifests.latest_revision_diff(self.get_object())).data)

    @extend_schema(summary="Live status", responses={200: RouteStatusSerializer})
    @action(detail=True, methods=["get"])
    def status(self, request, pk=None):
        return Response(RouteStatusSerializer(self.get_object()).data)

    @extend_schema(summary="History", responses={200: RouteHistorySerializer})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        route = self.get_object()
        history = {
            "revisions": route.revisions.select_related("created_by"),
            "reviews": route.reviews.select_related("reviewer"),
            "events": AuditEvent.objects.filter(object_type=Route._meta.model_name, object_id=str(route.pk)),
        }
        return Response(RouteHistorySerializer(history).data)

    @extend_schema(
        summary="Approve the pending revision",
        description="Platform engineers only, and never one who wrote any revision since the last approved one "
        '(403 saying which; docs/security.md, "Four eyes").',
        request=ReviewRequestSerializer,
        responses={200: RouteSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._review(request, services.approve_route)

    @extend_schema(
        summary="Reject the pending revision",
        description="Platform engineers only, with a comment saying why. A live revision stays applied.",
        request=ReviewRequestSerializer,
        responses={200: RouteSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, services.reject_route)

    def _review(self, request, decide):
        """Approve or reject (``decide``, a services function) the revision the request names."""
        route = self.get_object()  # 404 for a route the user cannot see, before the body is judged
        review = ReviewRequestSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        route = decide(route, user=request.user, **review.validated_data)
        return Response(self.get_serializer(route).data)


@extend_schema_view(
    list=extend_schema(summary="List host claims", description="Claims of your teams (all for platform engineers)."),
    retrieve=extend_schema(summary="Get a host claim"),
    destroy=extend_schema(
        summary="Release a host claim",
        description="Owner team or platform engineers, and only when no route uses the host any more: 409 naming "
        "the routes while an approved or applied revision of a route not yet deleted serves it, or a pending "
        "revision asks for it.",
    ),
)
class HostClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RoutesAPIViewSet):
    """Hosts owned by teams. The first approved route for a host claims it; only an explicit release frees it."""

    serializer_class = HostClaimSerializer
    lookup_field = "host"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        teams = teams_of(self.request.user)
        return HostClaim.objects.filter(team__in=teams).select_related("team", "claimed_by")

    def get_object(self):
        # Hosts are stored normalised; "Cart.Shop.Example.com." names the same claim.
        self.kwargs[self.lookup_field] = normalize_host(self.kwargs[self.lookup_field])
        return super().get_object()

    def destroy(self, request, *args, **kwargs):
        claims.release_claim(self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _flag(request, name: str) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return False
    try:
        return serializers.BooleanField().to_internal_value(value)
    except serializers.ValidationError:
        raise exceptions.ValidationError({name: ["Must be true or false."]}) from None
