"""One cluster: list what Portico manages there (snapshot), compare it with what every route wants, repair
drift, prune leftovers, hand unsettled routes to ``reconcile_route`` and refresh every route's status in bulk.
One worker syncs a cluster at a time (clusters.lease)."""

import hashlib
import logging
import time
from dataclasses import dataclass, field

from django.db import OperationalError
from django.db.models import F

from clusters import lease
from clusters import services as cluster_services
from clusters.directory import FolderError
from clusters.kube import (
    CERTIFICATE,
    MANAGED_KINDS_BY_OUTPUT,
    PermanentKubeError,
    TransientKubeError,
    kind_of,
)
from clusters.models import Cluster
from clusters.probe import read_gateway
from clusters.targets import open_target
from core.errors import is_lock_timeout
from routes.adapters import cluster_settings, route_target
from routes.domain import render
from routes.domain.managed_fields import dangerous_annotations
from routes.models import Route, RouteRevision

from . import memo as memos
from . import quiet
from .apply import reconcile_route, refused_publication
from .batch import apply_unsettled
from .foreign import remove_dangerous
from .objects import held_by_other_route, held_message, is_ours, route_label, uid_of
from .owners import other_clusters_objects, settle_contests
from .repair import ForeignObjectError, not_ours_message, repair
from .snapshot import Listed, list_context, list_live, live_scopes
from .status import JUDGED_FIELDS, refresh_status
from .surroundings import for_sync
from .tls_secrets import remove_left_behind, still_named

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    cluster: str
    skipped: bool = False
    quiet: bool = False  # nothing changed since the last full sync, which left nothing to do (quiet.py)
    applied: int = 0
    deleted: int = 0
    reconciled: int = 0
    routes: int = 0
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"{self.cluster}: skipped (another worker is syncing it)"
        if self.quiet:
            return f"{self.cluster}: {self.routes} routes, quiet (nothing changed) in {self.duration:.3f}s"
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
        state = quiet.still_quiet(cluster, memos.for_cluster(cluster.pk))
        if state is not None:
            report.quiet, report.routes = True, state.routes
            cluster_services.record_synced(cluster)
        else:
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
        elsewhere = other_clusters_objects(cluster, leftovers)
        for obj in leftovers:
            meta = obj["metadata"]
            if not is_ours(obj) or render.object_key(obj) in elsewhere:
                continue
            if target.delete(kind, meta["name"], meta.get("namespace"), uid=uid_of(obj)):
                deleted += 1
                if kind is CERTIFICATE:
                    remove_left_behind(target, cluster, obj, None)
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


def _sync(cluster: Cluster, target, report: SyncReport, keeper: lease.LeaseKeeper) -> None:  # noqa: C901 - the steps in order
    # List before reading the database: anything on the cluster was then put there for a route
    # approved before our snapshot, so pruning cannot remove a route approved in between.
    memo = memos.for_cluster(cluster.pk)
    quiet.forget(cluster.pk, memo)
    target = quiet.recorder(cluster, target)
    ours, seen = list_live(cluster, target, memo.summarize)
    memo.forget_unlisted(seen)
    keeper.keep()
    report.deleted += _remove_previous_output(cluster, target)

    digest = quiet.database_digest(cluster) if quiet.enabled(cluster) else b""  # before the rows it digests
    # Without the status columns, which only a route whose status is judged again needs (refresh_status loads
    # them for those): decoding them for every route cost a no-op sync of 1,000 routes about 0.1 s.
    routes = list(
        Route.objects.live()
        .filter(cluster=cluster)
        .select_related("team")
        .defer(*JUDGED_FIELDS, "created_at", "updated_at")
        .annotate(status_digest=memos.STATUS_DIGEST)
    )
    report.routes = len(routes)
    memo.forget_routes_but({r.pk for r in routes})
    specs = memo.revision_specs(
        RouteRevision.objects.filter(
            route__cluster=cluster, route__deleted_at__isnull=True, number=F("route__approved_revision")
        )
    )
    context = list_context(
        cluster,
        target,
        seen,
        {r.namespace for r in routes},
        _service_backends(routes, specs),
    )
    keeper.keep()
    if not cluster.is_directory and context.foreign != cluster.foreign_ingresses:
        cluster_services.record_foreign_ingresses(cluster, context.foreign)
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
    # The rendering's inputs: each route's identity and its approved spec's stored text (not the decoded spec,
    # whose repr costs more than the rendering it saves).
    identities = sorted(
        (str(r.pk), r.name, r.team.slug, r.namespace, r.approved_revision, memo.spec_text(r.pk, r.approved_revision))
        for r in active
    )
    desired = memo.desired_objects(
        hashlib.sha256(repr((identities, settings_)).encode()).hexdigest(),
        lambda: render.desired_objects(
            [(route_target(r, r.approved_revision), specs[(r.pk, r.approved_revision)]) for r in active], settings_
        ),
    )
    if cluster.cert_manager_present is False:  # the Certificate list found no such resource type (snapshot)
        desired = {key: obj for key, obj in desired.items() if obj["kind"] != "Certificate"}
    unsettled_ids = {str(pk) for pk in unsettled}
    settled_by_id = {str(r.pk): r for r in settled}
    failures.update(settle_contests(cluster, active, specs, settings_, seen, desired))

    def fail(obj: dict, message: str) -> None:
        for route_id in _users_of(obj, active, specs):
            failures[route_id] = message

    users_by_host: dict[tuple, set[str]] = {}
    for r in active:
        users_by_host.setdefault((r.namespace, specs[(r.pk, r.approved_revision)].host), set()).add(str(r.pk))
    for key, obj in desired.items():
        owner = route_label(obj)
        if owner in unsettled_ids or (owner is None and _only_unsettled_users(obj, users_by_host, unsettled_ids)):
            continue  # reconcile_route applies it below, under the route's lock
        current = seen.get(key)
        keeper.keep()
        if current is not None and not is_ours(current):
            fail(obj, not_ours_message(obj))
            continue
        holder = held_by_other_route(current, obj)
        if holder is not None:
            fail(obj, held_message(obj, holder, cluster))
            continue
        if current is not None and dangerous_annotations(current):  # another manager's snippet: removed (foreign.py)
            current = ours[key] = seen[key] = remove_dangerous(target, cluster, current, settled_by_id.get(owner or ""))
        if memo.in_sync(current, obj):
            continue
        try:
            repaired = repair(target, obj, settled_by_id.get(owner) if owner else None, cluster)
            if repaired is not None:
                ours[key] = seen[key] = repaired
                memo.remember(repaired, obj)
                report.applied += 1
        except ForeignObjectError as exc:
            fail(obj, str(exc))
        except PermanentKubeError as exc:
            fail(obj, exc.explanation)
            report.errors.append(exc.message)

    leftovers = {key: obj for key, obj in ours.items() if key not in desired and route_label(obj) not in unsettled_ids}
    elsewhere = other_clusters_objects(cluster, leftovers.values())
    for key, obj in leftovers.items():
        keeper.keep()
        if key in elsewhere:
            report.errors.append(
                f"{obj['kind']} {key[2]}/{key[3]} belongs to a route of cluster {elsewhere[key]}; not pruned"
            )
            continue
        if target.delete(kind_of(obj), key[3], key[2] or None, uid=uid_of(obj)):
            report.deleted += 1
            if obj["kind"] == "Certificate":  # and the TLS Secret cert-manager leaves behind (tls_secrets.py)
                remove_left_behind(target, cluster, obj, None, still_named(desired.values()))
        ours.pop(key)

    slices = context.slices
    gateway = read_gateway(cluster, target) if cluster.is_gateway and not cluster.is_directory and routes else None
    listed = Listed(
        objects=seen, scopes=live_scopes(cluster) | context.scopes, slices=slices, desired=desired, gateway=gateway
    )
    listed.around = for_sync(cluster, target, active, specs, seen, slices) if routes else None
    removals = [r.pk for r in routes if r.pk in unsettled and r.deletion_requested_at]
    for route_id in removals:
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
    applies = sorted((pk for pk in unsettled if pk not in set(removals)), key=str)
    if applies:
        try:
            batch = apply_unsettled(cluster, target, applies, listed, specs, keeper)
            report.reconciled += batch.applied + batch.degraded
            report.errors += batch.errors
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            # The batch's transaction rolled back; what it wrote to the cluster is found in sync next time.
            report.errors.append(f"{len(applies)} routes: the database stayed locked")
            logger.warning("cluster=%s: database locked, %s routes left for the next sync", cluster.name, len(applies))

    memo.forget_missing(desired)
    keeper.keep()
    rewritten = refresh_status(cluster, settled, specs, seen, slices, failures, gateway, listed.around, memo=memo)
    keeper.keep()
    cluster_services.record_synced(cluster)
    if not report.errors and not failures and quiet.enabled(cluster):
        wrote = bool(report.applied or report.deleted or report.reconciled or rewritten)
        quiet.settle(cluster, memo, target, digest, routes, wrote)


def _service_backends(routes: list[Route], specs: dict) -> set[tuple[str, str]]:
    """(namespace, Service name) of every approved route whose backend is a Service (managed or existing)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if route.approved_revision is not None:
            name = specs[(route.pk, route.approved_revision)].backend.service_name
            if name:
                found.add((route.namespace, name))
    return found


def _only_unsettled_users(obj: dict, users_by_host: dict, unsettled_ids: set[str]) -> bool:
    """A shared Certificate whose every user is a route about to be reconciled, which applies it (so a first
    apply reads it from the namespace's list, not with a GET each)."""
    namespace = obj["metadata"].get("namespace")
    users: set[str] = set()
    for host in obj.get("spec", {}).get("dnsNames") or ():
        users |= users_by_host.get((namespace, host), set())
    return bool(users) and users <= unsettled_ids


def _users_of(obj: dict, active: list[Route], specs: dict) -> list[str]:
    """Ids of the routes an object serves: its route label, or for a shared Certificate every route on its host
    in its namespace."""
    owner = route_label(obj)
    if owner:
        return [owner]
    namespace, names = obj["metadata"].get("namespace"), set(obj.get("spec", {}).get("dnsNames") or ())
    return [str(r.pk) for r in active if r.namespace == namespace and specs[(r.pk, r.approved_revision)].host in names]
