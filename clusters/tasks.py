"""Cluster tasks: thin. They take ids and call clusters.probe; the cluster's row is the truth."""
from celery import shared_task
from django.conf import settings

from . import probe
from .models import Cluster


@shared_task(acks_late=True, reject_on_worker_lost=True)
def probe_cluster(cluster_id: int) -> None:
    probe.probe_cluster(cluster_id)


@shared_task
def probe_all_clusters() -> int:
    """Beat entry: fan out one probe per Kubernetes cluster (each expires before the next round)."""
    expires = settings.PORTICO_PROBE_INTERVAL
    ids = list(Cluster.objects.kubernetes().values_list("pk", flat=True))
    for cluster_id in ids:
        probe_cluster.apply_async((cluster_id,), expires=expires)
    return len(ids)
