"""Requesting, editing and deleting a route: the form, its inline validation and the cluster's pickers."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clusters.models import Cluster
from clusters.offers import offers as cluster_offers_of
from routes import checks, services
from routes.adapters import team_policy
from routes.domain.values import RouteTarget
from routes.forms import RouteForm, initial_for
from teams.access import teams_of
from teams.models import TeamNamespace

from .common import UNSAVED_ROUTE_ID, editable_route, login_required, manifests_yaml, render_page, visible_route


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
        preview = manifests_yaml(target, checks.normalized(form.valid_spec()), placement["cluster"])
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
    route = editable_route(request, pk, "edit")
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
    route = visible_route(request, pk) if pk else None
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
    return render_page(request, "routes/htmx/_cluster_offers.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def route_delete(request, pk):
    """Confirm, then request deletion: the worker removes the objects; the route stays in history."""
    route = editable_route(request, pk, "delete")
    if request.method == "POST":
        route = services.request_deletion(route, user=request.user)
        if route.is_deleted:
            messages.success(request, f'Route "{route.name}" deleted: nothing had been applied to the cluster.')
        else:
            messages.success(request, f'Deletion of "{route.name}" requested: its objects are being removed.')
        return redirect(route)
    return render(request, "routes/route_confirm_delete.html", {"route": route})
