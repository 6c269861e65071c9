"""Teams (tenancy): who may route what into which namespaces of which clusters."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from clusters.models import Cluster
from core.names import LABEL_RULE, label_problem


def team_slug_problem(slug: object) -> str | None:
    """Why ``slug`` cannot be a team's slug, or None. A slug labels every object of the team's routes
    (``portico.dev/team``) and names the team in URLs, so it is a DNS-1123 label, like a namespace."""
    if not isinstance(slug, str) or not slug:
        return "A team needs a slug."
    reason = label_problem(slug)
    if reason is None:
        return None
    shown = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        for ch in (slug if len(slug) <= 80 else slug[:77] + "…")
    )
    return f'Slug "{shown}" is not valid: it {reason} ({LABEL_RULE}); it labels the objects of the team\'s routes.'


def validate_team_slug(value: object) -> None:
    """A slug that can label Kubernetes objects (``team_slug_problem``); run by every team write
    (teams.services.validate_team calls full_clean): the API, the admin and the commands."""
    problem = team_slug_problem(value)
    if problem:
        raise ValidationError(problem)


class Team(models.Model):
    slug = models.SlugField(max_length=63, unique=True, validators=[validate_team_slug])
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    # DNS suffixes the team may publish under: "shop.example.com" allows that host and any host below it.
    domains = models.JSONField(default=list, blank=True)
    # DNS suffixes the team's ExternalName backends may point at; empty allows any public name that passes
    # policy (routes.domain.policy.external.check_external_name, docs/security.md "What a route may publish").
    external_domains = models.JSONField(
        default=list,
        blank=True,
        help_text='DNS suffixes the team\'s external (ExternalName) backends may point at, such as "partner.example.com" '
        'or a private zone such as "corp.internal". Empty: any public DNS name.',
    )
    allow_node_port = models.BooleanField(default=False)
    allow_load_balancer = models.BooleanField(default=False)
    allow_plain_http = models.BooleanField(default=False)
    auto_approve = models.BooleanField(
        default=False, help_text="Approve this team's revisions automatically when every check passes."
    )
    # Limits on route options (routes.domain.policy.options, docs/route-options.md); empty: Portico's own ceiling.
    max_timeout_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="The longest request timeout a route may ask for, in seconds. Empty: 3600."
    )
    max_body_size_mb = models.PositiveIntegerField(
        null=True, blank=True, help_text="The largest request body size a route may allow, in MiB. Empty: 10240."
    )
    allow_source_ranges = models.BooleanField(
        default=True, help_text="Routes may admit only clients from listed address ranges (CIDRs)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        db_table = "portal_team"  # created as portal.Team (core/migrations/0001_initial.py)

    def __str__(self) -> str:
        return self.slug


class TeamNamespace(models.Model):
    """A namespace on a cluster that a team may route into."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="namespaces")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="team_namespaces")
    namespace = models.CharField(max_length=63)

    class Meta:
        ordering = ["cluster__name", "namespace"]
        db_table = "portal_teamnamespace"
        constraints = [
            models.UniqueConstraint(fields=["team", "cluster", "namespace"], name="unique_team_namespace"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster.name}/{self.namespace}"
