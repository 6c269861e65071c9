"""Cluster tasks: thin. They take ids and call clusters.probe; the cluster's row is the truth."""

from django.conf import settings

from core.tasks import instrumented_task

from . import probe
from .models import Cluster


def _cluster_fields(cluster_id, *args, **kwargs) -> dict:
    return {"cluster_id": cluster_id}


@instrumented_task(name="clusters.tasks.probe_cluster", context=_cluster_fields)
def probe_cluster(cluster_id: int) -> None:
    probe.probe_cluster(cluster_id)


@instrumented_task(name="clusters.tasks.probe_all_clusters", acks_late=False, reject_on_worker_lost=False)
def probe_all_clusters() -> int:
    """Beat entry: fan out one probe per Kubernetes cluster (each expires before the next round)."""
    expires = settings.PORTICO_PROBE_INTERVAL
    ids = list(Cluster.objects.kubernetes().values_list("pk", flat=True))
    for cluster_id in ids:
        probe_cluster.apply_async((cluster_id,), expires=expires)
    return len(ids)
