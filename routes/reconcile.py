"""The reconciler's service layer: make each cluster match the database, and record what is really there.

Level-triggered and idempotent. `reconcile_route` brings one route to its approved revision (or removes
it); `sync_cluster` compares everything Portico manages on a cluster with what should be there, using
one list per kind, repairs drift, prunes leftovers, hands unsettled routes to `reconcile_route`, and
refreshes the status of all routes of the cluster in bulk. The cluster itself is probed by clusters/probe.py.
Objects without Portico's label are never modified or deleted.
"""
import contextlib
import enum
import logging
import time
import uuid
from dataclasses import dataclass, field

from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from clusters import lease
from clusters.directory import FolderError
from clusters.kube import (
    CERTIFICATE,
    ENDPOINT_SLICE,
    HTTP_ROUTE,
    INGRESS,
    MANAGED_KINDS_BY_OUTPUT,
    SERVICE,
    PermanentKubeError,
    ReplacedObjectError,
    TransientKubeError,
    kind_of,
)
from clusters.models import Cluster
from clusters.probe import read_gateway
from clusters.targets import open_target
from core.audit import record
from core.errors import is_lock_timeout

from . import signals
from .adapters import cluster_settings, foreign_paths, revision_spec, route_target, team_policy
from .checks import cluster_namespaces
from .choices import HealthChoices, SyncChoices
from .domain import render
from .domain.diagnostics.evaluate import evaluate
from .domain.diagnostics.shared import Observed
from .domain.policy.conflicts import owned_objects
from .domain.policy.external import check_external_name
from .domain.validation import validate_objects
from .domain.values import BACKEND_EXTERNAL, ClusterSettings, RouteSpec
from .models import HostClaim, Route, RouteRevision

logger = logging.getLogger(__name__)

STATUS_FIELDS = ["sync", "health", "conditions", "diagnostics", "address", "certificate", "endpoints", "last_synced_at"]


class Result(enum.Enum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    DEGRADED = "degraded"
    SKIPPED = "skipped"
    GONE = "gone"


@dataclass
class SyncReport:
    cluster: str
    skipped: bool = False
    applied: int = 0
    deleted: int = 0
    reconciled: int = 0
    routes: int = 0
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"{self.cluster}: skipped (another worker is syncing it)"
        return (f"{self.cluster}: {self.routes} routes, {self.applied} applied, {self.deleted} pruned, "
                f"{self.reconciled} reconciled, {len(self.errors)} errors in {self.duration:.2f}s")




def _is_ours(obj: dict | None) -> bool:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(render.MANAGED_BY_LABEL) == render.MANAGED_BY


def _hash_of(obj: dict | None) -> str | None:
    return (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(render.SPEC_HASH_ANNOTATION)


# Lists the API server merges item by item in server-side apply (`x-kubernetes-list-type: map` in the Kubernetes
# OpenAPI schema), by kind and path, with their keys and the keys' defaults. An item another field manager added
# (a mesh's metrics port) survives Portico's forced apply, which never removes what Portico does not own, so it
# is not drift: re-applying would change nothing (docs/reliability.md, "On a real API server"). Every other list
# Portico writes (Ingress rules, paths and tls, Certificate dnsNames, HTTPRoute rules) is atomic: an apply
# replaces it whole, so any difference there is drift.
MERGED_LISTS = {
    ("Service", ("spec", "ports")): (("port", None), ("protocol", "TCP")),
}


def _contains(live, desired, merged: dict | None = None, path: tuple = ()) -> bool:
    """Everything we set is still there with our values (the server may add defaults and status, and other
    managers may add items to the lists of ``merged``, by path: those are theirs)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            k in live and _contains(live[k], v, merged, (*path, k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list):
            return False
        keys = (merged or {}).get(path)
        if keys is None:
            return len(live) == len(desired) and all(map(_contains, live, desired))
        return all(any(_same_item(have, want, keys) and _contains(have, want) for have in live) for want in desired)
    return live == desired


def _same_item(have, want: dict, keys) -> bool:
    """The two items of a merged list have the same key (each key field, or its default when absent)."""
    return isinstance(have, dict) and all(have.get(name, default) == want.get(name, default) for name, default in keys)


def _in_sync(live: dict | None, desired: dict) -> bool:
    """Unchanged: same spec-hash (our last write was this revision) and nobody changed what we own since.
    The hash alone would miss an out-of-band edit, which leaves our annotation in place."""
    merged = {path: keys for (kind, path), keys in MERGED_LISTS.items() if kind == desired.get("kind")}
    return live is not None and _hash_of(live) == _hash_of(desired) and _contains(live, desired, merged)


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def _route_label(obj: dict) -> str | None:
    return _labels(obj).get(render.ROUTE_LABEL)


def _key(kind, name: str, namespace: str | None):
    return (kind.api_version, kind.kind, namespace or "", name)


@dataclass
class Listed:
    """What a cluster sync already listed, lent to `reconcile_route` so it reads objects from the lists
    instead of one GET per object and one EndpointSlice list per route.

    ``objects`` holds every listed object by key (kept current with what is applied meanwhile); for the
    kinds in ``whole`` every object was listed, so a missing key means the object does not exist. Kinds
    listed by our label only are read with a GET when missing (a foreign object of that name must not be
    overwritten). ``desired`` is the cluster's desired state, for shared Certificates.
    """

    objects: dict
    whole: frozenset
    slices: dict
    desired: dict
    gateway: dict | None = None  # the parent Gateway of a Gateway API cluster, read once per sync

    def get(self, target, kind, name: str, namespace: str | None) -> dict | None:
        key = _key(kind, name, namespace)
        if key in self.objects or kind in self.whole:
            return self.objects.get(key)
        return target.get(kind, name, namespace)

    def endpoint_slices(self, namespace: str, service: str) -> list[dict]:
        return self.slices.get((namespace, service), [])


# One route


def reconcile_route(route_id, *, listed: Listed | None = None, target=None) -> Result:
    """Bring one route's objects to its approved revision, or remove them when deletion was requested.

    Holds the route's row lock while it works, so two workers never apply the same route at once.
    Permanent API errors mark the route Degraded with the server's message; transient ones are
    recorded as a condition and re-raised for the task to retry. A cluster sync passes what it
    listed (`listed`), so its routes cost their writes, not a read per object, and its open connection
    (`target`), so they do not each decrypt the kubeconfig and open a new one.
    """
    transient = None
    with transaction.atomic():
        route = (Route.objects.select_for_update(of=("self",)).select_related("team", "cluster")
                 .filter(pk=route_id).first())
        if route is None or route.deleted_at is not None:
            return Result.GONE
        if route.deletion_requested_at is None and route.approved_revision is None:
            return Result.SKIPPED
        if route.deletion_requested_at is None and route.applied_revision == route.approved_revision:
            listed = None  # another worker settled it since the caller listed: those objects are older than this row
        cluster = route.cluster
        try:
            with open_target(cluster) if target is None else contextlib.nullcontext(target) as client:
                if route.deletion_requested_at is not None:
                    _remove_route(route, client)
                    return Result.DELETED
                return _apply_route(route, cluster, client, listed)
        except TransientKubeError as exc:
            _save_status(route, _transient_condition(route, exc))
            transient = exc
        except FolderError as exc:
            _save_status(route, _refused_condition(route, f"The cluster's folder is refused: {exc}"))
            return Result.DEGRADED
    raise transient


def _approved_group(route: Route) -> list[tuple]:
    """(target, spec) of every approved, live route sharing this route's namespace and host, this one included,
    so the shared Certificate comes out exactly as a cluster sync would render it."""
    revisions = (RouteRevision.objects
                 .filter(route__cluster=route.cluster, route__namespace=route.namespace, route__deleted_at__isnull=True,
                         route__deletion_requested_at__isnull=True, number=F("route__approved_revision"))
                 .filter(Q(host=route.revision_obj(route.approved_revision).host) | Q(route=route))
                 .select_related("route__team"))
    return [(route_target(rev.route, rev.number), revision_spec(rev)) for rev in revisions]


def _desired_for(route: Route, spec: RouteSpec, settings_: ClusterSettings, listed: Listed | None) -> list[dict]:
    """This route's own objects plus the Certificate for its host, in apply order."""
    objects = render.render_route(route_target(route, route.approved_revision), spec, settings_)
    cert_key = _key(CERTIFICATE, render.certificate_name(spec.host), route.namespace)
    if not render.uses_certificate(spec, settings_):
        pass
    elif listed is not None and cert_key in listed.desired:
        objects.append(listed.desired[cert_key])
    else:
        group = render.desired_objects(_approved_group(route), settings_)
        objects += [o for o in group if o["kind"] == "Certificate" and o["metadata"]["namespace"] == route.namespace
                    and o["spec"]["dnsNames"] == [spec.host]]
    return objects


def refused_publication(route: Route, spec: RouteSpec, namespaces: frozenset[str] | None = None) -> str | None:
    """Why policy no longer lets this approved spec publish what it names (an ExternalName into the cluster,
    approved before the rule existed), or None. The worker asks before every apply and sync, so such a revision
    is never written, and a written one is pruned (docs/security.md, "What a route may publish").
    ``namespaces``: the cluster's known namespaces, when the caller has them already."""
    if spec.backend is None or spec.backend.kind != BACKEND_EXTERNAL:
        return None
    if namespaces is None:
        namespaces = cluster_namespaces(route.cluster, spec)
    violations = check_external_name(spec.backend.external_name, cluster_namespaces=namespaces,
                                     team=team_policy(route.team, namespaces=()))  # judged: its external domains
    return " ".join(v.message for v in violations) or None


def _apply_route(route: Route, cluster: Cluster, target, listed: Listed | None = None) -> Result:
    spec = revision_spec(route.revision_obj(route.approved_revision))
    if refused := refused_publication(route, spec):
        _save_status(route, _evaluate_failure(route, spec, "Not applied: " + refused))
        return Result.DEGRADED
    settings_ = cluster_settings(cluster)
    desired = _desired_for(route, spec, settings_, listed)
    errors = validate_objects(desired, cluster.kubernetes_minor)
    if errors:
        _save_status(route, _evaluate_failure(route, spec, "Rendered objects are invalid: " + "; ".join(errors)))
        return Result.DEGRADED
    live: dict[tuple, dict] = {}
    wrote = False
    try:
        for obj in desired:
            kind = kind_of(obj)
            meta = obj["metadata"]
            current = (listed.get(target, kind, meta["name"], meta.get("namespace")) if listed is not None
                       else target.get(kind, meta["name"], meta.get("namespace")))
            if current is not None and not _is_ours(current):
                message = (f"{obj['kind']} {meta.get('namespace')}/{meta['name']} already exists and is not managed by "
                           "Portico; Portico will not change it. Rename the route or remove that object.")
                _save_status(route, _evaluate_failure(route, spec, message))
                return Result.DEGRADED
            holder = _held_by_other_route(current, obj)
            if holder is not None:
                _save_status(route, _evaluate_failure(route, spec, _held_message(obj, holder, cluster)))
                return Result.DEGRADED
            if _in_sync(current, obj):
                live[render.object_key(obj)] = current
                continue
            live[render.object_key(obj)] = target.apply(obj, uid=_uid(current) if current is not None else None)
            if listed is not None:
                listed.objects[render.object_key(obj)] = live[render.object_key(obj)]
            wrote = True
        if route.applied_revision is not None and route.applied_revision != route.approved_revision:
            wrote |= _prune_previous(route, settings_, desired, target)
    except PermanentKubeError as exc:
        _save_status(route, _evaluate_failure(route, spec, exc.explanation))
        return Result.DEGRADED
    previous = route.applied_revision
    route.applied_revision = route.approved_revision
    route.reconcile_attempts = 0
    route.save(update_fields=["applied_revision", "reconcile_attempts", "updated_at"])
    if previous != route.applied_revision:
        # One event per revision that reaches the cluster; drift repairs of the same revision are not news.
        record(None, "apply", route, before={"applied_revision": previous},
               after={"applied_revision": route.applied_revision, "cluster": cluster.name}, team=route.team)
    observed = _observe_one(route, cluster, spec, target, live, listed)
    _save_status(route, evaluate(observed, previous_conditions=route.conditions, now=timezone.now()))
    logger.info("route=%s cluster=%s revision=%s %s", route.pk, cluster.name, route.applied_revision,
                "applied" if wrote else "unchanged")
    return Result.APPLIED if wrote else Result.UNCHANGED


def _prune_previous(route: Route, settings_: ClusterSettings, desired: list[dict], target) -> bool:
    """Delete what the previously applied revision created and the new one no longer wants (a renamed
    Service, a managed Service dropped for an existing one, the Certificate of a host no longer used)."""
    try:
        previous_rev = route.revision_obj(route.applied_revision)
    except RouteRevision.DoesNotExist:
        return False
    previous_spec = revision_spec(previous_rev)
    previous = _own_objects(route, route.applied_revision, previous_spec, settings_)
    wanted = {render.object_key(o) for o in desired}
    deleted = False
    for obj in previous:
        if render.object_key(obj) in wanted:
            continue
        deleted |= _delete_if_ours(target, obj)
    return deleted


def _own_objects(route: Route, number: int, spec: RouteSpec, settings_: ClusterSettings) -> list[dict]:
    """What revision ``number`` put on the cluster for this route alone: its objects, and its host's Certificate
    unless another live, approved route still uses it."""
    return [obj for obj in render.route_objects(route_target(route, number), spec, settings_)
            if obj["kind"] != "Certificate" or not _host_still_served(route, spec.host)]


def _host_still_served(route: Route, host: str) -> bool:
    """Another live, approved route still uses a Certificate for this host in this namespace."""
    return (RouteRevision.objects
            .filter(route__cluster=route.cluster, route__namespace=route.namespace, route__deleted_at__isnull=True,
                    route__deletion_requested_at__isnull=True, number=F("route__approved_revision"), host=host,
                    spec__tls__mode="cert-manager")
            .exclude(route=route).exists())


def _delete_if_ours(target, obj: dict) -> bool:
    """Delete the live object ``obj`` names only when it is this route's (or, for a shared Certificate, this
    host's): same route (host) label, and on Kubernetes only the very object read here, by its uid."""
    kind = kind_of(obj)
    meta = obj["metadata"]
    current = target.get(kind, meta["name"], meta.get("namespace"))
    if current is None or not _same_owner(current, obj):
        return False
    return target.delete(kind, meta["name"], meta.get("namespace"), uid=_uid(current))


def _same_owner(live: dict, desired: dict) -> bool:
    """``live`` is Portico's and belongs to the route (or host) ``desired`` was rendered for
    (docs/security.md, "One owner per object")."""
    if not _is_ours(live):
        return False
    owner = _route_label(desired)
    if owner is not None:
        return _route_label(live) == owner
    host = _labels(desired).get(render.HOST_LABEL)
    return host is not None and _labels(live).get(render.HOST_LABEL) == host


def _held_by_other_route(live: dict | None, desired: dict) -> Route | None:
    """The other live route whose object ``live`` is, when ``desired`` (a route's own object) may not be applied
    over it: ``live`` carries that route's label and its approved or applied revision still renders an object of
    that kind and name. An object whose route is gone, or no longer wants it, is a leftover and may be taken
    over. Shared Certificates are a host's, not a route's, and never held this way (docs/security.md, "One
    owner per object")."""
    mine, holder = _route_label(desired), _route_label(live or {})
    if live is None or mine is None or holder in (None, mine) or not _is_ours(live):
        return None
    try:
        holder_id = uuid.UUID(holder)
    except (TypeError, ValueError, AttributeError):
        return None
    route = Route.objects.live().filter(pk=holder_id).select_related("team", "cluster").first()
    if route is None:
        return None
    wanted = (desired["kind"], desired["metadata"].get("namespace"), desired["metadata"]["name"])
    output = route.cluster.output
    for rev in route.revisions.filter(number__in={route.approved_revision, route.applied_revision} - {None}):
        if wanted in owned_objects(route.name, route.namespace, revision_spec(rev), output):
            return route
    return None


def _held_message(obj: dict, holder: Route, cluster: Cluster) -> str:
    meta = obj["metadata"]
    where = "" if holder.cluster_id == cluster.pk else f" on cluster {holder.cluster.name}"
    return (f'{obj["kind"]} {meta.get("namespace")}/{meta["name"]} belongs to route "{holder.namespace}/{holder.name}" '
            f'of team "{holder.team.slug}"{where}; Portico will not change another route\'s object. Give this route '
            "its own object (another Service name), or send traffic to that Service as an existing Service.")


def _uid(obj: dict) -> str | None:
    return (obj.get("metadata") or {}).get("uid")


def _remove_route(route: Route, target) -> None:
    """Delete every object the route put on the cluster (the shared Certificate only when no other route
    on that host needs it), then keep the route as deleted in history. The host claim stays."""
    settings_ = cluster_settings(route.cluster)
    revisions = {n for n in (route.applied_revision, route.approved_revision) if n}
    for number in sorted(revisions):
        spec = revision_spec(route.revision_obj(number))
        for obj in _own_objects(route, number, spec, settings_):
            _delete_if_ours(target, obj)
    now = timezone.now()
    Route.objects.filter(pk=route.pk).update(
        deleted_at=now, sync=SyncChoices.SYNCED, health=HealthChoices.MISSING, last_synced_at=now, updated_at=now,
        conditions=[{"type": "Deleted", "status": "True", "reason": "Removed",
                     "message": "The route's objects were removed from the cluster.", "last_transition_time": now.isoformat()}],
    )
    record(None, "remove", route, before={"applied_revision": route.applied_revision, "cluster": route.cluster.name},
           team=route.team)
    logger.info("route=%s cluster=%s deleted", route.pk, route.cluster.name)


def _observe_one(route: Route, cluster: Cluster, spec: RouteSpec, target, live: dict, listed: Listed | None) -> Observed:
    if cluster.is_directory:
        return _observed(route, cluster, spec, synced=True)
    ns = route.namespace

    def read(kind, name):
        if _key(kind, name, ns) in live:
            return live[_key(kind, name, ns)]
        return listed.get(target, kind, name, ns) if listed is not None else target.get(kind, name, ns)

    gateway_kinds = {}
    if cluster.is_gateway:
        gateway = listed.gateway if listed is not None else read_gateway(cluster, target)
        gateway_kinds = {"http_route": read(HTTP_ROUTE, route.name), "gateway": gateway,
                         "gateway_present": gateway is not None}
        ingress = None
    else:
        ingress = read(INGRESS, route.name)
    service = None
    slices: list[dict] = []
    if spec.backend.service_name:
        service = read(SERVICE, spec.backend.service_name)
        slices = (listed.endpoint_slices(ns, spec.backend.service_name) if listed is not None else
                  target.list(ENDPOINT_SLICE, namespace=ns,
                              label_selector=f"kubernetes.io/service-name={spec.backend.service_name}"))
    certificate = None
    if render.uses_certificate(spec, cluster_settings(cluster)):
        certificate = read(CERTIFICATE, render.certificate_name(spec.host))
    return _observed(route, cluster, spec, synced=True, ingress=ingress, service=service, endpoint_slices=slices,
                     certificate=certificate, **gateway_kinds)


def _observed(route: Route, cluster: Cluster, spec: RouteSpec, **kwargs) -> Observed:
    claim_team = getattr(route, "_claim_team_id", None)
    if claim_team is None:
        claim_team = HostClaim.objects.filter(host=spec.host).values_list("team_id", flat=True).first()
    foreign = foreign_paths(cluster, spec.host, spec.path)
    return Observed(
        directory=cluster.is_directory, cluster_reachable=cluster.reachable, ingress_class=cluster.ingress_class,
        ingress_class_present=cluster.ingress_class_present, cert_manager_present=cluster.cert_manager_present,
        issuer=spec.tls.issuer or cluster.default_issuer, issuer_present=cluster.issuer_present,
        tls_mode=spec.tls.mode, host=spec.host, path=spec.path, service_name=spec.backend.service_name or "",
        service_port=spec.backend.service_port, claim_ok=claim_team == route.team_id,
        foreign_conflicts=foreign, **{**_gateway_observed(cluster), **kwargs},
    )


def _gateway_observed(cluster: Cluster) -> dict:
    """The Gateway reference and last probe of a Gateway API cluster, as Observed fields."""
    return {"output": cluster.output, "gateway_name": cluster.gateway_name,
            "gateway_namespace": cluster.gateway_namespace, "gateway_section_name": cluster.gateway_section_name,
            "gateway_present": cluster.gateway_present}


def _evaluate_failure(route: Route, spec: RouteSpec, message: str):
    return evaluate(_observed(route, route.cluster, spec, apply_error=message, synced=False),
                    previous_conditions=route.conditions, now=timezone.now())


def _transient_condition(route: Route, exc: TransientKubeError):
    """Keep the last known health, but say plainly that the API server is not answering and we retry."""
    now = timezone.now()
    conditions = [c for c in route.conditions if c.get("type") != "Applied"]
    conditions.append({"type": "Applied", "status": "False", "reason": "APIServerUnavailable",
                       "message": f"{exc.explanation} (retrying with backoff)", "last_transition_time": now.isoformat()})
    return {"conditions": conditions, "health": HealthChoices.DEGRADED, "sync": SyncChoices.OUT_OF_SYNC}


def _refused_condition(route: Route, message: str):
    """Nothing could be applied for a reason retrying cannot fix; the platform engineers' change is needed."""
    conditions = [c for c in route.conditions if c.get("type") != "Applied"]
    conditions.append({"type": "Applied", "status": "False", "reason": "Refused", "message": message,
                       "last_transition_time": timezone.now().isoformat()})
    return {"conditions": conditions, "health": HealthChoices.DEGRADED, "sync": SyncChoices.OUT_OF_SYNC}


def _save_status(route: Route, evaluation) -> None:
    """Write status fields; ``evaluation`` is a diagnostics.Evaluation or a dict of fields."""
    now = timezone.now()
    previous_health = route.health
    if isinstance(evaluation, dict):
        values = evaluation
    else:
        values = {
            "health": evaluation.health, "conditions": evaluation.conditions, "diagnostics": evaluation.diagnostics,
            "address": evaluation.address, "certificate": evaluation.certificate, "endpoints": evaluation.endpoints,
            "sync": SyncChoices.SYNCED if route.applied_revision == route.approved_revision and not any(
                c.get("type") == "Applied" and c.get("status") == "False" for c in evaluation.conditions
            ) else SyncChoices.OUT_OF_SYNC,
            "last_synced_at": now,
        }
    for name, value in values.items():
        setattr(route, name, value)
    Route.objects.filter(pk=route.pk).update(**values, updated_at=now)
    if route.health != previous_health:
        signals.route_health_changed.send(sender=Route, route=route, previous=previous_health)


# One cluster


def sync_cluster(cluster_id: int) -> SyncReport:
    """Make one cluster match the database and refresh the status of all its routes."""
    started = time.monotonic()
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return SyncReport(cluster=str(cluster_id), skipped=True)
    report = SyncReport(cluster=cluster.name)
    token = lease.acquire(cluster_id)
    if token is None:
        report.skipped = True
        return report
    try:
        with open_target(cluster) as target:
            _sync(cluster, target, report, lease.LeaseKeeper(cluster_id, token))
    except lease.LeaseLost as exc:
        # The other worker redoes this sync from its own lists; stop before our older view writes anything more.
        report.errors.append(str(exc))
        logger.warning("cluster=%s sync stopped: %s", cluster.name, exc)
    except TransientKubeError as exc:
        report.errors.append(exc.message)
        logger.warning("cluster=%s sync failed: %s", cluster.name, exc.message)
    except FolderError as exc:
        message = f"The cluster's folder is refused, so nothing is written or pruned: {exc} Change the folder."
        report.errors.append(str(exc))
        Cluster.objects.filter(pk=cluster.pk).update(sync_error=message)
        logger.warning("cluster=%s sync refused: %s", cluster.name, exc)
    except PermanentKubeError as exc:
        # Retrying cannot help (typically 403: Portico's service account lacks a permission). Say so where
        # platform engineers look, instead of failing the task with a traceback every interval.
        message = (f"The last sync was refused by the API server: {exc.message}. Check Portico's permissions on "
                   "this cluster (deploy/target-rbac.yaml).")
        report.errors.append(exc.message)
        Cluster.objects.filter(pk=cluster.pk).update(sync_error=message)
        logger.warning("cluster=%s sync refused: %s", cluster.name, exc.message)
    finally:
        lease.release(cluster_id, token)
    report.duration = time.monotonic() - started
    logger.info("cluster=%s %s", cluster.name, report.summary())
    return report


def _list_live(cluster: Cluster, target) -> tuple[dict, dict, list[dict]]:
    """One list per kind. Returns (our objects by key, every Service and Ingress by key, foreign Ingress paths)."""
    ours: dict[tuple, dict] = {}
    seen: dict[tuple, dict] = {}
    foreign: list[dict] = []
    for kind in MANAGED_KINDS_BY_OUTPUT[cluster.output]:
        # Services and Ingresses are listed whole: status needs existing (unmanaged) Services, and
        # conflict checks need foreign Ingresses. Certificates and HTTPRoutes are listed by our label.
        selector = render.MANAGED_SELECTOR if kind in (CERTIFICATE, HTTP_ROUTE) else None
        for obj in target.list(kind, label_selector=selector):
            key = render.object_key(obj)
            seen[key] = obj
            if _is_ours(obj):
                ours[key] = obj
            elif kind is INGRESS:
                foreign.extend(_ingress_paths(obj))
    return ours, seen, foreign


def _remove_previous_output(cluster: Cluster, target) -> int:
    """After the cluster's output changed (Ingress <-> Gateway API), delete our objects of the kinds only the
    previous output used (Ingresses and Certificates, or HTTPRoutes): a sync of the new output never lists them.
    Once, on the first sync after the change; returns how many were deleted."""
    previous = cluster.synced_output
    if previous == cluster.output:
        return 0
    deleted = 0
    current_kinds = MANAGED_KINDS_BY_OUTPUT[cluster.output]
    for kind in MANAGED_KINDS_BY_OUTPUT.get(previous, ()):
        if kind in current_kinds:
            continue
        try:
            leftovers = target.list(kind, label_selector=render.MANAGED_SELECTOR)
        except PermanentKubeError as exc:
            if exc.status == 404:
                continue  # the kind is not served here (no cert-manager or Gateway API CRDs): nothing to remove
            raise
        elsewhere = _other_clusters_objects(cluster, leftovers)
        for obj in leftovers:
            meta = obj["metadata"]
            if _is_ours(obj) and render.object_key(obj) not in elsewhere:
                deleted += target.delete(kind, meta["name"], meta.get("namespace"), uid=_uid(obj))
    Cluster.objects.filter(pk=cluster.pk).update(synced_output=cluster.output)
    cluster.synced_output = cluster.output
    if deleted:
        logger.info("cluster=%s output changed from %s to %s: %s leftover objects removed", cluster.name,
                    previous, cluster.output, deleted)
    return deleted


def _ingress_paths(obj: dict) -> list[dict]:
    meta = obj.get("metadata") or {}
    paths = []
    for rule in (obj.get("spec") or {}).get("rules") or []:
        for p in ((rule.get("http") or {}).get("paths")) or []:
            if rule.get("host"):
                paths.append({"namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
                              "host": rule["host"], "path": p.get("path") or "/"})
    return paths


def _sync(cluster: Cluster, target, report: SyncReport, keeper: lease.LeaseKeeper | None = None) -> None:  # noqa: C901 - the steps in order
    # List before reading the database: anything on the cluster was then put there for a route
    # approved before our snapshot, so pruning cannot remove a route approved in between.
    ours, seen, foreign = _list_live(cluster, target)
    cluster.foreign_ingresses = foreign
    Cluster.objects.filter(pk=cluster.pk).update(foreign_ingresses=foreign)
    report.deleted += _remove_previous_output(cluster, target)

    routes = list(Route.objects.live().filter(cluster=cluster).select_related("team"))
    report.routes = len(routes)
    specs = {
        (rev.route_id, rev.number): revision_spec(rev)
        for rev in RouteRevision.objects.filter(route__cluster=cluster, route__deleted_at__isnull=True,
                                                number=F("route__approved_revision"))
    }
    unsettled = {r.pk for r in routes if r.deletion_requested_at or (
        r.approved_revision is not None and r.applied_revision != r.approved_revision)}
    settled = [r for r in routes if r.approved_revision is not None and r.pk not in unsettled]
    settings_ = cluster_settings(cluster)

    # Desired state of every approved route, so shared Certificates see all their users. A route whose approved
    # revision policy now refuses to publish wants nothing, so what it wrote is pruned below.
    failures: dict[str, str] = {}
    active = []
    namespaces = frozenset(cluster.team_namespaces.values_list("namespace", flat=True))
    for r in routes:
        if r.approved_revision is None or r.deletion_requested_at:
            continue
        if refused := refused_publication(r, specs[(r.pk, r.approved_revision)], namespaces):
            failures[str(r.pk)] = "Not applied: " + refused
            continue
        active.append(r)
    desired = {render.object_key(o): o for o in render.desired_objects(
        [(route_target(r, r.approved_revision), specs[(r.pk, r.approved_revision)]) for r in active], settings_)}
    unsettled_ids = {str(pk) for pk in unsettled}
    settled_by_id = {str(r.pk): r for r in settled}
    failures.update(_settle_contests(cluster, active, specs, settings_, seen, desired))

    def fail(obj: dict, message: str) -> None:
        for route_id in _users_of(obj, active, specs):
            failures[route_id] = message

    for key, obj in desired.items():
        owner = _route_label(obj)
        if owner in unsettled_ids:
            continue  # reconcile_route applies it below, under the route's lock
        current = seen.get(key)
        if current is not None and not _is_ours(current):
            fail(obj, _not_ours_message(obj))
            continue
        holder = _held_by_other_route(current, obj)
        if holder is not None:
            fail(obj, _held_message(obj, holder, cluster))
            continue
        if _in_sync(current, obj):
            continue
        try:
            repaired = _repair(target, obj, settled_by_id.get(owner), cluster)
            if repaired is not None:
                ours[key] = seen[key] = repaired
                report.applied += 1
        except ForeignObjectError as exc:
            fail(obj, str(exc))
        except PermanentKubeError as exc:
            fail(obj, exc.explanation)
            report.errors.append(exc.message)

    leftovers = {key: obj for key, obj in ours.items() if key not in desired and _route_label(obj) not in unsettled_ids}
    elsewhere = _other_clusters_objects(cluster, leftovers.values())
    for key, obj in leftovers.items():
        if key in elsewhere:
            report.errors.append(f"{obj['kind']} {key[2]}/{key[3]} belongs to a route of cluster {elsewhere[key]}; "
                                 "not pruned")
            continue
        if target.delete(kind_of(obj), key[3], key[2] or None, uid=_uid(obj)):
            report.deleted += 1
        ours.pop(key)

    slices = _list_slices(cluster, target) if routes else {}
    gateway = read_gateway(cluster, target) if cluster.is_gateway and not cluster.is_directory and routes else None
    listed = Listed(objects=seen, whole=frozenset({SERVICE, INGRESS}), slices=slices, desired=desired, gateway=gateway)
    for route_id in unsettled:
        if keeper is not None:
            keeper.keep()
        try:
            reconcile_route(route_id, listed=listed, target=target)
            report.reconciled += 1
        except TransientKubeError as exc:
            report.errors.append(exc.message)
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            # The route's transaction rolled back; whatever it wrote to the cluster is found again next time
            # (a removal finds its objects gone and records the deletion), so the others go on now.
            report.errors.append(f"route {route_id}: the database stayed locked")
            logger.warning("cluster=%s route=%s: database locked, left for the next sync", cluster.name, route_id)

    _refresh_status(cluster, settled, specs, seen, slices, failures, gateway)
    Cluster.objects.filter(pk=cluster.pk).update(last_synced_at=timezone.now(), sync_error="")


def _other_clusters_objects(cluster: Cluster, objects) -> dict[tuple, str]:
    """Of these objects Portico labelled, those another cluster's routes own, by key, with that cluster's name:
    the object's route is a live route of another cluster, or (a shared Certificate, which has no route label)
    a live route of another cluster uses its host in its namespace and no route of this cluster does.

    They are found where two clusters share one folder or one API server; pruning them would take another
    cluster's objects away (docs/security.md, "One owner per object")."""
    by_route, by_host = {}, {}
    for obj in objects:
        key, owner = render.object_key(obj), _route_label(obj)
        if owner is not None:
            try:
                by_route[key] = uuid.UUID(owner)
            except (TypeError, ValueError, AttributeError):
                continue  # not a route id: nobody else's
        elif obj.get("kind") == "Certificate":
            for host in (obj.get("spec") or {}).get("dnsNames") or ():
                by_host[key] = (key[2], host)
    if not by_route and not by_host:
        return {}
    found = {}
    if by_route:
        elsewhere = dict(Route.objects.live().filter(pk__in=set(by_route.values())).exclude(cluster=cluster)
                         .values_list("pk", "cluster__name"))
        found.update({key: elsewhere[pk] for key, pk in by_route.items() if pk in elsewhere})
    if by_host:
        served = (RouteRevision.objects.filter(route__deleted_at__isnull=True, number=F("route__approved_revision"),
                                               host__in={host for _, host in by_host.values()},
                                               route__namespace__in={ns for ns, _ in by_host.values()})
                  .values_list("route__namespace", "host", "route__cluster_id", "route__cluster__name"))
        here = {(ns, host) for ns, host, cluster_id, _ in served if cluster_id == cluster.pk}
        elsewhere = {(ns, host): name for ns, host, cluster_id, name in served if cluster_id != cluster.pk}
        found.update({key: elsewhere[pair] for key, pair in by_host.items() if pair in elsewhere and pair not in here})
    return found


def _settle_contests(cluster: Cluster, active: list[Route], specs: dict, settings_: ClusterSettings, seen: dict,
                     desired: dict) -> dict[str, str]:
    """Objects two approved routes both render, which only routes stored before one owner per object was a rule
    can do (docs/security.md): the route whose label the live object carries keeps it (Portico never writes over
    another route's object), otherwise the one with the smallest id, as ``render.desired_objects`` chose. The
    keeper's object goes in ``desired``; returns ``{route id: why}`` for the others, which are reported Degraded."""
    claimants: dict[tuple, list[Route]] = {}
    for route in active:
        spec = specs[(route.pk, route.approved_revision)]
        for owned in owned_objects(route.name, route.namespace, spec, settings_.output):
            claimants.setdefault(owned, []).append(route)
    refused = {}
    for key, obj in desired.items():
        routes = claimants.get(key[1:], ())
        if len(routes) < 2:
            continue
        holder = _route_label(seen.get(key) or {})
        keeper = next((r for r in routes if str(r.pk) == holder), min(routes, key=lambda r: str(r.pk)))
        if _route_label(obj) != str(keeper.pk):
            rendered = render.render_route(route_target(keeper, keeper.approved_revision),
                                           specs[(keeper.pk, keeper.approved_revision)], settings_)
            desired[key] = next(o for o in rendered if render.object_key(o) == key)
        for route in routes:
            if route is not keeper:
                refused[str(route.pk)] = _held_message(obj, keeper, cluster)
    return refused


def _repair(target, obj: dict, route: Route | None, cluster: Cluster) -> dict | None:
    """Re-apply an object that looked drifted in the sync's list; returns what was written, or None.

    The list was made before the database snapshot, so another worker may have applied a newer revision
    since (the object only looks drifted), or may apply one now. Under the route's row lock (skipped if that
    worker holds it), and only while the route is still at the revisions of our snapshot, read the object
    again and write it only if it really differs: never twice, never an older revision over a newer one."""
    kind = kind_of(obj)
    meta = obj["metadata"]
    with transaction.atomic():
        if route is not None and not list(
            Route.objects.select_for_update(skip_locked=True).filter(
                pk=route.pk, approved_revision=route.approved_revision, applied_revision=route.applied_revision,
                deletion_requested_at__isnull=True,
            ).values_list("pk", flat=True)
        ):
            return None
        current = target.get(kind, meta["name"], meta.get("namespace"))
        if current is not None and not _is_ours(current):
            # Lists by our label miss such an object (a Certificate someone re-created under our name).
            raise ForeignObjectError(_not_ours_message(obj))
        holder = _held_by_other_route(current, obj)
        if holder is not None:
            raise ForeignObjectError(_held_message(obj, holder, cluster))
        if _in_sync(current, obj):
            return None
        try:
            return target.apply(obj, uid=_uid(current) if current is not None else None)
        except ReplacedObjectError as exc:
            raise ForeignObjectError(exc.message) from exc


class ForeignObjectError(Exception):
    """A desired object's name is taken on the cluster by an object Portico does not manage, or by another
    route's object."""


def _not_ours_message(obj: dict) -> str:
    meta = obj["metadata"]
    return (f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']} exists and is not managed by Portico; "
            "Portico will not change it.")


def _users_of(obj: dict, active: list[Route], specs: dict) -> list[str]:
    """Ids of the routes an object serves: its route label, or for a shared Certificate every route on its host
    in its namespace."""
    owner = _route_label(obj)
    if owner:
        return [owner]
    namespace, names = obj["metadata"].get("namespace"), set(obj.get("spec", {}).get("dnsNames") or ())
    return [str(r.pk) for r in active
            if r.namespace == namespace and specs[(r.pk, r.approved_revision)].host in names]


def _list_slices(cluster: Cluster, target) -> dict[tuple, list]:
    """Every EndpointSlice of the cluster, in one list, by (namespace, Service name)."""
    slices_by_service: dict[tuple, list] = {}
    if not cluster.is_directory:
        for obj in target.list(ENDPOINT_SLICE):
            meta = obj.get("metadata") or {}
            service = (meta.get("labels") or {}).get("kubernetes.io/service-name")
            if service:
                slices_by_service.setdefault((meta.get("namespace", ""), service), []).append(obj)
    return slices_by_service


def _refresh_status(cluster: Cluster, routes: list[Route], specs: dict, seen: dict, slices_by_service: dict,
                    failures: dict, gateway: dict | None = None) -> None:
    """Evaluate every settled route from the lists already made, and write only the rows that changed."""
    claims = dict(HostClaim.objects.filter(host__in={r.host for r in routes}).values_list("host", "team_id"))
    settings_ = cluster_settings(cluster)
    now = timezone.now()
    changed = []
    previous_health = {route.pk: route.health for route in routes}
    for route in routes:
        spec = specs[(route.pk, route.approved_revision)]
        route._claim_team_id = claims.get(spec.host)
        ns = route.namespace
        if str(route.pk) in failures:
            observed = _observed(route, cluster, spec, apply_error=failures[str(route.pk)], synced=False)
        elif cluster.is_directory:
            observed = _observed(route, cluster, spec, synced=True)
        else:
            service_name = spec.backend.service_name or ""
            gateway_kinds = {"http_route": seen.get(_key(HTTP_ROUTE, route.name, ns)), "gateway": gateway,
                             "gateway_present": gateway is not None} if cluster.is_gateway else {}
            observed = _observed(
                route, cluster, spec, synced=True, **gateway_kinds,
                ingress=seen.get(_key(INGRESS, route.name, ns)),
                service=seen.get(_key(SERVICE, service_name, ns)) if service_name else None,
                endpoint_slices=tuple(slices_by_service.get((ns, service_name), ())),
                certificate=seen.get(_key(CERTIFICATE, render.certificate_name(spec.host), ns))
                if render.uses_certificate(spec, settings_) else None,
            )
        result = evaluate(observed, previous_conditions=route.conditions, now=now)
        sync = SyncChoices.OUT_OF_SYNC if str(route.pk) in failures else SyncChoices.SYNCED
        values = {"sync": sync, "health": result.health, "conditions": result.conditions,
                  "diagnostics": result.diagnostics, "address": result.address, "certificate": result.certificate,
                  "endpoints": result.endpoints}
        if any(getattr(route, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(route, k, v)
            route.last_synced_at = now
            changed.append(route)
    if changed:
        with transaction.atomic():
            # Write only rows still at the revisions we evaluated and not being reconciled right now (that
            # worker writes their status): a status from our older snapshot must not replace a newer one.
            now_at = {pk: rest for pk, *rest in Route.objects.select_for_update(skip_locked=True).filter(
                pk__in=[r.pk for r in changed]).values_list("pk", "approved_revision", "applied_revision",
                                                             "deletion_requested_at")}
            changed = [r for r in changed
                       if now_at.get(r.pk) == [r.approved_revision, r.applied_revision, r.deletion_requested_at]]
            Route.objects.bulk_update(changed, STATUS_FIELDS, batch_size=500)
        for route in changed:
            if route.health != previous_health[route.pk]:
                signals.route_health_changed.send(sender=Route, route=route, previous=previous_health[route.pk])
    # Routes whose status did not change still record that they were looked at, in one statement.
    untouched = [r.pk for r in routes if r not in changed]
    if untouched:
        Route.objects.filter(pk__in=untouched).update(last_synced_at=now)
