"""The review queue's admission answer: a fragment each pending item loads by htmx after the page, with the
server-side dry run of its revision (routes.admission), so the queue itself never waits for a cluster."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from routes.admission import dry_run_revision
from routes.models import Route

from .common import login_required
from .reviews import _require_platform


@login_required
@require_GET
def review_dry_run(request, pk):
    """What the route's cluster answers to a dry run of the route's latest revision (platform engineers only)."""
    _require_platform(request.user)
    route = get_object_or_404(Route.objects.visible_to(request.user).select_related("cluster", "team"), pk=pk)
    return render(request, "routes/htmx/_dry_run.html", {"route": route, "dry_run": dry_run_revision(route)})
