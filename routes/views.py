"""Route pages and their htmx fragments: thin views over routes.services.

Every route is looked up through ``Route.objects.visible_to(user)``, so another team's route answers 404
on every page and fragment. A view renders its full page, or only its fragment when htmx asks for it
(docs/architecture.md, "Pages"), and says so with ``Vary: HX-Request`` so no cache hands one to the other.
"""

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_filters import ModelChoiceFilter
from django_htmx.http import HttpResponseClientRedirect

from clusters import kube
from clusters.models import Cluster
from clusters.offers import offers as cluster_offers_of
from core.access import is_platform
from core.models import AuditEvent
from teams.access import teams_of
from teams.models import TeamNamespace

from . import adopt, checks, services, traffic_flow
from .adapters import cluster_settings, revision_spec, route_target, team_policy
from .choices import ApprovalChoices, HealthChoices
from .domain.decimals import parse_decimal
from .domain.diff import spec_diff
from .domain.render import route_objects, to_yaml
from .domain.values import RouteSpec, RouteTarget, Violation
from .filtersets import RouteFilterSet
from .forms import RouteForm, initial_for
from .models import MAX_REVISION, HostClaim, Route, RouteRevision

ROUTES_PER_PAGE = 25
REVIEWS_PER_PAGE = 20
DASHBOARD_ROUTES = 20
AUDIT_EVENTS = 50
# Shown in manifest previews of a route not yet created: the id is assigned when it is submitted.
UNSAVED_ROUTE_ID = "assigned-on-submit"
# The form's Service and issuer pickers ask the cluster; a page must not hang on a slow API server, and
# typing in the form must not send a list request per keystroke.


# Helpers


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


def _wants_fragment(request) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _visible_route(request, pk) -> Route:
    """The route if the user may see it, else 404: the one door to a route for every view here."""
    return get_object_or_404(Route.objects.visible_to(request.user).with_related(), pk=pk)


def _editable_route(request, pk, action: str) -> Route:
    """The route if the user may change it (``action``: "edit", "delete"); 404 when they cannot see it, 403
    saying so when it is not their team's."""
    route = _visible_route(request, pk)
    if not services.can_edit(request.user, route):
        raise PermissionDenied(f"You can only {action} your own teams' routes.")
    return route


def _polls(route: Route) -> bool:
    """Whether a page showing this route should keep asking for its status."""
    # A finished deletion leaves health Missing, which Route.settled does not count as settled.
    if route.is_deleted:
        return False
    # An applied route on a live cluster is not done until the first reachability check has drawn its picture.
    awaiting_check = bool(route.applied_revision) and not route.reachability and not route.cluster.is_directory
    return not route.settled or awaiting_check


def _pending_reviews(user):
    """Routes whose latest revision waits for a reviewer: the queue, its count and the dashboard agree."""
    return (
        Route.objects.visible_to(user)
        .live()
        .filter(approval=ApprovalChoices.PENDING, deletion_requested_at__isnull=True)
    )


def _spec_diff(old: RouteRevision | None, new: RouteRevision, *, old_label: str, new_label: str) -> str:
    return spec_diff(old.spec if old else None, new.spec, old_label=old_label, new_label=new_label)


def _manifests_yaml(target: RouteTarget, spec: RouteSpec, cluster: Cluster) -> str:
    """The YAML Portico applies for this revision: the route's own objects and its host's Certificate."""
    return to_yaml(route_objects(target, spec, cluster_settings(cluster)))


def _prefetch_revisions(routes: list[Route]) -> None:
    """Load each route's revisions from the approved one (or all, when none was approved) to the latest in one
    query, into Route.revision_obj's cache: what a review shows and whose change it is (services.change_authors)."""
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


# Dashboard and list


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
        context["review_count"] = _pending_reviews(user).count()
        context["unhealthy_clusters"] = [cluster for cluster in clusters if not cluster.healthy]
    return render(request, "routes/dashboard.html", context)


@login_required
def route_list(request):
    """All routes the user may see, filtered and searched; the table polls while any row is still moving."""
    routes = Route.objects.visible_to(request.user).live().with_related()
    filterset = RouteFilterSet(request.GET or None, queryset=routes, request=request)
    # Only offer teams the user may see; filtering by another team would show nothing anyway.
    cast(ModelChoiceFilter, filterset.filters["team"]).queryset = teams_of(request.user)
    page = Paginator(filterset.qs, ROUTES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "polling": any(_polls(route) for route in page),
    }
    template = "routes/htmx/_route_table.html" if _wants_fragment(request) else "routes/route_list.html"
    return _render(request, template, context)


# Detail


@login_required
def route_detail(request, pk):
    """Spec, live status and diagnostics, manifests, revisions with diffs, reviews and the audit trail.

    htmx polls this view for the status fragment while the route is unsettled.
    """
    route = _visible_route(request, pk)
    context = {
        "route": route,
        "polling": _polls(route),
        "flow": traffic_flow.picture(route) if route.approved_revision and not route.is_deleted else None,
    }
    if _wants_fragment(request):
        return _render(request, "routes/htmx/_status.html", context)
    revisions = list(route.revisions.select_related("created_by"))
    route._revision_cache = {revision.number: revision for revision in revisions}
    history = []
    for revision in revisions:
        previous = route._revision_cache.get(revision.number - 1)
        history.append(
            {
                "revision": revision,
                "diff": _spec_diff(
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
            "pending_diff": _pending_diff(route, live, latest),
            "live_yaml": _manifests_yaml(route_target(route, live.number), revision_spec(live), route.cluster)
            if live
            else "",
            "latest_yaml": (
                _manifests_yaml(route_target(route, latest.number), revision_spec(latest), route.cluster)
                if latest != live
                else ""
            ),
            "reviews": list(route.reviews.select_related("reviewer")),
            "events": list(AuditEvent.objects.filter(object_type="route", object_id=str(route.pk))[:AUDIT_EVENTS]),
            "claim": HostClaim.objects.filter(host=route.host).select_related("team").first(),
            "can_edit": not route.deletion_requested_at and services.can_edit(request.user, route),
            "can_review": route.approval == ApprovalChoices.PENDING and services.can_review(request.user, route),
        }
    )
    return _render(request, "routes/route_detail.html", context)


def _pending_diff(route: Route, live: RouteRevision | None, latest: RouteRevision) -> str:
    if route.approval != ApprovalChoices.PENDING:
        return ""
    return _spec_diff(
        live,
        latest,
        old_label=f"live r{live.number}" if live else "(nothing live yet)",
        new_label=f"pending r{latest.number}",
    )


# Request and edit


def _form_context(form: RouteForm) -> dict:
    """What the form page and its inline validation show besides the fields: preview, host, team policy."""
    preview = ""
    if form.renderable():
        placement = form.placement()
        route = form.route
        target = RouteTarget(
            id=str(route.pk) if route else UNSAVED_ROUTE_ID,
            name=placement["name"],
            team=placement["team"].slug,
            namespace=placement["namespace"],
            revision=route.revision + 1 if route else 1,
        )
        preview = _manifests_yaml(target, checks.normalized(form.valid_spec()), placement["cluster"])
    team = form.selected_team()
    return {
        "form": form,
        "route": form.route,
        "preview": preview,
        "host_status": form.host_status(),
        "team": team,
        "team_namespaces": sorted(team_policy(team).namespaces) if team else [],
        # An edit cannot move the route, so its pickers always ask about the route's own cluster and namespace.
        "fixed_query": urlencode({"cluster": form.route.cluster.name, "namespace": form.route.namespace})
        if form.route
        else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def route_create(request):
    """Request a new route. It starts pending review (or approved at once under the team's auto-approve)."""
    form = RouteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.check():
        try:
            route = services.submit_route(user=request.user, **form.placement(), spec=form.valid_spec())
        except services.PolicyError as exc:  # lost a race with another request for the same host or name
            form.add_violations(exc.violations)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f'Route "{route.name}" requested: revision 1 is {route.get_approval_display().lower()}.'
            )
            return redirect(route)
    return render(request, "routes/route_form.html", _form_context(form))


@login_required
@require_http_methods(["GET", "POST"])
def route_edit(request, pk):
    """Request a new revision. The approved revision stays live until the new one is approved."""
    route = _editable_route(request, pk, "edit")
    # The form is bound from the start, so the page opens with the current revision's checks and preview.
    form = RouteForm(request.POST if request.method == "POST" else initial_for(route), user=request.user, route=route)
    if form.check() and request.method == "POST":
        try:
            before = route.revision
            route = services.edit_route(route, user=request.user, spec=form.valid_spec())
        except services.PolicyError as exc:
            form.add_violations(exc.violations)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if route.revision == before:
                messages.info(request, "Nothing changed, so no new revision was made.")
            else:
                messages.success(
                    request, f"Revision {route.revision} requested: {route.get_approval_display().lower()}."
                )
            return redirect(route)
    return render(request, "routes/route_form.html", _form_context(form))


@login_required
@require_POST
def route_validate(request, pk=None):
    """Inline validation while the developer types: field errors, host availability, team policy and the
    YAML preview, each swapped into its place out of band."""
    route = _visible_route(request, pk) if pk else None
    form = RouteForm(request.POST, user=request.user, route=route)
    form.check()
    context = {**_form_context(form), "typed_errors": form.typed_errors()}
    return render(request, "routes/htmx/_validation.html", context)


@login_required
def cluster_offers(request):
    """What the cluster reports for the form's pickers: the namespace's Services with their ports, and the
    ClusterIssuers. Only for a namespace one of the user's teams may use; anything else offers nothing."""
    cluster = Cluster.objects.filter(name=request.GET.get("cluster", "")).first()
    namespace = request.GET.get("namespace", "")
    allowed = (
        cluster is not None
        and TeamNamespace.objects.filter(team__in=teams_of(request.user), cluster=cluster, namespace=namespace).exists()
    )
    offers: dict = cluster_offers_of(cluster, namespace) if cluster is not None and allowed else {"note": ""}
    chosen = request.GET.get("service_name", "").strip()
    ports: list = next((service["ports"] for service in offers.get("services", []) if service["name"] == chosen), [])
    context = {
        "offers": offers,
        "cluster": cluster if allowed else None,
        "namespace": namespace,
        "ports": ports,
        "query": request.GET.urlencode(),
    }
    return _render(request, "routes/htmx/_cluster_offers.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def route_delete(request, pk):
    """Confirm, then request deletion: the worker removes the objects; the route stays in history."""
    route = _editable_route(request, pk, "delete")
    if request.method == "POST":
        route = services.request_deletion(route, user=request.user)
        if route.is_deleted:
            messages.success(request, f'Route "{route.name}" deleted: nothing had been applied to the cluster.')
        else:
            messages.success(request, f'Deletion of "{route.name}" requested: its objects are being removed.')
        return redirect(route)
    return render(request, "routes/route_confirm_delete.html", {"route": route})


# Review queue


@dataclass
class ReviewItem:
    """One pending revision as the queue shows it: what changes, what the checks say, who may decide."""

    route: Route
    revision: RouteRevision
    diff: str = ""
    violations: list[Violation] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    # Why this user may not review it (services.review_refusal); empty when they may.
    refusal: str = ""
    error: str = ""
    decided: bool = False

    @property
    def can_review(self) -> bool:
        return not self.refusal


def _review_items(user, routes: list[Route]) -> list[ReviewItem]:
    _prefetch_revisions(routes)
    items = []
    for route in routes:
        pending = route.revision_obj(route.revision)
        live = route.revision_obj(route.approved_revision) if route.approved_revision else None
        violations = checks.check_request(
            user=user,
            team=route.team,
            cluster=route.cluster,
            namespace=route.namespace,
            name=route.name,
            spec=revision_spec(pending),
            route=route,
        )
        authors = services.change_authors(route, pending.number)
        items.append(
            ReviewItem(
                route=route,
                revision=pending,
                diff=_pending_diff(route, live, pending),
                violations=violations,
                authors=sorted({route.revision_obj(n).created_by.get_username() for n in authors}),
                refusal=services.review_refusal(user, route, pending.number) or "",
            )
        )
    return items


def _require_platform(user) -> None:
    if not is_platform(user):
        raise PermissionDenied("Only platform engineers review routes.")


@login_required
def review_queue(request):
    """Pending revisions, oldest request first, with their diff against the live revision and the checks."""
    _require_platform(request.user)
    requested_at = RouteRevision.objects.filter(route=OuterRef("pk"), number=OuterRef("revision")).values("created_at")[
        :1
    ]
    pending = (
        _pending_reviews(request.user)
        .with_related()
        .prefetch_related("team__namespaces__cluster")
        .annotate(requested_at=Subquery(requested_at))
        .order_by("requested_at", "pk")
    )
    page = Paginator(pending, REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "routes/review_queue.html", {"page": page, "items": _review_items(request.user, list(page))})


@login_required
def review_count(request):
    """The number in the navigation's review-queue link, loaded (and refreshed) by htmx on every page."""
    _require_platform(request.user)
    return render(request, "routes/htmx/_review_count.html", {"review_count": _pending_reviews(request.user).count()})


def _reviewed_revision(raw: str) -> int | None:
    """The revision the reviewer looked at (the queue item's hidden field), or None when none was sent."""
    raw = raw.strip()
    if not raw:
        return None
    number = parse_decimal(raw)
    if number is None or not 1 <= number <= MAX_REVISION:
        raise services.PolicyError(
            [
                Violation(
                    "revision",
                    f'Revision "{raw[:20]}" is not a revision number; reload the review queue and decide again.',
                )
            ]
        )
    return number


def _decide(request, pk, decision):
    """Approve or reject through the service, then answer with the queue item as it now stands."""
    _require_platform(request.user)
    route = _visible_route(request, pk)
    comment = request.POST.get("comment", "")
    try:
        revision = _reviewed_revision(request.POST.get("revision", ""))
        route = decision(route, user=request.user, comment=comment, revision=revision)
    except services.PolicyError as exc:
        if not _wants_fragment(request):
            messages.error(request, str(exc))
            return redirect("routes:review_queue")
        return _refused_item(request, route, " ".join(v.message for v in exc.violations))
    except PermissionDenied as exc:
        # The four-eyes rule (services.review_refusal): a 403 that says why, as the page or in place.
        if not _wants_fragment(request):
            raise
        return _refused_item(request, route, str(exc), status=403)
    if not _wants_fragment(request):
        messages.success(
            request, f'Route "{route.name}" revision {route.revision}: {route.get_approval_display().lower()}.'
        )
        return redirect("routes:review_queue")
    item = ReviewItem(route=route, revision=route.revision_obj(route.revision), decided=True)
    return render(request, "routes/htmx/_review_item.html", {"item": item})


def _refused_item(request, route: Route, error: str, status: int = 200):
    """The queue item as it stands, saying why the decision was refused (static/js/portico.js swaps a 403 in)."""
    item = _review_items(request.user, [route])[0]
    item.error = error
    return render(request, "routes/htmx/_review_item.html", {"item": item}, status=status)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def review_approve(request, pk):
    return _decide(request, pk, services.approve_route)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def review_reject(request, pk):
    return _decide(request, pk, services.reject_route)


# Adopting Ingresses


@login_required
@require_http_methods(["GET", "POST"])
def adopt_ingresses(request, name):
    """A cluster's Ingresses that Portico does not manage, with their team and what stops each from being
    adopted; "Adopt selected" adopts the checked ones and answers, in place, with what happened and the list
    as it now stands. Platform engineers only."""
    if not is_platform(request.user):
        raise PermissionDenied("Only platform engineers adopt Ingresses.")
    cluster = get_object_or_404(Cluster.objects.defer("foreign_ingresses"), name=name)
    context: dict[str, Any] = {"cluster": cluster, "candidates": [], "results": [], "unavailable": "", "error": ""}
    try:
        if request.method == "POST":
            selected = set(request.POST.getlist("ingress"))
            chosen = [candidate for candidate in adopt.discover(cluster) if candidate.key in selected]
            context["results"] = adopt.adopt(cluster, chosen, request.user)
            context["gone"] = sorted(selected - {candidate.key for candidate in chosen})
        context["candidates"] = adopt.discover(cluster)
    except adopt.AdoptionUnavailable as exc:
        context["unavailable"] = str(exc)
    except kube.KubeError as exc:
        context["error"] = f"{cluster.label} did not answer: {exc.message}"
    context["any_adoptable"] = any(candidate.adoptable for candidate in context["candidates"])
    template = "routes/htmx/_adopt_candidates.html" if _wants_fragment(request) else "routes/adopt_ingresses.html"
    return _render(request, template, context)
