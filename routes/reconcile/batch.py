"""A sync's unsettled routes applied in batches: each batch of routes is locked once (skipping those another worker
holds), applied from the sync's lists, recorded with one bulk update and one bulk insert of audit events, and
its statuses evaluated and written in bulk, in one transaction. The objects and audit events are those
``reconcile_route`` writes route by route (``apply_objects`` is shared); what is saved is the per-route
bookkeeping, about 9 SQL statements a route (bench/notes.md, "First apply").

A removal still goes through ``reconcile_route``, one route at a time."""

import logging
from dataclasses import dataclass, field
from typing import cast

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clusters import lease
from clusters.kube import PermanentKubeError, TransientKubeError
from clusters.models import Cluster
from core.bulk import update_rows
from core.models import AuditEvent
from routes.adapters import revision_spec
from routes.models import Route

from .apply import NotApplied, apply_objects, refused_publication
from .snapshot import Listed
from .status import refresh_status, save_status, transient_condition

logger = logging.getLogger(__name__)

# Routes per transaction: their row locks are held while their objects are applied (about a second for 100 routes
# on a local API server), so a person editing one of them waits at most that long.
BATCH_SIZE = 100


@dataclass
class BatchReport:
    applied: int = 0
    degraded: int = 0
    errors: list[str] = field(default_factory=list)


def apply_unsettled(
    cluster: Cluster, target, route_ids: list, listed: Listed, specs: dict, keeper: lease.LeaseKeeper
) -> BatchReport:
    """Apply the approved revision of these routes (none with a deletion requested), a batch at a time."""
    report = BatchReport()
    for start in range(0, len(route_ids), BATCH_SIZE):
        keeper.keep()
        try:
            _apply_batch(cluster, target, route_ids[start : start + BATCH_SIZE], listed, specs, keeper, report)
        except TransientKubeError as exc:
            # The API server stopped answering: what the batch applied is recorded, the rest waits for the retry.
            report.errors.append(exc.message)
            break
    return report


def _apply_batch(
    cluster: Cluster, target, ids: list, listed: Listed, specs: dict, keeper: lease.LeaseKeeper, report: BatchReport
) -> None:
    transient: TransientKubeError | None = None
    with transaction.atomic():
        routes = list(
            Route.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "cluster")
            .filter(pk__in=ids, deleted_at__isnull=True, deletion_requested_at__isnull=True)
            .filter(approved_revision__isnull=False)
            .filter(Q(applied_revision__isnull=True) | ~Q(applied_revision=F("approved_revision")))
        )
        failures: dict[str, str] = {}
        applied: list[tuple[Route, int | None]] = []
        for route in routes:
            keeper.keep()
            key = (route.pk, route.approved_revision)
            if key not in specs:  # approved again since the sync read the database
                specs[key] = revision_spec(route.revision_obj(cast(int, route.approved_revision)))
            spec = specs[key]
            if refused := refused_publication(route, spec):
                failures[str(route.pk)] = "Not applied: " + refused
                continue
            try:
                apply_objects(route, cluster, spec, target, listed)
            except NotApplied as exc:
                failures[str(route.pk)] = exc.message
                continue
            except PermanentKubeError as exc:
                failures[str(route.pk)] = exc.explanation
                continue
            except TransientKubeError as exc:
                save_status(route, transient_condition(route, exc))
                transient = exc
                routes = [r for r, _ in applied] + [r for r in routes if str(r.pk) in failures]
                break
            applied.append((route, route.applied_revision))
            route.applied_revision = route.approved_revision
            route.reconcile_attempts = 0
        _record(cluster, applied)
        refresh_status(cluster, routes, specs, listed.objects, listed.slices, failures, listed.gateway, listed.around)
    report.applied += len(applied)
    report.degraded += len(failures)
    logger.info(
        "cluster=%s batch of %s routes: %s applied, %s not applied", cluster.name, len(ids), len(applied), len(failures)
    )
    if transient is not None:
        raise transient


def _record(cluster: Cluster, applied: list[tuple[Route, int | None]]) -> None:
    """The applied revisions in one UPDATE, and one audit event per revision that reached the cluster (as
    ``reconcile_route`` records them) in one INSERT."""
    if not applied:
        return
    now = timezone.now()
    for route, _ in applied:
        route.updated_at = now
    update_rows([route for route, _ in applied], ["applied_revision", "reconcile_attempts", "updated_at"])
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=None,
                actor_name="system",
                verb="apply",
                object_type="route",  # Route._meta.model_name, as core.audit.record writes it
                object_id=str(route.pk),
                object_repr=str(route)[:300],
                team=route.team,
                before={"applied_revision": previous},
                after={"applied_revision": route.applied_revision, "cluster": cluster.name},
            )
            for route, previous in applied
            if previous != route.applied_revision
        ],
        batch_size=500,
    )
