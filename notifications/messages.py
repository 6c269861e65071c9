"""What a notification says, pure: the JSON payload of an event, its HMAC signature (and its check, for
receivers), the e-mail text, when a health change is worth telling, and how long to wait before retrying."""

import hashlib
import hmac
import json
import random
from datetime import datetime

from core import tasks
from routes.choices import HealthChoices

from .choices import NotificationEventChoices as Event

SIGNATURE_HEADER = "X-Portico-Signature"
EVENT_HEADER = "X-Portico-Event"
DELIVERY_HEADER = "X-Portico-Delivery"
BACKOFF_BASE = 30.0  # seconds before the second attempt; doubles per attempt
BACKOFF_CAP = 3600.0

HEALTHY, DEGRADED = HealthChoices.HEALTHY, HealthChoices.DEGRADED


def build_payload(
    event: str, route: dict, *, actor: str | None, at: datetime, comment: str = "", health: dict | None = None
) -> dict:
    """The JSON body of an event: the same for every webhook and e-mail of that event. Holds no secret."""
    payload = {
        "event": event,
        "occurred_at": at.isoformat(),
        "actor": actor or "system",
        "summary": _summary(event, route, actor or "system"),
        "route": route,
    }
    if event in (Event.APPROVED, Event.REJECTED):
        payload["review"] = {"revision": route["revision"], "comment": comment}
    if health is not None:
        payload["health"] = health
    return payload


def _summary(event: str, route: dict, actor: str) -> str:
    name = f"{route['team']}/{route['name']}"
    where = f"{route['url']} on {route['cluster']}"
    summaries: dict[str, str] = {
        Event.SUBMITTED: f"{actor} submitted revision {route['revision']} of route {name} ({where}) for review.",
        Event.APPROVED: f"Revision {route['revision']} of route {name} ({where}) was approved by {actor}.",
        Event.REJECTED: f"Revision {route['revision']} of route {name} ({where}) was rejected by {actor}.",
        Event.DEGRADED: f"Route {name} ({where}) is degraded: traffic may not reach the service.",
        Event.HEALTHY: f"Route {name} ({where}) is healthy again.",
    }
    return summaries.get(event, f"Event {event} for route {name}.")


def team_payload(event: str, team: dict, *, actor: str | None, at: datetime) -> dict:
    """The JSON body of a team event (``auto_approve``): the team instead of a route. Holds no secret."""
    actor = actor or "system"
    summaries: dict[str, str] = {
        Event.AUTO_APPROVE: f"{actor} turned on auto-approval for team {team['slug']}: its members' revisions that "
        "pass every check are now approved with nobody reviewing them.",
    }
    summary = summaries.get(event, f"Event {event} for team {team['slug']}.")
    return {"event": event, "occurred_at": at.isoformat(), "actor": actor, "summary": summary, "team": team}


def ping_payload(team: str, *, at: datetime) -> dict:
    return {
        "event": Event.TEST,
        "occurred_at": at.isoformat(),
        "actor": "system",
        "team": team,
        "summary": f"Test notification for team {team}: this webhook is reachable and the signature verifies.",
    }


def encode(payload: dict) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the value of the X-Portico-Signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/notifications.md): recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header or "")


def email_message(payload: dict) -> tuple[str, str]:
    """(subject, plain-text body) of an event's e-mail."""
    event = payload["event"]
    route = payload.get("route")
    if event == Event.AUTO_APPROVE:
        team = payload["team"]
        body = [
            payload["summary"],
            "",
            "If nobody meant to, turn it off again and look at the audit trail.",
            f"The team: {team['link']}",
            "",
            "-- Portico",
        ]
        return f"[Portico] Auto-approval turned on for team {team['slug']}", "\n".join(body) + "\n"
    if route is None:
        return "[Portico] Test notification", payload["summary"] + "\n"
    title = {
        Event.SUBMITTED: "Review requested",
        Event.APPROVED: "Approved",
        Event.REJECTED: "Rejected",
        Event.DEGRADED: "Degraded",
        Event.HEALTHY: "Healthy again",
    }.get(event, event)
    subject = f"[Portico] {title}: {route['team']}/{route['name']} ({route['host']}{route['path']})"
    lines = [payload["summary"], ""]
    review = payload.get("review")
    if review and review["comment"]:
        lines += ["Reviewer's comment:", review["comment"], ""]
    for problem in (payload.get("health") or {}).get("problems", []):
        lines += [f"- {problem['title']}: {problem['detail']}"] + (
            [f"  Fix: {problem['fix']}"] if problem["fix"] else []
        )
    if payload.get("health", {}).get("problems"):
        lines.append("")
    lines += [f"Open the route: {route['link']}", "", "-- Portico"]
    return subject, "\n".join(lines) + "\n"


def backoff(attempt: int, *, retry_after: float | None = None, rand=random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): capped exponential with jitter
    (between half and all of the step); a receiver's Retry-After is a floor."""
    return tasks.backoff(
        attempt - 1, base=BACKOFF_BASE, cap=BACKOFF_CAP, jitter=0.5, retry_after=retry_after, rand=rand
    )


def health_event(previous: str, current: str, *, last_health_event: str | None = None) -> str | None:
    """The event a health change means, if any: ``degraded`` on entering Degraded; ``healthy`` on reaching
    Healthy from Degraded, or from Progressing/Unknown when the last health event sent was ``degraded``
    (a repair often passes through Progressing). Unchanged health means nothing, so syncs stay quiet."""
    if current == previous:
        return None
    if current == DEGRADED:
        return Event.DEGRADED
    if current == HEALTHY and (previous == DEGRADED or last_health_event == Event.DEGRADED):
        return Event.HEALTHY
    return None


def health_problems(diagnostics: list[dict], conditions: list[dict]) -> list[dict]:
    failing = [
        {"title": d.get("title", d.get("step", "")), "detail": d.get("detail", ""), "fix": d.get("fix", "")}
        for d in diagnostics or []
        if d.get("status") == "fail"
    ]
    if failing:
        return failing
    return [
        {"title": c.get("type", ""), "detail": c.get("message", ""), "fix": ""}
        for c in conditions or []
        if c.get("status") == "False" and c.get("message")
    ]
