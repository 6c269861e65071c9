"""Benchmarks 1-3: first apply, no-op sync and drift repair, each beside its floor, against the local
kube-apiserver (bench/local_server.py).

The floor is what the same work costs with nothing of Portico's around it: a plain loop of server-side apply
PATCHes of the same rendered manifests, with the same client (clusters.kube.KubeClient, so the same
`kubernetes` ApiClient and connection pool), against the same server.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

from django.test import override_settings

from clusters import watches
from clusters.kube import KubeClient
from routes import reconcile
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.domain import render
from routes.models import Route, RouteRevision

from . import seed

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NOOP_RUNS = 3  # no-op syncs measured in a row; the median is shown


@dataclass
class Run:
    """One measured run: wall time and the requests the server received."""

    seconds: float
    requests: int
    writes: int
    by_verb: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def measure(kube, fn) -> Run:
    kube.clear_requests()
    started = time.perf_counter()
    extra = fn() or {}
    seconds = time.perf_counter() - started
    requests = kube.requests
    verbs = Counter(_verb(r) for r in requests)
    # A paginated list is one list of several pages: the pages after the first carry a continue token.
    lists = Counter(r.path for r in requests if _verb(r) == "list" and "continue" not in r.query)
    extra = {**extra, "lists_per_kind": max(lists.values(), default=0), "kinds_listed": len(lists)}
    return Run(seconds, len(requests), sum(1 for r in requests if r.method in WRITES), dict(verbs), extra)


def _verb(record) -> str:
    if record.method == "GET":
        return "list" if not _is_named(record.path) else "get"
    return record.method.lower()


def _is_named(path: str) -> bool:
    parts = path.strip("/").split("/")
    # /api/v1/<plural>, /api/v1/namespaces/<ns>/<plural>, /apis/<g>/<v>/... : a list ends with a plural.
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    if rest[:1] == ["namespaces"]:
        rest = rest[2:]
    return len(rest) >= 2


def desired_for(cluster) -> list[dict]:
    """The manifests Portico renders for every approved route of the cluster, in apply order."""
    routes = Route.objects.live().filter(cluster=cluster, approved_revision__isnull=False).select_related("team")
    specs = {rev.route_id: revision_spec(rev) for rev in RouteRevision.objects.filter(route__cluster=cluster, number=1)}
    objects = render.desired_objects(
        [(route_target(r, r.approved_revision), specs[r.pk]) for r in routes], cluster_settings(cluster)
    )
    order = {"Service": 0, "Ingress": 1, "Certificate": 2}
    return sorted(objects, key=lambda o: order[o["kind"]])


def floor_apply(cluster, objects: list[dict]) -> None:
    with KubeClient.for_cluster(cluster) as client:
        for obj in objects:
            client.apply(obj)


def fresh_cluster(kube, world, name: str, n: int, *, applied: bool = False):
    from tests.reconcile.conftest import seed_cluster_addons

    kube.reset()
    if not getattr(kube, "addons_installed", False):
        seed_cluster_addons(kube)
    cluster = seed.make_cluster(world, getattr(kube, "cluster_prefix", "") + name, kube.kubeconfig())
    seed.add_routes(world, cluster, 0, n, applied=applied)
    return cluster


def first_apply(kube, world, n: int, *, each: bool = True, reps: int = 1) -> dict:
    """Portico's sync of N approved, never applied routes vs the floor; and the per-approval path.

    With ``reps`` > 1 the floor and the sync are measured in turns, each on a fresh cluster, and the fastest run of
    each is kept: on a shared machine a slow phase of other work then stretches one run, not the ratio."""
    floors, syncs = [], []
    objects: list[dict] = []
    applied = 0
    for rep in range(reps):
        cluster = fresh_cluster(kube, world, f"first-floor-{n}-{rep}", n)
        objects = desired_for(cluster)
        floors.append(measure(kube, lambda cluster=cluster, objects=objects: floor_apply(cluster, objects)))

        cluster = fresh_cluster(kube, world, f"first-sync-{n}-{rep}", n)
        syncs.append(measure(kube, lambda cluster=cluster: _sync_report(cluster)))
        applied = Route.objects.filter(cluster=cluster, applied_revision=1).count()
    floor = min(floors, key=lambda run: run.seconds)
    portico = min(syncs, key=lambda run: run.seconds)
    result = {
        "n": n,
        "objects": len(objects),
        "floor": floor,
        "sync": portico,
        "each": None,
        "applied": applied,
        "reps": reps,
        "ratios": [round(s.seconds / f.seconds, 2) for f, s in zip(floors, syncs, strict=True)],
    }
    if each:
        cluster = fresh_cluster(kube, world, f"first-each-{n}", n)
        ids = list(Route.objects.filter(cluster=cluster).values_list("pk", flat=True))
        result["each"] = measure(
            kube, lambda: {"results": dict(Counter(reconcile.reconcile_route(pk).value for pk in ids))}
        )
    return result


def _sync_report(cluster) -> dict:
    report = reconcile.sync_cluster(cluster.pk)
    return {"report": report.summary(), "errors": report.errors[:3]}


def steady_cluster(kube, world, name: str, n: int):
    """N routes recorded as applied, their objects on the server (put there by the floor loop), and two syncs
    already run by this process (the first writes the statuses, the second finds them to be the diagnostics'
    answer): the state a worker's no-op sync finds every 30 s."""
    cluster = fresh_cluster(kube, world, name, n, applied=True)
    objects = desired_for(cluster)
    floor_apply(cluster, objects)
    reconcile.sync_cluster(cluster.pk)
    reconcile.sync_cluster(cluster.pk)
    return cluster, objects


def noop_sync(kube, world, n: int, *, reapply: bool = True) -> dict:
    """A sync with nothing to do, vs re-applying every object (up to the N where that is measured): quiet (the
    worker watches what its last full sync listed, routes/reconcile/quiet.py) and full (every list made and every
    route's input compared, as at each resync and whenever anything changed)."""
    with override_settings(PORTICO_SYNC_WATCH=True):
        cluster, objects = steady_cluster(kube, world, f"noop-{n}", n)
        again = measure(kube, lambda: floor_apply(cluster, objects)) if reapply else None
        reconcile.sync_cluster(cluster.pk)  # the worker's next sync: full, and watching again, if the re-apply wrote
        _wait_for_watches(cluster)
        quiet = _median(kube, cluster)
        watches.disarm_all()
    full = _median(kube, cluster)
    return {"n": n, "objects": len(objects), "reapply": again, "sync": quiet, "full": full}


def _median(kube, cluster) -> Run:
    syncs = sorted((measure(kube, lambda: _sync_report(cluster)) for _ in range(NOOP_RUNS)), key=lambda r: r.seconds)
    sync = syncs[len(syncs) // 2]
    sync.extra["runs"] = [r.seconds for r in syncs]
    return sync


def _wait_for_watches(cluster, timeout: float = 60.0) -> None:
    """Until the watches the last full sync opened are accepted (their own threads ask the API server)."""
    deadline = time.monotonic() + timeout
    while watches.status(cluster.pk) == "arming" and time.monotonic() < deadline:
        time.sleep(0.05)


def drift_repair(kube, world, n: int, fraction: float = 0.01) -> dict:
    """Change 1% of the objects out of band (as `kubectl edit` would), then sync; vs re-applying exactly those
    objects (the least any repair can do) and vs re-applying everything."""
    cluster, objects = steady_cluster(kube, world, f"drift-{n}", n)
    step = max(1, round(1 / fraction))
    drifted = objects[::step]

    def vandalise():
        for obj in drifted:
            meta = obj["metadata"]
            kind = obj["kind"]
            patch = {"metadata": {"labels": {"portico.dev/team": "someone-else"}}}
            if kind == "Ingress":
                patch = {"spec": {"ingressClassName": "not-nginx"}}
            elif kind == "Service":
                patch = {"spec": {"selector": {"app": "elsewhere"}}}
            kube.patch_out_of_band(obj["apiVersion"], kind, meta["namespace"], meta["name"], patch)

    vandalise()
    floor = measure(kube, lambda: floor_apply(cluster, drifted))
    vandalise()
    sync = measure(kube, lambda: _sync_report(cluster))
    repaired = sum(
        1
        for obj in drifted
        if reconcile.objects.in_sync(
            kube.get(obj["apiVersion"], obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"]), obj
        )
    )
    return {
        "n": n,
        "objects": len(objects),
        "drifted": len(drifted),
        "repaired": repaired,
        "floor": floor,
        "sync": sync,
    }
