"""Benchmark 5: approve -> applied latency through a real Redis broker and a real Celery worker process.

Each route is submitted through routes.services, then approved inside an outer transaction whose first
on_commit callback stamps the commit time (it runs before the enqueue callback approve_route registers).
The clock stops when this process sees applied_revision recorded (polled every 2 ms).
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.db import transaction

from routes import services
from routes.domain.values import TLS, Backend, RouteSpec
from routes.models import Route

from . import env, seed


class Worker:
    """`celery worker` (threads pool, as in tests/worker) consuming the Redis broker; stopped on exit."""

    def __init__(self, log: Path, concurrency: int = 2, name: str = "bench", environ: dict | None = None):
        self.log, self.name = log, name
        self.concurrency = concurrency
        self.environ = environ or {}  # settings of this worker (PORTICO_* variables)
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portico",
                "worker",
                "--loglevel=INFO",
                f"--hostname={self.name}@%h",
                f"--concurrency={self.concurrency}",
                "--pool=threads",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=env.ROOT,
            env={**os.environ, **self.environ},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"worker did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def approve_timed(route: Route, reviewer) -> float:
    """Approve and return the perf_counter stamp of the commit."""
    stamp = []
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.append(time.perf_counter()))
        services.approve_route(route, user=reviewer, comment="bench")
    return stamp[0]


def wait_applied(pk, timeout: float = 30.0) -> float | None:
    deadline = time.monotonic() + timeout
    query = Route.objects.filter(pk=pk, applied_revision__isnull=False)
    while time.monotonic() < deadline:
        if query.exists():
            return time.perf_counter()
        time.sleep(0.002)
    return None


def run(kube, world, *, approvals: int, scratch: Path) -> dict:
    from tests.reconcile.conftest import seed_cluster_addons

    kube.reset()
    if not getattr(kube, "addons_installed", False):  # the local kube-apiserver comes with them
        seed_cluster_addons(kube)
    cluster = seed.make_cluster(world, "latency", kube.kubeconfig())
    routes = []
    for i in range(approvals):
        backend = (
            Backend(
                service_name=f"lat{i}",
                service_port=8080,
                target_port=8080,
                selector={"app": f"lat{i}"},
                service_type="ClusterIP",
            )
            if i % 3 == 0
            else Backend(service_name=f"lat{i}", service_port=8080)
        )
        spec = RouteSpec(host=f"lat{i}.{seed.DOMAIN}", path="/", backend=backend, tls=TLS())
        routes.append(
            services.submit_route(
                user=world.requester,
                team=world.team,
                cluster=cluster,
                namespace=seed.NAMESPACES[i % len(seed.NAMESPACES)],
                name=f"lat{i}",
                spec=spec,
            )
        )
    latencies, lost = [], 0
    with Worker(scratch / "worker.log"):
        warm = routes.pop(0)  # the first task imports the reconciler and opens connections
        approve_timed(warm, world.reviewer)
        wait_applied(warm.pk)
        for route in routes:
            committed = approve_timed(route, world.reviewer)
            applied = wait_applied(route.pk)
            if applied is None:
                lost += 1
                if lost >= 3:  # the worker is failing, not slow: stop instead of waiting 30 s per approval
                    raise RuntimeError(
                        "3 approvals were never applied; worker log tail:\n"
                        + (scratch / "worker.log").read_text(errors="replace")[-2000:]
                    )
            else:
                latencies.append((applied - committed) * 1000)
    q = statistics.quantiles(latencies, n=100)
    return {
        "approvals": len(routes),
        "lost": lost,
        "p50": q[49],
        "p95": q[94],
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
        "samples": latencies,
    }
