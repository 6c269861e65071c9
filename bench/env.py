"""Everything the benchmarks run against: their own database, Django, the emulated cluster, the data.

`make bench` runs under scripts/with-services.sh, which provides a throwaway PostgreSQL and Redis on
loopback; the benchmarks then create their own database (`portico_bench`) in that server.
"""

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "portico_bench"
# The per-cluster client rate limit (PORTICO_KUBE_QPS, 20 requests/s by default) is raised for every benchmark, so they
# measure Portico's own cost rather than the politeness delay. results.md says so.
KUBE_QPS = "1000000"
KUBE_BURST = "1000000"


def ensure_services(argv: list[str]) -> None:
    """Re-run under scripts/with-services.sh when there is no throwaway PostgreSQL/Redis yet."""
    if os.environ.get("DATABASE_URL") and os.environ.get("PORTICO_TEST_REDIS_URL"):
        return
    script = str(ROOT / "scripts" / "with-services.sh")
    os.execv(script, [script, sys.executable, "-m", "bench", *argv])


def bench_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def configure() -> dict:
    """Environment for this process and for every process it starts (gunicorn, the Celery worker)."""
    scratch = Path(tempfile.mkdtemp(prefix="portico-bench-"))
    # The local kube-apiserver's binaries are cached under the real HOME (scripts/kube-bins.sh): find them
    # before HOME moves to the scratch folder.
    bin_dir = (
        os.environ.get("PORTICO_KUBE_BIN_DIR")
        or subprocess.run(
            [str(ROOT / "scripts" / "kube-bins.sh"), "--print-dir"], capture_output=True, text=True
        ).stdout.strip()
    )
    env = {
        "PORTICO_KUBE_BIN_DIR": bin_dir,
        "DATABASE_URL": bench_database_url(),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "PORTICO_ENCRYPTION_KEYS": "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMTI=",
        "PORTICO_KUBE_QPS": KUBE_QPS,
        "PORTICO_KUBE_BURST": KUBE_BURST,
        # Every sync a benchmark times lists (its figures are what a sync costs when anything changed); the quiet
        # sync is timed on its own (reconcile_bench.noop_sync, clusters_bench).
        "PORTICO_SYNC_WATCH": "false",
        "PORTICO_VAR_DIR": str(scratch),
        "CELERY_BROKER_URL": os.environ["PORTICO_TEST_REDIS_URL"],
        "HOME": str(scratch),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return {"scratch": scratch}


def create_database() -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
