"""Liveness and readiness for load balancers and orchestrators, and the door to /metrics.

``/healthz`` answers 200 while the process can serve a request (nothing else is checked, so a database outage
does not make an orchestrator restart every web process). ``/readyz`` answers 200 only when the database and
the Celery broker answer, 503 otherwise, naming what failed but never a URL or a password.
"""

import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from core.metrics import metrics_view

logger = logging.getLogger(__name__)
BROKER_TIMEOUT = 2


def check_database() -> str | None:
    """None when every configured database answers ``SELECT 1``, else what went wrong."""
    for alias in settings.DATABASES:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            # Drop the broken connection so the next check connects afresh once the database is back.
            connections[alias].close_if_unusable_or_obsolete()
            return f"database {alias!r} did not answer: {type(exc).__name__}"
    return None


def check_broker() -> str | None:
    """None when the Celery broker accepts a connection, else what went wrong."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return None
    if url.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        missing = [key for key in ("data_folder_in", "control_folder") if not os.path.isdir(str(options.get(key, "")))]
        return f"broker folders missing: {', '.join(missing)}" if missing else None
    try:
        with Connection(
            url, connect_timeout=BROKER_TIMEOUT, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - every transport raises its own errors; all mean "not ready"
        return f"broker did not answer: {type(exc).__name__}"
    return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "broker": check_broker()}
    failed = {name: problem for name, problem in checks.items() if problem}
    for problem in failed.values():
        logger.warning("not ready: %s", problem)
    body = {
        "status": "unavailable" if failed else "ok",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=503 if failed else 200)


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before any other middleware.

    Probes and scrapers reach a pod by IP over plain HTTP: run through the stack they would meet a
    DisallowedHost (ALLOWED_HOSTS lists the public name) or an HTTPS redirect, and fail for no reason of health.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.views: dict[str, Callable[[HttpRequest], HttpResponseBase]] = {
            "/healthz": healthz,
            "/readyz": readyz,
            "/metrics": metrics_view,
        }

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        view = self.views.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
