"""Change detectors: after a sync lists a scope (a kind, a namespace, a label selector), a watch of that scope
opened at the list's resourceVersion tells the next sync whether anything in it changed since. It is a watch used
as a tripwire, not an informer: the first event, an error, the server ending the watch (``WATCH_SECONDS``) or a
refusal all mean "changed", and the next sync lists again (docs/architecture.md, "Quiet syncs").

Each worker process keeps one ``WatchSet`` per cluster it synced last (its own client, one thread per scope,
blocked on its socket). ``arm`` replaces a cluster's set after a sync; ``quiet`` asks whether none of its
watches fired. A role without the ``watch`` verb (deploy/target-rbac.yaml before it had one) gets no watches:
every sync of that cluster then lists, as before."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from .kinds import Kind
from .kube import KubeClient, KubeError

logger = logging.getLogger(__name__)

# How long the API server keeps a watch open (its timeoutSeconds): a watch that ends counts as a change, so no
# sync trusts the lists of a scope for longer than this.
WATCH_SECONDS = 600
# How long after a refused watch (403: the role lacks the verb) a cluster is not watched again.
REFUSED_FOR = 3600.0


@dataclass(frozen=True)
class Scope:
    """One list a sync made: what a watch of it covers."""

    kind: Kind
    namespace: str | None
    label_selector: str | None


class Watch:
    """One scope's tripwire: ``armed`` once the API server accepted the watch, ``fired`` on anything after."""

    def __init__(self, client: KubeClient, scope: Scope, version: str, cluster_id: int):
        self.client, self.scope, self.version, self.cluster_id = client, scope, version, cluster_id
        self.armed = threading.Event()
        self.fired = threading.Event()
        self.response: Any = None  # the watch's streaming response, once the server answered
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"watch-{client.name}-{scope.kind.plural}")

    @property
    def quiet(self) -> bool:
        return self.armed.is_set() and not self.fired.is_set()

    def start(self) -> Watch:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.fired.set()
        response = self.response
        if response is not None:
            with contextlib.suppress(Exception):
                response.response.shutdown()  # wakes the thread blocked reading the stream

    def _run(self) -> None:
        try:
            self.response = self.client.watch(
                self.scope.kind,
                namespace=self.scope.namespace,
                label_selector=self.scope.label_selector,
                resource_version=self.version,
                seconds=WATCH_SECONDS,
            )
            if self.fired.is_set():
                return
            self.armed.set()
            # Blocks until the first byte of an event (or of an error), or the end of the watch.
            self.response.response.read(1)
        except KubeError as exc:
            if exc.status == 403:
                with _lock:
                    _refused_until[self.cluster_id] = time.monotonic() + REFUSED_FOR
            logger.info(
                "cluster=%s watch of %s refused (%s): its syncs list it every time",
                self.client.name,
                self.scope.kind.plural,
                exc.message,
            )
        except Exception as exc:  # noqa: BLE001 - any failure only means the next sync lists again
            logger.debug("cluster=%s watch of %s ended: %s", self.client.name, self.scope.kind.plural, exc)
        finally:
            self.fired.set()
            if self.response is not None:
                with contextlib.suppress(Exception):
                    self.response.response.release_conn()


class WatchSet:
    """The watches of one cluster's last sync, with the client they share."""

    def __init__(self, client: KubeClient, listed: dict[Scope, str], cluster_id: int):
        self.client = client
        self.watches = [Watch(client, scope, version, cluster_id).start() for scope, version in listed.items()]

    @property
    def quiet(self) -> bool:
        return bool(self.watches) and all(w.quiet for w in self.watches)

    def stop(self) -> None:
        for watch in self.watches:
            watch.stop()
        self.client.close()


_lock = threading.Lock()
_sets: dict[int, WatchSet] = {}
_refused_until: dict[int, float] = {}  # cluster id -> when a refused watch may be tried again


def arm(cluster, listed: dict[Scope, str]) -> bool:
    """Watch every scope ``listed`` ({scope: the resourceVersion its list was read at}) of ``cluster``, replacing
    the watches of its previous sync. False when the cluster is not watched (refused, or nothing listed)."""
    disarm(cluster.pk)
    with _lock:
        if time.monotonic() < _refused_until.get(cluster.pk, 0.0):
            return False
    if not listed or not all(listed.values()):
        return False
    client = KubeClient.for_cluster(cluster)
    # One connection per watch, kept by the pool (its default size is a few connections).
    client.api.rest_client.pool_manager.connection_pool_kw["maxsize"] = len(listed) + 4
    watch_set = WatchSet(client, listed, cluster.pk)
    with _lock:
        _sets[cluster.pk] = watch_set
    return True


def quiet(cluster_id: int) -> bool:
    """Every watch of the cluster's last sync is open and saw nothing."""
    with _lock:
        watch_set = _sets.get(cluster_id)
    return watch_set is not None and watch_set.quiet


def status(cluster_id: int) -> str:
    """ "quiet", "arming" (a watch not yet accepted), "fired", or "none" (not watched): for logs and tests."""
    with _lock:
        watch_set = _sets.get(cluster_id)
    if watch_set is None:
        return "none"
    if any(w.fired.is_set() for w in watch_set.watches):
        return "fired"
    return "quiet" if watch_set.quiet else "arming"


def disarm(cluster_id: int) -> None:
    with _lock:
        watch_set = _sets.pop(cluster_id, None)
    if watch_set is not None:
        watch_set.stop()


def disarm_all() -> None:
    """Stop every watch of this process, and forget refusals (tests, and a worker shutting down)."""
    with _lock:
        cluster_ids = list(_sets)
        _refused_until.clear()
    for cluster_id in cluster_ids:
        disarm(cluster_id)
