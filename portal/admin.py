from django.contrib import admin

from .models import AuditEvent, Team, TeamNamespace


class TeamNamespaceInline(admin.TabularInline):
    model = TeamNamespace
    extra = 1
    autocomplete_fields = ["cluster"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "domain_list", "allow_node_port", "allow_load_balancer", "allow_plain_http", "auto_approve"]
    list_filter = ["auto_approve", "allow_node_port", "allow_load_balancer", "allow_plain_http"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]
    inlines = [TeamNamespaceInline]

    @admin.display(description="Domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains or [])


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
