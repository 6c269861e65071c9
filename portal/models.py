"""Teams, their policy, and the append-only audit trail."""
from django.conf import settings
from django.db import models

from clusters.models import Cluster


class Team(models.Model):
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    # DNS suffixes the team may publish under: "shop.example.com" allows that host and any host below it.
    domains = models.JSONField(default=list, blank=True)
    allow_node_port = models.BooleanField(default=False)
    allow_load_balancer = models.BooleanField(default=False)
    allow_plain_http = models.BooleanField(default=False)
    auto_approve = models.BooleanField(
        default=False, help_text="Approve this team's revisions automatically when every check passes."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def policy(self):
        """This team's permissions as plain values for routes.policy (namespaces must be prefetched or are queried once)."""
        from routes.spec import TeamPolicy

        return TeamPolicy(
            slug=self.slug,
            domains=tuple(self.domains or ()),
            namespaces=frozenset((ns.cluster.name, ns.namespace) for ns in self.namespaces.all()),
            allow_node_port=self.allow_node_port,
            allow_load_balancer=self.allow_load_balancer,
            allow_plain_http=self.allow_plain_http,
            auto_approve=self.auto_approve,
        )


class TeamNamespace(models.Model):
    """A namespace on a cluster that a team may route into."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="namespaces")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="team_namespaces")
    namespace = models.CharField(max_length=63)

    class Meta:
        ordering = ["cluster__name", "namespace"]
        constraints = [
            models.UniqueConstraint(fields=["team", "cluster", "namespace"], name="unique_team_namespace"),
        ]

    def __str__(self):
        return f"{self.cluster.name}/{self.namespace}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what to which object, with the state before and after. Append-only."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True)  # kept when the user is deleted; "system" for the worker
    verb = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.actor_name} {self.verb} {self.object_type} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")
