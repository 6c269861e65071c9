"""What every route page shares: the sign-in gate for htmx, the one door to a route (team isolation), full page
or fragment rendering, and the revision diffs and manifests several pages show.

Every route is looked up through ``Route.objects.visible_to(user)``, so another team's route answers 404
on every page and fragment. A view renders its full page, or only its fragment when htmx asks for it
(docs/architecture.md, "Pages"), and says so with ``Vary: HX-Request`` so no cache hands one to the other.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from clusters.models import Cluster
from core.access import is_platform
from routes import permissions
from routes.adapters import cluster_settings
from routes.choices import ApprovalChoices
from routes.domain.diff import spec_diff
from routes.domain.render import route_objects, to_yaml
from routes.domain.values import RouteSpec, RouteTarget
from routes.models import Route, RouteRevision

# Shown in manifest previews of a route not yet created: the id is assigned when it is submitted.
UNSAVED_ROUTE_ID = "assigned-on-submit"


def login_required(view):
    """Django's login_required, but an htmx request of a signed-out user (a poll after the session expired)
    sends the whole browser tab to the login page instead of swapping the login form into a fragment."""
    protected = django_login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            back_to = request.htmx.current_url_abs_path or request.get_full_path()
            login = redirect_to_login(back_to, redirect_field_name=REDIRECT_FIELD_NAME)
            return HttpResponseClientRedirect(login["Location"])
        return protected(request, *args, **kwargs)

    return wrapper


def wants_fragment(request) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# What a route's pages never read of its cluster: the credentials and the foreign Ingresses a sync saw.
CLUSTER_DEFERRED = ("cluster__kubeconfig_encrypted", "cluster__foreign_ingresses")


def visible_route(request, pk, *, defer: tuple[str, ...] = (), host_claim: bool = False) -> Route:
    """The route if the user may see it, else 404: the one door to a route for every view here. ``defer``:
    columns the view does not read; ``host_claim``: read the claiming team's slug with the row
    (RouteQuerySet.with_host_claim)."""
    routes = Route.objects.visible_to(request.user).with_related().defer(*defer)
    route = get_object_or_404(routes.with_host_claim() if host_claim else routes, pk=pk)
    if not is_platform(request.user):
        permissions.note_membership(route, request.user)  # visible_to found it through the user's team
    return route


def editable_route(request, pk, action: str) -> Route:
    """The route if the user may change it (``action``: "edit", "delete"); 404 when they cannot see it, 403
    saying so when it is not their team's."""
    route = visible_route(request, pk)
    if not permissions.can_edit(request.user, route):
        raise PermissionDenied(f"You can only {action} your own teams' routes.")
    return route


def polls(route: Route) -> bool:
    """Whether a page showing this route should keep asking for its status."""
    # A finished deletion leaves health Missing, which Route.settled does not count as settled.
    if route.is_deleted:
        return False
    # An applied route on a live cluster is not done until the first reachability check has drawn its picture.
    awaiting_check = bool(route.applied_revision) and not route.reachability and not route.cluster.is_directory
    return not route.settled or awaiting_check


def refreshes(route: Route) -> bool:
    """Whether a settled route's page should still ask for its status now and then: an applied route on a live
    cluster gets new reachability results on a schedule (PORTICO_REACHABILITY_INTERVAL), which can turn its
    health, so its status fragment asks again every REFRESH_SECONDS instead of needing a reload."""
    return (
        not route.is_deleted
        and bool(route.applied_revision)
        and not route.cluster.is_directory
        and settings.PORTICO_REACHABILITY_INTERVAL > 0
    )


# How often a settled route's status fragment asks again (``refreshes``): slow, as reachability checks are.
REFRESH_SECONDS = 60


def pending_reviews(user):
    """Routes whose latest revision waits for a reviewer: the queue, its count and the dashboard agree."""
    return (
        Route.objects.visible_to(user)
        .live()
        .filter(approval=ApprovalChoices.PENDING, deletion_requested_at__isnull=True)
    )


def revision_diff(old: RouteRevision | None, new: RouteRevision, *, old_label: str, new_label: str) -> str:
    return spec_diff(old.spec if old else None, new.spec, old_label=old_label, new_label=new_label)


def manifests_yaml(target: RouteTarget, spec: RouteSpec, cluster: Cluster) -> str:
    """The YAML Portico applies for this revision: the route's own objects and its host's Certificate."""
    return to_yaml(route_objects(target, spec, cluster_settings(cluster)))


def prefetch_revisions(routes: list[Route]) -> None:
    """Load each route's revisions from the approved one (or all, when none was approved) to the latest in one
    query, into Route.revision_obj's cache: what a review shows and whose change it is (permissions.change_authors)."""
    wanted = (
        RouteRevision.objects.filter(route__in=routes)
        .filter(Q(number__gte=F("route__approved_revision")) | Q(route__approved_revision__isnull=True))
        .select_related("created_by")
    )
    by_route: dict = {}
    for revision in wanted:
        by_route.setdefault(revision.route_id, {})[revision.number] = revision
    for route in routes:
        route._revision_cache = by_route.get(route.pk, {})


def pending_diff(route: Route, live: RouteRevision | None, latest: RouteRevision) -> str:
    if route.approval != ApprovalChoices.PENDING:
        return ""
    return revision_diff(
        live,
        latest,
        old_label=f"live r{live.number}" if live else "(nothing live yet)",
        new_label=f"pending r{latest.number}",
    )
