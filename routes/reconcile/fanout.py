"""A sync's independent reads, a few at a time (docs/architecture.md, "What a sync reads").

A sync's lists do not depend on each other, and each spends most of its time waiting for the API server to read
and encode; sent one after another, a no-op sync of 1,000 routes spends most of its wall time in those waits.
``gather`` sends up to ``CONCURRENCY`` at once. The client's rate limit (clusters.kube.RateLimiter, shared by
every thread of the process) still decides how many requests a second the cluster gets, so this makes a sync
quicker, never less polite. The reads touch no database (a worker thread has no connection of its own)."""

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

CONCURRENCY = 4


def gather(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Each call's answer, in the order of ``calls``; a call that raised gives its exception, for the caller to
    handle or raise in that order (as it would have, one call after another)."""
    if len(calls) <= 1:
        return [_outcome(call) for call in calls]
    with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(calls)), thread_name_prefix="portico-read") as pool:
        futures = [pool.submit(_outcome, call) for call in calls]
    return [future.result() for future in futures]


def _outcome(call: Callable[[], T]) -> T | Exception:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises or handles it in order
        return exc
