"""Route state for Prometheus, read from the database at each scrape (core/metrics.py serves it at /metrics)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .models import Route


class RouteStateCollector:
    """Live routes by health and sync, and revisions waiting for review: one query per scrape."""

    def collect(self):
        counts: dict[tuple, int] = {}
        pending = 0
        for row in Route.objects.live().values("health", "sync", "approval").annotate(n=Count("pk")).order_by():
            key = (row["health"], row["sync"])
            counts[key] = counts.get(key, 0) + row["n"]
            if row["approval"] == "pending":
                pending += row["n"]
        routes = GaugeMetricFamily("portico_routes", "Live routes by health and sync.", labels=["health", "sync"])
        for (health, sync), n in sorted(counts.items()):
            routes.add_metric([health, sync], n)
        yield routes
        yield GaugeMetricFamily("portico_reviews_pending", "Route revisions waiting for review.", value=pending)
