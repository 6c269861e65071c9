"""Benchmark 4: the API and the pages with 10,000 routes in PostgreSQL, under concurrent load, beside a floor view.

The app runs under gunicorn (2 sync workers) from the venv on loopback, with bench.settings (production settings
plus the floor views). Load comes from wrk (Debian package) with a Lua script for p50/p95; without wrk, a
Python thread pool does the same job less efficiently. SQL queries per request are counted in-process with
CaptureQueriesContext at 1,000 and 10,000 routes.
"""

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from routes.choices import HealthChoices, SyncChoices
from routes.models import Route

from . import env, seed

HERE = Path(__file__).resolve().parent
CONCURRENCY = 4
ROUNDS = 4  # each endpoint is loaded in this many turns with the others (``run``)


def endpoints(route_pk) -> list[tuple[str, str, dict, str]]:
    """(label, path, extra headers, floor label)."""
    return [
        ("API list `GET /api/v1/routes/?page_size=50`", "/api/v1/routes/?page_size=50", {}, "floor list"),
        ("Route list page `/routes/`", "/routes/", {}, "floor list"),
        ("Route detail `/routes/<id>/`", f"/routes/{route_pk}/", {}, "floor row"),
        ("Status partial (htmx) `/routes/<id>/`", f"/routes/{route_pk}/", {"HX-Request": "true"}, "floor row"),
        ("floor list", "/bench/floor/routes/", {}, None),
        ("floor row", f"/bench/floor/routes/{route_pk}/", {}, None),
    ]


def settle_statuses() -> None:
    """Give the seeded routes the status a sync would leave, so pages render conditions and diagnostics."""
    conditions = [
        {
            "type": "Applied",
            "status": "True",
            "reason": "Applied",
            "message": "Objects applied.",
            "last_transition_time": "2026-01-01T00:00:00+00:00",
        }
    ]
    Route.objects.update(
        sync=SyncChoices.SYNCED,
        health=HealthChoices.HEALTHY,
        conditions=conditions,
        endpoints={"ready": 1, "total": 1},
        certificate={"ready": True, "not_after": "2027-01-01"},
    )


def count_queries(client: Client, route_pk) -> dict:
    counts = {}
    for label, path, headers, _ in endpoints(route_pk):
        client.get(path, headers=headers)  # warm caches (content types, permissions) as a running server has
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, headers=headers)
        counts[label] = {"queries": len(ctx.captured_queries), "status": response.status_code}
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving portico.wsgi with bench.settings on a loopback port; stopped on exit."""

    def __init__(self, log: Path, workers: int = 2):
        self.port = free_port()
        self.log = log
        self.workers = workers
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portico.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            cwd=env.ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        deadline = time.monotonic() + 120  # a loaded machine imports Django slowly
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=2).read()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(
                        f"gunicorn did not start:\n{self.log.read_text(errors='replace')[-2000:]}"
                    ) from None
                time.sleep(0.2)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def served_status(port: int, path: str, headers: dict) -> int:
    """The status gunicorn answers (redirects not followed: a 302 to the login page is a failure here)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def load(url: str, headers: dict, seconds: float) -> dict:
    """p50/p95 latency (ms) and throughput of `url` under CONCURRENCY concurrent connections."""
    wrk = shutil.which("wrk")
    if wrk:
        args = [
            wrk,
            "-t2",
            f"-c{CONCURRENCY}",
            f"-d{max(1, int(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(HERE / "wrk_report.lua"),
        ]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
        stats = json.loads(out.strip().splitlines()[-1])
        return {
            "tool": "wrk",
            "p50": stats["p50"] / 1000,
            "p95": stats["p95"] / 1000,
            "requests": stats["requests"],
            "rps": stats["requests"] / (stats["duration_us"] / 1e6),
            "errors": stats["non2xx"] + stats["socket_errors"],
        }
    return _thread_pool_load(url, headers, seconds)


def _thread_pool_load(url: str, headers: dict, seconds: float) -> dict:
    deadline = time.monotonic() + seconds

    def worker():
        samples, errors = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
                    response.read()
            except OSError:
                errors += 1
            samples.append(time.perf_counter() - started)
        return samples, errors

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda _: worker(), range(CONCURRENCY)))
    samples = sorted(s for r, _ in results for s in r)
    q = statistics.quantiles(samples, n=100)
    return {
        "tool": "python threads",
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "requests": len(samples),
        "rps": len(samples) / seconds,
        "errors": sum(e for _, e in results),
    }


def combined(runs: list[dict]) -> dict:
    """One endpoint's rounds as one figure: the median round's p50 and p95, the requests and rate of all."""
    return {
        "tool": runs[0]["tool"],
        "p50": statistics.median(r["p50"] for r in runs),
        "p95": statistics.median(r["p95"] for r in runs),
        "p95_rounds": [r["p95"] for r in runs],
        "requests": sum(r["requests"] for r in runs),
        "rps": statistics.mean(r["rps"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def run(world, cluster, *, n_small: int, n_large: int, seconds: float, scratch: Path) -> dict:
    Route.objects.filter(cluster=cluster).delete()
    seed.add_routes(world, cluster, 0, n_small, applied=True)
    settle_statuses()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(world.reviewer)
    middle = Route.objects.filter(cluster=cluster).order_by("host", "path", "name")[n_small // 2]
    small = count_queries(client, middle.pk)
    for start in range(n_small, n_large, 3000):
        seed.add_routes(world, cluster, start, min(n_large, start + 3000), applied=True)
    settle_statuses()
    connection.cursor().execute("ANALYZE")
    large = count_queries(client, middle.pk)
    statuses = {label: c["status"] for label, c in large.items()}

    cookie = f"sessionid={client.cookies['sessionid'].value}"
    rounds: dict[str, list[dict]] = {label: [] for label, *_ in endpoints(middle.pk)}
    with Gunicorn(scratch / "gunicorn.log") as server:
        for label, path, headers, _ in endpoints(middle.pk):
            served = served_status(server.port, path, {"Cookie": cookie, **headers})
            if statuses[label] == 200:
                statuses[label] = served
            url = f"http://127.0.0.1:{server.port}{path}"
            load(url, {"Cookie": cookie, **headers}, min(1.0, seconds))  # warm-up: imports, connections, caches
        # Every endpoint and its floor in turns, ROUNDS times: on a shared machine, the load changing between one
        # endpoint's run and its floor's would otherwise decide their ratio.
        for _ in range(ROUNDS):
            for label, path, headers, _ in endpoints(middle.pk):
                url = f"http://127.0.0.1:{server.port}{path}"
                rounds[label].append(load(url, {"Cookie": cookie, **headers}, seconds / ROUNDS))
    latencies = {label: combined(runs) for label, runs in rounds.items()}
    return {
        "n_small": n_small,
        "n_large": n_large,
        "seconds": seconds,
        "queries_small": small,
        "queries_large": large,
        "statuses": statuses,
        "latency": latencies,
        "endpoints": endpoints(middle.pk),
    }
