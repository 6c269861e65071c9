"""ORM rows to domain values: the one place that reads a Route, RouteRevision, Cluster or Team into the plain
values ``routes.domain`` judges, renders and diagnoses.

Services, the worker, pages, the API, adoption and commands ask here instead of building ``ClusterSettings``,
``TeamPolicy``, ``RouteTarget`` or ``RouteSpec`` themselves, so a field added to a value is filled in once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from clusters.models import Cluster

from .domain.values import (
    ClusterSettings,
    ExistingRoute,
    ForeignIngressPath,
    RouteSpec,
    RouteTarget,
    TeamPolicy,
)

if TYPE_CHECKING:
    from teams.models import Team

    from .models import Route, RouteRevision


def cluster_settings(cluster: Cluster) -> ClusterSettings:
    """What rendering and policy need to know about ``cluster``."""
    return ClusterSettings(
        name=cluster.name,
        ingress_class=cluster.ingress_class,
        default_issuer=cluster.default_issuer,
        output=cluster.output,
        gateway_name=cluster.gateway_name,
        gateway_namespace=cluster.gateway_namespace,
        gateway_section_name=cluster.gateway_section_name,
        controller=cluster.controller_family,
    )


def team_policy(team: Team, namespaces: Iterable[tuple[Cluster, str]] | None = None) -> TeamPolicy:
    """The team's permissions as plain values. ``namespaces``: (cluster, namespace) pairs to judge with instead
    of the stored ones (a team change not saved yet); otherwise the team's namespaces, which should be
    prefetched (``namespaces__cluster``) or are queried once."""
    if namespaces is None:
        granted = frozenset((ns.cluster.name, ns.namespace) for ns in team.namespaces.all())
    else:
        granted = frozenset((cluster.name, namespace) for cluster, namespace in namespaces)
    return TeamPolicy(
        slug=team.slug,
        domains=tuple(team.domains or ()),
        external_domains=tuple(team.external_domains or ()),
        namespaces=granted,
        allow_node_port=team.allow_node_port,
        allow_load_balancer=team.allow_load_balancer,
        allow_plain_http=team.allow_plain_http,
        auto_approve=team.auto_approve,
        max_timeout_seconds=team.max_timeout_seconds,
        max_body_size_mb=team.max_body_size_mb,
        allow_source_ranges=team.allow_source_ranges,
    )


def route_target(route: Route, revision: int) -> RouteTarget:
    """The route's identity on its cluster, for rendering revision ``revision``."""
    return RouteTarget(
        id=str(route.pk), name=route.name, team=route.team.slug, namespace=route.namespace, revision=revision
    )


def revision_spec(revision: RouteRevision) -> RouteSpec:
    """The spec a stored revision holds."""
    return RouteSpec.from_dict(revision.spec)


def existing_route(route: Route, revision: RouteRevision | None = None) -> ExistingRoute:
    """A live route as conflict checks see it: at ``revision`` when given, otherwise at its latest revision's
    host and path (as stored on the row)."""
    at = route if revision is None else revision
    return ExistingRoute(
        id=str(route.pk),
        name=route.name,
        team=route.team.slug,
        namespace=route.namespace,
        host=at.host,
        path=at.path,
        path_type=at.path_type,
    )


def foreign_paths(cluster: Cluster, host: str, path: str | None = None) -> tuple[ForeignIngressPath, ...]:
    """The host+paths of Ingresses Portico does not manage, seen on ``cluster`` at its last sync, on ``host``
    (and ``path``, when given)."""
    return tuple(
        ForeignIngressPath(**found)
        for found in cluster.foreign_ingresses
        if found.get("host") == host and (path is None or found.get("path") == path)
    )
