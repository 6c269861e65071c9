"""Teams as the API reads and writes them; writes go through teams.services."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from clusters.models import Cluster
from core.api.fields import LookupField, RejectUnknownFieldsMixin
from core.names import MAX_SUBDOMAIN_LENGTH
from teams import services as team_services
from teams.models import Team


class TeamNamespaceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    cluster = LookupField("cluster", slug_field="name", queryset=Cluster.objects.all())
    namespace = serializers.CharField(max_length=63)


class TeamSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """A team: who is in it, where it may route (namespaces per cluster, DNS suffixes) and its policy flags."""

    slug = serializers.SlugField(max_length=63)
    members = LookupField(
        "user",
        many=True,
        required=False,
        slug_field="username",
        queryset=get_user_model().objects.all(),
        help_text="Usernames.",
    )
    namespaces = TeamNamespaceSerializer(many=True, required=False)
    domains = serializers.ListField(
        child=serializers.CharField(max_length=MAX_SUBDOMAIN_LENGTH),
        required=False,
        help_text='DNS suffixes: "shop.example.com" allows that host and any host under it.',
    )
    external_domains = serializers.ListField(
        child=serializers.CharField(max_length=MAX_SUBDOMAIN_LENGTH),
        required=False,
        help_text="DNS suffixes the team's external (ExternalName) backends may point at; empty allows any public "
        'DNS name. A private zone such as "corp.internal" is allowed only by listing it here.',
    )

    class Meta:
        model = Team
        fields = [
            "slug",
            "name",
            "members",
            "namespaces",
            "domains",
            "external_domains",
            "allow_node_port",
            "allow_load_balancer",
            "allow_plain_http",
            "auto_approve",
            "max_timeout_seconds",
            "max_body_size_mb",
            "allow_source_ranges",
        ]

    def create(self, validated_data):
        members = validated_data.pop("members", [])
        namespaces = _namespace_pairs(validated_data.pop("namespaces", []))
        return team_services.create_team(
            Team(**validated_data), user=self.context["request"].user, members=members, namespaces=namespaces
        )

    def update(self, instance, validated_data):
        members = validated_data.pop("members", None)
        namespaces = validated_data.pop("namespaces", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return team_services.update_team(
            instance,
            user=self.context["request"].user,
            members=members,
            namespaces=None if namespaces is None else _namespace_pairs(namespaces),
        )


def _namespace_pairs(items: list[dict]) -> list[tuple]:
    return [(item["cluster"], item["namespace"]) for item in items]
