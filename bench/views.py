"""Floor views for the web benchmark: the least Django can do to answer the same rows.

Same middleware, session and login as the real pages, one `values()` query for the rows (plus the count a
paginated page needs), JSON out. The real API and pages are compared against these.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse

from routes.models import Route

FIELDS = (
    "id",
    "name",
    "namespace",
    "host",
    "path",
    "path_type",
    "revision",
    "approved_revision",
    "applied_revision",
    "approval",
    "sync",
    "health",
    "address",
    "last_synced_at",
    "team__slug",
    "cluster__name",
)


@login_required
def floor_route_page(request):
    """The first page of 50 live routes, as the API orders and counts them."""
    rows = Route.objects.filter(deleted_at__isnull=True).order_by("host", "path", "name", "pk")
    return JsonResponse({"count": rows.count(), "results": list(rows.values(*FIELDS)[:50])})


@login_required
def floor_route_row(request, pk):
    """One route's row."""
    return JsonResponse(Route.objects.filter(pk=pk).values(*FIELDS, "conditions", "diagnostics").first() or {})
