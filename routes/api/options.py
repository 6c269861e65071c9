"""The ``options`` object of a route in REST API v1: what the route asks of the ingress controller
(docs/route-options.md). Shapes only, like every serializer here: which values are allowed, and whether the
cluster's controller can honour them, is ``routes.domain.policy.options``'s to judge."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import RejectUnknownFieldsMixin
from routes.domain.values import RouteOptions


class RouteOptionsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Per-route controller options. Each is refused (400, on its field) where the cluster's ingress controller or
    Gateway API cannot honour it, or beyond the team's limits; unset means the controller's default."""

    force_https = serializers.BooleanField(required=False, help_text="Redirect plain HTTP requests to HTTPS.")
    timeout_seconds = serializers.IntegerField(
        required=False, allow_null=True, help_text="How long the backend may take to answer, in seconds (1-3600)."
    )
    max_body_size_mb = serializers.IntegerField(
        required=False, allow_null=True, help_text="The largest request body accepted, in MiB (1-10240)."
    )
    source_ranges = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False),
        required=False,
        help_text='Only clients from these address ranges are served, such as ["203.0.113.0/24"]; empty: everyone.',
    )


def options_of(data: dict | None) -> dict:
    """A stored revision's options as the API shows them: every key, unset ones as their defaults."""
    return dict(RouteOptionsSerializer(RouteOptions.from_dict(data)).data)


def merged_options(current: dict | None, given: dict | None) -> RouteOptions:
    """The options a PATCH asks for: the given keys over the latest revision's."""
    return RouteOptions.from_dict({**(current or {}), **(given or {})})


@extend_schema_field(RouteOptionsSerializer)
class RevisionOptionsField(serializers.Field):
    """A stored revision's ``options`` (absent from revisions that set none), shown with every key."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return options_of(value.get("options") if isinstance(value, dict) else None)
