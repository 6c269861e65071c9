"""Host claims (docs/security.md, "Host claims"): a host belongs to the team whose route was approved for it first,
is held while any route serves or requests it, and ends only through ``release_claim``.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q

from core.audit import record

from .checks import PolicyError
from .choices import ApprovalChoices
from .domain.values import Violation
from .models import HostClaim, Route, RouteRevision
from .permissions import acts_for


def claim_host(route: Route, host: str, user) -> None:
    """Claim ``host`` for the route's team, or raise a conflict when another team holds it. Call under the
    transaction that approves the route: the row lock makes a concurrent release wait."""
    claim, created = HostClaim.objects.select_for_update().get_or_create(
        host=host, defaults={"team": route.team, "route": route, "claimed_by": user}
    )
    if claim.team_id != route.team_id:
        raise PolicyError([Violation("host", f'Host "{host}" is claimed by team "{claim.team.slug}".', "conflict")])
    if created:
        record(
            user, "claim", claim, after={"host": host, "team": route.team.slug, "route": str(route.pk)}, team=route.team
        )


def routes_using_host(host: str) -> list[str]:
    """Routes that still use ``host``, each as "cluster/namespace/name (why)": any non-deleted route whose approved
    or applied revision serves the host (a route being deleted counts until its objects are gone), or whose
    pending revision asks for it. While there is one, the host's claim is held (docs/security.md, "Host claims")."""
    revisions = (
        RouteRevision.objects.filter(host=host, route__deleted_at__isnull=True)
        .filter(
            Q(number=F("route__approved_revision"))
            | Q(number=F("route__applied_revision"))
            | Q(number=F("route__revision"), approval=ApprovalChoices.PENDING)
        )
        .select_related("route__cluster")
        .order_by("route__cluster__name", "route__namespace", "route__name", "number")
    )
    found: dict = {}
    for rev in revisions:
        route = rev.route
        why = found.setdefault(route.pk, (str(route), []))[1]
        if rev.number == route.applied_revision:
            why.append(f"r{rev.number} applied")
        if rev.number == route.approved_revision and rev.number != route.applied_revision:
            why.append(f"r{rev.number} approved")
        if rev.number == route.revision and rev.approval == ApprovalChoices.PENDING:
            why.append(f"r{rev.number} pending")
    return [f"{name} ({', '.join(why)})" for name, why in found.values()]


def release_claim(claim: HostClaim, *, user) -> None:
    """Give a host back: owner team members or platform engineers, and only when no route uses it any more
    (``routes_using_host``). The one way a claim ends, for the API, the admin and any other caller."""
    if not acts_for(user, claim.team):
        raise PermissionDenied("Only the owning team or a platform engineer can release this host.")
    with transaction.atomic():
        # Lock the claim before looking: an approval claiming the host waits for it (see claim_host), so
        # none can make the host live between the check and the delete.
        locked = HostClaim.objects.select_for_update().filter(pk=claim.pk).first()
        if locked is None:
            return  # released meanwhile
        in_use = routes_using_host(claim.host)
        if in_use:
            more = f" and {len(in_use) - 5} more" if len(in_use) > 5 else ""
            raise PolicyError(
                [
                    Violation(
                        "host",
                        f'Host "{claim.host}" is still used by route {", ".join(in_use[:5])}{more}; it can be released '
                        "once no route serves or requests it (delete the routes, or move them to another host and let "
                        "the change be applied).",
                        "conflict",
                    )
                ]
            )
        record(user, "release", claim, before={"host": claim.host, "team": claim.team.slug}, team=claim.team)
        locked.delete()
