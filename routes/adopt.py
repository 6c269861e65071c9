"""Adopting Ingresses that Portico did not create: find them, name the team they belong to, say whether
Portico can take each over without changing its traffic, and take over the ones that can.

Taking over an Ingress makes a route at revision 1, already approved, whose rendered Ingress equals the live
one in every field Portico manages; then one server-side apply of metadata only (Portico's labels and
annotations, field manager ``portico``) marks the Ingress as Portico's. Its spec is not sent, so traffic
cannot change, and the next reconcile or sync finds the object in sync and writes nothing. What a route
cannot express exactly (several rules, a default backend, foreign annotations, another ingress class, ...)
is reported with the reason instead of being guessed. See docs/adoption.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clusters import services as cluster_services
from clusters.choices import OutputChoices
from clusters.kube import INGRESS, KubeClient, KubeError
from clusters.models import Cluster
from core.access import is_platform
from core.audit import record
from core.names import normalize_host
from teams.models import Team

from . import checks, services
from .adapters import cluster_settings, existing_route, revision_spec, route_target, team_policy
from .choices import SyncChoices
from .domain import render
from .domain.policy.conflicts import check_conflicts
from .domain.policy.hosts import host_within_suffixes
from .domain.policy.route import check_route
from .domain.values import TLS, Backend, ForeignIngressPath, RouteSpec, RouteTarget
from .models import Route

logger = logging.getLogger(__name__)

# Lists only what is not ours (objects without the label match "!=" too), so a cluster full of routes costs little.
UNMANAGED_SELECTOR = f"{render.MANAGED_BY_LABEL}!={render.MANAGED_BY}"
# Annotations that describe how an object was written, not how it is served: adopting drops nothing by ignoring them.
IGNORED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
# Rendering for the comparison needs a route id before there is a route; only labels carry it, never the spec.
_PREVIEW_ID = "adoption-preview"


class AdoptionUnavailable(Exception):
    """This cluster cannot adopt Ingresses (a GitOps export, Gateway API output, no credentials)."""


@dataclass
class Candidate:
    """One Ingress without Portico's label, as adoption sees it."""

    namespace: str
    name: str
    host: str = ""
    path: str = ""
    path_type: str = ""
    spec: RouteSpec | None = None
    team: Team | None = None
    reasons: list[str] = field(default_factory=list)
    conflicts_with: list[str] = field(default_factory=list)  # other Ingresses ("namespace/name") that clash with it
    resource_version: str = ""
    # An approved route of this name that never reached the cluster (an adoption cut short): adopting finishes it.
    route: Route | None = None
    served: list[tuple[str, str]] = field(default_factory=list)  # every (host, path) it serves

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def adoptable(self) -> bool:
        return self.spec is not None and self.team is not None and not self.reasons

    @property
    def where(self) -> str:
        return f"{self.host}{self.path}" if self.host else ", ".join(f"{h or '*'}{p}" for h, p in self.served)


@dataclass
class AdoptionResult:
    candidate: Candidate
    route: Route | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def check_cluster(cluster: Cluster) -> None:
    """Raise AdoptionUnavailable with a reason when Portico cannot adopt this cluster's Ingresses."""
    if cluster.is_directory:
        raise AdoptionUnavailable(
            f"{cluster.label} is a GitOps export (directory mode): Portico cannot see what runs there. "
            "Adoption needs a kubernetes-mode cluster."
        )
    if cluster.output != OutputChoices.INGRESS:
        raise AdoptionUnavailable(
            f"{cluster.label} renders {cluster.get_output_display()}; adoption takes over Ingresses as they are, "
            "so it needs a cluster with Ingress output."
        )
    if not cluster.has_credentials:
        raise AdoptionUnavailable(f"Portico has no credentials for {cluster.label}; add a kubeconfig first.")


def discover(cluster: Cluster, namespace: str | None = None) -> list[Candidate]:
    """Every Ingress on the cluster (or in ``namespace``) without Portico's label, each with its route spec, its
    team and the reasons it cannot be adopted faithfully. One paginated list request and a fixed number of
    queries. Raises AdoptionUnavailable, or KubeError when the cluster does not answer."""
    check_cluster(cluster)
    with KubeClient.for_cluster(cluster) as client:
        ingresses = client.list(INGRESS, namespace=namespace, label_selector=UNMANAGED_SELECTOR)
    ingresses = [obj for obj in ingresses if _labels(obj).get(render.MANAGED_BY_LABEL) != render.MANAGED_BY]
    ingresses.sort(key=lambda obj: (obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
    candidates = [_read(obj, cluster) for obj in ingresses]
    _judge(cluster, candidates)
    return candidates


def adopt(cluster: Cluster, candidates: list[Candidate], user) -> list[AdoptionResult]:
    """Adopt each adoptable candidate (from ``discover``), one by one; the others come back with their reasons.

    ``user`` is the platform engineer acting, or None for the system. Per Ingress: the route is committed
    approved first (services.adopt_route), then its labels are applied, then ``applied_revision`` is set.
    In that order a cluster sync never sees Portico's label on an Ingress whose route it does not know
    (it would prune it), and a failed apply leaves an approved route that the next adoption finishes.
    """
    if user is not None and not is_platform(user):
        raise PermissionDenied("Only platform engineers can adopt Ingresses.")
    results = [AdoptionResult(c, error="Not adopted: " + _reasons_text(c)) for c in candidates if not c.adoptable]
    adoptable = [c for c in candidates if c.adoptable]
    if not adoptable:
        return results
    check_cluster(cluster)
    with KubeClient.for_cluster(cluster) as client:
        for candidate in adoptable:
            results.append(_adopt_one(client, cluster, candidate, user))
    adopted = {(r.candidate.namespace, r.candidate.name) for r in results if r.ok}
    if adopted:
        # The last sync's record of foreign Ingresses still lists these; until the next sync lists them as
        # Portico's, the routes' diagnostics would report a foreign Ingress serving their own path.
        foreign = [
            f
            for f in Cluster.objects.filter(pk=cluster.pk).values_list("foreign_ingresses", flat=True)[0]
            if (f.get("namespace"), f.get("name")) not in adopted
        ]
        cluster_services.record_foreign_ingresses(cluster, foreign)
    return results


def _adopt_one(client: KubeClient, cluster: Cluster, candidate: Candidate, user) -> AdoptionResult:
    route = candidate.route
    if route is None:
        if candidate.team is None or candidate.spec is None:  # discover() marks such an Ingress not adoptable
            return AdoptionResult(candidate, error="Not adopted: " + _reasons_text(candidate))
        try:
            route = services.adopt_route(
                user=user,
                team=candidate.team,
                cluster=cluster,
                namespace=candidate.namespace,
                name=candidate.name,
                spec=candidate.spec,
                source=candidate.key,
            )
        except services.PolicyError as exc:
            return AdoptionResult(candidate, error="Not adopted: " + " ".join(v.message for v in exc.violations))
    labelled = _metadata_only(route, cluster, candidate.resource_version)
    try:
        client.apply(labelled)
    except KubeError as exc:
        logger.warning("adoption of %s on %s: labels not applied: %s", candidate.key, cluster.name, exc.message)
        return AdoptionResult(
            candidate,
            route=route,
            error=(
                f"The cluster did not accept Portico's labels ({exc.message}). Route {route.name} is recorded, approved "
                "but not applied: adopt the Ingress again to finish, or delete the route (Portico removes only objects "
                "that carry its label, so the Ingress stays)."
            ),
        )
    _mark_applied(route, cluster, user)
    route.refresh_from_db()
    logger.info("adopted ingress %s on %s as route %s", candidate.key, cluster.name, route.pk)
    return AdoptionResult(candidate, route=route)


def _metadata_only(route: Route, cluster: Cluster, resource_version: str) -> dict:
    """The apply body that makes the live Ingress Portico's: the rendered Ingress's labels and annotations and
    nothing else, so Portico owns only those fields and the spec stays as it is. The resourceVersion seen by
    ``discover`` makes the write conditional: an Ingress changed since is refused (409), not labelled."""
    number = route.approved_revision
    if number is None:
        raise ValueError(f"Route {route.pk} is not approved; only an approved route's labels are applied.")
    rendered = render.render_route(
        route_target(route, number), revision_spec(route.revision_obj(number)), cluster_settings(cluster)
    )
    ingress = next(obj for obj in rendered if obj["kind"] == "Ingress")
    meta = ingress["metadata"]
    metadata = {
        "name": meta["name"],
        "namespace": meta["namespace"],
        "labels": meta["labels"],
        "annotations": meta["annotations"],
    }
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {"apiVersion": ingress["apiVersion"], "kind": ingress["kind"], "metadata": metadata}


def _mark_applied(route: Route, cluster: Cluster, user) -> None:
    """The cluster accepted the labels: the approved revision is applied (unless a worker recorded it first)."""
    number = route.approved_revision
    with transaction.atomic():
        updated = Route.objects.filter(
            pk=route.pk,
            approved_revision=number,
            applied_revision__isnull=True,
            deletion_requested_at__isnull=True,
        ).update(applied_revision=number, sync=SyncChoices.SYNCED, reconcile_attempts=0, updated_at=timezone.now())
        if updated:
            record(
                user,
                "apply",
                route,
                before={"applied_revision": None},
                after={"applied_revision": number, "cluster": cluster.name},
                team=route.team,
            )
        # Reads the status back; it finds the Ingress in sync and writes nothing.
        services.enqueue_reconcile(route.pk)


# Reading one Ingress


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def _quoted(values) -> str:
    return ", ".join(f'"{value}"' for value in values)


def _reasons_text(candidate: Candidate) -> str:
    return " ".join(candidate.reasons)


def _read(obj: dict, cluster: Cluster) -> Candidate:  # noqa: C901 - one branch per reason an Ingress is refused
    """The candidate for one Ingress: its route spec when it has exactly one, and what stops a faithful adoption."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    candidate = Candidate(
        namespace=meta.get("namespace", ""), name=meta.get("name", ""), resource_version=meta.get("resourceVersion", "")
    )
    reasons = candidate.reasons
    rules = spec.get("rules") or []
    for rule in rules:
        for p in (rule.get("http") or {}).get("paths") or []:
            candidate.served.append((rule.get("host") or "", p.get("path") or "/"))

    if meta.get("deletionTimestamp"):
        reasons.append("It is being deleted.")
    owners = meta.get("ownerReferences") or []
    if owners:
        reasons.append(
            f'It belongs to {owners[0].get("kind", "an object")} "{owners[0].get("name", "")}" '
            "(ownerReferences), whose controller would undo Portico's changes; adopt what creates it instead."
        )
    manager = _labels(obj).get(render.MANAGED_BY_LABEL)
    if manager:
        reasons.append(
            f'It is labelled {render.MANAGED_BY_LABEL}="{manager}": {manager} manages it and would fight '
            "Portico over it; remove it from there first."
        )
    foreign = sorted(
        key
        for key in meta.get("annotations") or {}
        if key not in IGNORED_ANNOTATIONS and not key.startswith("portico.dev/")
    )
    if foreign:
        reasons.append(
            f"It has annotations Portico would not keep: {_quoted(foreign)}. A route cannot express them, "
            "so a reviewer would never see what they do; remove them or keep the Ingress outside Portico."
        )
    if spec.get("defaultBackend"):
        reasons.append(
            "It has a defaultBackend, which serves requests for any host and path; a route serves one host and path."
        )
    if len(rules) != 1:
        reasons.append(
            f"It has {len(rules)} rules; a route has exactly one host and one path."
            if rules
            else "It has no rules; a route has exactly one host and one path."
        )
        return candidate
    rule = rules[0]
    paths = (rule.get("http") or {}).get("paths") or []
    if not rule.get("host"):
        reasons.append("Its rule has no host, so it serves every host; a route has exactly one host.")
    if len(paths) != 1:
        reasons.append(f"It has {len(paths)} paths; a route has exactly one path.")
        return candidate
    path = paths[0]
    candidate.host, candidate.path, candidate.path_type = (
        rule.get("host") or "",
        path.get("path", ""),
        path.get("pathType", ""),
    )
    backend = path.get("backend") or {}
    service = backend.get("service")
    if not service:
        resource = backend.get("resource") or {}
        reasons.append(
            f'Its path sends traffic to a resource ({resource.get("kind", "?")} "{resource.get("name", "")}"), '
            "not to a Service; a route always goes through a Service."
        )
        return candidate
    port = service.get("port") or {}
    tls = _tls(spec.get("tls") or [], candidate.host, reasons)
    route_spec = candidate.spec = checks.normalized(
        RouteSpec(
            host=candidate.host,
            path=candidate.path,
            path_type=candidate.path_type,
            backend=Backend(service_name=service.get("name"), service_port=port.get("number", port.get("name"))),
            tls=tls,
        )
    )
    class_name = spec.get("ingressClassName")
    if class_name != cluster.ingress_class:
        reasons.append(
            f'Its ingressClassName is "{class_name}" but {cluster.label} uses "{cluster.ingress_class}": Portico would '
            "hand it to another controller."
            if class_name
            else f"It sets no ingressClassName (the cluster's default class, or an annotation, picks its controller); "
            f'Portico would set "{cluster.ingress_class}", which may change who serves it.'
        )
    if not reasons:
        differing = _rendering_differs(candidate, route_spec, spec, cluster)
        if differing:
            reasons.append(
                f"Portico would render a different Ingress ({_quoted(differing)} differ), so adopting it "
                "would change traffic."
            )
    return candidate


def _tls(entries: list[dict], host: str, reasons: list[str]) -> TLS:
    """TLS mode ``secret`` for one entry naming exactly this host and a Secret; ``none`` without TLS."""
    if not entries:
        return TLS(mode="none")
    if len(entries) > 1:
        reasons.append(f"It has {len(entries)} TLS entries; a route has one, for its own host.")
        return TLS(mode="none")
    entry = entries[0]
    hosts = entry.get("hosts") or []
    if hosts != [host]:
        reasons.append(
            f"Its TLS entry covers {_quoted(hosts) if hosts else 'no host'} rather than exactly "
            f'"{host}"; a route\'s TLS covers its own host.'
        )
    if not entry.get("secretName"):
        reasons.append(
            "Its TLS entry names no secretName (the controller's default certificate is served); a route "
            "names its Secret or lets cert-manager issue one."
        )
        return TLS(mode="none")
    return TLS(mode="secret", secret_name=entry["secretName"])


def _rendering_differs(candidate: Candidate, route_spec: RouteSpec, live_spec: dict, cluster: Cluster) -> list[str]:
    """The spec fields where the Ingress Portico would render differs from the live one (empty: identical)."""
    target = RouteTarget(id=_PREVIEW_ID, name=candidate.name, team="", namespace=candidate.namespace, revision=1)
    rendered = next(
        obj for obj in render.render_route(target, route_spec, cluster_settings(cluster)) if obj["kind"] == "Ingress"
    )["spec"]
    return [f"spec.{key}" for key in sorted(set(rendered) | set(live_spec)) if rendered.get(key) != live_spec.get(key)]


# Judging candidates against teams, routes, claims and each other


def _judge(cluster: Cluster, candidates: list[Candidate]) -> None:
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
                f'Teams {_quoted(t.slug for t in matching)} all cover "{host}" in namespace "{candidate.namespace}"; '
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
