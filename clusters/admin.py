from django import forms
from django.contrib import admin

from portal.audit import cluster_snapshot, record

from .kubeconfig import KubeconfigError
from .models import Cluster


class ClusterAdminForm(forms.ModelForm):
    """The kubeconfig is write-only: pasted here, stored encrypted, never shown again."""

    kubeconfig = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}), required=False,
        help_text="Paste a kubeconfig with inline credentials to set or replace it. Leave empty to keep the stored one.",
    )

    class Meta:
        model = Cluster
        fields = ["name", "display_name", "mode", "context", "insecure_skip_tls_verify", "directory",
                  "ingress_class", "default_issuer", "output", "gateway_name", "gateway_namespace",
                  "gateway_section_name"]

    def clean(self):
        data = super().clean()
        text = data.get("kubeconfig")
        if text:
            self.instance.insecure_skip_tls_verify = data.get("insecure_skip_tls_verify", False)
            try:
                self.instance.set_kubeconfig(text, data.get("context") or None)
            except KubeconfigError as exc:
                self.add_error("kubeconfig", str(exc))
        elif data.get("mode") == "kubernetes" and not self.instance.kubeconfig_encrypted:
            self.add_error("kubeconfig", "A kubernetes cluster needs a kubeconfig.")
        return data


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    form = ClusterAdminForm
    list_display = ["name", "display_name", "mode", "output", "reachable", "server_version", "ingress_class_present",
                    "cert_manager_present", "issuer_present", "gateway_present", "checked_at", "last_synced_at"]
    list_filter = ["mode", "output", "reachable"]
    search_fields = ["name", "display_name"]
    readonly_fields = ["has_credentials", "reachable", "server_version", "ingress_class_present", "cert_manager_present",
                       "issuer_present", "gateway_present", "checked_at", "health_message", "sync_error", "last_synced_at", "foreign_ingresses"]

    @admin.display(boolean=True, description="Kubeconfig stored")
    def has_credentials(self, obj):
        return obj.has_credentials

    # The audit trail replaces Django's admin log for clusters: settings only, never credentials.
    def save_model(self, request, obj, form, change):
        before = cluster_snapshot(Cluster.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        after = cluster_snapshot(obj)
        if after != before or "kubeconfig" in form.changed_data:
            record(request.user, "edit" if change else "create", obj, before=before,
                   after={**after, "kubeconfig_replaced": bool(form.cleaned_data.get("kubeconfig"))})

    def delete_model(self, request, obj):
        record(request.user, "delete", obj, before=cluster_snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for cluster in queryset:
            self.delete_model(request, cluster)
