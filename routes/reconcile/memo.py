"""What a worker process remembers between two syncs of one cluster, so a sync that finds nothing changed does not
redo work whose inputs are the same (bench/notes.md, "No-op sync"):

- the cluster's desired objects, rendered and hashed, keyed by a fingerprint of every input of the rendering
  (each active route's id, revision, names, team and spec, and the cluster's settings);
- for each of Portico's objects, the ``resourceVersion`` at which its live state was last found to match (or was
  written as) the desired object of a given spec-hash: the API server changes the resourceVersion on every
  change, an out-of-band edit included, so an object at that resourceVersion needs no compare;
- the spec of each approved revision with its stored text (read in the sync's one query), so a sync decodes only a
  text it has not seen (a stored spec does not change, but a repair of stored data may rewrite one);
- the summary of other managers' fields of each listed object at its resourceVersion (``managed_fields``);
- for each settled route, the diagnostics' input (``Observed``, its objects by uid and resourceVersion) at which
  its stored status (as a digest the database computes) was last found to be exactly what the diagnostics answer:
  while the input, the stored status and the route's last reachability check stay the same, the answer is the
  same, so it is not worked out again.
  The diagnostics also read the clock (a certificate's days to expiry), so such a memory lasts ``SETTLED_FOR``
  seconds at most (staggered per route), and a Progressing route, whose deadline is the clock's, is never skipped.

Losing the memo (a new process, another worker taking the cluster) costs one full compare, never a wrong answer.
"""

import hashlib
import json
import random
import threading
import time
from typing import Any

from django.db.models import TextField
from django.db.models.functions import MD5, Cast, Concat

from routes.domain import render
from routes.domain.diagnostics.shared import Observed
from routes.domain.managed_fields import SUMMARY_KEY, summarize
from routes.domain.values import RouteSpec

from .objects import in_sync

_lock = threading.Lock()
_memos: dict[int, "ClusterMemo"] = {}


# How long a route's settled status is trusted without evaluating it again (the clock's part of the diagnostics).
SETTLED_FOR = 300.0


class ClusterMemo:
    def __init__(self) -> None:
        self.desired_fingerprint: str | None = None
        self.desired: dict = {}
        self.matched: dict[tuple, tuple[str, str]] = {}
        self.specs: dict[tuple, tuple[str, RouteSpec]] = {}
        self.summaries: dict[tuple, tuple[str, list | None]] = {}
        self.settled: dict[Any, tuple] = {}
        self.quiet: Any = None  # quiet.QuietState of the last full sync that left nothing to do

    def revision_specs(self, revisions) -> dict[tuple, RouteSpec]:
        """The specs of ``revisions`` (a RouteRevision queryset) by (route id, number), in one query that reads
        each spec as text: only a text not seen before is decoded. (A stored spec does not change, but a repair of
        stored data could rewrite one; it is then decoded again.)"""
        rows = list(
            revisions.annotate(spec_text=Cast("spec", TextField())).values_list("route_id", "number", "spec_text")
        )
        known, self.specs = self.specs, {}
        for route_id, number, text in rows:
            found = known.get((route_id, number))
            self.specs[(route_id, number)] = found if found and found[0] == text else (text, decode_spec(text))
        return {key: spec for key, (_, spec) in self.specs.items()}

    def spec_text(self, route_id, number: int) -> str:
        """The stored text of a spec ``revision_specs`` returned: what the rendering's fingerprint hashes."""
        return self.specs[(route_id, number)][0]

    def summarize(self, obj: dict) -> None:
        """``managed_fields.summarize``, reusing the summary made at the object's resourceVersion."""
        meta = obj.get("metadata") or {}
        key, version = render.object_key(obj), meta.get("resourceVersion")
        known = self.summaries.get(key)
        if version and known is not None and known[0] == version:
            meta.pop("managedFields", None)
            if known[1] is not None:
                obj[SUMMARY_KEY] = known[1]
            return
        summarize(obj)
        if version:
            self.summaries[key] = (version, obj.get(SUMMARY_KEY))

    def forget_unlisted(self, keys) -> None:
        """Drop the summaries of objects the last lists did not return."""
        self.summaries = {key: value for key, value in self.summaries.items() if key in keys}

    def still_settled(self, route_id, observed: Observed, stored: str) -> bool:
        """The route's stored status (``stored``: its ``STATUS_DIGEST``) is what the diagnostics answered for this
        very input, not long ago."""
        known = self.settled.get(route_id)
        return (
            known is not None
            and time.monotonic() < known[2]
            and known[1] == stored
            and known[0] == _digest(fingerprint(observed))
        )

    def settle(self, route_id, observed: Observed, stored: str) -> None:
        """The diagnostics answered the route's stored status (``stored``: its ``STATUS_DIGEST``) for ``observed``.
        Digests, not the values: a worker syncing 50 clusters of 1,000 routes held 1 GiB of statuses otherwise."""
        expires = time.monotonic() + SETTLED_FOR * random.uniform(0.5, 1.0)
        self.settled[route_id] = (_digest(fingerprint(observed)), stored, expires)

    def unsettle(self, route_id) -> None:
        self.settled.pop(route_id, None)

    def forget_routes_but(self, route_ids) -> None:
        """Drop what is remembered of routes no longer live on the cluster."""
        self.settled = {pk: known for pk, known in self.settled.items() if pk in route_ids}

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


# What the diagnostics decide for a route (progress.judge included): its status fields but the time of the decision.
SETTLED_FIELDS = (
    "sync",
    "health",
    "conditions",
    "diagnostics",
    "address",
    "certificate",
    "endpoints",
    "progressing_since",
)

# A digest of everything a route's status judgement reads from and writes to its row (the fields the sync's
# refresh compares, and the last reachability check), computed by the database with the route's row.
STATUS_DIGEST = MD5(
    Concat(
        *(Cast(name, TextField()) for name in (*SETTLED_FIELDS, "reachability")),
        output_field=TextField(),
    )
)


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).digest()


def decode_spec(text: str) -> RouteSpec:
    """A revision's spec from its stored text (``adapters.revision_spec`` reads it from the model)."""
    return RouteSpec.from_dict(json.loads(text))


def fingerprint(observed: Observed) -> tuple:
    """Everything the diagnostics read, with each Kubernetes object as its uid and resourceVersion (the API server
    changes the resourceVersion with any change of the object) instead of its whole content. Compared with ``==``,
    never hashed, so values need not be hashable."""
    return tuple(value if type(value) in _PLAIN else _part(value) for value in vars(observed).values())


_PLAIN = frozenset({str, bool, int, type(None)})


def _part(value: Any) -> Any:
    if isinstance(value, dict):
        meta = value.get("metadata")
        if isinstance(meta, dict) and meta.get("resourceVersion"):
            return (meta.get("uid"), meta["resourceVersion"], value.get(SUMMARY_KEY))
        return value
    if isinstance(value, list | tuple):
        return tuple(_part(item) for item in value)
    return value


def _version(obj: dict | None) -> str | None:
    return ((obj or {}).get("metadata") or {}).get("resourceVersion")


def _hash(obj: dict) -> str:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(render.SPEC_HASH_ANNOTATION, "")
