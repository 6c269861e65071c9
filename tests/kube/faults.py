"""Injected faults: the plan the handler consumes request by request, and the emulator's methods that fill it."""

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp.web


@dataclass
class Fault:
    """An injected failure for the next `remaining` matching requests; `status` None drops the connection."""

    remaining: int
    status: int | None
    body: Any = None
    message: str | None = None
    headers: dict[str, str] | None = None
    methods: frozenset[str] | None = None
    path_contains: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and (
            self.path_contains is None or self.path_contains in path
        )


class FaultPlan:
    """Pending faults, consumed first-in first-out by the requests they match. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove_where(self, predicate) -> None:
        """Drop the pending faults ``predicate`` selects (add the next fault first for a switch with no gap)."""
        with self._lock:
            self._faults[:] = [fault for fault in self._faults if not predicate(fault)]


class FaultInjection:
    """`KubeEmulator`'s fault injection: failed or dropped requests, refused connections."""

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        body: dict | str | bytes | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        methods: Iterable[str] | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status` instead of serving them.

        The body is a realistic Status unless given (`message` changes only its message): e.g. 422
        Invalid naming the object, 429 TooManyRequests, 500 InternalError. For 422, `message` is the
        field error ("spec.rules[0].host: Invalid value: ..."), prefixed like the API server does
        with `Ingress.networking.k8s.io "cart" is invalid: `. 429 and 503 carry
        `Retry-After: 1` unless `headers` says otherwise. `methods` (e.g. ["PATCH"]) and
        `path_contains` (a substring of the URL path) narrow which requests fail.
        """
        self.handler.faults.add(
            Fault(
                n,
                status,
                body=body,
                message=message,
                headers=headers,
                methods=frozenset(m.upper() for m in methods) if methods is not None else None,
                path_contains=path_contains,
            )
        )

    def drop_next(self, n: int = 1, *, methods: Iterable[str] | None = None, path_contains: str | None = None) -> None:
        """Close the connection of the next `n` matching requests without answering (a reset)."""
        self.handler.faults.add(
            Fault(
                n,
                None,
                methods=frozenset(m.upper() for m in methods) if methods is not None else None,
                path_contains=path_contains,
            )
        )

    def refuse_connections(self, seconds: float | None = None) -> None:
        """Stop listening (new connections are refused, open ones are closed) for `seconds`, or until
        restore(). The port stays the same."""
        self._call(self._stop_listening())
        if seconds is not None:
            self._loop.call_soon_threadsafe(self._schedule_restore, seconds)

    def restore(self) -> None:
        """Listen again after refuse_connections() (no effect otherwise)."""
        self._call(self._start_listening())

    def _call(self, coroutine) -> object:
        if self._loop is None or self._thread is None:
            coroutine.close()
            raise RuntimeError("The emulator is not running.")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def _schedule_restore(self, seconds: float) -> None:
        self._restore_timer = self._loop.call_later(seconds, lambda: asyncio.ensure_future(self._start_listening()))

    async def _stop_listening(self) -> None:
        if self.handler.refusing:
            return
        self.handler.refusing = True
        runner = self._server.server.runner
        for site in list(runner.sites):
            await site.stop()
        for connection in runner.server.connections:  # keep-alive connections would otherwise still work
            connection.force_close()

    async def _start_listening(self) -> None:
        if self._restore_timer is not None:
            self._restore_timer.cancel()
            self._restore_timer = None
        if not self.handler.refusing:
            return
        site = aiohttp.web.TCPSite(
            self._server.server.runner, "127.0.0.1", self.port, reuse_address=True, ssl_context=self._tls
        )
        await site.start()
        self.handler.refusing = False
