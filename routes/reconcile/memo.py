"""What a worker process remembers between two syncs of one cluster, so a sync that finds nothing changed does not
redo work whose inputs are the same (bench/notes.md, "No-op sync"):

- the cluster's desired objects, rendered and hashed, keyed by a fingerprint of every input of the rendering
  (each active route's id, revision, names, team and spec, and the cluster's settings);
- for each of Portico's objects, the ``resourceVersion`` at which its live state was last found to match (or was
  written as) the desired object of a given spec-hash: the API server changes the resourceVersion on every
  change, an out-of-band edit included, so an object at that resourceVersion needs no compare.

Losing the memo (a new process, another worker taking the cluster) costs one full compare, never a wrong answer.
"""

import threading

from routes.domain import render

from .objects import in_sync

_lock = threading.Lock()
_memos: dict[int, "ClusterMemo"] = {}


class ClusterMemo:
    def __init__(self) -> None:
        self.desired_fingerprint: str | None = None
        self.desired: dict = {}
        self.matched: dict[tuple, tuple[str, str]] = {}

    def desired_objects(self, fingerprint: str, render_all) -> dict:
        """The desired objects by key; rendered by ``render_all()`` only when the fingerprint changed."""
        if fingerprint != self.desired_fingerprint:
            self.desired = {render.object_key(o): o for o in render_all()}
            self.desired_fingerprint = fingerprint
        return dict(self.desired)

    def in_sync(self, live: dict | None, desired: dict) -> bool:
        """``objects.in_sync``, skipped for an object still at the resourceVersion where it last matched."""
        key = render.object_key(desired)
        version = _version(live)
        wanted = _hash(desired)
        if version is not None and self.matched.get(key) == (version, wanted):
            return True
        if in_sync(live, desired):
            self.remember(live, desired)
            return True
        return False

    def remember(self, live: dict | None, desired: dict) -> None:
        """``live`` (an object just read or just written) matches ``desired``."""
        version = _version(live)
        if version is not None:
            self.matched[render.object_key(desired)] = (version, _hash(desired))

    def forget_missing(self, keys) -> None:
        """Drop what is no longer desired, so the memo holds only the cluster's current objects."""
        for key in set(self.matched) - set(keys):
            del self.matched[key]


def for_cluster(cluster_id: int) -> ClusterMemo:
    with _lock:
        memo = _memos.get(cluster_id)
        if memo is None:
            memo = _memos[cluster_id] = ClusterMemo()
        return memo


def forget(cluster_id: int) -> None:
    """Drop a cluster's memo (its sync stopped half-way: what it remembered may not hold)."""
    with _lock:
        _memos.pop(cluster_id, None)


def _version(obj: dict | None) -> str | None:
    return ((obj or {}).get("metadata") or {}).get("resourceVersion")


def _hash(obj: dict) -> str:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(render.SPEC_HASH_ANNOTATION, "")
