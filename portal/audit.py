"""The audit trail: one function writes every event."""
from portal.models import AuditEvent


def record(actor, verb: str, obj, *, before=None, after=None, team=None) -> AuditEvent:
    """Append an audit event. ``actor`` None means the system (worker, auto-approval)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "system",
        verb=verb,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        team=team,
        before=before,
        after=after,
    )


def cluster_snapshot(cluster) -> dict:
    """A cluster's settings for the audit trail; credentials are never part of it."""
    return {
        "name": cluster.name, "display_name": cluster.display_name, "mode": cluster.mode, "context": cluster.context,
        "insecure_skip_tls_verify": cluster.insecure_skip_tls_verify, "directory": cluster.directory,
        "ingress_class": cluster.ingress_class, "default_issuer": cluster.default_issuer, "output": cluster.output,
        "gateway_name": cluster.gateway_name, "gateway_namespace": cluster.gateway_namespace,
        "gateway_section_name": cluster.gateway_section_name,
        "has_credentials": cluster.has_credentials,
    }


def team_snapshot(team) -> dict:
    """A team's settings, members and namespaces for the audit trail."""
    return {
        "slug": team.slug, "name": team.name, "domains": list(team.domains or []),
        "external_domains": list(team.external_domains or []),
        "members": sorted(team.members.values_list("username", flat=True)),
        "namespaces": sorted(f"{ns.cluster.name}/{ns.namespace}" for ns in team.namespaces.select_related("cluster")),
        "allow_node_port": team.allow_node_port, "allow_load_balancer": team.allow_load_balancer,
        "allow_plain_http": team.allow_plain_http, "auto_approve": team.auto_approve,
    }
