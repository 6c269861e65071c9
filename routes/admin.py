"""Admin for routes: the same services as the API and pages, so the four-eyes rule holds here too."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from .choices import ApprovalChoices, HealthChoices, SyncChoices
from .claims import release_claim, routes_using_host
from .domain.diff import spec_diff
from .models import HostClaim, Review, Route, RouteRevision
from .services import PolicyError, approve_route, reject_route


def badge(value: str, choices) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', choices.color(value), value)


class RouteRevisionInline(admin.TabularInline):
    model = RouteRevision
    fields = ("number", "approval", "host", "path", "path_type", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ("revision", "decision", "reviewer", "automatic", "comment", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why? The requester sees this.")


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "team",
        "cluster",
        "namespace",
        "host",
        "path",
        "approval_badge",
        "sync_badge",
        "health_badge",
        "revision",
        "approved_revision",
        "applied_revision",
    ]
    list_filter = ["approval", "sync", "health", "team", "cluster"]
    search_fields = ["name", "host", "path", "namespace"]
    list_select_related = ["team", "cluster"]
    readonly_fields = (
        "id",
        "name",
        "team",
        "cluster",
        "namespace",
        "host",
        "path",
        "path_type",
        "revision",
        "approved_revision",
        "applied_revision",
        "approval",
        "sync",
        "health",
        "conditions",
        "address",
        "certificate",
        "endpoints",
        "last_synced_at",
        "deletion_requested_at",
        "deleted_at",
        "created_by",
        "created_at",
        "pending_diff",
    )
    fields = readonly_fields
    inlines = [RouteRevisionInline, ReviewInline]
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False  # routes are requested through the form or the API, where policy applies

    def has_delete_permission(self, request, obj=None):
        return False  # deletion is a request the reconciler carries out, not a row delete

    @admin.display(description="Approval", ordering="approval")
    def approval_badge(self, obj):
        return badge(obj.approval, ApprovalChoices)

    @admin.display(description="Sync", ordering="sync")
    def sync_badge(self, obj):
        return badge(obj.sync, SyncChoices)

    @admin.display(description="Health", ordering="health")
    def health_badge(self, obj):
        return badge(obj.health, HealthChoices)

    @admin.display(description="Pending revision against the approved one")
    def pending_diff(self, obj):
        if obj.approval != ApprovalChoices.PENDING:
            return "No pending revision."
        old = obj.revision_obj(obj.approved_revision).spec if obj.approved_revision else None
        text = spec_diff(
            old,
            obj.revision_obj(obj.revision).spec,
            old_label=f"approved r{obj.approved_revision}" if old else "(nothing approved yet)",
            new_label=f"pending r{obj.revision}",
        )
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def _review_each(self, request, queryset, review, **kwargs):
        done = 0
        for route in queryset.select_related("team", "cluster"):
            try:
                review(route, user=request.user, **kwargs)
                done += 1
            except (PermissionDenied, PolicyError) as exc:
                self.message_user(request, f"{route}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} route(s) updated.", messages.SUCCESS)

    @admin.action(description="Approve the pending revision of the selected routes")
    def approve_selected(self, request, queryset):
        self._review_each(request, queryset, approve_route, comment="Approved in the admin.")

    @admin.action(description="Reject the pending revision of the selected routes (asks for a comment)")
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "comment" in request.POST else None)
        if form.is_valid():
            self._review_each(request, queryset, reject_route, comment=form.cleaned_data["comment"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject routes",
            "routes": queryset,
            "form": form,
            "opts": self.model._meta,
            "action": "reject_selected",
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/routes/reject.html", context)


@admin.register(HostClaim)
class HostClaimAdmin(admin.ModelAdmin):
    """Claims end through claims.release_claim only, which refuses while a route uses the host."""

    list_display = ["host", "team", "route", "claimed_by", "claimed_at"]
    list_filter = ["team"]
    search_fields = ["host"]
    list_select_related = ["team", "route", "claimed_by"]
    readonly_fields = ["host", "team", "route", "claimed_by", "claimed_at"]

    def has_add_permission(self, request):
        return False  # hosts are claimed by the first approved route

    def has_delete_permission(self, request, obj=None):
        # A host a route still uses cannot be released, so the delete page is not even offered (the same
        # question release_claim asks; it asks again under a lock when the claim is released).
        in_use = obj is not None and bool(routes_using_host(obj.host))
        return super().has_delete_permission(request, obj) and not in_use

    def delete_model(self, request, obj):
        # Releasing a host is a rule (no route may still use it) and an audit event, not a row delete.
        try:
            release_claim(obj, user=request.user)
        except (PolicyError, PermissionDenied) as exc:
            self.message_user(request, f"{obj.host}: {exc}", messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if HostClaim.objects.filter(pk=obj_id).exists():  # refused meanwhile; delete_model said why
            return HttpResponseRedirect(reverse("admin:routes_hostclaim_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request, queryset):
        for claim in queryset.select_related("team"):
            self.delete_model(request, claim)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["route", "revision", "decision", "reviewer", "automatic", "at"]
    list_filter = ["decision", "automatic"]
    list_select_related = ["route__cluster", "reviewer"]
    readonly_fields = ["route", "revision", "decision", "reviewer", "automatic", "comment", "at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
