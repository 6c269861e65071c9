"""Real Celery worker processes on the Redis broker, sharing the test database (transaction tests only)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


@pytest.fixture
def worker_env(live_db_url):
    if not os.environ.get("PORTICO_WORKER_TESTS"):
        pytest.skip("worker tests run in make test's second pass (PORTICO_WORKER_TESTS=1, Redis broker)")
    return {
        **os.environ,
        "DATABASE_URL": live_db_url,
        "PORTICO_KUBE_QPS": "100000",
        "PORTICO_KUBE_BURST": "100000",
        # No route of these tests has a data path (their hosts resolve nowhere): a reachability check after each
        # apply could only fail and turn the settled routes Degraded while a test waits for Healthy. The checks
        # are tested with a real data path in tests/traffic.
        "PORTICO_REACHABILITY_AFTER_APPLY": "0",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "tests.worker.settings",
    }


@pytest.fixture
def live_db_url(transactional_db):
    """The URL of the test database this test's rows are committed to."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class WorkerProcess:
    """One `celery worker` process (threads pool) logging to its own file."""

    def __init__(self, env: dict, log: Path, name: str):
        self.log = log
        self.name = name
        self.env = env
        self.proc = None

    def start(self, concurrency: int = 2) -> "WorkerProcess":
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
                f"--concurrency={concurrency}",
                "--pool=threads",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        # Starting imports Django, Celery and the Kubernetes client: a few CPU-seconds, which a loaded 2-core machine
        # (a load average of 18 was seen) stretches past half a minute. The wait is for a start that failed.
        started = time.monotonic()
        while "ready." not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > started + START_TIMEOUT:
                raise RuntimeError(
                    f"worker {self.name} did not start within {time.monotonic() - started:.0f} s (exit code "
                    f"{self.proc.poll()}, load average {_loadavg()}):\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.1)
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a lost node would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(worker_env, tmp_path):
    """Start real worker processes (threads pool) that consume the test Redis broker."""
    workers = []

    def _start(name="w1", concurrency=2, env=None):
        worker = WorkerProcess({**worker_env, **(env or {})}, tmp_path / f"{name}.log", name).start(concurrency)
        workers.append(worker)
        return worker

    yield _start
    for worker in workers:
        worker.stop()


def log_messages(text: str) -> list[str]:
    """The messages of a worker log, whether it is written as plain lines or as one JSON object a line."""
    messages = []
    for line in text.splitlines():
        try:
            messages.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            messages.append(line)
    return messages


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
