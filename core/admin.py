from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from .audit import record
from .models import AuditEvent

if TYPE_CHECKING:
    # Generic in the stubs only: Django's ModelAdmin takes no type argument at runtime.
    _AuditEventAdminBase = admin.ModelAdmin[AuditEvent]
else:
    _AuditEventAdminBase = admin.ModelAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(_AuditEventAdminBase):
    """Read-only: the audit trail is append-only, for the admin too."""

    list_display = ["at", "actor_name", "verb", "object_type", "object_repr", "team"]
    list_filter = ["verb", "object_type", "team"]
    search_fields = ["object_repr", "object_id", "actor_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
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

    def has_change_permission(self, request: HttpRequest, obj: TokenProxy | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: TokenProxy | None = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def response_add(
        self, request: HttpRequest, obj: TokenProxy, post_url_continue: str | None = None
    ) -> HttpResponseRedirect:
        self.message_user(
            request, f'API token for "{obj.user}": {obj.key} (copy it now; it is not shown again).', messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        context.update(object=_NamedToken(context["object"]), deleted_objects=[], title="Revoke API token")
        return super().render_delete_form(request, context)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> HttpResponseRedirect:
        self.message_user(request, "The API token was revoked.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))

    # Both write Portico's audit trail instead of the admin log, so they return no LogEntry (Django's callers do
    # not use the result); the delete view passes a list, not a queryset.
    def log_addition(self, request: HttpRequest, obj: TokenProxy, message: Any) -> None:  # type: ignore[override]  # returns no LogEntry, see above
        record(request.user, "create_token", obj.user)

    def log_deletions(self, request: HttpRequest, queryset: Iterable[TokenProxy]) -> None:  # type: ignore[override]  # returns no LogEntry, see above
        for token in queryset:
            record(request.user, "revoke_token", token.user)


class _NamedToken:
    """A token as the delete page shows it: by its user, under the pk the admin's URLs use (the user's)."""

    def __init__(self, token: Token) -> None:
        self.pk = token.user_id
        self.name = f"of {token.user}"

    def __str__(self) -> str:
        return self.name
