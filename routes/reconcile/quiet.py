"""Quiet syncs (docs/architecture.md, "Quiet syncs"): a sync that would find nothing to do is not run.

After a full sync that wrote nothing, found every route settled and met no error, the worker keeps a watch on each
list that sync made (``clusters.watches``) and a digest of everything it read from the database
(``database_digest``). The next sync of the cluster by this worker is quiet, doing nothing but record the sync's
time, while:

- no watch fired (no object of any listed scope was added, changed or deleted, by anyone, Portico included);
- the digest is the same (no route, revision, status, host claim, team, team namespace or cluster setting changed);
- no route is Progressing (its deadline is the clock's);
- less than ``PORTICO_SYNC_RESYNC`` seconds passed since that full sync. What a sync reads besides its lists (the
  IngressClass, the controller's Service, a Gateway, TLS Secrets, its permissions) and what the clock decides (a
  certificate's days to expiry) are looked at again at least that often.

The watches are opened before the digest is read and at the versions of the lists, as a full sync lists before it
reads the database: a change of either after the full sync read it makes the next sync a full one."""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import F, OuterRef, Subquery, TextField, Value
from django.db.models.functions import MD5, Cast, Concat

from clusters import watches
from clusters.models import Cluster
from routes.choices import HealthChoices
from routes.models import HostClaim, Route, RouteRevision
from teams.models import Team

from .memo import STATUS_DIGEST, ClusterMemo

# Cluster columns that change without changing what a sync does: when it last ran or was probed, and its lease.
VOLATILE_CLUSTER_FIELDS = frozenset(
    {
        "last_synced_at",
        "checked_at",
        "health_message",
        "sync_error",
        "sync_lease_until",
        "sync_lease_owner",
        "updated_at",
    }
)


@dataclass
class QuietState:
    digest: bytes
    routes: int
    until: float  # time.monotonic() after which the next sync is a full one


class ListRecorder:
    """The sync's target, noting the scope and resourceVersion of every list it makes (what ``watches.arm``
    watches). Everything else goes to the target unchanged."""

    def __init__(self, target):
        self._target = target
        self.listed: dict[watches.Scope, str] = {}

    def list(self, kind, *, namespace=None, label_selector=None) -> list[dict]:
        items, version = self._target.list_at(kind, namespace=namespace, label_selector=label_selector)
        self.listed[watches.Scope(kind, namespace, label_selector)] = version
        return items

    def __getattr__(self, name):
        return getattr(self._target, name)


def enabled(cluster: Cluster) -> bool:
    return settings.PORTICO_SYNC_WATCH and not cluster.is_directory


def recorder(cluster: Cluster, target):
    """The target a full sync lists through: a ``ListRecorder`` where quiet syncs are possible."""
    return ListRecorder(target) if enabled(cluster) else target


def still_quiet(cluster: Cluster, memo: ClusterMemo) -> QuietState | None:
    """The state of the last full sync, if nothing it read changed since (the module's rules); else None."""
    state = memo.quiet
    if state is None or not enabled(cluster) or time.monotonic() >= state.until:
        return None
    if not watches.quiet(cluster.pk):  # before the database: as a full sync lists before it reads it
        return None
    return state if database_digest(cluster) == state.digest else None


def settle(cluster: Cluster, memo: ClusterMemo, target, digest: bytes, routes: list[Route], wrote: bool) -> None:
    """After a full sync: watch its lists and keep its digest when it ended with nothing left to do (``wrote``:
    it wrote to the cluster or changed a status; its errors were checked by the caller)."""
    memo.quiet = None
    if not isinstance(target, ListRecorder) or wrote or any(r.health == HealthChoices.PROGRESSING for r in routes):
        watches.disarm(cluster.pk)
        return
    if watches.arm(cluster, target.listed):
        memo.quiet = QuietState(digest, len(routes), time.monotonic() + settings.PORTICO_SYNC_RESYNC)


def forget(cluster_id: int, memo: ClusterMemo) -> None:
    memo.quiet = None
    watches.disarm(cluster_id)


def database_digest(cluster: Cluster) -> bytes:
    """A digest of every row a sync of ``cluster`` reads: the cluster's settings, its team namespaces, its live
    routes with their approved spec, status (``memo.STATUS_DIGEST``) and host claim, and their teams. Four
    queries; PostgreSQL digests the routes itself, so 10,000 of them come back as one value."""
    row = Cluster.objects.filter(pk=cluster.pk).values().first()
    settings_ = sorted((k, v) for k, v in (row or {}).items() if k not in VOLATILE_CLUSTER_FIELDS)
    routes = Route.objects.live().filter(cluster=cluster)
    if connection.vendor == "postgresql":
        text = Concat(*_separated([Cast(part, TextField()) for part in _route_parts()]), output_field=TextField())
        digest = routes.aggregate(d=MD5(StringAgg(text, delimiter="\n", order_by="pk")))["d"]
    else:  # SQLite's parser refuses a concatenation this deep: the values are read and digested here
        digest = hashlib.md5(repr(list(routes.order_by("pk").values_list(*_route_parts()))).encode()).hexdigest()
    teams = [
        sorted((k, v) for k, v in team.items() if k not in ("created_at", "updated_at"))
        for team in Team.objects.filter(routes__in=routes).distinct().order_by("pk").values()
    ]
    namespaces = list(cluster.team_namespaces.order_by("pk").values_list("team_id", "namespace"))
    return hashlib.blake2b(repr((settings_, digest, teams, namespaces)).encode(), digest_size=16).digest()


def _route_parts() -> list:
    """What the digest reads of one route: what a sync reads of it, its approved revision's spec (as the MD5 of its
    text), its status (``STATUS_DIGEST``) and its host's claim."""
    spec = (
        RouteRevision.objects.filter(route=OuterRef("pk"), number=OuterRef("approved_revision"))
        .order_by()
        .values(digest=MD5(Cast("spec", TextField())))[:1]
    )
    claim = HostClaim.objects.filter(host=OuterRef("host")).order_by().values("team_id")[:1]
    return [
        F("pk"),
        F("name"),
        F("team_id"),
        F("namespace"),
        F("host"),
        F("approved_revision"),
        F("applied_revision"),
        F("deletion_requested_at"),
        STATUS_DIGEST,
        Subquery(spec, output_field=TextField()),
        Subquery(claim),
    ]


def _separated(parts: list) -> list:
    return [item for part in parts for item in (part, Value("|"))][:-1]
