"""The team's side of a request: a slug its routes' objects can carry, and the namespaces it was granted."""

from __future__ import annotations

from core.names import is_label_value
from routes.domain.policy.common import join_quoted, quote
from routes.domain.values import FORBIDDEN, TeamPolicy, Violation


def check_team(team: TeamPolicy) -> list[Violation]:
    """The team's slug labels every object of its routes (``portico.dev/team``): one that is not a label value
    (stored before slugs were checked, teams.models.validate_team_slug) could never be applied."""
    if is_label_value(team.slug) and team.slug:
        return []
    return [
        Violation(
            "team",
            f"Team {quote(team.slug)} cannot own routes: its slug labels every object of its routes and is not a valid "
            'Kubernetes label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter '
            "or digit). Ask a platform engineer to create a team with a valid slug.",
            FORBIDDEN,
        )
    ]


def check_namespace_allowed(team: TeamPolicy, cluster: str, namespace: str) -> list[Violation]:
    if (cluster, namespace) in team.namespaces:
        return []
    allowed = sorted(ns for ns_cluster, ns in team.namespaces if ns_cluster == cluster)
    if not allowed:
        message = (
            f'Team "{team.slug}" has no namespace on cluster "{cluster}"; '
            "ask a platform engineer to grant one, or choose another cluster."
        )
    else:
        message = (
            f'Team "{team.slug}" may not use namespace "{namespace}" on cluster "{cluster}"; '
            f"allowed there: {join_quoted(allowed)}."
        )
    return [Violation("namespace", message, FORBIDDEN)]
