"""Stuck is a state, not a wait: a route Progressing for longer than PORTICO_PROGRESS_DEADLINE is Degraded.

The reconciler calls ``judge`` on the status it is about to write (routes.reconcile): while the route is
Progressing, ``progressing_since`` keeps when that began; once the deadline has passed, health turns Degraded,
the diagnostics steps still waiting (no address, certificate not issued, challenge not passing, endpoints not
ready) become failures that say how long they have waited, and a ``Stalled`` condition names the reason. The
health change goes through the same notification path as any other (notifications.health_changed).
A route being deleted is left Progressing: its removal is tracked elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from .choices import HealthChoices

STALLED = "Stalled"
REACHABLE = "Reachable"


def deadline() -> timedelta:
    return timedelta(seconds=settings.PORTICO_PROGRESS_DEADLINE)


def judge(route, values: dict, now: datetime) -> dict:
    """``values`` (the status fields about to be written) with ``progressing_since`` set and, past the deadline,
    health Degraded with its reason; a Healthy route whose last reachability check failed is Degraded too
    (``unreachable``). Returns a new dict; ``route`` holds the stored fields."""
    values = unreachable(route, dict(values))
    health = values.get("health", route.health)
    if health != HealthChoices.PROGRESSING or route.deletion_requested_at is not None:
        values["progressing_since"] = None
        values["conditions"] = _without_stalled(values.get("conditions", route.conditions))
        return values
    since = route.progressing_since or now
    values["progressing_since"] = since
    waited = now - since
    if waited <= deadline():
        values["conditions"] = _without_stalled(values.get("conditions", route.conditions))
        return values
    diagnostics = [dict(step) for step in values.get("diagnostics", route.diagnostics) or []]
    waiting = [step for step in diagnostics if step.get("status") == "warn"]
    for step in waiting:
        step["status"] = "fail"
        step["detail"] = f"Still not done after {_duration(waited)}: {step.get('detail', '')}"
    reason = (
        "; ".join(str(step.get("title") or step.get("step") or "") for step in waiting) or "the route did not settle"
    )
    message = (
        f"Progressing for {_duration(waited)}, longer than the {_duration(deadline())} a route may take "
        f"(PORTICO_PROGRESS_DEADLINE): {reason}."
    )
    if waiting:
        message += " " + waiting[0]["detail"]
    conditions = _without_stalled(values.get("conditions", route.conditions))
    conditions.append(
        {
            "type": STALLED,
            "status": "True",
            "reason": "ProgressDeadlineExceeded",
            "message": message,
            "last_transition_time": since.isoformat(),
        }
    )
    values.update(health=HealthChoices.DEGRADED, diagnostics=diagnostics, conditions=conditions)
    return values


def unreachable(route, values: dict) -> dict:
    """Whether the route's URL works is the last reachability check's answer (routes.reachability), which the
    API server cannot give: a route the diagnostics find Healthy whose check failed (DNS not pointing at the
    load balancer, a certificate that is invalid or expired, no HTTP answer) is Degraded, with a ``Reachable``
    condition carrying the check's summary. Only Healthy is lowered, so while the condition is present the
    route is Healthy in every other respect (``routes.reachability.run`` relies on that when a check passes)."""
    conditions = [c for c in values.get("conditions", route.conditions) or [] if c.get("type") != REACHABLE]
    result = getattr(route, "reachability", None) or {}
    health = values.get("health", route.health)
    if result.get("state") == "fail" and health == HealthChoices.HEALTHY and route.deletion_requested_at is None:
        conditions.append(
            {
                "type": REACHABLE,
                "status": "False",
                "reason": "ReachabilityCheckFailed",
                "message": result.get("summary") or "The reachability check failed.",
                "last_transition_time": result.get("checked_at") or "",
            }
        )
        values["health"] = HealthChoices.DEGRADED
    values["conditions"] = conditions
    return values


def record_reachability(route, result: dict) -> None:
    """Store a reachability check's result on the route and turn its health with it: a failed check lowers a
    Healthy route to Degraded, a passing one lifts a route only that lowered back to Healthy. A change of health
    is announced like any other (routes.signals.route_health_changed: notifications, metrics)."""
    from . import signals
    from .models import Route

    previous = route.health
    route.reachability = result
    base = {
        "health": HealthChoices.HEALTHY if lowered_by_reachability(route) else route.health,
        "conditions": route.conditions,
    }
    values = unreachable(route, base)
    Route.objects.filter(pk=route.pk).update(reachability=result, **values)
    for name, value in values.items():
        setattr(route, name, value)
    if route.health != previous:
        signals.route_health_changed.send(sender=Route, route=route, previous=previous)


def lowered_by_reachability(route) -> bool:
    """The stored health is Degraded only because the last reachability check failed."""
    return any(c.get("type") == REACHABLE and c.get("status") == "False" for c in route.conditions or [])


def _without_stalled(conditions) -> list[dict]:
    return [c for c in conditions or [] if c.get("type") != STALLED]


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"
