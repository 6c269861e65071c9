"""The review queue: pending revisions with their diff and checks, and the approve/reject decisions."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.access import is_platform
from routes import checks, permissions, services
from routes.adapters import revision_spec
from routes.domain.decimals import parse_decimal
from routes.domain.values import Violation
from routes.models import MAX_REVISION, Route, RouteRevision

from .common import (
    login_required,
    pending_diff,
    pending_reviews,
    prefetch_revisions,
    visible_route,
    wants_fragment,
)

REVIEWS_PER_PAGE = 20


@dataclass
class ReviewItem:
    """One pending revision as the queue shows it: what changes, what the checks say, who may decide."""

    route: Route
    revision: RouteRevision
    diff: str = ""
    violations: list[Violation] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    # Why this user may not review it (permissions.review_refusal); empty when they may.
    refusal: str = ""
    error: str = ""
    decided: bool = False

    @property
    def can_review(self) -> bool:
        return not self.refusal


def _review_items(user, routes: list[Route]) -> list[ReviewItem]:
    prefetch_revisions(routes)
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
        authors = permissions.change_authors(route, pending.number)
        items.append(
            ReviewItem(
                route=route,
                revision=pending,
                diff=pending_diff(route, live, pending),
                violations=violations,
                authors=sorted({route.revision_obj(n).created_by.get_username() for n in authors}),
                refusal=permissions.review_refusal(user, route, pending.number) or "",
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
        pending_reviews(request.user)
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
    return render(request, "routes/htmx/_review_count.html", {"review_count": pending_reviews(request.user).count()})


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
    route = visible_route(request, pk)
    comment = request.POST.get("comment", "")
    try:
        revision = _reviewed_revision(request.POST.get("revision", ""))
        route = decision(route, user=request.user, comment=comment, revision=revision)
    except services.PolicyError as exc:
        if not wants_fragment(request):
            messages.error(request, str(exc))
            return redirect("routes:review_queue")
        return _refused_item(request, route, " ".join(v.message for v in exc.violations))
    except PermissionDenied as exc:
        # The four-eyes rule (permissions.review_refusal): a 403 that says why, as the page or in place.
        if not wants_fragment(request):
            raise
        return _refused_item(request, route, str(exc), status=403)
    if not wants_fragment(request):
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
