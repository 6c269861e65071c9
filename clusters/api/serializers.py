"""Clusters as the API reads and writes them; writes go through clusters.services."""

from rest_framework import serializers

from clusters import services as cluster_services
from clusters.models import Cluster, dns_label
from core.access import is_platform
from core.api.fields import RejectUnknownFieldsMixin


class ClusterHealthSerializer(serializers.Serializer):
    """The cluster's last probe: can Portico reach it, and is an ingress controller and cert-manager there."""

    healthy = serializers.BooleanField(read_only=True)
    reachable = serializers.BooleanField(read_only=True, allow_null=True)
    server_version = serializers.CharField(read_only=True)
    ingress_class_present = serializers.BooleanField(read_only=True, allow_null=True)
    cert_manager_present = serializers.BooleanField(read_only=True, allow_null=True)
    issuer_present = serializers.BooleanField(read_only=True, allow_null=True)
    gateway_present = serializers.BooleanField(read_only=True, allow_null=True)
    cni = serializers.CharField(
        read_only=True,
        help_text='The CNI recognised from kube-system\'s DaemonSets at the last probe: "calico", "cilium", "flannel", '
        '"canal", or "" when none was recognised.',
    )
    network_policy_enforced = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Whether that CNI enforces NetworkPolicy (Flannel alone does not); null when the CNI is unknown.",
    )
    schema_notice = serializers.CharField(
        read_only=True,
        help_text="Set when the server version is outside the Kubernetes schemas Portico knows: newer is checked "
        "against the newest known (a warning), older cannot be checked (routes are refused).",
    )
    checked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    message = serializers.CharField(
        source="health_message", read_only=True, help_text="The last probe's message; a plain summary for developers."
    )
    sync_error = serializers.CharField(
        read_only=True, help_text="Why the last sync was refused; empty when it ran. A plain summary for developers."
    )


class ClusterSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """A cluster. ``kubeconfig`` is write-only: stored encrypted, never returned."""

    name = serializers.CharField(max_length=63, validators=[dns_label])
    kubeconfig = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        help_text="A kubeconfig with inline credentials only (no exec, auth-provider or file references). "
        "Write-only: it is stored encrypted and never returned.",
    )
    has_credentials = serializers.BooleanField(read_only=True)
    health = ClusterHealthSerializer(source="*", read_only=True)

    class Meta:
        model = Cluster
        fields = [
            *cluster_services.SETTINGS_FIELDS,
            "kubeconfig",
            "has_credentials",
            "health",
            "last_synced_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_synced_at", "created_at", "updated_at"]
        extra_kwargs = {
            "directory": {
                "help_text": "For directory clusters: the folder the manifests are written "
                "to, under PORTICO_DIRECTORY_ROOT. Empty for developers."
            }
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_platform(request.user):
            # Server folders and raw probe messages are for platform engineers (docs/security.md, "What developers
            # see"): a message can quote whatever the API server (or something posing as it) answered.
            data["directory"] = ""
            data["health"].update(message=instance.health_summary, sync_error=instance.sync_summary)
        return data

    def create(self, validated_data):
        kubeconfig = validated_data.pop("kubeconfig", None)
        return cluster_services.create_cluster(
            Cluster(**validated_data), user=self.context["request"].user, kubeconfig=kubeconfig
        )

    def update(self, instance, validated_data):
        kubeconfig = validated_data.pop("kubeconfig", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return cluster_services.update_cluster(instance, user=self.context["request"].user, kubeconfig=kubeconfig)
