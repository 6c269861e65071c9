"""Team notifications: route events sent to the team's webhooks (signed JSON) and by e-mail.

An event becomes one ``NotificationDelivery`` row per webhook and per e-mail address, written in the
transaction of the state change that caused it (``route_event``), and sent after commit by the
``notifications.tasks.send_notification`` task. The rows are the truth and the queue only a wake-up call: a
message lost while the broker is down is found by the beat sweep (``enqueue_due``). ``send_delivery`` makes
one attempt, records it, and says whether and when to try again. Payloads, signatures, e-mail text and
backoff are pure functions. Receivers verify deliveries as docs/notifications.md describes.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.access import PLATFORM_GROUP
from teams.models import Team

from .choices import NotificationEventChoices as Event
from .messages import DEGRADED, HEALTHY, build_payload, health_event, health_problems, ping_payload, team_payload
from .models import NotificationDelivery, TeamWebhook
from .sending import send_delivery
from .tasks import enqueue

logger = logging.getLogger(__name__)


def route_event(route, event: str, *, actor=None, comment: str = "", previous_health: str | None = None) -> list[int]:
    """Record ``event`` for ``route``: one delivery per subscribed webhook and per recipient, sent after commit.

    Called once by each function that makes the state change (routes.services, routes.reconcile). Returns the
    delivery ids.
    """
    webhooks = _webhooks(route.team, event)
    addresses = recipients(route.team, event, actor)
    rows = _route_rows(route, event, webhooks, addresses, actor=actor, comment=comment, previous_health=previous_health)
    return _save(rows)


def _webhooks(team: Team, event: str) -> list[TeamWebhook]:
    return [w for w in team.webhooks.filter(active=True) if w.wants(event)]


def _route_rows(
    route, event: str, webhooks, addresses, *, actor=None, comment: str = "", previous_health: str | None = None
) -> list[NotificationDelivery]:
    """The deliveries of one route event to these webhooks and addresses (unsaved)."""
    if not webhooks and not addresses:
        return []  # nobody listens: skip building the payload (a cluster's first sync may degrade many routes)
    actor_name = actor.get_username() if actor is not None and actor.is_authenticated else None
    health = None
    if event in (Event.DEGRADED, Event.HEALTHY):
        health = {
            "previous": previous_health,
            "current": route.health,
            "problems": health_problems(route.diagnostics, route.conditions) if event == Event.DEGRADED else [],
        }
    payload = build_payload(
        event, _route_facts(route), actor=actor_name, at=timezone.now(), comment=comment, health=health
    )
    rows = [
        NotificationDelivery(team=route.team, webhook=w, target=w.url, event=event, route_id=route.pk, payload=payload)
        for w in webhooks
    ]
    rows += [
        NotificationDelivery(
            team=route.team, email=address, target=address, event=event, route_id=route.pk, payload=payload
        )
        for address in addresses
    ]
    return rows


def _save(rows: list[NotificationDelivery]) -> list[int]:
    if not rows:
        return []
    ids = [row.pk for row in NotificationDelivery.objects.bulk_create(rows, batch_size=500)]
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
    facts = {
        "slug": team.slug,
        "name": team.name,
        "link": settings.PORTICO_BASE_URL + reverse("admin:teams_team_change", args=[team.pk]),
    }
    payload = team_payload(event, facts, actor=actor_name, at=timezone.now())
    rows = [NotificationDelivery(team=team, webhook=w, target=w.url, event=event, payload=payload) for w in webhooks]
    rows += [
        NotificationDelivery(team=team, email=address, target=address, event=event, payload=payload)
        for address in addresses
    ]
    ids = [row.pk for row in NotificationDelivery.objects.bulk_create(rows)]
    enqueue(ids)
    return ids


def health_changed(route, previous: str) -> None:
    """Called where route health is saved: notify on a transition (see ``health_event``), never on every sync."""
    health_changed_many([(route, previous)])


def health_changed_many(changes: list[tuple]) -> list[int]:
    """``health_changed`` for many routes at once, (route, previous health) each, as a cluster sync saves them:
    each team's webhooks and recipients are read once per event, the last health events in one query, and every
    delivery is written in one INSERT (a cluster's first sync may degrade thousands of routes at once)."""
    changes = [(route, previous) for route, previous in changes if route.health != previous]
    last = _last_health_events(
        [route.pk for route, previous in changes if route.health == HEALTHY and previous != DEGRADED]
    )
    audiences: dict[tuple, tuple] = {}
    rows: list[NotificationDelivery] = []
    for route, previous in changes:
        event = health_event(previous, route.health, last_health_event=last.get(route.pk))
        if event is None:
            continue
        key = (route.team_id, event)
        if key not in audiences:
            audiences[key] = (_webhooks(route.team, event), recipients(route.team, event))
        rows += _route_rows(route, event, *audiences[key], previous_health=previous)
    return _save(rows)


def _last_health_events(route_ids: list) -> dict:
    """The last health event sent for each of these routes, by route id."""
    last: dict = {}
    if route_ids:
        for route_id, event in (
            NotificationDelivery.objects.filter(route_id__in=route_ids, event__in=[Event.DEGRADED, Event.HEALTHY])
            .order_by("-created_at", "-id")
            .values_list("route_id", "event")
        ):
            last.setdefault(route_id, event)
    return last


def _route_facts(route) -> dict:
    return {
        "id": str(route.pk),
        "name": route.name,
        "team": route.team.slug,
        "cluster": route.cluster.name,
        "namespace": route.namespace,
        "host": route.host,
        "path": route.path,
        "url": route.url,
        "revision": route.revision,
        "approved_revision": route.approved_revision,
        "approval": route.approval,
        "health": route.health,
        "link": settings.PORTICO_BASE_URL + route.get_absolute_url(),
    }


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
        team=webhook.team,
        webhook=webhook,
        target=webhook.url,
        event=Event.TEST,
        payload=ping_payload(webhook.team.slug, at=timezone.now()),
    )
    outcome = send_delivery(delivery.pk)
    if outcome.retry_in is not None:
        enqueue([delivery.pk], countdown=outcome.retry_in)
    delivery.refresh_from_db()
    return delivery
