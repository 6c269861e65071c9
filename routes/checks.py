"""What a route request is checked against, gathered from the database: every policy rule and conflict
(``check_request``, also the API's dry run), what the cluster's API server would refuse in its objects, and
what a change of team policy would leave outside it.

The rules themselves are ``routes.domain.policy``'s; this module reads their inputs (the team's policy, the
other live routes, host claims, foreign Ingresses, the cluster's namespaces) and passes them in. Nothing here
writes: the workflow in ``routes.services`` raises on what these return.
"""

import functools
from collections.abc import Iterable
from dataclasses import replace

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet

from clusters.models import Cluster
from core.access import is_platform
from core.names import normalize_host
from teams.models import Team

from .adapters import cluster_settings, existing_route, foreign_paths, revision_spec, team_policy
from .choices import ApprovalChoices
from .domain import render
from .domain.policy.conflicts import check_conflicts, owned_objects
from .domain.policy.route import check_route
from .domain.validation import validate_objects
from .domain.values import (
    BACKEND_EXTERNAL,
    CONFLICT,
    ExistingRoute,
    ForeignIngressPath,
    OwnedObject,
    RouteSpec,
    RouteTarget,
    TeamPolicy,
    Violation,
)
from .models import HostClaim, Route, RouteRevision

# A request not yet saved has no id; its rendered objects carry this one (a valid label value) instead.
UNSAVED_ROUTE_ID = "00000000-0000-0000-0000-000000000000"


class PolicyError(Exception):
    """The request breaks one or more rules. ``is_conflict`` is true when every violation is a conflict (409)."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in violations))
        self.violations = violations

    @property
    def is_conflict(self) -> bool:
        return all(v.code == "conflict" for v in self.violations)


def normalized(spec: RouteSpec) -> RouteSpec:
    return replace(spec, host=normalize_host(spec.host))


def check_request(
    *,
    user: User | AnonymousUser | None,
    team: Team,
    cluster: Cluster,
    namespace: str,
    name: str,
    spec: RouteSpec,
    route: Route | None = None,
) -> list[Violation]:
    """Every rule and conflict for a route request, without saving anything (also the API's dry run).

    A request that breaks no rule is also rendered and its objects checked as the API server would check them
    (``render_violations``), so what is accepted can be applied, and a dry run, the real request and the
    approval answer alike."""
    spec = normalized(spec)
    violations = check_route(
        name=name,
        namespace=namespace,
        cluster=cluster.name,
        spec=spec,
        team=team_policy(team),
        is_platform=is_platform(user),
        output=cluster.output,
        controller=cluster.controller_family,
        cluster_namespaces=cluster_namespaces(cluster, spec),
    )
    if any(v.field == "host" for v in violations):
        return violations
    others, claims, foreign, owned = conflict_inputs(cluster, spec.host, namespace, name, route, spec)
    violations += check_conflicts(
        route_id=str(route.pk) if route else None,
        name=name,
        team=team.slug,
        namespace=namespace,
        spec=spec,
        others=others,
        claims=claims,
        foreign=foreign,
        owned=owned,
        output=cluster.output,
    )
    if all(v.code == CONFLICT for v in violations):
        violations += render_violations(
            team=team, cluster=cluster, namespace=namespace, name=name, spec=spec, route=route
        )
    return violations


def render_violations(
    *, team: Team, cluster: Cluster, namespace: str, name: str, spec: RouteSpec, route: Route | None = None
) -> list[Violation]:
    """What the cluster's API server would refuse in the objects this request renders to (names, labels and the
    schemas of its Kubernetes version, ``validate_objects``, the worker's check before it applies), one
    violation per problem under ``non_field_errors``. Policy is meant to refuse everything first; this is the
    net under it, for what policy does not know (a team slug stored before slugs were checked)."""
    target = RouteTarget(
        id=str(route.pk) if route else UNSAVED_ROUTE_ID,
        name=name,
        team=team.slug,
        namespace=namespace,
        revision=route.revision + 1 if route else 1,
    )
    errors = validate_objects(render.route_objects(target, spec, cluster_settings(cluster)), cluster.kubernetes_minor)
    return [
        Violation("non_field_errors", f"The route would render objects the cluster refuses: {error}")
        for error in errors
    ]


def cluster_namespaces(cluster: Cluster, spec: RouteSpec) -> frozenset[str]:
    """The namespaces Portico knows on ``cluster`` (every team's), against which policy judges an external name;
    queried only when the spec has one."""
    if spec.backend is None or spec.backend.kind != BACKEND_EXTERNAL:
        return frozenset()
    return frozenset(cluster.team_namespaces.values_list("namespace", flat=True))


def live_revisions(cluster: Cluster, *, applied: bool = False) -> QuerySet[RouteRevision]:
    """The revisions of the cluster's live routes that a request is judged against: each route's approved
    revision and its pending one, and with ``applied`` also the revision on the cluster (its objects are still
    there until the next apply)."""
    which = Q(number=F("route__approved_revision")) | Q(number=F("route__revision"), approval=ApprovalChoices.PENDING)
    if applied:
        which |= Q(number=F("route__applied_revision"))
    return (
        RouteRevision.objects.filter(route__cluster=cluster, route__deleted_at__isnull=True)
        .filter(which)
        .select_related("route__team")
    )


def host_claims(hosts: Iterable[str]) -> dict[str, str]:
    """The host claims (host -> team slug) that decide who may use these hosts: each host's own claim, the claim
    on the wildcard directly above it, and for a wildcard host the claims on the names under it."""
    claim_filter = Q(pk__in=[])
    for host in hosts:
        parent = host.split(".", 1)[1] if "." in host else host
        claim_filter |= Q(host=host) | Q(host=f"*.{parent}")
        if host.startswith("*."):
            claim_filter |= Q(host__endswith=host[1:])
    return dict(HostClaim.objects.filter(claim_filter).values_list("host", "team__slug"))


def conflict_inputs(
    cluster: Cluster, host: str, namespace: str, name: str, exclude: Route | None, spec: RouteSpec
) -> tuple[list[ExistingRoute], dict[str, str], list[ForeignIngressPath], list[OwnedObject]]:
    """Gather, in two queries, what check_conflicts compares against: the other live routes on this
    host or with this name, the claims on the host, the foreign Ingresses on it, and the objects other routes
    of the namespace own under the names the request (``spec``) would give its own.

    Routes count by their approved and pending revisions; for owned objects also by their applied revision
    (still on the cluster). Counting pending revisions at approval too means two requests racing for one
    object can never both be approved: whichever is reviewed sees the other (docs/security.md,
    "One owner per object")."""
    names = {
        obj_name
        for _, _, obj_name in owned_objects(name, namespace, spec, cluster.output)
        if isinstance(obj_name, str) and obj_name
    }
    revisions = live_revisions(cluster, applied=True).filter(
        Q(host=host)
        | Q(route__namespace=namespace, route__name=name)
        | Q(route__namespace=namespace, route__name__in=names)
        | Q(route__namespace=namespace, spec__backend__service_name__in=names)
    )
    if exclude is not None:
        revisions = revisions.exclude(route=exclude)
    others, owned = [], set()
    for r in revisions:
        is_pending = r.number == r.route.revision and r.approval == ApprovalChoices.PENDING
        if (r.number == r.route.approved_revision or is_pending) and (
            r.host == host or (r.route.namespace, r.route.name) == (namespace, name)
        ):
            others.append(existing_route(r.route, r))
        if r.route.namespace == namespace:
            other_spec = revision_spec(r)
            pending = r.number not in (r.route.approved_revision, r.route.applied_revision)
            for kind, obj_namespace, obj_name in owned_objects(r.route.name, namespace, other_spec, cluster.output):
                if obj_name in names:
                    owned.add(
                        OwnedObject(
                            kind=kind,
                            namespace=obj_namespace,
                            name=obj_name,
                            route_id=str(r.route_id),
                            route_name=r.route.name,
                            team=r.route.team.slug,
                            pending=pending,
                        )
                    )
            backend = other_spec.backend
            if backend is not None and not backend.manages_service and backend.service_name in names:
                owned.add(
                    OwnedObject(
                        kind="Service",
                        namespace=namespace,
                        name=backend.service_name,
                        route_id=str(r.route_id),
                        route_name=r.route.name,
                        team=r.route.team.slug,
                        pending=pending,
                        used=True,
                    )
                )
    return (
        others,
        host_claims({host}),
        list(foreign_paths(cluster, host)),
        sorted(owned, key=lambda o: (o.pending, o.kind, o.name, o.route_name)),
    )


def routes_outside_policy(team: Team, new: TeamPolicy) -> list[tuple[Route, RouteRevision, Violation]]:
    """What changing ``team``'s policy to ``new`` would leave outside it: (route, revision, violation) for each
    rule that a live revision (approved or applied, of a route not yet deleted) passes under the team's current
    policy and would break under ``new``. Rules it already broke are not counted, so a rule tightened since
    cannot block an unrelated change (docs/security.md, "Team policy changes")."""
    current = team_policy(Team.objects.prefetch_related("namespaces__cluster").get(pk=team.pk))
    if new == current:
        return []
    live = (
        RouteRevision.objects.filter(route__team=team, route__deleted_at__isnull=True)
        .filter(Q(number=F("route__approved_revision")) | Q(number=F("route__applied_revision")))
        .select_related("route__cluster", "route__team")
        .order_by("route__cluster__name", "route__namespace", "route__name", "-number")
    )
    found, seen = [], set()
    for rev in live:
        route = rev.route
        # Wildcards were a platform engineer's to request and were approved; only the team's policy is judged.
        judge = functools.partial(
            check_route,
            name=route.name,
            namespace=route.namespace,
            cluster=route.cluster.name,
            spec=revision_spec(rev),
            is_platform=True,
            output=route.cluster.output,
            controller=route.cluster.controller_family,
        )
        allowed = {(v.field, v.code) for v in judge(team=current)}
        for violation in judge(team=new):
            key = (route.pk, violation.field, violation.code)
            if (violation.field, violation.code) not in allowed and key not in seen:
                seen.add(key)
                found.append((route, rev, violation))
    return found
