"""Routes, their revisions and reviews, and host claims."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse

from clusters.models import Cluster
from core.access import is_platform
from teams.models import Team

from .adapters import revision_spec
from .choices import ROUTE_APPROVAL_CHOICES, ApprovalChoices, HealthChoices, PathTypeChoices, SyncChoices
from .domain.values import RouteSpec


class RouteQuerySet(models.QuerySet):
    def live(self):
        """Routes that exist or are still being removed (not yet deleted)."""
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """The one place team isolation is decided: platform engineers see all, others their teams' routes."""
        if not user.is_authenticated:
            return self.none()
        if is_platform(user):
            return self
        return self.filter(team__members=user)

    def needing_reconcile(self):
        """Routes whose cluster is not at the approved revision, or whose deletion is not finished."""
        return self.live().filter(
            Q(approved_revision__isnull=False, applied_revision__isnull=True)
            | Q(approved_revision__gt=F("applied_revision"))
            | Q(approved_revision__lt=F("applied_revision"))
            | Q(deletion_requested_at__isnull=False)
        )

    def with_related(self):
        return self.select_related("team", "cluster", "created_by")

    def with_host_claim(self):
        """Read the slug of the team holding each route's host claim (None when unclaimed) with the row."""
        claims = HostClaim.objects.filter(host=OuterRef("host")).order_by()
        return self.annotate(_claim_team_slug=Subquery(claims.values("team__slug")[:1]))

    def with_latest_revision(self):
        """Read every route's latest spec in the same query (a subquery), so lists read specs and ``url`` without a
        query per row, and without a second query and a RouteRevision per row either."""
        # Unordered: (route, number) is unique, and RouteRevision's Meta ordering would join and sort Route.
        revisions = RouteRevision.objects.filter(route=OuterRef("pk"), number=OuterRef("revision")).order_by()
        latest = revisions.values("spec")[:1]
        return self.annotate(
            _latest_spec_data=Subquery(latest, output_field=models.JSONField()), _latest_spec_number=F("revision")
        )


class Route(models.Model):
    # Per-instance caches set by the code that loads routes in bulk (not fields): revisions by number, and the
    # team holding the route's host claim as a sync read it.
    _revision_cache: dict[int, "RouteRevision"]
    _claim_team_id: int | None
    _latest_spec_data: dict  # with_latest_revision(): the latest spec, and the revision it is of
    _latest_spec_number: int
    _latest_spec_cache: tuple[int, RouteSpec]
    _claim_team_slug: str | None  # with_host_claim()
    _read_as_member_id: int  # permissions.note_membership

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=63)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="routes")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="routes")
    namespace = models.CharField(max_length=63)
    # host/path/path_type mirror the latest revision, for filtering, search and conflict queries.
    host = models.CharField(max_length=253, db_index=True)
    path = models.CharField(max_length=1024, default="/")
    path_type = models.CharField(max_length=10, choices=PathTypeChoices.choices, default=PathTypeChoices.PREFIX)

    revision = models.PositiveIntegerField(default=1)
    approved_revision = models.PositiveIntegerField(null=True, blank=True)
    applied_revision = models.PositiveIntegerField(null=True, blank=True)
    # Approval of the latest revision; stored (not derived) so lists filter on it without a join.
    approval = models.CharField(max_length=10, choices=ROUTE_APPROVAL_CHOICES, default=ApprovalChoices.PENDING)

    sync = models.CharField(max_length=10, choices=SyncChoices.choices, default=SyncChoices.UNKNOWN)
    health = models.CharField(max_length=12, choices=HealthChoices.choices, default=HealthChoices.UNKNOWN)
    conditions = models.JSONField(default=list, blank=True)
    diagnostics = models.JSONField(default=list, blank=True)
    address = models.CharField(max_length=253, blank=True)
    certificate = models.JSONField(default=dict, blank=True)  # {ready, not_after}
    endpoints = models.JSONField(default=dict, blank=True)  # {ready, total}
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Since when health has been Progressing without a break (routes.progress: past the deadline it is Degraded).
    progressing_since = models.DateTimeField(null=True, blank=True)
    # The last reachability check from the worker's network (routes.reachability): hops, timings, certificate.
    reachability = models.JSONField(default=dict, blank=True)
    reconcile_attempts = models.PositiveIntegerField(default=0)

    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RouteQuerySet.as_manager()

    class Meta:
        ordering = ["host", "path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "name"],
                condition=Q(deleted_at__isnull=True),
                name="unique_live_route_name",
            ),
        ]
        indexes = [
            models.Index(fields=["cluster", "host"]),
            models.Index(fields=["team", "approval"]),
        ]

    def __str__(self):
        return f"{self.cluster.name}/{self.namespace}/{self.name}"

    def get_absolute_url(self):
        return reverse("routes:detail", args=[self.pk])

    @property
    def checked_at(self):
        """When the worker last looked at this route: the later of its last status write and its cluster's last
        completed sync (a sync that finds a route unchanged does not rewrite its row; docs/architecture.md)."""
        if self.last_synced_at is None:
            return None  # never evaluated (pending, or not yet reached by a sync)
        cluster_synced = self.cluster.last_synced_at
        return self.last_synced_at if cluster_synced is None else max(self.last_synced_at, cluster_synced)

    @property
    def url(self) -> str:
        spec = self.latest_spec
        scheme = "http" if spec.tls.mode == "none" else "https"
        return f"{scheme}://{self.host}{self.path}"

    @property
    def latest_spec(self) -> RouteSpec:
        number = self.revision
        cached: tuple[int, RouteSpec] | None = getattr(self, "_latest_spec_cache", None)
        if cached is not None and cached[0] == number:
            return cached[1]  # read once per revision: a list shows backend, tls, options and url of each route
        if getattr(self, "_latest_spec_number", None) == number and self._latest_spec_data is not None:
            # with_latest_revision(): the spec as the row was read
            spec = RouteSpec.from_dict(self._latest_spec_data)
        else:
            spec = revision_spec(self.revision_obj(number))
        self._latest_spec_cache = (number, spec)
        return spec

    def revision_obj(self, number: int) -> "RouteRevision":
        cache: dict[int, RouteRevision] | None = getattr(self, "_revision_cache", None)
        if cache is None:
            cache = self._revision_cache = {}
        if number not in cache:
            cache[number] = self.revisions.get(number=number)
        return cache[number]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def deletion_pending(self) -> bool:
        return self.deletion_requested_at is not None and self.deleted_at is None

    @property
    def settled(self) -> bool:
        """Nothing is expected to change without someone acting: polling can stop."""
        if self.deletion_pending:
            return False
        if self.approved_revision is None:
            return True
        return self.applied_revision == self.approved_revision and self.health in (
            HealthChoices.HEALTHY,
            HealthChoices.DEGRADED,
        )


# The largest revision number a PositiveIntegerField holds on PostgreSQL: requests naming more are refused.
MAX_REVISION = 2**31 - 1


class RouteRevision(models.Model):
    """One version of a route's spec. Kept forever so revisions can be diffed and audited."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    host = models.CharField(max_length=253)
    path = models.CharField(max_length=1024)
    path_type = models.CharField(max_length=10)
    approval = models.CharField(max_length=10, choices=ApprovalChoices.choices, default=ApprovalChoices.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["route", "-number"]
        constraints = [models.UniqueConstraint(fields=["route", "number"], name="unique_route_revision")]

    def __str__(self):
        return f"{self.route_id} r{self.number}"


class Review(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="reviews")
    revision = models.PositiveIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=ApprovalChoices.choices)
    comment = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.route_id} r{self.revision} {self.decision}"


class HostClaim(models.Model):
    """A host owned by one team across all clusters. Released only explicitly, never by deleting a route."""

    host = models.CharField(max_length=253, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="host_claims")
    route = models.ForeignKey(Route, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]

    def __str__(self):
        return f"{self.host} -> {self.team.slug}"
