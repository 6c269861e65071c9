"""Watches: what a watcher sees of each change through its namespace and selectors, and replays from a version."""

import asyncio
import copy
from dataclasses import dataclass

from tests.kube.api_errors import ApiError
from tests.kube.resources import ResourceType, present
from tests.kube.selectors import (
    Requirement,
    SelectorError,
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)


@dataclass(frozen=True)
class _Event:
    resource_version: int
    type_key: tuple[str, str]
    type: str  # ADDED, MODIFIED, DELETED
    old: dict | None
    new: dict


class Watcher:
    """One open watch: a queue of (event type, object) pairs that pass its namespace and selectors."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        rtype: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        field_terms: list[tuple[str, str, str]],
    ):
        self.loop = loop
        self.rtype = rtype
        self.namespace = namespace
        self.labels = labels
        self.field_terms = field_terms
        self.queue: asyncio.Queue[tuple[str, dict] | None] = asyncio.Queue()  # None ends the stream

    def _selects(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        return (
            (self.namespace is None or meta.get("namespace") == self.namespace)
            and labels_match(self.labels, meta.get("labels"))
            and fields_match(self.field_terms, obj)
        )

    def translate(self, event: _Event) -> tuple[str, dict] | None:
        """What this watcher sees of a change. With a selector, an object that stops (starts) matching
        is reported as DELETED (ADDED), as kube-apiserver does."""
        if event.type_key != (self.rtype.group, self.rtype.plural):
            return None
        was, now = event.type != "ADDED" and self._selects(event.old), self._selects(event.new)
        if event.type == "DELETED":
            kind = "DELETED" if now else None
        elif was and now:
            kind = "MODIFIED"
        else:
            kind = "ADDED" if now else "DELETED" if was else None
        return (kind, present(self.rtype, event.new)) if kind else None

    def close(self) -> None:
        """End the watch stream (callable from any thread)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, None)

    def offer(self, event: _Event) -> None:
        """Queue the change if this watcher sees it (callable from any thread)."""
        seen = self.translate(event)
        if seen is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, seen)


class Watching:
    """Watches for `ObjectStore`: open, count, close, and tell every watcher of a change."""

    def watch(
        self,
        loop: asyncio.AbstractEventLoop,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
    ) -> Watcher:
        """Open a watch. Without a resourceVersion (or "0") it starts with ADDED for what exists;
        with one, it replays the changes after it (410 Gone when that is too far back)."""
        try:
            watcher = Watcher(
                loop, rtype, namespace, parse_label_selector(label_selector), parse_field_selector(field_selector)
            )
        except SelectorError as exc:
            raise ApiError.bad_request(str(exc)) from None
        with self.lock:
            if resource_version in (None, "", "0"):
                for obj in self.select(rtype, namespace, watcher.labels, watcher.field_terms):
                    watcher.queue.put_nowait(("ADDED", obj))
            else:
                try:
                    since = int(resource_version)
                except ValueError:
                    raise ApiError.bad_request(f"resourceVersion: Invalid value: {resource_version!r}") from None
                oldest = self._events[0].resource_version if self._events else self._resource_version + 1
                if since < oldest - 1 and len(self._events) == self._events.maxlen:
                    raise ApiError(410, "Expired", f"too old resource version: {since} ({oldest - 1})")
                for event in self._events:
                    seen = watcher.translate(event) if event.resource_version > since else None
                    if seen is not None:
                        watcher.queue.put_nowait(seen)
            self._watchers.add(watcher)
        return watcher

    @property
    def open_watches(self) -> int:
        with self.lock:
            return len(self._watchers)

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.discard(watcher)

    def _emit(self, rtype: ResourceType, kind: str, old: dict | None, new: dict) -> None:
        event = _Event(
            int(new["metadata"]["resourceVersion"]),
            (rtype.group, rtype.plural),
            kind,
            copy.deepcopy(old),
            copy.deepcopy(new),
        )
        self._events.append(event)
        for watcher in list(self._watchers):
            watcher.offer(event)
