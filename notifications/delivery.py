"""Team notifications: route events sent to the team's webhooks (signed JSON) and by e-mail.

An event becomes one ``NotificationDelivery`` row per webhook and per e-mail address, written in the
transaction of the state change that caused it (``route_event``), and sent after commit by the
``notifications.tasks.send_notification`` task. The rows are the truth and the queue only a wake-up call: a
message lost while the broker is down is found by the beat sweep (``enqueue_due``). ``send_delivery`` makes
one attempt, records it, and says whether and when to try again. Payloads, signatures, e-mail text and
backoff are pure functions. Receivers verify deliveries as docs/notifications.md describes.
"""
import hashlib
import hmac
import http.client
import json
import logging
import random
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core import outbound, tasks
from core.access import PLATFORM_GROUP
from core.crypto import DecryptionError
from core.logs import log_context
from routes.choices import HealthChoices
from teams.models import Team

from .choices import DeliveryStatusChoices as Status
from .choices import NotificationEventChoices as Event
from .models import NotificationDelivery, TeamWebhook

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Portico-Signature"
EVENT_HEADER = "X-Portico-Event"
DELIVERY_HEADER = "X-Portico-Delivery"
BACKOFF_BASE = 30.0  # seconds before the second attempt; doubles per attempt
BACKOFF_CAP = 3600.0
# A delivery no task has picked up this long after it fell due is re-enqueued by the sweep.
STUCK_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500

HEALTHY, DEGRADED = HealthChoices.HEALTHY, HealthChoices.DEGRADED


# Pure: payloads, signatures, messages, backoff


def build_payload(event: str, route: dict, *, actor: str | None, at: datetime, comment: str = "",
                  health: dict | None = None) -> dict:
    """The JSON body of an event: the same for every webhook and e-mail of that event. Holds no secret."""
    payload = {"event": event, "occurred_at": at.isoformat(), "actor": actor or "system",
               "summary": _summary(event, route, actor or "system"), "route": route}
    if event in (Event.APPROVED, Event.REJECTED):
        payload["review"] = {"revision": route["revision"], "comment": comment}
    if health is not None:
        payload["health"] = health
    return payload


def _summary(event: str, route: dict, actor: str) -> str:
    name = f'{route["team"]}/{route["name"]}'
    where = f'{route["url"]} on {route["cluster"]}'
    summaries: dict[str, str] = {
        Event.SUBMITTED: f'{actor} submitted revision {route["revision"]} of route {name} ({where}) for review.',
        Event.APPROVED: f'Revision {route["revision"]} of route {name} ({where}) was approved by {actor}.',
        Event.REJECTED: f'Revision {route["revision"]} of route {name} ({where}) was rejected by {actor}.',
        Event.DEGRADED: f"Route {name} ({where}) is degraded: traffic may not reach the service.",
        Event.HEALTHY: f"Route {name} ({where}) is healthy again.",
    }
    return summaries.get(event, f"Event {event} for route {name}.")


def team_payload(event: str, team: dict, *, actor: str | None, at: datetime) -> dict:
    """The JSON body of a team event (``auto_approve``): the team instead of a route. Holds no secret."""
    actor = actor or "system"
    summaries: dict[str, str] = {
        Event.AUTO_APPROVE: f'{actor} turned on auto-approval for team {team["slug"]}: its members\' revisions that '
                            "pass every check are now approved with nobody reviewing them.",
    }
    summary = summaries.get(event, f'Event {event} for team {team["slug"]}.')
    return {"event": event, "occurred_at": at.isoformat(), "actor": actor, "summary": summary, "team": team}


def ping_payload(team: str, *, at: datetime) -> dict:
    return {"event": Event.TEST, "occurred_at": at.isoformat(), "actor": "system", "team": team,
            "summary": f"Test notification for team {team}: this webhook is reachable and the signature verifies."}


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
        body = [payload["summary"], "", "If nobody meant to, turn it off again and look at the audit trail.",
                f'The team: {team["link"]}', "", "-- Portico"]
        return f'[Portico] Auto-approval turned on for team {team["slug"]}', "\n".join(body) + "\n"
    if route is None:
        return "[Portico] Test notification", payload["summary"] + "\n"
    title = {Event.SUBMITTED: "Review requested", Event.APPROVED: "Approved", Event.REJECTED: "Rejected",
             Event.DEGRADED: "Degraded", Event.HEALTHY: "Healthy again"}.get(event, event)
    subject = f'[Portico] {title}: {route["team"]}/{route["name"]} ({route["host"]}{route["path"]})'
    lines = [payload["summary"], ""]
    review = payload.get("review")
    if review and review["comment"]:
        lines += ["Reviewer's comment:", review["comment"], ""]
    for problem in (payload.get("health") or {}).get("problems", []):
        lines += [f'- {problem["title"]}: {problem["detail"]}'] + ([f'  Fix: {problem["fix"]}'] if problem["fix"] else [])
    if payload.get("health", {}).get("problems"):
        lines.append("")
    lines += [f'Open the route: {route["link"]}', "", "-- Portico"]
    return subject, "\n".join(lines) + "\n"


def backoff(attempt: int, *, retry_after: float | None = None, rand=random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): capped exponential with jitter
    (between half and all of the step); a receiver's Retry-After is a floor."""
    return tasks.backoff(attempt - 1, base=BACKOFF_BASE, cap=BACKOFF_CAP, jitter=0.5, retry_after=retry_after,
                         rand=rand)


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


def _health_problems(diagnostics: list[dict], conditions: list[dict]) -> list[dict]:
    failing = [{"title": d.get("title", d.get("step", "")), "detail": d.get("detail", ""), "fix": d.get("fix", "")}
               for d in diagnostics or [] if d.get("status") == "fail"]
    if failing:
        return failing
    return [{"title": c.get("type", ""), "detail": c.get("message", ""), "fix": ""}
            for c in conditions or [] if c.get("status") == "False" and c.get("message")]


# Creating deliveries (inside the caller's transaction)


def route_event(route, event: str, *, actor=None, comment: str = "", previous_health: str | None = None) -> list[int]:
    """Record ``event`` for ``route``: one delivery per subscribed webhook and per recipient, sent after commit.

    Called once by each function that makes the state change (routes.services, routes.reconcile). Returns the
    delivery ids.
    """
    webhooks = [w for w in route.team.webhooks.filter(active=True) if w.wants(event)]
    addresses = recipients(route.team, event, actor)
    if not webhooks and not addresses:
        return []  # nobody listens: skip building the payload (a cluster's first sync may degrade many routes)
    actor_name = actor.get_username() if actor is not None and actor.is_authenticated else None
    health = None
    if event in (Event.DEGRADED, Event.HEALTHY):
        health = {"previous": previous_health, "current": route.health,
                  "problems": _health_problems(route.diagnostics, route.conditions) if event == Event.DEGRADED else []}
    payload = build_payload(event, _route_facts(route), actor=actor_name, at=timezone.now(), comment=comment,
                            health=health)
    rows = [NotificationDelivery(team=route.team, webhook=w, target=w.url, event=event, route_id=route.pk,
                                 payload=payload) for w in webhooks]
    rows += [NotificationDelivery(team=route.team, email=address, target=address, event=event, route_id=route.pk,
                                  payload=payload) for address in addresses]
    ids = [row.pk for row in NotificationDelivery.objects.bulk_create(rows)]
    enqueue(ids)
    return ids


def team_event(team, event: str, *, actor=None) -> list[int]:
    """Record a team event: one delivery per subscribed webhook of the team and per platform engineer's
    address (never the actor's), sent after commit. Called by teams.services when the change is written."""
    webhooks = [w for w in team.webhooks.filter(active=True) if w.wants(event)]
    addresses = recipients(team, event, actor)
    if not webhooks and not addresses:
        return []
    actor_name = actor.get_username() if actor is not None and actor.is_authenticated else None
    facts = {"slug": team.slug, "name": team.name,
             "link": settings.PORTICO_BASE_URL + reverse("admin:teams_team_change", args=[team.pk])}
    payload = team_payload(event, facts, actor=actor_name, at=timezone.now())
    rows = [NotificationDelivery(team=team, webhook=w, target=w.url, event=event, payload=payload) for w in webhooks]
    rows += [NotificationDelivery(team=team, email=address, target=address, event=event, payload=payload)
             for address in addresses]
    ids = [row.pk for row in NotificationDelivery.objects.bulk_create(rows)]
    enqueue(ids)
    return ids


def health_changed(route, previous: str) -> None:
    """Called where route health is saved: notify on a transition (see ``health_event``), never on every sync."""
    if route.health == previous:
        return
    last = None
    if route.health == HEALTHY and previous != DEGRADED:
        last = (NotificationDelivery.objects.filter(route_id=route.pk, event__in=[Event.DEGRADED, Event.HEALTHY])
                .order_by("-created_at", "-id").values_list("event", flat=True).first())
    event = health_event(previous, route.health, last_health_event=last)
    if event is not None:
        route_event(route, event, previous_health=previous)


def _route_facts(route) -> dict:
    return {"id": str(route.pk), "name": route.name, "team": route.team.slug, "cluster": route.cluster.name,
            "namespace": route.namespace, "host": route.host, "path": route.path, "url": route.url,
            "revision": route.revision, "approved_revision": route.approved_revision, "approval": route.approval,
            "health": route.health, "link": settings.PORTICO_BASE_URL + route.get_absolute_url()}


def recipients(team: Team, event: str, actor=None) -> list[str]:
    """E-mail addresses for an event: the team's members, and platform engineers for ``submitted`` (they
    review); platform engineers only for ``auto_approve`` (they guard the review); never the person who acted;
    only active users with an address."""
    platform = Q(groups__name=PLATFORM_GROUP) | Q(is_superuser=True)
    if event == Event.AUTO_APPROVE:
        users = platform
    elif event == Event.SUBMITTED:
        users = Q(teams=team) | platform
    else:
        users = Q(teams=team)
    found = get_user_model().objects.filter(users, is_active=True).exclude(email="")
    if actor is not None and actor.is_authenticated:
        found = found.exclude(pk=actor.pk)
    return sorted(set(found.values_list("email", flat=True)))


def send_test(webhook: TeamWebhook) -> NotificationDelivery:
    """The admin's "send test": one signed test event to this webhook, sent now; returns the recorded delivery."""
    delivery = NotificationDelivery.objects.create(
        team=webhook.team, webhook=webhook, target=webhook.url, event=Event.TEST,
        payload=ping_payload(webhook.team.slug, at=timezone.now()))
    outcome = send_delivery(delivery.pk)
    if outcome.retry_in is not None:
        enqueue([delivery.pk], countdown=outcome.retry_in)
    delivery.refresh_from_db()
    return delivery


# Sending


def enqueue(delivery_ids: list[int], *, countdown: float | None = None) -> None:
    """Wake a worker for each delivery once the transaction commits. A broker that is down loses nothing:
    the rows stay pending and the beat sweep (``enqueue_due``) sends them later."""
    if not delivery_ids:
        return

    def send():
        from notifications.tasks import send_notification

        for pk in delivery_ids:
            try:
                if countdown is None:
                    send_notification.apply_async((pk,))
                else:
                    send_notification.apply_async((pk,), countdown=countdown)
            except Exception as exc:  # noqa: BLE001 - broker down (any transport's error): the sweep will pick them up
                logger.warning("could not enqueue %s notification(s) (%s); the sweep will send them",
                               len(delivery_ids), exc)
                return

    transaction.on_commit(send)


def enqueue_due(*, now: datetime | None = None) -> list[int]:
    """The beat sweep: re-enqueue pending deliveries due for more than STUCK_AFTER that no worker took."""
    now = now or timezone.now()
    ids = list(NotificationDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - STUCK_AFTER)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    enqueue(ids)
    return ids


@dataclass(frozen=True)
class Attempt:
    ok: bool
    transient: bool = False
    code: int | None = None
    error: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatusChoices value, or "skipped" when there was nothing to do
    retry_in: float | None = None  # seconds until the next attempt, when one is planned


def send_delivery(delivery_id: int, *, now: datetime | None = None, rand=random.random) -> Outcome:
    """Make one attempt at a pending, due delivery and record it: delivered; pending with the next attempt
    planned after a transient failure (connection error, timeout, 429, 5xx); failed after a permanent one
    or PORTICO_NOTIFY_MAX_ATTEMPTS attempts. A delivery already sent, failed, not yet due, or being sent
    by another worker is skipped, so duplicate wake-ups never send twice."""
    now = now or timezone.now()
    lease = timedelta(seconds=max(60.0, 3 * settings.PORTICO_NOTIFY_TIMEOUT))
    claimed = NotificationDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + lease)
    if not claimed:
        return Outcome("skipped")
    delivery = NotificationDelivery.objects.select_related("webhook").get(pk=delivery_id)
    with log_context(route_id=delivery.route_id):
        attempt = _send_email(delivery) if delivery.email else _post_webhook(delivery)
        return _record(delivery, attempt, now, rand)


def _record(delivery: NotificationDelivery, attempt: Attempt, now: datetime, rand) -> Outcome:
    values: dict[str, Any] = {"response_code": attempt.code, "last_error": attempt.error[:2000]}
    retry_in = None
    if attempt.ok:
        values.update(status=Status.DELIVERED, delivered_at=now)
    elif attempt.transient and delivery.attempts < settings.PORTICO_NOTIFY_MAX_ATTEMPTS:
        retry_in = backoff(delivery.attempts, retry_after=attempt.retry_after, rand=rand)
        values.update(status=Status.PENDING, next_attempt_at=now + timedelta(seconds=retry_in))
    else:
        values["status"] = Status.FAILED
        if attempt.transient:
            values["last_error"] = f"{attempt.error} (gave up after {delivery.attempts} attempts)"[:2000]
    NotificationDelivery.objects.filter(pk=delivery.pk).update(**values)
    log = logger.info if attempt.ok else logger.warning
    log("notification delivery=%s event=%s attempt=%s %s%s", delivery.pk, delivery.event, delivery.attempts,
        values["status"], f": {values['last_error']}" if values["last_error"] else "")
    return Outcome(values["status"], retry_in)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answering a redirect fails: following it would send the signed body somewhere unreviewed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = outbound.build_opener(_NoRedirect)


def _post_webhook(delivery: NotificationDelivery) -> Attempt:
    webhook = delivery.webhook
    if webhook is None:
        return Attempt(ok=False, error="The webhook was deleted.")
    if not webhook.url.lower().startswith(("http://", "https://")):
        return Attempt(ok=False, error="Only http:// and https:// webhook URLs are allowed.")
    try:
        secret = webhook.get_secret()
    except DecryptionError as exc:
        return Attempt(ok=False, error=str(exc))
    body = encode(delivery.payload)
    request = urllib.request.Request(webhook.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Portico-Webhook/1",
        SIGNATURE_HEADER: signature(secret, body), EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk),
    })
    try:
        with _opener.open(request, timeout=settings.PORTICO_NOTIFY_TIMEOUT) as response:
            return Attempt(ok=True, code=response.status)
    except urllib.error.HTTPError as exc:
        transient = exc.code == 429 or exc.code >= 500
        return Attempt(ok=False, transient=transient, code=exc.code, error=f"HTTP {outbound.status_text(exc.code)}",
                       retry_after=_retry_after(exc.headers.get("Retry-After") if exc.headers else None))
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, outbound.BlockedAddress):
            return Attempt(ok=False, error=f"Not sent: {exc.reason}")
        return Attempt(ok=False, transient=True, error=f"Could not connect: {exc.reason}")
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, malformed answers
        return Attempt(ok=False, transient=True, error=f"Could not connect: {type(exc).__name__}: {exc}")


def _retry_after(value: str | None) -> float | None:
    try:
        return min(BACKOFF_CAP, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is used instead


def _send_email(delivery: NotificationDelivery) -> Attempt:
    subject, body = email_message(delivery.payload)
    message = EmailMessage(subject, body, to=[delivery.email],
                           headers={EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk)})
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return Attempt(ok=False, error=f"The mail server refused the address: {exc.recipients}")
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(ok=False, transient=True, error=f"{type(exc).__name__}: {exc}")
    return Attempt(ok=True)
