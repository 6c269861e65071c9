"""Adopting a cluster's Ingresses that Portico does not manage yet (routes.adopt), platform engineers only."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from clusters import kube
from clusters.models import Cluster
from core.access import is_platform
from routes import adopt

from .common import login_required, render_page, wants_fragment


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
    template = "routes/htmx/_adopt_candidates.html" if wants_fragment(request) else "routes/adopt_ingresses.html"
    return render_page(request, template, context)
