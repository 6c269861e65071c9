"""The sync lease: a time-limited claim on a cluster's sync, held in the cluster's row, so one worker syncs a
cluster at a time (however many workers run) and a crashed worker's claim simply expires."""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Cluster

MIN_SYNC_LEASE = timedelta(seconds=60)


def lease_length() -> timedelta:
    """Two sync intervals (at least a minute): a crashed worker's claim expires in time for the round after next,
    and a long sync keeps its claim by renewing it (``LeaseKeeper``)."""
    return max(MIN_SYNC_LEASE, timedelta(seconds=2 * settings.PORTICO_SYNC_INTERVAL))


def acquire(cluster_id: int) -> str | None:
    """Take the claim with compare-and-swap; its owner token, or None while another worker holds it."""
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = (
        Cluster.objects.filter(pk=cluster_id)
        .filter(Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now))
        .update(sync_lease_until=now + lease_length(), sync_lease_owner=token)
    )
    return token if taken else None


class LeaseLost(Exception):
    """Another worker took the cluster's sync over (this one was too slow to renew its claim)."""


class LeaseKeeper:
    """Renews a sync's claim when a third of it has passed, by compare-and-swap on the owner token."""

    def __init__(self, cluster_id: int, token: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.cluster_id, self.token, self.clock = cluster_id, token, clock
        self.renewed = clock()

    def keep(self) -> None:
        length = lease_length()
        if self.clock() - self.renewed < length.total_seconds() / 3:
            return
        if not Cluster.objects.filter(pk=self.cluster_id, sync_lease_owner=self.token).update(
            sync_lease_until=timezone.now() + length
        ):
            raise LeaseLost(f"cluster {self.cluster_id}: the sync lease was taken over")
        self.renewed = self.clock()


def release(cluster_id: int, token: str) -> None:
    """Give the claim back (only if still ours), so the next round need not wait for it to expire."""
    Cluster.objects.filter(pk=cluster_id, sync_lease_owner=token).update(sync_lease_until=None, sync_lease_owner="")
