"""The audit trail: one function writes every event."""

from core.models import AuditEvent


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
