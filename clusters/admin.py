from django import forms
from django.contrib import admin

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
                       "issuer_present", "gateway_present", "checked_at", "health_message", "last_synced_at", "foreign_ingresses"]

    @admin.display(boolean=True, description="Kubeconfig stored")
    def has_credentials(self, obj):
        return obj.has_credentials
