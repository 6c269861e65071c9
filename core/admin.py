from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .audit import record
from .models import AuditEvent


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
    the admin log is replaced by Portico's audit trail.
    """

    list_display = ("user", "created")
    list_display_links = None

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request, f'API token for "{obj.user}": {obj.key} (copy it now; it is not shown again).', messages.SUCCESS
        )
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
