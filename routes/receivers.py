"""How routes answer what happens to teams (teams/signals.py). Connected when the app is ready (apps.py)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.dispatch import receiver

from teams.signals import team_policy_changing

from . import checks
from .adapters import team_policy

# The team setting behind each route field a policy check can refuse.
_POLICY_FIELDS = {
    "host": "domains",
    "namespace": "namespaces",
    "tls.mode": "allow_plain_http",
    "backend.external_name": "external_domains",
}


@receiver(team_policy_changing, dispatch_uid="routes.live_routes_stay_inside_team_policy")
def live_routes_outside_new_policy(sender, team, namespaces, **kwargs) -> dict[str, list[str]]:
    """Messages, per team field, naming each live route of ``team`` that its changed policy would refuse.
    Pending revisions are not counted: their approval checks the policy again, and the review queue shows them
    failing."""
    new = team_policy(team, namespaces)
    errors: dict[str, list[str]] = {}
    for route, revision, violation in checks.routes_outside_policy(team, new):
        field = _POLICY_FIELDS.get(violation.field, NON_FIELD_ERRORS)
        if violation.field == "backend.service_type":
            service_type = (revision.spec.get("backend") or {}).get("service_type")
            field = "allow_load_balancer" if service_type == "LoadBalancer" else "allow_node_port"
        errors.setdefault(field, []).append(
            f"Route {route} (r{revision.number}, live) would be outside the team's policy: {violation.message} "
            "Delete or change the route first, then change the team."
        )
    return errors
