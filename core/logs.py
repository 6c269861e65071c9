"""Log context: every line says which request, task, route and cluster it is about.

The context lives in a ``contextvars.ContextVar``, so it follows the code through threads of the Celery
``threads`` pool and gunicorn workers without being passed around. ``ContextFilter`` copies it onto each log
record, where the JSON formatter (settings.LOGGING) writes it as fields: ``request_id``, ``task_id``,
``route_id``, ``cluster_id``.
"""

import contextlib
import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

CONTEXT_FIELDS = ("request_id", "task_id", "route_id", "cluster_id")
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is reused only when it looks like an id: it is written to logs and sent back.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Never mutated in place (each bind sets a new dict), so the shared default is read-only.
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "portico_log_context", default=MappingProxyType({})
)


def current() -> dict[str, str]:
    """The fields bound in this context (a copy)."""
    return dict(_context.get())


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind fields to every log line written inside the block; None values are left out."""
    token = _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: object) -> contextvars.Token[Mapping[str, str]]:
    """Bind fields until ``unbind(token)``: for signal pairs (task_prerun/task_postrun) that cannot use a block."""
    return _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


def unbind(token: contextvars.Token[Mapping[str, str]]) -> None:
    try:
        _context.reset(token)
    except ValueError:
        # The token was made in another context (a different thread ran postrun): clear instead.
        _context.set({})


class ContextFilter(logging.Filter):
    """Adds the bound context fields to every record (empty string when unbound, so formats never fail)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get()
        for field in CONTEXT_FIELDS:
            if not hasattr(record, field):
                setattr(record, field, bound.get(field, ""))
        return True


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request an id (the caller's ``X-Request-ID`` when it is a safe token), binds it to the log
    context, and sends it back in the response header so a user's report can be matched to log lines.

    The id stays bound until ``request_finished``: Django logs 4xx/5xx responses (``django.request``) after the
    middleware chain has returned, and those lines need the id most.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        setattr(request, "request_id", request_id)  # noqa: B010 - Portico's own attribute; HttpRequest declares none
        bind(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="core.logs.clear_request_context")
def _clear_request_context(sender: object, **kwargs: Any) -> None:
    _context.set({})
