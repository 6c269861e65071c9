"""The live status part of the route JSON (REST API v1, docs/api.md): what the worker last saw on the cluster."""

from rest_framework import serializers


class BlankAsNullCharField(serializers.CharField):
    """Stored as "" when unknown, shown as null."""

    def to_representation(self, value):
        return value or None


class ConditionSerializer(serializers.Serializer):
    """One condition as the reconciler records it (Kubernetes style)."""

    type = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    last_transition_time = serializers.CharField(required=False)


class DiagnosticStepSerializer(serializers.Serializer):
    """One link of the diagnostics chain: what was checked, what was found, how to fix it."""

    step = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    status = serializers.CharField(required=False, help_text="ok, warn, fail or skip")
    detail = serializers.CharField(required=False)
    fix = serializers.CharField(required=False)


class CertificateStatusSerializer(serializers.Serializer):
    ready = serializers.BooleanField(allow_null=True, default=None)
    not_after = serializers.CharField(allow_null=True, default=None)


class EndpointsStatusSerializer(serializers.Serializer):
    ready = serializers.IntegerField(allow_null=True, default=None)
    total = serializers.IntegerField(allow_null=True, default=None)


class ReachabilityHopSerializer(serializers.Serializer):
    hop = serializers.CharField(help_text="dns, guard, tls or http")
    title = serializers.CharField()
    state = serializers.CharField(help_text="ok, warn, fail or skip")
    detail = serializers.CharField(help_text="What was found, in plain words.")
    ms = serializers.FloatField(allow_null=True, help_text="How long the hop took, in milliseconds.")


class ReachabilityCertificateSerializer(serializers.Serializer):
    names = serializers.ListField(child=serializers.CharField(), required=False)
    issuer = serializers.CharField(required=False)
    not_after = serializers.CharField(required=False)
    days_left = serializers.IntegerField(required=False)


class ReachabilitySerializer(serializers.Serializer):
    """The last reachability check from the worker's network: DNS -> TLS -> HTTP (docs/reachability.md)."""

    checked_at = serializers.CharField(required=False)
    state = serializers.CharField(required=False, help_text="ok, warn, fail or skip (worst hop)")
    summary = serializers.CharField(required=False)
    addresses = serializers.ListField(child=serializers.CharField(), required=False)
    hops = ReachabilityHopSerializer(many=True, required=False)
    certificate = ReachabilityCertificateSerializer(required=False)
    http_status = serializers.IntegerField(required=False, allow_null=True)


class LiveStatusSerializer(serializers.Serializer):
    """What the reconciler last saw on the cluster (written by the worker, read here)."""

    conditions = ConditionSerializer(many=True, read_only=True)
    address = BlankAsNullCharField(read_only=True, allow_null=True, help_text="Load balancer IP or hostname.")
    certificate = CertificateStatusSerializer(read_only=True)
    endpoints = EndpointsStatusSerializer(read_only=True)
    last_synced_at = serializers.DateTimeField(
        source="checked_at",
        read_only=True,
        allow_null=True,
        help_text="When the worker last looked at the route (its status write or its cluster's last sync).",
    )
    diagnostics = DiagnosticStepSerializer(many=True, read_only=True)
    progressing_since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Health Progressing since; Degraded past PORTICO_PROGRESS_DEADLINE."
    )
    reachability = ReachabilitySerializer(read_only=True, help_text="Empty until the first check.")
