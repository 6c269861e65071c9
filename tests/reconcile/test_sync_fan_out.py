"""Beat's sync round (routes.tasks.sync_all_clusters) fans out one sync per cluster, least recently synced first,
and leaves out a cluster whose sync is still running."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clusters.models import Cluster
from routes import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The sync_cluster messages the round sends: (cluster id, expires)."""
    messages = []
    monkeypatch.setattr(
        tasks.sync_cluster, "apply_async", lambda args, expires=None, **_: messages.append((args[0], expires))
    )
    return messages


def cluster(name: str, *, synced_ago: float | None, lease_for: float | None = None) -> Cluster:
    now = timezone.now()
    return Cluster.objects.create(
        name=name,
        mode="directory",
        last_synced_at=None if synced_ago is None else now - timedelta(seconds=synced_ago),
        sync_lease_until=None if lease_for is None else now + timedelta(seconds=lease_for),
        sync_lease_owner="" if lease_for is None else "another-worker",
    )


def test_the_least_recently_synced_clusters_are_sent_first(sent, settings):
    settings.PORTICO_SYNC_INTERVAL = 30
    recent = cluster("recent", synced_ago=5)
    never = cluster("never", synced_ago=None)
    starved = cluster("starved", synced_ago=95)  # its syncs expired in the queue the last rounds

    assert tasks.sync_all_clusters.apply().get() == 3

    assert sent == [(never.pk, 30), (starved.pk, 30), (recent.pk, 30)]


def test_a_cluster_whose_sync_is_running_is_left_out(sent):
    running = cluster("running", synced_ago=200, lease_for=40)
    expired = cluster("crashed", synced_ago=100, lease_for=-1)  # a dead worker's claim, expired
    idle = cluster("idle", synced_ago=10)

    assert tasks.sync_all_clusters.apply().get() == 2

    assert [cluster_id for cluster_id, _ in sent] == [expired.pk, idle.pk]
    assert running.pk not in [cluster_id for cluster_id, _ in sent]
