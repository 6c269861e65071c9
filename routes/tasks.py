"""Celery tasks: thin. They take ids, re-read rows, and call routes.reconcile; the database is the truth."""
import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from clusters.kube import TransientKubeError
from clusters.models import Cluster
from core.errors import is_lock_timeout

from . import reconcile

logger = logging.getLogger(__name__)


def _backoff(retries: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; a server's Retry-After is a floor."""
    delay = random.uniform(0, min(300.0, 2.0 * 2**retries))
    return max(delay, retry_after or 0.0)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def reconcile_route(self, route_id: str) -> str:
    try:
        return reconcile.reconcile_route(route_id).value
    except (TransientKubeError, OperationalError) as exc:
        # A database that stayed locked (make run's SQLite) is as transient as a busy API server: the route's
        # transaction rolled back, and the next attempt finds what this one already did on the cluster.
        if isinstance(exc, OperationalError) and not is_lock_timeout(exc):
            raise
        if self.request.retries >= settings.PORTICO_RECONCILE_MAX_RETRIES:
            logger.warning("route=%s giving up after %s retries: %s; the cluster sync will try again", route_id,
                           self.request.retries, exc)
            return "gave-up"
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries, getattr(exc, "retry_after", None))) from exc


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sync_cluster(cluster_id: int) -> str:
    return reconcile.sync_cluster(cluster_id).summary()


@shared_task
def sync_all_clusters() -> int:
    """Beat entry: fan out one sync per cluster (each expires before the next round)."""
    expires = settings.PORTICO_SYNC_INTERVAL
    ids = list(Cluster.objects.values_list("pk", flat=True))
    for cluster_id in ids:
        sync_cluster.apply_async((cluster_id,), expires=expires)
    return len(ids)
