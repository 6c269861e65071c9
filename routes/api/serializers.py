"""The JSON shapes of REST API v1 (docs/api.md).

Serializers check shapes only (types, nesting, unknown keys, lookups by slug). Every rule about what a route
may be comes from ``routes.services`` (which applies ``routes.domain.policy``); its violations reach the client
through the views' error mapping, so the API, the form and the worker judge a route the same way.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import Cluster
from core.api.fields import LookupField, RejectUnknownFieldsMixin
from core.models import AuditEvent
from routes import services
from routes.api.lean import LeanRepresentation
from routes.api.options import RevisionOptionsField, RouteOptionsSerializer, merged_options
from routes.api.status import LiveStatusSerializer
from routes.choices import ROUTE_APPROVAL_CHOICES, ApprovalChoices, HealthChoices, SyncChoices
from routes.domain.values import PATH_TYPES, SERVICE_TYPES, TLS, TLS_MODES, Backend, RouteSpec
from routes.models import MAX_REVISION, HostClaim, Review, RouteRevision
from teams.access import teams_of
from teams.models import Team

MAX_COMMENT_LENGTH = 10_000


# Building blocks


def documented_enum(values, **kwargs) -> serializers.CharField:
    """A text field documented with its allowed values. Which values are allowed is policy's to judge (with a
    message saying what each choice means), so the serializer itself accepts any text."""
    field = serializers.CharField(trim_whitespace=False, **kwargs)
    schema: dict[str, object] = {"type": "string", "enum": list(values)}
    if kwargs.get("allow_null"):
        schema = {"type": "string", "enum": [*values, None], "nullable": True}
    # extend_schema_field decorates field instances too (drf-spectacular's documentation); its annotation
    # covers classes and functions only.
    return extend_schema_field(schema)(field)  # type: ignore[type-var]


@extend_schema_field({"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True})
class PortField(serializers.Field):
    """A port number, or the name of a port (existing Services and target ports may use names)."""

    default_error_messages = {"invalid": 'Must be a port number such as 8080, or a port name such as "http".'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)) or (isinstance(data, str) and "\x00" in data):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class TeamLookupField(LookupField):
    """A team the requesting user belongs to (any team for platform engineers).

    A team the user does not belong to answers exactly like one that does not exist, so team names do not
    leak to outsiders; the message says what the rule is.
    """

    default_error_messages = {
        "does_not_exist": 'No team "{value}" among your teams; you can request routes only for teams you belong to.',
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Team.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        teams = teams_of(request.user) if request is not None else Team.objects.none()
        return teams.prefetch_related("namespaces__cluster")


# Routes


class BackendSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Where traffic goes. An existing Service: service_name and service_port. A Service Portico manages: add
    target_port, selector and service_type. An ExternalName Service: external_name (and optionally a port)."""

    service_name = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    service_port = PortField(required=False, allow_null=True)
    target_port = PortField(required=False, allow_null=True)
    selector = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        allow_null=True,
        help_text='Labels of the pods that receive the traffic, such as {"app": "cart"}.',
    )
    service_type = documented_enum(SERVICE_TYPES, required=False, allow_null=True, allow_blank=True)
    external_name = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)


class TLSSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """How the route serves HTTPS: a certificate from cert-manager (default), an existing Secret, or none."""

    mode = documented_enum(TLS_MODES, required=False, allow_blank=True)
    issuer = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="ClusterIssuer for cert-manager; defaults to the cluster's.",
    )
    secret_name = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)


class RouteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A route: the first group of fields is what a client writes, the rest is read-only state.

    ``backend`` and ``tls`` show the latest revision's spec. On PATCH, given fields merge over the latest
    revision (nested objects key by key) and make a new revision; name, team, cluster and namespace are fixed.
    """

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(
        trim_whitespace=False, allow_blank=True, help_text="DNS-1123 label, unique per cluster and namespace."
    )
    team = TeamLookupField(help_text="Team slug; one of your teams.")
    cluster = LookupField("cluster", slug_field="name", queryset=Cluster.objects.all(), help_text="Cluster name.")
    namespace = serializers.CharField(trim_whitespace=False, allow_blank=True)
    host = serializers.CharField(trim_whitespace=False, allow_blank=True)
    path = serializers.CharField(trim_whitespace=False, allow_blank=True, default="/")
    path_type = documented_enum(PATH_TYPES, default="Prefix")
    backend = BackendSerializer(source="latest_spec.backend")
    tls = TLSSerializer(source="latest_spec.tls", required=False)
    options = RouteOptionsSerializer(source="latest_spec.options", required=False)

    revision = serializers.IntegerField(read_only=True)
    approved_revision = serializers.IntegerField(read_only=True, allow_null=True)
    applied_revision = serializers.IntegerField(read_only=True, allow_null=True)
    approval = serializers.ChoiceField(choices=ROUTE_APPROVAL_CHOICES, read_only=True)
    sync = serializers.ChoiceField(choices=SyncChoices.choices, read_only=True)
    health = serializers.ChoiceField(choices=HealthChoices.choices, read_only=True)
    status = LiveStatusSerializer(source="*", read_only=True)
    url = serializers.CharField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    deletion_requested_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deleted_at = serializers.DateTimeField(read_only=True, allow_null=True)

    IMMUTABLE = ("name", "team", "cluster", "namespace")

    def to_representation(self, instance):
        # The fields' plan compiled once (routes.api.lean): DRF's JSON without its per-object bookkeeping.
        return _LEAN(self, instance)

    def validate(self, attrs):
        # The nested spec fields arrive under their source ("latest_spec"); the spec is rebuilt from them below.
        nested = attrs.pop("latest_spec", {})
        attrs.update(nested)
        if self.instance is not None:
            changed = [
                field for field in self.IMMUTABLE if field in attrs and attrs[field] != getattr(self.instance, field)
            ]
            if changed:
                raise serializers.ValidationError(
                    {field: [f"The {field} of a route cannot change; create a new route instead."] for field in changed}
                )
        return attrs

    def spec(self, base: RouteSpec | None = None) -> RouteSpec:
        """The requested spec: the validated fields over ``base`` (the latest revision on PATCH)."""
        data = self.validated_data
        current = base.to_dict() if base is not None else {}
        merged = {key: data.get(key, current.get(key)) for key in ("host", "path", "path_type")}
        backend = {**(current.get("backend") or {}), **data.get("backend", {})}
        tls = {**(current.get("tls") or {}), **data.get("tls", {})}
        return RouteSpec(
            host=merged["host"],
            path=merged["path"] if merged["path"] is not None else "/",
            path_type=merged["path_type"] if merged["path_type"] is not None else "Prefix",
            backend=Backend(**backend),
            tls=TLS(**tls),
            options=merged_options(current.get("options"), data.get("options")),
        )

    def request_args(self) -> dict:
        data = self.validated_data
        return {
            "user": self.context["request"].user,
            "team": data["team"],
            "cluster": data["cluster"],
            "namespace": data["namespace"],
            "name": data["name"],
            "spec": self.spec(),
        }

    def create(self, validated_data):
        return services.submit_route(**self.request_args())

    def update(self, instance, validated_data):
        return services.edit_route(instance, user=self.context["request"].user, spec=self.spec(instance.latest_spec))


_LEAN = LeanRepresentation()


class DryRunSerializer(serializers.Serializer):
    """A dry run that passed every check: the objects the route would put on the cluster (the route label carries
    a placeholder id, since nothing was saved)."""

    valid = serializers.BooleanField()
    manifests = serializers.ListField(child=serializers.DictField())
    yaml = serializers.CharField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the request passed with a caveat, such as a cluster newer than the Kubernetes schemas Portico "
        "checks objects against (they are checked against the newest known).",
    )


class RevisionsSummarySerializer(serializers.Serializer):
    latest = serializers.IntegerField(source="revision")
    approved = serializers.IntegerField(source="approved_revision", allow_null=True)
    applied = serializers.IntegerField(source="applied_revision", allow_null=True)


class RouteStatusSerializer(LiveStatusSerializer):
    """Is the cluster at the approved revision (sync), does traffic work (health), and why."""

    sync = serializers.ChoiceField(choices=SyncChoices.choices, read_only=True)
    health = serializers.ChoiceField(choices=HealthChoices.choices, read_only=True)
    approval = serializers.ChoiceField(choices=ROUTE_APPROVAL_CHOICES, read_only=True)
    url = serializers.CharField(read_only=True)
    revisions = RevisionsSummarySerializer(source="*", read_only=True)
    settled = serializers.BooleanField(
        read_only=True, help_text="Nothing will change until someone acts: stop polling."
    )
    deletion_requested_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deleted_at = serializers.DateTimeField(read_only=True, allow_null=True)


class RouteDiffSerializer(serializers.Serializer):
    """The latest revision's rendered YAML against a baseline, as a unified diff (empty when equal)."""

    revision = serializers.IntegerField(help_text="The revision compared (the route's latest).")
    pending = serializers.BooleanField(help_text="The latest revision still awaits review.")
    baseline = serializers.ChoiceField(
        choices=[
            ("live", "Objects on the cluster"),
            ("approved", "The approved revision, rendered"),
            ("none", "Nothing: no revision was approved yet"),
        ],
    )
    baseline_revision = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(help_text="Why this baseline was used.")
    diff = serializers.CharField(allow_blank=True)


class ReviewRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A review decision. ``revision`` guards against deciding on a revision other than the one looked at."""

    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=MAX_COMMENT_LENGTH)
    revision = serializers.IntegerField(required=False, min_value=1, max_value=MAX_REVISION)


class ManifestsQuerySerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=1, max_value=MAX_REVISION)


class RevisionSpecSerializer(serializers.Serializer):
    host = serializers.CharField()
    path = serializers.CharField()
    path_type = serializers.CharField()
    backend = BackendSerializer()
    tls = TLSSerializer()
    options = RevisionOptionsField()


class RevisionSerializer(serializers.ModelSerializer):
    spec = RevisionSpecSerializer(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = RouteRevision
        fields = ["number", "spec", "approval", "created_by", "created_at"]


class ReviewSerializer(serializers.ModelSerializer):
    # A review decides; "pending" is never a decision.
    decision = serializers.ChoiceField(
        choices=[
            (ApprovalChoices.APPROVED.value, ApprovalChoices.APPROVED.label),
            (ApprovalChoices.REJECTED.value, ApprovalChoices.REJECTED.label),
        ],
        read_only=True,
    )
    reviewer = serializers.CharField(
        source="reviewer.username",
        read_only=True,
        allow_null=True,
        help_text="null for automatic approvals under the team's policy.",
    )

    class Meta:
        model = Review
        fields = ["revision", "decision", "reviewer", "comment", "automatic", "at"]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "verb", "before", "after"]


class RouteHistorySerializer(serializers.Serializer):
    """Everything that happened to a route: its revisions, the reviews, and the audit events."""

    revisions = RevisionSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    events = AuditEventSerializer(many=True, read_only=True)


# Host claims


class HostClaimSerializer(serializers.ModelSerializer):
    """A host owned by one team on every cluster. Released only explicitly, never by deleting a route."""

    team = serializers.CharField(source="team.slug", read_only=True)
    route = serializers.UUIDField(
        source="route_id", read_only=True, allow_null=True, help_text="The route whose approval claimed the host."
    )
    claimed_by = serializers.CharField(source="claimed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = HostClaim
        fields = ["host", "team", "route", "claimed_by", "claimed_at"]
        read_only_fields = fields
