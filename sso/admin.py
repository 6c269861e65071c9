from django.contrib import admin

from .models import GroupMapping, Identity


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    list_display = ("group", "team", "platform", "created_at")
    list_filter = ("platform",)
    search_fields = ("group", "team__slug")


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    """Read-only: who signed in through the provider, with which groups, and when they were last checked."""

    list_display = ("user", "subject", "groups", "signed_in_at", "checked_at")
    search_fields = ("user__username", "subject")
    readonly_fields = ("user", "issuer", "subject", "groups", "signed_in_at", "checked_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
