"""Issue 16 goal 5, many clusters: full sync rounds over a fleet of real API servers, with two real Celery workers.

The fleet (bench/fleet.py) is one kube-apiserver process per cluster on one shared etcd, each under its own
``--etcd-prefix``, so no cluster sees another's objects. Two `celery worker` processes (threads pool, concurrency
2 each, as bench/worker_bench.py's) consume the Redis broker; a round is what beat sends every
PORTICO_SYNC_INTERVAL seconds, ``routes.tasks.sync_all_clusters``, which fans out one ``sync_cluster`` per
cluster. Each sync is read back from the workers' logs (routes.reconcile.sync logs one line per sync it ran,
with its duration; a sync refused by the lease is logged by Celery's trace as "skipped").

Rounds: the first apply of every route; a no-op round; a round where 1% of each cluster's routes have a new
approved revision; and a round where cluster 0 is slow (a DelayProxy in front of its server holds every request)
long enough that its sync outlives the sync lease, while beat's trigger is sent again every sync interval.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clusters.lease import lease_length
from clusters.models import Cluster
from routes.choices import ApprovalChoices
from routes.models import Route, RouteRevision

from . import seed
from .fleet import Fleet, rss_kib
from .worker_bench import Worker

OFFSET = 100_000  # route i of cluster k is seed route k * OFFSET + i: names and hosts apart per cluster
IDLE_SECONDS = 20.0  # the idle fleet's CPU is measured over this long, before the first round
SLOW_SYNC_SECONDS = 90.0  # how long the slow cluster's sync is made to last: longer than the 60 s sync lease


@dataclasses.dataclass
class Sync:
    worker: str
    cluster: str
    start: float
    end: float
    summary: str


class Logs:
    """The syncs the workers ran (and the ones the lease refused), read from their JSON logs as they grow."""

    def __init__(self, workers: dict[str, Path]):
        self.workers = workers
        self.offsets = dict.fromkeys(workers, 0)
        self.syncs: list[Sync] = []
        self.skipped: list[tuple[str, float]] = []  # (cluster name, when)
        self.fanouts: list[tuple[float, int]] = []  # (when, clusters sent) of each sync_all_clusters

    def read(self) -> None:
        for name, path in self.workers.items():
            with path.open("rb") as f:
                f.seek(self.offsets[name])
                data = f.read()
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[name] += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                self._line(name, line)

    def _line(self, worker: str, line: str) -> None:
        try:
            entry = json.loads(line)
        except ValueError:
            return
        message = entry.get("message", "")
        when = datetime.strptime(entry["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if entry.get("logger") == "routes.reconcile.sync" and " routes, " in message and message.startswith("cluster="):
            name, summary = message.removeprefix("cluster=").split(" ", 1)
            duration = float(summary.rsplit(" in ", 1)[1].rstrip("s"))
            self.syncs.append(Sync(worker, name, when - duration, when, summary))
        elif "routes.tasks.sync_all_clusters[" in message and " succeeded in " in message:
            self.fanouts.append((when, int(message.rsplit(": ", 1)[1])))
        elif "routes.tasks.sync_cluster[" in message and "skipped (another worker" in message:
            self.skipped.append((message.split("'", 1)[1].split(":", 1)[0], when))

    def since(self, t0: float) -> list[Sync]:
        return [s for s in self.syncs if s.start >= t0 - 0.01]


def trigger() -> None:
    """What beat sends every sync interval (portico/celery.py: sync-all-clusters, expiring after one interval)."""
    current_app.send_task("routes.tasks.sync_all_clusters", expires=float(settings.PORTICO_SYNC_INTERVAL))


def settle(timeout: float = 600.0) -> None:
    """Until no sync is queued or running, so the previous round's last triggers do not run into the next."""
    import redis

    url = os.environ["CELERY_BROKER_URL"]
    if url.startswith("redis+socket://"):
        broker = redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
    else:
        broker = redis.Redis.from_url(url)
    deadline, quiet = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and quiet < 3:
        busy = broker.llen("celery") or Cluster.objects.filter(sync_lease_until__gt=timezone.now()).exists()
        quiet = 0 if busy else quiet + 1
        time.sleep(0.5)


def run_round(logs: Logs, names: list[str], *, timeout: float, during=None) -> dict:
    """Send beat's trigger and wait until every cluster's sync started after it has ended, sending the trigger
    again every sync interval meanwhile, as beat does (a sync still queued when the next round is sent expires
    unrun); ``during``: called every poll (a lease observer)."""
    retrigger = settings.PORTICO_SYNC_INTERVAL
    settle()
    t0 = time.time()
    trigger()
    sent = 1
    done: dict[str, Sync] = {}
    while len(done) < len(names):
        if time.time() - t0 > timeout:
            raise RuntimeError(f"round not done in {timeout:.0f} s: {sorted(set(names) - set(done))} not synced")
        time.sleep(0.2)
        logs.read()
        for s in logs.since(t0):
            if s.cluster in names:  # beat syncs every cluster in the database; the round is the fleet's
                done.setdefault(s.cluster, s)
        if during:
            during()
        if time.time() - t0 > sent * retrigger and len(done) < len(names):
            trigger()
            sent += 1
    durations = {n: done[n].end - done[n].start for n in names}
    return {
        "seconds": max(s.end for s in done.values()) - t0,
        "finished": {n: done[n].end - t0 for n in names},
        "durations": durations,
        "triggers": sent,
        "errors": [s.summary for s in done.values() if " 0 errors" not in s.summary and "quiet" not in s.summary],
        "quiet": sum(1 for s in done.values() if "quiet" in s.summary),
    }


def overlaps(syncs: list[Sync]) -> int:
    """Pairs of syncs of one cluster that ran at the same time (the lease exists to make this 0)."""
    found = 0
    by_cluster: dict[str, list[Sync]] = {}
    for s in syncs:
        by_cluster.setdefault(s.cluster, []).append(s)
    for runs in by_cluster.values():
        runs.sort(key=lambda s: s.start)
        found += sum(1 for a, b in pairwise(runs) if b.start < a.end - 0.005)
    return found


@transaction.atomic
def change_routes(clusters: list[Cluster], per_cluster: int, start: int = 0) -> int:
    """A new approved revision (another Service port) for ``per_cluster`` routes of each cluster, from its
    ``start``-th route by name."""
    changed = 0
    for cluster in clusters:
        routes = list(Route.objects.filter(cluster=cluster).order_by("name")[start : start + per_cluster])
        revisions = []
        for route in routes:
            spec = RouteRevision.objects.get(route=route, number=1).spec
            spec = {**spec, "backend": {**spec["backend"], "service_port": 8081}}
            revisions.append(
                RouteRevision(
                    route=route,
                    number=2,
                    spec=spec,
                    host=route.host,
                    path=route.path,
                    path_type=route.path_type,
                    approval=ApprovalChoices.APPROVED,
                    created_by=route.created_by,
                )
            )
        RouteRevision.objects.bulk_create(revisions)
        changed += Route.objects.filter(pk__in=[r.pk for r in routes]).update(revision=2, approved_revision=2)
    return changed


class LeaseWatch:
    """Polls one cluster's lease row: the owners it had and how often its expiry moved (a renewal)."""

    def __init__(self, cluster_id: int):
        self.cluster_id = cluster_id
        self.seen: list[tuple[str, datetime | None]] = []

    def __call__(self) -> None:
        row = Cluster.objects.values_list("sync_lease_owner", "sync_lease_until").get(pk=self.cluster_id)
        if not self.seen or self.seen[-1] != row:
            self.seen.append(row)

    def summary(self) -> dict:
        owners = [o for o, _ in self.seen if o]
        held = [(o, u) for o, u in self.seen if o]
        renewals = sum(1 for a, b in pairwise(held) if a[0] == b[0] and a[1] != b[1])
        return {"owners": len(set(owners)), "renewals": renewals}


def _stats(values) -> dict:
    values = sorted(values)
    return {"min": values[0], "median": statistics.median(values), "max": values[-1]}


def run(world, *, clusters: int, routes: int, scratch: Path, parallel: int = 4) -> dict:
    """``parallel``: API servers started at a time (each takes ~3 CPU-seconds to start when trimmed)."""
    saved = {k: os.environ.get(k) for k in ("LOG_LEVEL", "PORTICO_LOG_FORMAT")}
    os.environ.update(LOG_LEVEL="INFO", PORTICO_LOG_FORMAT="json")  # the workers' per-sync lines
    try:
        return _run(world, clusters=clusters, routes=routes, scratch=scratch, parallel=parallel)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(world, *, clusters: int, routes: int, scratch: Path, parallel: int) -> dict:
    result: dict = {"clusters": clusters, "routes": routes, "interval": settings.PORTICO_SYNC_INTERVAL}
    result["lease_seconds"] = lease_length().total_seconds()
    started = time.monotonic()
    with Fleet(scratch / "fleet", clusters, parallel=parallel) as fleet:
        result["fleet_start_seconds"] = time.monotonic() - started
        result["apiserver_start"] = _stats(fleet.startup_seconds)
        for server in fleet.servers:
            for namespace in seed.NAMESPACES:
                server.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
        fleet.slow_down(0, 0.0)  # cluster 0 goes through the proxy from the start; it only delays later
        cpu, t = fleet.cpu_seconds(), time.monotonic()
        time.sleep(IDLE_SECONDS)  # what the idle fleet costs the machine: cores busy, as a load
        result["fleet_idle_cores"] = (fleet.cpu_seconds() - cpu) / (time.monotonic() - t)
        rows = [seed.make_cluster(world, f"fleet-{k:02d}", fleet.kubeconfig(k)) for k in range(clusters)]
        for k, cluster in enumerate(rows):
            seed.add_routes(world, cluster, k * OFFSET, k * OFFSET + routes)
        names = [c.name for c in rows]
        logs_dir = scratch / "clusters-workers"
        logs_dir.mkdir(exist_ok=True)
        paths = {w: logs_dir / f"{w}.log" for w in ("w1", "w2")}
        # The slow cluster's link passes one request at a time: a request may wait behind the others of its sync
        # (and their TLS handshakes) longer than the default 10 s client timeout, which a distant cluster's
        # platform team raises (PORTICO_KUBE_TIMEOUT).
        environ = {"PORTICO_KUBE_TIMEOUT": "120", "PORTICO_SYNC_WATCH": "true"}
        with (
            Worker(paths["w1"], name="w1", environ=environ) as w1,
            Worker(paths["w2"], name="w2", environ=environ) as w2,
        ):
            logs = Logs(paths)
            # Generous: a round that does not end is reported as an error, not waited on for ever.
            budget = max(300.0, routes * clusters * 0.05)
            result["first"] = run_round(logs, names, timeout=max(600.0, routes * clusters * 0.3))
            result["applied_after_first"] = Route.objects.filter(cluster__in=rows, applied_revision=1).count()
            result["noop"] = run_round(logs, names, timeout=budget)
            # Again: a worker whose last sync of a cluster left nothing to do watches it, and finds it quiet.
            result["quiet"] = run_round(logs, names, timeout=budget)
            proxy, per_cluster = fleet.proxies[0], max(1, routes // 100)
            result["changed"] = change_routes(rows, per_cluster)
            proxy.chunks, t_change = 0, time.time()
            result["change"] = run_round(logs, names, timeout=budget)
            result["applied_changes"] = Route.objects.filter(cluster__in=rows, applied_revision=2).count()
            # The slow round changes as many other routes (a no-op round would be quiet: no request to slow down):
            # the change round's requests per sync of cluster 0 size the delay.
            syncs_of_slow = sum(1 for s in logs.since(t_change) if s.cluster == names[0])
            chunks = max(proxy.chunks // max(syncs_of_slow, 1), 1)
            change_routes(rows, per_cluster, start=per_cluster)
            fleet.slow_down(0, SLOW_SYNC_SECONDS / chunks)
            result["slow_delay"] = SLOW_SYNC_SECONDS / chunks
            watch = LeaseWatch(rows[0].pk)
            skipped_before, fanouts_before = len(logs.skipped), len(logs.fanouts)
            result["slow"] = run_round(logs, names, timeout=SLOW_SYNC_SECONDS * 4 + budget, during=watch)
            fleet.slow_down(0, 0.0)
            result["lease"] = watch.summary()
            result["skipped_slow"] = sum(1 for c, _ in logs.skipped[skipped_before:] if c == names[0])
            result["left_out"] = sum(1 for _, n in logs.fanouts[fanouts_before:] if n < clusters)
            result["overlaps"] = overlaps(logs.syncs)
            result["syncs"] = len(logs.syncs)
            result["worker_peak_rss_kib"] = [_peak_rss(w.proc.pid) for w in (w1, w2)]
        result["fleet_rss_kib"] = fleet.rss_kib()
    result["names"] = names
    return result


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return rss_kib(pid)
