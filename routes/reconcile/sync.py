"""One cluster: list what Portico manages there (snapshot), compare it with what every route wants, repair
drift, prune leftovers, hand unsettled routes to ``reconcile_route`` and refresh every route's status in bulk.
One worker syncs a cluster at a time (clusters.lease)."""

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import cast

from django.db import OperationalError, transaction
from django.db.models import F

from clusters import lease
from clusters import services as cluster_services
from clusters.directory import FolderError
from clusters.kube import (
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
from core.errors import is_lock_timeout
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.domain import render
from routes.domain.policy.conflicts import owned_objects
from routes.domain.values import ClusterSettings
from routes.models import Route, RouteRevision

from .apply import reconcile_route, refused_publication
from .objects import held_by_other_route, held_message, in_sync, is_ours, route_label, uid_of
from .snapshot import Listed, list_live, list_slices
from .status import refresh_status

logger = logging.getLogger(__name__)


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
        return (
            f"{self.cluster}: {self.routes} routes, {self.applied} applied, {self.deleted} pruned, "
            f"{self.reconciled} reconciled, {len(self.errors)} errors in {self.duration:.2f}s"
        )


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
        cluster_services.record_sync_refused(cluster, message)
        logger.warning("cluster=%s sync refused: %s", cluster.name, exc)
    except PermanentKubeError as exc:
        # Retrying cannot help (typically 403: Portico's service account lacks a permission). Say so where
        # platform engineers look, instead of failing the task with a traceback every interval.
        message = (
            f"The last sync was refused by the API server: {exc.message}. Check Portico's permissions on "
            "this cluster (deploy/target-rbac.yaml)."
        )
        report.errors.append(exc.message)
        cluster_services.record_sync_refused(cluster, message)
        logger.warning("cluster=%s sync refused: %s", cluster.name, exc.message)
    finally:
        lease.release(cluster_id, token)
    report.duration = time.monotonic() - started
    logger.info("cluster=%s %s", cluster.name, report.summary())
    return report


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
            if is_ours(obj) and render.object_key(obj) not in elsewhere:
                deleted += target.delete(kind, meta["name"], meta.get("namespace"), uid=uid_of(obj))
    cluster_services.record_output_synced(cluster)
    if deleted:
        logger.info(
            "cluster=%s output changed from %s to %s: %s leftover objects removed",
            cluster.name,
            previous,
            cluster.output,
            deleted,
        )
    return deleted


def _sync(cluster: Cluster, target, report: SyncReport, keeper: lease.LeaseKeeper | None = None) -> None:  # noqa: C901 - the steps in order
    # List before reading the database: anything on the cluster was then put there for a route
    # approved before our snapshot, so pruning cannot remove a route approved in between.
    ours, seen, foreign = list_live(cluster, target)
    cluster_services.record_foreign_ingresses(cluster, foreign)
    report.deleted += _remove_previous_output(cluster, target)

    routes = list(Route.objects.live().filter(cluster=cluster).select_related("team"))
    report.routes = len(routes)
    specs = {
        (rev.route_id, rev.number): revision_spec(rev)
        for rev in RouteRevision.objects.filter(
            route__cluster=cluster, route__deleted_at__isnull=True, number=F("route__approved_revision")
        )
    }
    unsettled = {
        r.pk
        for r in routes
        if r.deletion_requested_at or (r.approved_revision is not None and r.applied_revision != r.approved_revision)
    }
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
    desired = {
        render.object_key(o): o
        for o in render.desired_objects(
            [(route_target(r, r.approved_revision), specs[(r.pk, r.approved_revision)]) for r in active], settings_
        )
    }
    if cluster.cert_manager_present is False:  # the Certificate list found no such resource type (snapshot)
        desired = {key: obj for key, obj in desired.items() if obj["kind"] != "Certificate"}
    unsettled_ids = {str(pk) for pk in unsettled}
    settled_by_id = {str(r.pk): r for r in settled}
    failures.update(_settle_contests(cluster, active, specs, settings_, seen, desired))

    def fail(obj: dict, message: str) -> None:
        for route_id in _users_of(obj, active, specs):
            failures[route_id] = message

    for key, obj in desired.items():
        owner = route_label(obj)
        if owner in unsettled_ids:
            continue  # reconcile_route applies it below, under the route's lock
        current = seen.get(key)
        if current is not None and not is_ours(current):
            fail(obj, _not_ours_message(obj))
            continue
        holder = held_by_other_route(current, obj)
        if holder is not None:
            fail(obj, held_message(obj, holder, cluster))
            continue
        if in_sync(current, obj):
            continue
        try:
            repaired = _repair(target, obj, settled_by_id.get(owner) if owner else None, cluster)
            if repaired is not None:
                ours[key] = seen[key] = repaired
                report.applied += 1
        except ForeignObjectError as exc:
            fail(obj, str(exc))
        except PermanentKubeError as exc:
            fail(obj, exc.explanation)
            report.errors.append(exc.message)

    leftovers = {key: obj for key, obj in ours.items() if key not in desired and route_label(obj) not in unsettled_ids}
    elsewhere = _other_clusters_objects(cluster, leftovers.values())
    for key, obj in leftovers.items():
        if key in elsewhere:
            report.errors.append(
                f"{obj['kind']} {key[2]}/{key[3]} belongs to a route of cluster {elsewhere[key]}; not pruned"
            )
            continue
        if target.delete(kind_of(obj), key[3], key[2] or None, uid=uid_of(obj)):
            report.deleted += 1
        ours.pop(key)

    slices = list_slices(cluster, target) if routes else {}
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

    refresh_status(cluster, settled, specs, seen, slices, failures, gateway)
    cluster_services.record_synced(cluster)


def _other_clusters_objects(cluster: Cluster, objects) -> dict[tuple, str]:
    """Of these objects Portico labelled, those another cluster's routes own, by key, with that cluster's name:
    the object's route is a live route of another cluster, or (a shared Certificate, which has no route label)
    a live route of another cluster uses its host in its namespace and no route of this cluster does.

    They are found where two clusters share one folder or one API server; pruning them would take another
    cluster's objects away (docs/security.md, "One owner per object")."""
    by_route, by_host = {}, {}
    for obj in objects:
        key, owner = render.object_key(obj), route_label(obj)
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
        elsewhere = dict(
            Route.objects.live()
            .filter(pk__in=set(by_route.values()))
            .exclude(cluster=cluster)
            .values_list("pk", "cluster__name")
        )
        found.update({key: elsewhere[pk] for key, pk in by_route.items() if pk in elsewhere})
    if by_host:
        served = RouteRevision.objects.filter(
            route__deleted_at__isnull=True,
            number=F("route__approved_revision"),
            host__in={host for _, host in by_host.values()},
            route__namespace__in={ns for ns, _ in by_host.values()},
        ).values_list("route__namespace", "host", "route__cluster_id", "route__cluster__name")
        here = {(ns, host) for ns, host, cluster_id, _ in served if cluster_id == cluster.pk}
        elsewhere = {(ns, host): name for ns, host, cluster_id, name in served if cluster_id != cluster.pk}
        found.update({key: elsewhere[pair] for key, pair in by_host.items() if pair in elsewhere and pair not in here})
    return found


def _settle_contests(
    cluster: Cluster, active: list[Route], specs: dict, settings_: ClusterSettings, seen: dict, desired: dict
) -> dict[str, str]:
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
        holder = route_label(seen.get(key) or {})
        keeper = next((r for r in routes if str(r.pk) == holder), min(routes, key=lambda r: str(r.pk)))
        if route_label(obj) != str(keeper.pk):
            # Contested objects come from active routes, which are approved.
            rendered = render.render_route(
                route_target(keeper, cast(int, keeper.approved_revision)),
                specs[(keeper.pk, keeper.approved_revision)],
                settings_,
            )
            desired[key] = next(o for o in rendered if render.object_key(o) == key)
        for route in routes:
            if route is not keeper:
                refused[str(route.pk)] = held_message(obj, keeper, cluster)
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
            Route.objects.select_for_update(skip_locked=True)
            .filter(
                pk=route.pk,
                approved_revision=route.approved_revision,
                applied_revision=route.applied_revision,
                deletion_requested_at__isnull=True,
            )
            .values_list("pk", flat=True)
        ):
            return None
        current = target.get(kind, meta["name"], meta.get("namespace"))
        if current is not None and not is_ours(current):
            # Lists by our label miss such an object (a Certificate someone re-created under our name).
            raise ForeignObjectError(_not_ours_message(obj))
        holder = held_by_other_route(current, obj)
        if holder is not None:
            raise ForeignObjectError(held_message(obj, holder, cluster))
        if in_sync(current, obj):
            return None
        try:
            return target.apply(obj, uid=uid_of(current) if current is not None else None)
        except ReplacedObjectError as exc:
            raise ForeignObjectError(exc.message) from exc


class ForeignObjectError(Exception):
    """A desired object's name is taken on the cluster by an object Portico does not manage, or by another
    route's object."""


def _not_ours_message(obj: dict) -> str:
    meta = obj["metadata"]
    return (
        f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']} exists and is not managed by Portico; "
        "Portico will not change it."
    )


def _users_of(obj: dict, active: list[Route], specs: dict) -> list[str]:
    """Ids of the routes an object serves: its route label, or for a shared Certificate every route on its host
    in its namespace."""
    owner = route_label(obj)
    if owner:
        return [owner]
    namespace, names = obj["metadata"].get("namespace"), set(obj.get("spec", {}).get("dnsNames") or ())
    return [str(r.pk) for r in active if r.namespace == namespace and specs[(r.pk, r.approved_revision)].host in names]
