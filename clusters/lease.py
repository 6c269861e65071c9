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


def monotonic() -> float:
    """The clock a sync's LeaseKeeper reads (tests replace it to make a sync last longer than its lease)."""
    return time.monotonic()


class LeaseKeeper:
    """Renews a sync's claim when a third of it has passed, by compare-and-swap on the owner token.

    The sync calls ``keep()`` between its steps and between the objects and routes of each step (lists, drift
    repairs, prunes, applies, the status refresh), so a sync longer than the lease (a first apply of thousands of
    routes at the client's rate limit, a large drift repair) keeps its claim, and a second worker never starts
    the same cluster meanwhile; one that lost its claim stops before its next write (``LeaseLost``)."""

    def __init__(self, cluster_id: int, token: str, *, clock: Callable[[], float] | None = None) -> None:
        self.cluster_id, self.token = cluster_id, token
        self.clock = clock or (lambda: monotonic())
        self.renewed = self.clock()
        self.renewals = 0

    def keep(self) -> None:
        length = lease_length()
        if self.clock() - self.renewed < length.total_seconds() / 3:
            return
        if not Cluster.objects.filter(pk=self.cluster_id, sync_lease_owner=self.token).update(
            sync_lease_until=timezone.now() + length
        ):
            raise LeaseLost(f"cluster {self.cluster_id}: the sync lease was taken over")
        self.renewed = self.clock()
        self.renewals += 1


def release(cluster_id: int, token: str) -> None:
    """Give the claim back (only if still ours), so the next round need not wait for it to expire."""
    Cluster.objects.filter(pk=cluster_id, sync_lease_owner=token).update(sync_lease_until=None, sync_lease_owner="")
