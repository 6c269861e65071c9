"""TeamWebhook and NotificationDelivery move here from the "portal" app (now core). Their tables were created by
core/migrations/0002_notifications.py and keep their names (Meta.db_table), so only Django's state moves: no
row is copied. Content types are relabelled so permissions and admin history follow the models."""
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import notifications.models
from core.relabel import relabel


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("portal", "0005_team_slug_is_a_dns_label"),
        ("teams", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TeamWebhook",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("url", models.URLField(help_text="http:// or https:// URL that receives a POST with a JSON body for each event.", max_length=2000, validators=[django.core.validators.URLValidator(schemes=["http", "https"])], verbose_name="URL")),
                        ("secret_encrypted", models.TextField(editable=False)),
                        ("events", models.JSONField(blank=True, default=notifications.models.all_notification_events, help_text="Events this URL receives.")),
                        ("active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="webhooks", to="teams.team")),
                    ],
                    options={
                        "verbose_name": "team webhook",
                        "db_table": "portal_teamwebhook",
                        "ordering": ["team__slug", "url"],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("target", models.CharField(help_text="The webhook URL or e-mail address when the event happened.", max_length=2000)),
                        ("event", models.CharField(choices=[("submitted", "Revision submitted for review"), ("approved", "Revision approved"), ("rejected", "Revision rejected"), ("degraded", "Route degraded"), ("healthy", "Route healthy again"), ("auto_approve", "Auto-approval turned on for the team"), ("test", "Test notification")], max_length=20)),
                        ("route_id", models.UUIDField(blank=True, db_index=True, null=True)),
                        ("payload", models.JSONField()),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")], default="pending", max_length=10)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("response_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notification_deliveries", to="teams.team")),
                        ("webhook", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="deliveries", to="notifications.teamwebhook")),
                    ],
                    options={
                        "verbose_name_plural": "notification deliveries",
                        "db_table": "portal_notificationdelivery",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="notification_pending_due")],
                    },
                ),
            ],
        ),
        migrations.RunPython(*relabel("portal", "notifications", ["teamwebhook", "notificationdelivery"])),
    ]
