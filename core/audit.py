"""The audit trail: one function writes every event."""

from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from core.models import AuditEvent


def record(
    actor: User | AnonymousUser | None,
    verb: str,
    obj: models.Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    team: models.Model | None = None,
) -> AuditEvent:
    """Append an audit event. ``actor`` None means the system (worker, auto-approval)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "system",
        verb=verb,
        # Set on every model class Django has built; the stubs allow None only for an Options not yet attached.
        object_type=cast("str", obj._meta.model_name),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        # A teams.Team: core sits below the teams app (docs/architecture.md, "Layers"), so it cannot name the class.
        team=cast("Any", team),
        before=before,
        after=after,
    )
