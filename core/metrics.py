"""Prometheus metrics.

Two sources:
- **Task metrics** (reconciles by result, reconcile duration, queue wait) are counted by
  ``core.tasks.instrumented_task`` in the process that runs the task. A worker serves them on ``PORTICO_WORKER_METRICS_PORT`` (run workers with
  the ``threads`` pool, as compose and ``make run`` do, so one registry sees every task).
- **State metrics** (routes by health and sync, reviews waiting, cluster health) are read from the database at
  scrape time by the collectors the apps register in ``state_registry`` and served by the web process at ``/metrics``: any web replica gives the
  same answer, and nothing has to be kept in step.

``/metrics`` needs ``Authorization: Bearer <PORTICO_METRICS_TOKEN>``. With ``DEBUG`` off and no token configured
it answers 403 to everyone (and ``check --deploy`` warns); only ``make run`` (``DEBUG``) serves it without one
(docs/security.md, "What developers see").
"""

import hmac
import logging
import time
from collections.abc import Sequence
from typing import Any

from celery import signals
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

from core import logs

logger = logging.getLogger(__name__)

PUBLISHED_AT_HEADER = "portico_published_at"
REQUEST_ID_HEADER = "portico_request_id"
# Seconds: a reconcile is a handful of API calls; a cluster sync lists every kind.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

RECONCILES = Counter(
    "portico_reconciles",
    "Route reconciles by result (applied, unchanged, deleted, degraded, skipped, gone, retry, gave-up, error).",
    ["result"],
)
TASKS = Counter("portico_tasks", "Celery tasks finished, by task and final state.", ["task", "state"])
RECONCILE_DURATION = Histogram(
    "portico_reconcile_duration_seconds",
    "Time spent running reconcile, sync and probe tasks.",
    ["task"],
    buckets=DURATION_BUCKETS,
)
QUEUE_WAIT = Histogram(
    "portico_task_queue_wait_seconds",
    "Time from enqueue to a worker starting the task.",
    ["task"],
    buckets=WAIT_BUCKETS,
)


def _header(request: object, name: str) -> Any:
    # Celery copies custom message headers onto the request; older protocols keep them in request.headers.
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


def published_at(request: object) -> float | None:
    """When the task's message was published (epoch seconds), as stamped by ``_stamp_published``."""
    value = _header(request, PUBLISHED_AT_HEADER)
    return float(value) if value else None


def enqueued_by(request: object) -> str | None:
    """The request id of the web request that enqueued the task, so its lines and the task's share it."""
    request_id: str | None = _header(request, REQUEST_ID_HEADER)
    return request_id


@signals.before_task_publish.connect(dispatch_uid="portico.metrics.before_publish")
def _stamp_published(sender: object = None, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    headers[PUBLISHED_AT_HEADER] = time.time()
    request_id = logs.current().get("request_id")
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id


@signals.worker_ready.connect(dispatch_uid="portico.metrics.worker_ready")
def _serve_worker_metrics(sender: object = None, **kwargs: Any) -> None:
    port = settings.PORTICO_WORKER_METRICS_PORT
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.PORTICO_WORKER_METRICS_ADDR)
        logger.info("worker metrics on %s:%s/metrics", settings.PORTICO_WORKER_METRICS_ADDR, port)


# State metrics: each app registers a collector that reads its own rows at scrape time (clusters/metrics.py,
# routes/metrics.py), so this module needs no app above it.
state_registry = CollectorRegistry(auto_describe=False)


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {settings.PORTICO_METRICS_TOKEN}".encode())


@checks.register(checks.Tags.security, deploy=True)
def metrics_token_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.PORTICO_METRICS_TOKEN:
        return []
    return [
        checks.Warning(
            "PORTICO_METRICS_TOKEN is not set, so /metrics answers 403 to every scraper.",
            hint="Set it, and give Prometheus the same value as its bearer token.",
            id="portico.W001",
        )
    ]


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.PORTICO_METRICS_TOKEN:
        if not settings.DEBUG:
            return HttpResponse(
                "Metrics are closed: set PORTICO_METRICS_TOKEN, then scrape with Authorization: Bearer <token>.\n",
                status=403,
                content_type="text/plain",
            )
    elif not _authorised(request):
        return HttpResponse(
            "Metrics need Authorization: Bearer <PORTICO_METRICS_TOKEN>.\n", status=401, content_type="text/plain"
        )
    body = generate_latest(REGISTRY) + generate_latest(state_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
