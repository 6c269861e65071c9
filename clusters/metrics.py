"""Cluster health for Prometheus, read from the database at each scrape (core/metrics.py serves it at /metrics)."""

from prometheus_client.core import GaugeMetricFamily

from .models import Cluster

_CHECKS = ("reachable", "ingress_class_present", "cert_manager_present", "issuer_present")


class ClusterStateCollector:
    """Whether each Kubernetes cluster answered its last probe, and which health checks passed: one query."""

    def collect(self):
        up = GaugeMetricFamily(
            "portico_cluster_up", "1 when the cluster's API server answered the last probe.", labels=["cluster", "mode"]
        )
        checks = GaugeMetricFamily(
            "portico_cluster_check",
            "1 when a cluster health check passed at the last probe.",
            labels=["cluster", "check"],
        )
        for cluster in Cluster.objects.kubernetes().only("name", "mode", *_CHECKS).order_by("name"):
            up.add_metric([cluster.name, cluster.mode], 1.0 if cluster.reachable else 0.0)
            for check in _CHECKS[1:]:
                checks.add_metric(
                    [cluster.name, check.removesuffix("_present")], 1.0 if getattr(cluster, check) else 0.0
                )
        yield up
        yield checks
