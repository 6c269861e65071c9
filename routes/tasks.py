"""Celery tasks: thin. They take ids, re-read rows, and call routes.reconcile; the database is the truth.
Names, retries, metrics and log context come from core.tasks.instrumented_task."""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.db.models import F
from django.utils import timezone

from clusters.kube import TransientKubeError
from clusters.models import Cluster
from core import metrics
from core.errors import is_lock_timeout
from core.tasks import RetryIn, RetryPolicy, instrumented_task

from . import reachability, reconcile
from .choices import HealthChoices
from .models import Route


def _transient(exc: BaseException) -> bool:
    # A database that stayed locked (make run's SQLite) is as transient as a busy API server: the route's
    # transaction rolled back, and the next attempt finds what this one already did on the cluster.
    return not isinstance(exc, OperationalError) or is_lock_timeout(exc)


# After the last retry the route waits for its cluster's next sync, which reconciles it again.
RECONCILE_RETRY = RetryPolicy(
    on=(TransientKubeError, OperationalError),
    transient=_transient,
    base=2.0,
    cap=300.0,
    max_retries=lambda: settings.PORTICO_RECONCILE_MAX_RETRIES,
    gave_up="gave-up",
)


def _route_fields(route_id, *args, **kwargs) -> dict:
    """Every line of a reconcile names its cluster as well as its route (one indexed lookup)."""
    try:
        cluster_id = Route.objects.filter(pk=route_id).values_list("cluster_id", flat=True).first()
    except (ValueError, ValidationError):
        cluster_id = None  # not a route id: the task itself reports that
    return {"route_id": route_id, "cluster_id": cluster_id}


def _cluster_fields(cluster_id, *args, **kwargs) -> dict:
    return {"cluster_id": cluster_id}


@instrumented_task(
    name="routes.tasks.reconcile_route", retry=RECONCILE_RETRY, context=_route_fields, outcomes=metrics.RECONCILES
)
def reconcile_route(route_id: str) -> str:
    result = reconcile.reconcile_route(route_id)
    after = settings.PORTICO_REACHABILITY_AFTER_APPLY
    if result is reconcile.Result.APPLIED and after > 0:
        # After the controllers had a moment to act on what was applied (address, certificate, endpoints); it waits
        # while the route is Progressing, at most the progress deadline (then the route is Degraded, and checked).
        settle_by = time.time() + settings.PORTICO_PROGRESS_DEADLINE
        check_reachability.apply_async((str(route_id),), {"settle_by": settle_by}, countdown=after)
    return result.value


@instrumented_task(name="routes.tasks.sync_cluster", context=_cluster_fields)
def sync_cluster(cluster_id: int) -> str:
    return reconcile.sync_cluster(cluster_id).summary()


@instrumented_task(name="routes.tasks.sync_all_clusters", acks_late=False, reject_on_worker_lost=False)
def sync_all_clusters() -> int:
    """Beat entry: fan out one sync per cluster, each expiring before the next round; returns how many.

    The least recently synced go first: when a round takes longer than the interval, the syncs still queued at
    its end expire unrun, and in a fixed order those would be the same clusters every round, never synced. A
    cluster whose sync is running (its lease is held: a long first apply, a slow API server) is left out: another
    sync of it would only be refused by the lease, after waiting in the queue ahead of the others."""
    expires = settings.PORTICO_SYNC_INTERVAL
    ids = list(
        Cluster.objects.exclude(sync_lease_until__gt=timezone.now())
        .order_by(F("last_synced_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    for cluster_id in ids:
        sync_cluster.apply_async((cluster_id,), expires=expires)
    return len(ids)


@instrumented_task(name="routes.tasks.check_reachability", context=_route_fields)
def check_reachability(route_id: str, settle_by: float | None = None) -> str:
    """DNS -> TLS -> HTTP for one route from the worker's network (routes.reachability).

    The check after an apply (``settle_by``: until when it may wait) is put off while the route is Progressing:
    before its load balancer has an address and its certificate is issued the check can only fail, and a failure
    would turn the route Degraded as soon as the controllers finished (until the next scheduled check passed)."""
    if (
        settle_by is not None
        and time.time() < settle_by
        and Route.objects.filter(pk=route_id, health=HealthChoices.PROGRESSING).exists()
    ):
        raise RetryIn(settings.PORTICO_REACHABILITY_AFTER_APPLY)
    result = reachability.run(route_id)
    return result["state"] if result else "skipped"


@instrumented_task(name="routes.tasks.check_all_reachability", acks_late=False, reject_on_worker_lost=False)
def check_all_reachability() -> int:
    """Beat entry: one check per applied route on a Kubernetes cluster (each expires before the next round)."""
    expires = settings.PORTICO_REACHABILITY_INTERVAL
    ids = list(
        Route.objects.filter(
            deleted_at__isnull=True,
            deletion_requested_at__isnull=True,
            applied_revision__isnull=False,
            cluster__mode="kubernetes",
        ).values_list("pk", flat=True)
    )
    for route_id in ids:
        check_reachability.apply_async((str(route_id),), expires=expires)
    return len(ids)
