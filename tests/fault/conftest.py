"""Fault tests: real Celery worker processes on Redis, the emulated API server, and faults injected into each.

Every fault test records its figures (time to converge, retries, requests sent) with the `figures` fixture.
At the end of the session they are written to `$PORTICO_VAR_DIR/fault-figures.json` (default var/); with
PORTICO_RELIABILITY_DOC=docs/reliability.md set, that file is rewritten from the run as well
(see tests/fault/report.py).
"""

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from celery import current_app

from routes import services
from routes.models import Route
from tests.reconcile import conftest as reconcile_conftest
from tests.reconcile.conftest import CERTIFICATE, INGRESS, seed_cluster_addons, serve_cart
from tests.worker.conftest import live_db_url, start_worker, wait_for, worker_env  # noqa: F401  (fixtures)

_FIGURES: list[dict] = []


@pytest.fixture
def figures(request):
    """record(**values): keep this test's measurements for docs/reliability.md."""
    entry = {"test": request.node.nodeid, "figures": {}}
    _FIGURES.append(entry)

    def record(**values):
        entry["figures"].update(values)

    return record


def pytest_sessionfinish(session, exitstatus):
    if not _FIGURES:
        return
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()})",
        "exitstatus": int(exitstatus),
        "results": _FIGURES,
    }
    from django.conf import settings

    path = Path(settings.VAR_DIR) / "fault-figures.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=2, default=str))
    session.config.get_terminal_writer().line(f"fault figures: {path}")
    doc = os.environ.get("PORTICO_RELIABILITY_DOC")
    if doc:
        from tests.fault.report import write_report

        write_report(run, Path(doc))


def outage_seconds() -> float:
    """How long the API server outage of the fault sequence lasts (PORTICO_FAULT_OUTAGE_SECONDS, default 30)."""
    return float(os.environ.get("PORTICO_FAULT_OUTAGE_SECONDS", "30"))


# The broker


def _redis_client(url: str) -> redis.Redis:
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
    return redis.Redis.from_url(url)


@pytest.fixture
def clean_broker(worker_env):
    """The shared test Redis, emptied before and after: no message of another test is delivered in this one."""
    client = _redis_client(os.environ["CELERY_BROKER_URL"])
    client.flushall()
    yield client
    client.flushall()


class RedisServer:
    """A Redis this test owns, on a unix socket, that the test can stop and start again at the same address."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="portico-redis-", dir="/tmp"))
        self.socket = self.folder / "redis.sock"
        self.url = f"redis+socket://{self.socket}"
        self.proc = None

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self._answers(), timeout=10, interval=0.05)
        return self

    def _answers(self) -> bool:
        try:
            return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # a crash, not a clean shutdown: nothing is saved (--save '')
            self.proc.wait(10)
        self.socket.unlink(missing_ok=True)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def own_redis(worker_env, monkeypatch):
    """A Redis for this test only, used as the broker by this process (enqueueing) and by the workers it starts."""
    server = RedisServer().start()

    def reconnect():
        current_app._pool = None  # the next publish connects afresh, as after a fork
        current_app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL from the environment before any setting.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    reconnect()
    yield server
    monkeypatch.undo()
    reconnect()
    server.cleanup()


# The cluster


SERVICE_V1 = ("v1", "Service")


@pytest.fixture
def emulated_cluster(kube, kube_kubeconfig, shop):
    """A probed kubernetes cluster on the emulator whose Service shop/cart has a ready endpoint."""
    seed_cluster_addons(kube)
    serve_cart(kube)
    return reconcile_conftest.emulated_cluster(kube, kube_kubeconfig, shop, name="kind")


@pytest.fixture
def real_cluster(realkube, shop):
    """A probed kubernetes cluster on the local kube-apiserver (tests/realkube) whose Service shop/cart has a ready
    endpoint, registered as deploy/target-rbac.yaml's identity."""
    realkube.serve("cart", port=8080)
    return realkube.cluster(shop)


def host_of(i: int) -> str:
    return f"r{i}.shop.example.com"


@pytest.fixture
def many_routes(submit, pat, emulated_cluster):
    """approve_many(n): n routes of team shop on their own hosts, submitted by alice and approved by pat."""

    def approve_many(n: int, *, start: int = 0) -> list[Route]:
        return [
            services.approve_route(submit(f"r{i}", on=emulated_cluster, host=host_of(i)), user=pat)
            for i in range(start, start + n)
        ]

    return approve_many


def serve_everything(kube) -> None:
    """Act as the ingress controller and cert-manager: give every Ingress an address, every Certificate Ready
    (``kube``: the emulator or the local kube-apiserver, both write status through the status subresource)."""
    for ingress in kube.list_objects(*INGRESS):
        if not (ingress.get("status") or {}).get("loadBalancer", {}).get("ingress"):
            meta = ingress["metadata"]
            kube.set_status(
                *INGRESS, meta["namespace"], meta["name"], {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
            )
    for cert in kube.list_objects(*CERTIFICATE):
        if not (cert.get("status") or {}).get("conditions"):
            meta = cert["metadata"]
            kube.set_status(
                *CERTIFICATE,
                meta["namespace"],
                meta["name"],
                {
                    "conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}],
                    "notAfter": "2099-01-01T00:00:00Z",
                },
            )


def settled(routes) -> bool:
    """Every route at its approved revision, Synced, and no longer Progressing."""
    ids = [r.pk for r in routes]
    rows = Route.objects.filter(pk__in=ids)
    return (
        rows.count() == len(ids)
        and not rows.exclude(applied_revision=1).exists()
        and not rows.exclude(sync="Synced").exists()
        and not rows.filter(health="Progressing").exists()
    )


def applies_per_object(kube) -> Counter:
    """How many server-side applies each object path received."""
    return Counter(w.path for w in kube.writes() if w.method == "PATCH" and w.query.get("fieldManager") == "portico")


def sweep() -> None:
    """What beat sends every PORTICO_SYNC_INTERVAL seconds (portico/celery.py: sync-all-clusters, with expiry)."""
    from django.conf import settings

    current_app.send_task("routes.tasks.sync_all_clusters", expires=float(settings.PORTICO_SYNC_INTERVAL))


def elapsed(since: float) -> float:
    return round(time.monotonic() - since, 2)


# When a wait times out


def explain(routes, workers, broker=None, *, log_lines: int = 60) -> str:
    """What a failed wait needs to explain itself: the routes' states, the broker's queues, the cluster's lease and
    each worker's liveness, task outcomes and last log lines."""
    from collections import Counter as _Counter

    from clusters.models import Cluster

    ids = [r.pk for r in routes]
    rows = list(
        Route.objects.filter(pk__in=ids).values("pk", "name", "applied_revision", "sync", "health", "conditions")
    )
    states = _Counter((r["applied_revision"], r["sync"], r["health"]) for r in rows)
    lines = [f"routes ({len(rows)}/{len(ids)} rows) by (applied_revision, sync, health): {dict(states)}"]
    for row in [r for r in rows if r["sync"] != "Synced" or r["applied_revision"] != 1][:5]:
        lines.append(f"  unsettled {row['name']}: {json.dumps(row['conditions'], default=str)[:400]}")
    for cluster in Cluster.objects.filter(routes__pk__in=ids).distinct():
        lines.append(
            f"cluster {cluster.pk} lease until {cluster.sync_lease_until} owner {cluster.sync_lease_owner!r}, "
            f"last synced {cluster.last_synced_at}"
        )
    if broker is not None:
        lines.append(f"broker: celery queue {broker.llen('celery')}, unacked {broker.hlen('unacked')}")
    for worker in workers:
        text = worker.log_text()
        outcomes = {word: text.count(word) for word in ("received", "succeeded", "retry", "raised", "Traceback")}
        alive = worker.proc is not None and worker.proc.poll() is None
        tail = "\n".join(text.splitlines()[-log_lines:])
        lines.append(f"--- worker {worker.name} ({'alive' if alive else 'exited'}), log counts {outcomes}:\n{tail}")
    return "\n".join(lines)


def wait_or_explain(predicate, *, timeout: float, interval: float, routes, workers, broker=None):
    """wait_for, and on a timeout an AssertionError that says why (``explain``)."""
    try:
        return wait_for(predicate, timeout=timeout, interval=interval)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{explain(routes, workers, broker)}") from None
