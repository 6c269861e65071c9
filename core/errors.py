"""Error reports that keep secrets out even with DEBUG on, the errors the write services raise, and the 503
answered when the database stays locked."""

import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.debug import SafeExceptionReporterFilter

BUSY_RETRY_AFTER = 5  # seconds


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django cleanses ``sensitive_variables`` frames (the kube client's: kubeconfig, bearer token) and
    sensitive settings only when DEBUG is off. Portico cleanses them always, so a laptop running `make run`
    with DEBUG on, or a screenshot of its debug page, does not show a cluster's credentials."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True


class ConflictError(ValidationError):
    """A write refused because of other objects (a name already taken, an object still in use), not because
    the input is malformed: the API answers 409 instead of 400. Carries messages per field like its parent."""


def is_lock_timeout(exc: BaseException | None) -> bool:
    """The database stayed locked longer than the connection waits: SQLite's "database is locked" (make run,
    where web, worker and beat write one file), or PostgreSQL's lock_not_available."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ or exc
    return (
        "database is locked" in str(exc)
        or "database table is locked" in str(exc)
        or getattr(cause, "sqlstate", None) == "55P03"
    )


@receiver(got_request_exception, dispatch_uid="core.errors.note_lock_timeout")
def _note_lock_timeout(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent while Django turns an uncaught exception into a 500, wherever it was raised (a view, or a middleware
    # such as the session's save); DatabaseBusyMiddleware then answers 503 instead.
    if request is not None and is_lock_timeout(sys.exc_info()[1]):
        setattr(request, "database_busy", True)  # noqa: B010 - Portico's own attribute; HttpRequest declares none


class DatabaseBusyMiddleware:
    """Answers 503 with Retry-After, JSON on the API, when a request failed because the database stayed locked:
    nothing was saved, and the same request a few seconds later will go through (docs/security.md, "SQLite in
    the demo")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not getattr(request, "database_busy", False):
            return response
        message = "The database is busy; nothing was saved. Try again in a few seconds."
        busy: HttpResponse
        if request.path_info.startswith("/api/"):
            busy = JsonResponse({"detail": message}, status=503)
        else:
            busy = HttpResponse(
                f"<!doctype html><title>Busy · Portico</title><h1>Busy</h1><p>{message}</p>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        busy["Retry-After"] = str(BUSY_RETRY_AFTER)
        return busy
