from django import forms
from django.contrib import admin

from core.admin_forms import ServiceCheckedForm

from . import services
from .models import Cluster


class ClusterAdminForm(ServiceCheckedForm):
    """The kubeconfig is write-only: pasted here, stored encrypted, never shown again. The form checks with
    clusters.services, which the admin then saves through (docs/security.md, "Write paths")."""

    kubeconfig = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
        required=False,
        help_text="Paste a kubeconfig with inline credentials to set or replace it. Leave empty to keep the stored one.",
    )

    class Meta:
        model = Cluster
        fields = list(services.SETTINGS_FIELDS)

    def check(self, candidate, data):
        services.validate_cluster(candidate, kubeconfig=data.get("kubeconfig") or None)


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    form = ClusterAdminForm
    list_display = [
        "name",
        "display_name",
        "mode",
        "output",
        "reachable",
        "server_version",
        "ingress_class_present",
        "cert_manager_present",
        "issuer_present",
        "gateway_present",
        "checked_at",
        "last_synced_at",
    ]
    list_filter = ["mode", "output", "reachable"]
    search_fields = ["name", "display_name"]
    readonly_fields = [
        "has_credentials",
        "reachable",
        "server_version",
        "ingress_class_present",
        "cert_manager_present",
        "issuer_present",
        "gateway_present",
        "cni",
        "checked_at",
        "health_message",
        "sync_error",
        "last_synced_at",
        "foreign_ingresses",
    ]

    @admin.display(boolean=True, description="Kubeconfig stored")
    def has_credentials(self, obj):
        return obj.has_credentials

    # Saved and deleted through clusters.services, which audits (settings only, never credentials).
    def save_model(self, request, obj, form, change):
        save = services.update_cluster if change else services.create_cluster
        save(obj, user=request.user, kubeconfig=form.cleaned_data.get("kubeconfig") or None)

    def delete_model(self, request, obj):
        services.delete_cluster(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for cluster in queryset:
            self.delete_model(request, cluster)
