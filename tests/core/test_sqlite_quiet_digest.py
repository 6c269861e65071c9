"""make run's SQLite and quiet syncs: the digest of what a sync reads (routes/reconcile/quiet.py) is computed on
SQLite too, whose parser refused the concatenation PostgreSQL digests (a "parser stack overflow" that failed every
sync of a watched cluster). The rest of the suite runs on PostgreSQL, so this runs Django on a SQLite file in its
own process, with the demo data."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DIGESTS = """
from clusters.models import Cluster
from routes.models import HostClaim
from routes.reconcile.quiet import database_digest

clusters = list(Cluster.objects.filter(routes__isnull=False).distinct())
before = {c.pk: database_digest(c) for c in clusters}
assert before and all(database_digest(c) == before[c.pk] for c in clusters)
HostClaim.objects.filter(route__cluster=clusters[0]).delete()
assert database_digest(clusters[0]) != before[clusters[0].pk]
print("digests", len(clusters))
"""


def test_the_digest_of_what_a_sync_reads_works_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "1",
        "PORTICO_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/portico.sqlite3",
        "CELERY_BROKER_URL": "memory://",
        "PORTICO_LOG_FORMAT": "plain",
    }
    env.pop("CACHE_URL", None)

    def manage(*args) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput")
    manage("load_demo")

    assert "digests" in manage("shell", "-c", DIGESTS)
