import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from core import outbound

from . import delivery as notifications
from .choices import DeliveryStatusChoices, NotificationEventChoices
from .models import NotificationDelivery, TeamWebhook


class TeamWebhookForm(forms.ModelForm):
    """The signing secret is write-only: typed here, stored encrypted, never shown again."""

    secret = forms.CharField(
        required=False,
        min_length=16,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Shared secret the receiver verifies X-Portico-Signature with (at least 16 characters). "
        "It is stored encrypted and never shown again; leave empty to keep the stored one.",
    )
    url = forms.URLField(
        label="URL", max_length=2000, assume_scheme="https", help_text=TeamWebhook._meta.get_field("url").help_text
    )
    events = forms.MultipleChoiceField(
        choices=[(e, NotificationEventChoices(e).label) for e in NotificationEventChoices.subscribable()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = TeamWebhook
        fields = ["team", "url", "events", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = outbound.url_problem(url)
        if problem:
            raise ValidationError(problem)
        return url

    def clean(self):
        data = super().clean() or self.cleaned_data
        if data.get("secret"):
            self.instance.set_secret(data["secret"])
        elif not self.instance.secret_encrypted:
            self.add_error("secret", "A new webhook needs a secret.")
        return data


@admin.register(TeamWebhook)
class TeamWebhookAdmin(admin.ModelAdmin):
    form = TeamWebhookForm
    list_display = ["team", "url", "event_list", "active", "created_at"]
    list_filter = ["active", "team"]
    search_fields = ["url", "team__slug"]
    list_select_related = ["team"]
    actions = ["send_test"]

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    @admin.action(description="Send a test notification to the selected webhooks")
    def send_test(self, request, queryset):
        for webhook in queryset.select_related("team"):
            delivery = notifications.send_test(webhook)
            ok = delivery.status == DeliveryStatusChoices.DELIVERED
            detail = f"HTTP {delivery.response_code}" if ok else delivery.last_error
            self.message_user(
                request,
                f"{webhook}: test {delivery.get_status_display().lower()} ({detail}).",
                messages.SUCCESS if ok else messages.WARNING,
            )


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Delivery history: read-only, except for superusers (who may also delete it)."""

    list_display = [
        "created_at",
        "event",
        "target",
        "team",
        "status",
        "attempts",
        "response_code",
        "short_error",
        "delivered_at",
    ]
    list_filter = ["status", "event", "team"]
    search_fields = ["target", "route_id"]
    list_select_related = ["team"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "team",
        "webhook",
        "target",
        "event",
        "route_id",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "payload_json",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Last error")
    def short_error(self, obj):
        return obj.last_error[:120]

    @admin.display(description="Payload")
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))
