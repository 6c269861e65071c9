"""One decorator for every Celery task: ``instrumented_task`` gives a task its name, its retry policy (capped
exponential backoff with jitter, one function for every task), its metrics and its log context, so the tasks
themselves stay thin and nothing matches on task names elsewhere.

    @instrumented_task(name="routes.tasks.reconcile_route", retry=RECONCILE_RETRY, context=route_fields,
                       outcomes=metrics.RECONCILES)
    def reconcile_route(route_id): ...

A retry is asked for by raising an exception the policy retries, or ``RetryIn(seconds)`` when the task itself
knows when to try again (a notification's delivery counts its own attempts).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from celery.exceptions import Retry
from prometheus_client import Counter

from . import logs, metrics

logger = logging.getLogger(__name__)


def backoff(
    retries: int,
    *,
    base: float,
    cap: float,
    jitter: float = 1.0,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before the next attempt after ``retries`` earlier retries: ``base`` doubled per retry up to ``cap``,
    of which the random share ``jitter`` is drawn (1.0: anywhere from nothing to the whole step; 0.5: from half
    to the whole step), so many failing tasks do not come back at once. A server's Retry-After is a floor."""
    step: float = min(cap, base * 2.0**retries)
    return max(step * (1.0 - jitter + jitter * rand()), retry_after or 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Which errors a task retries, how long it waits (``backoff``) and how often before it gives up."""

    on: tuple[type[BaseException], ...] = ()
    base: float = 2.0
    cap: float = 300.0
    jitter: float = 1.0
    # An int, or a callable read at each failure (a setting); None retries without end.
    max_retries: int | Callable[[], int] | None = None
    # Whether an error of the types in ``on`` is transient after all (a database error that is a lock timeout).
    transient: Callable[[BaseException], bool] = field(default=lambda exc: True)
    # What the task returns when it gives up; None lets the error propagate instead.
    gave_up: str | None = None

    def delay(
        self, retries: int, *, retry_after: float | None = None, rand: Callable[[], float] = random.random
    ) -> float:
        return backoff(retries, base=self.base, cap=self.cap, jitter=self.jitter, retry_after=retry_after, rand=rand)

    def limit(self) -> int | None:
        return self.max_retries() if callable(self.max_retries) else self.max_retries


class RetryIn(Exception):
    """Raised by a task that knows when it should run again."""

    def __init__(self, seconds: float):
        super().__init__(f"retry in {seconds:.1f}s")
        self.seconds = seconds


def instrumented_task(
    *,
    name: str,
    retry: RetryPolicy | None = None,
    context: Callable[..., dict[str, Any]] | None = None,
    outcomes: Counter | None = None,
    acks_late: bool = True,
    reject_on_worker_lost: bool = True,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """A Celery task named ``name`` (the name beat, metrics and other processes know it by).

    - ``retry``: errors retried with the policy's backoff (``RetryIn`` is always honoured);
    - ``context``: called with the task's arguments, returns log fields bound for the task's run (a route's
      cluster, say); the task id and the request id of whoever enqueued it are always bound;
    - ``outcomes``: a counter with one ``result`` label: the task's return value, "retry" or "error";
    - every run observes ``portico_task_queue_wait_seconds`` (first attempt only),
      ``portico_reconcile_duration_seconds`` and ``portico_tasks_total`` by final state.
    """
    short = name.rsplit(".", 1)[-1]

    def decorate(function: Callable[..., Any]) -> Any:
        @shared_task(
            name=name,
            bind=True,
            acks_late=acks_late,
            reject_on_worker_lost=reject_on_worker_lost,
            max_retries=None,
            **options,
        )
        @functools.wraps(function)
        def task(self: Any, *args: Any, **kwargs: Any) -> Any:
            request = self.request
            published = metrics.published_at(request)
            if published is not None and not request.retries:
                metrics.QUEUE_WAIT.labels(short).observe(max(0.0, time.time() - published))
            fields: dict[str, Any] = {"task_id": request.id, "request_id": metrics.enqueued_by(request)}
            if context is not None:
                fields.update(context(*args, **kwargs))
            started = time.monotonic()
            state = "failure"
            with logs.log_context(**fields):
                try:
                    result = _run(self, function, retry, args, kwargs)
                    state = "success"
                    if outcomes is not None:
                        outcomes.labels(str(result)).inc()
                    return result
                except Retry:
                    state = "retry"
                    if outcomes is not None:
                        outcomes.labels("retry").inc()
                    raise
                except Exception:
                    if outcomes is not None:
                        outcomes.labels("error").inc()
                    raise
                finally:
                    metrics.RECONCILE_DURATION.labels(short).observe(time.monotonic() - started)
                    metrics.TASKS.labels(short, state).inc()

        return task

    return decorate


def _run(
    task: Any, function: Callable[..., Any], policy: RetryPolicy | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    try:
        return function(*args, **kwargs)
    except RetryIn as wanted:
        raise task.retry(countdown=wanted.seconds) from None
    except Exception as exc:
        if policy is None or not isinstance(exc, policy.on) or not policy.transient(exc):
            raise
        retries = task.request.retries
        limit = policy.limit()
        if limit is not None and retries >= limit:
            if policy.gave_up is None:
                raise
            logger.warning(
                "%s giving up after %s retries: %s; the next sweep takes it up again", task.name, retries, exc
            )
            return policy.gave_up
        countdown = policy.delay(retries, retry_after=getattr(exc, "retry_after", None))
        raise task.retry(exc=exc, countdown=countdown) from exc
