"""Judging adoption candidates against teams, routes, host claims and each other: which team an Ingress belongs
to, and what would clash if it were adopted."""

from __future__ import annotations

from django.db.models import Q

from clusters.models import Cluster
from core.names import normalize_host
from routes import checks
from routes.adapters import existing_route, revision_spec, team_policy
from routes.domain.policy.conflicts import check_conflicts
from routes.domain.policy.hosts import host_within_suffixes
from routes.domain.policy.route import check_route
from routes.domain.values import ForeignIngressPath
from teams.models import Team

from .candidates import Candidate, quoted


def judge(cluster: Cluster, candidates: list[Candidate]) -> None:
    """Find each candidate's team and its conflicts, in a fixed number of queries for any number of candidates."""
    teams = list(Team.objects.filter(namespaces__cluster=cluster).distinct().prefetch_related("namespaces__cluster"))
    policies = {team.pk: team_policy(team) for team in teams}
    with_spec = [(c, c.spec) for c in candidates if c.spec is not None]
    hosts = {spec.host for _, spec in with_spec}
    claims = checks.host_claims(hosts)
    existing, unapplied = _routes_for(cluster, hosts, {(c.namespace, c.name) for c in candidates})

    for candidate, spec in with_spec:
        host = spec.host
        matching = [
            t
            for t in teams
            if host_within_suffixes(host, t.domains)
            and (cluster.name, candidate.namespace) in policies[t.pk].namespaces
        ]
        owner = claims.get(host)
        if len(matching) > 1 and owner in {t.slug for t in matching}:
            matching = [t for t in matching if t.slug == owner]  # the host's claim says which team it is
        if not matching:
            candidate.reasons.append(
                f'No team has both a domain covering "{host}" and namespace "{candidate.namespace}" on {cluster.label}; '
                "give the owning team that domain and namespace, then adopt."
            )
        elif len(matching) > 1:
            candidate.reasons.append(
                f'Teams {quoted(t.slug for t in matching)} all cover "{host}" in namespace "{candidate.namespace}"; '
                "Portico will not guess: narrow their domains or namespaces."
            )
        team = matching[0] if len(matching) == 1 else None
        slug = team.slug if team else ""
        if team is not None:
            candidate.team = team
            candidate.reasons += [
                v.message
                for v in check_route(
                    name=candidate.name,
                    namespace=candidate.namespace,
                    cluster=cluster.name,
                    spec=spec,
                    team=policies[team.pk],
                    is_platform=True,
                    output=cluster.output,
                )
            ]
        resumable = unapplied.get((candidate.namespace, candidate.name))
        if resumable is not None and team is not None and resumable[0].team_id == team.pk and resumable[1] == spec:
            candidate.route = resumable[0]
        others = [
            o
            for o in existing
            if normalize_host(o.host) == host or (o.namespace, o.name) == (candidate.namespace, candidate.name)
        ]
        candidate.reasons += [
            v.message
            for v in check_conflicts(
                route_id=str(candidate.route.pk) if candidate.route else None,
                name=candidate.name,
                team=slug,
                namespace=candidate.namespace,
                spec=spec,
                others=others,
                claims=claims,
                foreign=(),
            )
        ]
    _find_clashes(candidates)


def _find_clashes(candidates: list[Candidate]) -> None:
    """Two unmanaged Ingresses serving the same host and path would become the same route: report it on both
    (policy decides what "the same path" is), and adopt neither."""
    by_host: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        for host in {normalize_host(h) for h, _ in candidate.served if h}:
            by_host.setdefault(host, []).append(candidate)
    for candidate in candidates:
        if candidate.spec is None:
            continue
        for other in by_host.get(candidate.spec.host, ()):
            if other is candidate or other.key in candidate.conflicts_with:
                continue
            paths = [
                ForeignIngressPath(namespace=other.namespace, name=other.name, host=h, path=p) for h, p in other.served
            ]
            if check_conflicts(
                route_id=None,
                name=candidate.name,
                team="",
                namespace=candidate.namespace,
                spec=candidate.spec,
                others=(),
                claims={},
                foreign=paths,
            ):
                candidate.conflicts_with.append(other.key)
                candidate.reasons.append(
                    f'Ingress "{other.key}" also serves "{candidate.spec.host}{candidate.spec.path}": both would '
                    "become the same route, so neither is adopted. Remove or change one of them first."
                )
    # An Ingress without a route spec (several rules, say) is not checked itself; still name the clash on it.
    by_key = {candidate.key: candidate for candidate in candidates}
    for candidate in candidates:
        for key in candidate.conflicts_with:
            other = by_key[key]
            if other.spec is None and candidate.key not in other.conflicts_with:
                other.conflicts_with.append(candidate.key)


def _routes_for(cluster: Cluster, hosts: set[str], names: set[tuple[str, str]]):
    """Live routes of the cluster on these hosts or with these names, as policy compares them (approved and
    pending revisions), and the approved routes never applied, by (namespace, name), with their approved spec."""
    if not hosts and not names:
        return [], {}
    by_name = Q()
    for namespace, name in names:
        by_name |= Q(route__namespace=namespace, route__name=name)
    existing, unapplied = [], {}
    for rev in checks.live_revisions(cluster).filter(Q(host__in=hosts) | by_name):
        route = rev.route
        existing.append(existing_route(route, rev))
        if (
            rev.number == route.approved_revision
            and route.applied_revision is None
            and route.deletion_requested_at is None
        ):
            unapplied[(route.namespace, route.name)] = (route, revision_spec(rev))
    return existing, unapplied
