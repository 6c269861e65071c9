"""Teams, their policy, the append-only audit trail, and the teams' notifications (webhooks, deliveries)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from clusters import crypto
from clusters.models import Cluster
from core.names import LABEL_RULE, label_problem

from .choices import DeliveryStatusChoices, NotificationEventChoices


def team_slug_problem(slug: object) -> str | None:
    """Why ``slug`` cannot be a team's slug, or None. A slug labels every object of the team's routes
    (``portico.dev/team``) and names the team in URLs, so it is a DNS-1123 label, like a namespace."""
    if not isinstance(slug, str) or not slug:
        return "A team needs a slug."
    reason = label_problem(slug)
    if reason is None:
        return None
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in
                    (slug if len(slug) <= 80 else slug[:77] + "…"))
    return f'Slug "{shown}" is not valid: it {reason} ({LABEL_RULE}); it labels the objects of the team\'s routes.'


def validate_team_slug(value):
    """A slug that can label Kubernetes objects (``team_slug_problem``); run by every team write
    (portal.services.validate_team calls full_clean): the API, the admin and the commands."""
    problem = team_slug_problem(value)
    if problem:
        raise ValidationError(problem)


class Team(models.Model):
    slug = models.SlugField(max_length=63, unique=True, validators=[validate_team_slug])
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    # DNS suffixes the team may publish under: "shop.example.com" allows that host and any host below it.
    domains = models.JSONField(default=list, blank=True)
    # DNS suffixes the team's ExternalName backends may point at; empty allows any public name that passes
    # policy (routes.domain.policy.external.check_external_name, docs/security.md "What a route may publish").
    external_domains = models.JSONField(
        default=list, blank=True,
        help_text='DNS suffixes the team\'s external (ExternalName) backends may point at, such as "partner.example.com" '
                  'or a private zone such as "corp.internal". Empty: any public DNS name.',
    )
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


def all_notification_events() -> list[str]:
    return NotificationEventChoices.subscribable()


class TeamWebhook(models.Model):
    """A URL that receives a team's route events as JSON signed with a shared secret (docs/notifications.md)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(
        "URL", max_length=2000, validators=[URLValidator(schemes=["http", "https"])],
        help_text="http:// or https:// URL that receives a POST with a JSON body for each event.",
    )
    # Fernet token (clusters.crypto, PORTICO_ENCRYPTION_KEYS) of the signing secret. Write-only: never rendered,
    # logged or put in a payload; only the HMAC made with it leaves Portico.
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=all_notification_events, blank=True,
                              help_text="Events this URL receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__slug", "url"]
        verbose_name = "team webhook"

    def __str__(self):
        return f"{self.team.slug}: {self.url}"

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret)

    def get_secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def wants(self, event: str) -> bool:
        return self.active and (event == NotificationEventChoices.TEST or event in (self.events or []))


class NotificationDelivery(models.Model):
    """One event sent (or to be sent) to one webhook or one e-mail address, with its attempts: the history."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="notification_deliveries")
    # Kept when the webhook is deleted (history stays); a pending delivery to a deleted webhook fails.
    webhook = models.ForeignKey(TeamWebhook, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="deliveries")
    email = models.EmailField(blank=True)
    target = models.CharField(max_length=2000, help_text="The webhook URL or e-mail address when the event happened.")
    event = models.CharField(max_length=20, choices=NotificationEventChoices.choices)
    route_id = models.UUIDField(null=True, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatusChoices.choices,
                              default=DeliveryStatusChoices.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # When a pending delivery may next be tried; while one is being sent, the end of that attempt's lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "notification deliveries"
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"),
                                name="notification_pending_due")]

    def __str__(self):
        return f"{self.event} -> {self.target} ({self.status})"
