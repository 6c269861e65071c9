"""make run's SQLite and quiet syncs: the digest of what a sync reads (routes/reconcile/quiet.py) is computed on
SQLite too, whose parser refused the concatenation PostgreSQL digests (a "parser stack overflow" that failed every
sync of a watched cluster). The rest of the suite runs on PostgreSQL, so this runs Django on a SQLite file in its
own process, with the demo data."""

from tests.core.sqlite_support import manage_with, sqlite_env

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
    manage = manage_with(sqlite_env(tmp_path))

    manage("migrate", "--noinput")
    manage("load_demo")

    assert "digests" in manage("shell", "-c", DIGESTS)
