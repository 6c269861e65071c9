"""A team's notification targets (webhooks) and the history of what was sent (deliveries)."""

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from core import crypto
from teams.models import Team

from .choices import DeliveryStatusChoices, NotificationEventChoices


def all_notification_events() -> list[str]:
    return NotificationEventChoices.subscribable()


class TeamWebhook(models.Model):
    """A URL that receives a team's route events as JSON signed with a shared secret (docs/notifications.md)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(
        "URL",
        max_length=2000,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="http:// or https:// URL that receives a POST with a JSON body for each event.",
    )
    # Fernet token (core.crypto, PORTICO_ENCRYPTION_KEYS) of the signing secret. Write-only: never rendered,
    # logged or put in a payload; only the HMAC made with it leaves Portico.
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=all_notification_events, blank=True, help_text="Events this URL receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__slug", "url"]
        verbose_name = "team webhook"
        db_table = "portal_teamwebhook"  # created as portal.TeamWebhook (core/migrations/0001_initial.py)

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
    webhook = models.ForeignKey(
        TeamWebhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    email = models.EmailField(blank=True)
    target = models.CharField(max_length=2000, help_text="The webhook URL or e-mail address when the event happened.")
    event = models.CharField(max_length=20, choices=NotificationEventChoices.choices)
    route_id = models.UUIDField(null=True, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatusChoices.choices, default=DeliveryStatusChoices.PENDING
    )
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
        db_table = "portal_notificationdelivery"
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="notification_pending_due"
            )
        ]

    def __str__(self):
        return f"{self.event} -> {self.target} ({self.status})"
