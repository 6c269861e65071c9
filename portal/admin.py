import copy
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from . import notifications, outbound, services
from .admin_forms import ServiceCheckedForm
from .audit import record
from .choices import DeliveryStatusChoices, NotificationEventChoices
from .models import AuditEvent, NotificationDelivery, Team, TeamNamespace, TeamWebhook


class TeamAdminForm(ServiceCheckedForm):
    """Checked with portal.services, which the admin then saves through; namespaces are checked in the inline."""

    class Meta:
        model = Team
        fields = "__all__"
        help_texts = {"auto_approve": "Approve this team's revisions automatically when every check passes (never "
                                      "a change a platform engineer wrote). Turning it on is audited and every "
                                      "platform engineer is told."}

    def check(self, candidate, data):
        services.validate_team(candidate)


class TeamNamespaceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        try:
            services.validate_team(copy.copy(self.instance), namespaces=_namespace_rows(self))
        except ValidationError as exc:
            problems = exc.message_dict.get("namespaces")
            if problems:
                raise ValidationError(problems) from None


def _namespace_rows(formset) -> list[tuple]:
    return [(form.cleaned_data["cluster"], form.cleaned_data["namespace"]) for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("cluster") and form.cleaned_data.get("namespace")]


class TeamNamespaceInline(admin.TabularInline):
    model = TeamNamespace
    formset = TeamNamespaceFormSet
    extra = 1
    autocomplete_fields = ["cluster"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ["slug", "name", "domain_list", "allow_node_port", "allow_load_balancer", "allow_plain_http", "auto_approve"]
    list_filter = ["auto_approve", "allow_node_port", "allow_load_balancer", "allow_plain_http"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]
    inlines = [TeamNamespaceInline]

    @admin.display(description="Domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains or [])

    # The team, its members and its namespaces are one write through portal.services (which audits), made once
    # the inline rows are known: save_related, which Django calls right after save_model.
    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        rows = next((_namespace_rows(f) for f in formsets if isinstance(f, TeamNamespaceFormSet)), None)
        save = services.update_team if change else services.create_team
        save(form.instance, user=request.user, members=form.cleaned_data.get("members", []), namespaces=rows)
        for formset in formsets:
            # What the admin's own history message reads (the audit event holds the namespaces themselves).
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        services.delete_team(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            self.delete_model(request, team)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, for the admin too."""

    list_display = ["at", "actor_name", "verb", "object_type", "object_repr", "team"]
    list_filter = ["verb", "object_type", "team"]
    search_fields = ["object_repr", "object_id", "actor_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DRFTokenAdmin):
    """API tokens: add one for a user (its key is shown once, in the confirmation), delete it to revoke.

    A token's ``str()`` is its key, so every place the admin would show or log an object names the user instead;
    the admin log is replaced by the portal's audit trail.
    """

    list_display = ("user", "created")
    list_display_links = None

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f'API token for "{obj.user}": {obj.key} (copy it now; it is not shown again).',
                          messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))

    def render_delete_form(self, request, context):
        context.update(object=_NamedToken(context["object"]), deleted_objects=[], title="Revoke API token")
        return super().render_delete_form(request, context)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, "The API token was revoked.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))

    def log_addition(self, request, obj, message):
        record(request.user, "create_token", obj.user)

    def log_deletions(self, request, queryset):
        for token in queryset:
            record(request.user, "revoke_token", token.user)


class _NamedToken:
    """A token as the delete page shows it: by its user, under the pk the admin's URLs use (the user's)."""

    def __init__(self, token):
        self.pk = token.user_id
        self.name = f"of {token.user}"

    def __str__(self):
        return self.name


class TeamWebhookForm(forms.ModelForm):
    """The signing secret is write-only: typed here, stored encrypted, never shown again."""

    secret = forms.CharField(
        required=False, min_length=16, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Shared secret the receiver verifies X-Portico-Signature with (at least 16 characters). "
                  "It is stored encrypted and never shown again; leave empty to keep the stored one.",
    )
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https",
                         help_text=TeamWebhook._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(
        choices=[(e, NotificationEventChoices(e).label) for e in NotificationEventChoices.subscribable()],
        widget=forms.CheckboxSelectMultiple, required=False,
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
            self.message_user(request, f"{webhook}: test {delivery.get_status_display().lower()} ({detail}).",
                              messages.SUCCESS if ok else messages.WARNING)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Delivery history: read-only, except for superusers (who may also delete it)."""

    list_display = ["created_at", "event", "target", "team", "status", "attempts", "response_code", "short_error",
                    "delivered_at"]
    list_filter = ["status", "event", "team"]
    search_fields = ["target", "route_id"]
    list_select_related = ["team"]
    date_hierarchy = "created_at"
    readonly_fields = ("team", "webhook", "target", "event", "route_id", "status", "attempts", "response_code",
                       "last_error", "next_attempt_at", "created_at", "delivered_at", "payload_json")
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
