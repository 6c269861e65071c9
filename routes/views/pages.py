"""The dashboard, the route list and the route detail page (with its polled status fragment)."""

from typing import cast

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render
from django_filters import ModelChoiceFilter

from clusters.models import Cluster
from core.access import is_platform
from core.models import AuditEvent
from routes import permissions, traffic_flow
from routes.adapters import revision_spec, route_target
from routes.choices import ApprovalChoices, HealthChoices
from routes.filtersets import RouteFilterSet
from routes.models import Route
from teams.access import teams_of

from .common import (
    CLUSTER_DEFERRED,
    REFRESH_SECONDS,
    login_required,
    manifests_yaml,
    pending_diff,
    pending_reviews,
    polls,
    refreshes,
    render_page,
    revision_diff,
    visible_route,
    wants_fragment,
)

ROUTES_PER_PAGE = 25
LIST_DEFERRED = (
    "conditions",
    "diagnostics",
    "certificate",
    "endpoints",
    *CLUSTER_DEFERRED,
)
DASHBOARD_ROUTES = 20
AUDIT_EVENTS = 50


@login_required
def dashboard(request):
    """My teams' routes at a glance; platform engineers also see what waits for them."""
    user = request.user
    mine = Route.objects.visible_to(user).live().filter(team__members=user)
    counts = mine.aggregate(
        total=Count("pk"),
        healthy=Count("pk", filter=Q(health=HealthChoices.HEALTHY)),
        progressing=Count("pk", filter=Q(health=HealthChoices.PROGRESSING)),
        failing=Count("pk", filter=Q(health__in=[HealthChoices.DEGRADED, HealthChoices.MISSING])),
        pending=Count("pk", filter=Q(approval=ApprovalChoices.PENDING)),
        rejected=Count("pk", filter=Q(approval=ApprovalChoices.REJECTED)),
    )
    context = {
        "routes": list(mine.with_related().order_by("-updated_at")[:DASHBOARD_ROUTES]),
        "counts": counts,
        "has_team": user.teams.exists(),
    }
    if is_platform(user):
        clusters = Cluster.objects.defer("kubeconfig_encrypted", "foreign_ingresses")
        context["review_count"] = pending_reviews(user).count()
        context["unhealthy_clusters"] = [cluster for cluster in clusters if not cluster.healthy]
    return render(request, "routes/dashboard.html", context)


@login_required
def route_list(request):
    """All routes the user may see, filtered and searched; the table polls while any row is still moving."""
    # Not read by the table: the status JSON, the author, the cluster's credentials and foreign Ingresses.
    routes = Route.objects.visible_to(request.user).live().select_related("team", "cluster").defer(*LIST_DEFERRED)
    filterset = RouteFilterSet(request.GET or None, queryset=routes, request=request)
    # Only offer teams the user may see; filtering by another team would show nothing anyway.
    cast(ModelChoiceFilter, filterset.filters["team"]).queryset = teams_of(request.user).only("pk", "slug")
    page = Paginator(filterset.qs, ROUTES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "polling": any(polls(route) for route in page),
    }
    template = "routes/htmx/_route_table.html" if wants_fragment(request) else "routes/route_list.html"
    return render_page(request, template, context)


# Detail


@login_required
def route_detail(request, pk):
    """Spec, live status and diagnostics, manifests, revisions with diffs, reviews and the audit trail.

    htmx polls this view for the status fragment while the route is unsettled.
    """
    fragment = wants_fragment(request)
    route = visible_route(request, pk, defer=CLUSTER_DEFERRED, host_claim=not fragment)
    if not fragment:
        # Every revision at once, before anything asks for one (the traffic flow reads the latest spec); ordered
        # here, as RouteRevision's Meta ordering would join and sort Route.
        revisions = list(route.revisions.select_related("created_by").order_by("-number"))
        route._revision_cache = {revision.number: revision for revision in revisions}
    context = {
        "route": route,
        "polling": polls(route),
        "refresh_seconds": REFRESH_SECONDS if refreshes(route) else None,
        "flow": traffic_flow.picture(route) if route.approved_revision and not route.is_deleted else None,
    }
    if fragment:
        return render_page(request, "routes/htmx/_status.html", context)
    history = []
    for revision in revisions:
        previous = route._revision_cache.get(revision.number - 1)
        history.append(
            {
                "revision": revision,
                "diff": revision_diff(
                    previous,
                    revision,
                    old_label=f"r{previous.number}" if previous else "(new route)",
                    new_label=f"r{revision.number}",
                ),
            }
        )
    live = route.revision_obj(route.approved_revision) if route.approved_revision else None
    latest = route.revision_obj(route.revision)
    context.update(
        {
            "spec": revision_spec(latest),
            "latest": latest,
            "live": live,
            "history": history,
            "pending_diff": pending_diff(route, live, latest),
            "live_yaml": manifests_yaml(route_target(route, live.number), revision_spec(live), route.cluster)
            if live
            else "",
            "latest_yaml": (
                manifests_yaml(route_target(route, latest.number), revision_spec(latest), route.cluster)
                if latest != live
                else ""
            ),
            "reviews": list(route.reviews.select_related("reviewer")),
            "events": list(AuditEvent.objects.filter(object_type="route", object_id=str(route.pk))[:AUDIT_EVENTS]),
            "claim_team": route._claim_team_slug,
            "can_edit": not route.deletion_requested_at and permissions.can_edit(request.user, route),
            "can_review": route.approval == ApprovalChoices.PENDING and permissions.can_review(request.user, route),
        }
    )
    return render_page(request, "routes/route_detail.html", context)
