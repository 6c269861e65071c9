"""The route and team events that become notifications. Connected when the app is ready (apps.py), they run
inside the transaction of the change, so a delivery row exists exactly when the change does."""

from django.dispatch import receiver

from routes.choices import ApprovalChoices
from routes.signals import revision_reviewed, revision_submitted, route_health_changed, routes_health_changed
from teams.signals import auto_approve_enabled

from . import delivery
from .choices import NotificationEventChoices as Event

_REVIEW_EVENTS = {ApprovalChoices.APPROVED: Event.APPROVED, ApprovalChoices.REJECTED: Event.REJECTED}


@receiver(revision_submitted, dispatch_uid="notifications.revision_submitted")
def notify_submitted(sender, route, actor, **kwargs):
    delivery.route_event(route, Event.SUBMITTED, actor=actor)


@receiver(revision_reviewed, dispatch_uid="notifications.revision_reviewed")
def notify_reviewed(sender, route, decision, actor, comment="", **kwargs):
    delivery.route_event(route, _REVIEW_EVENTS[decision], actor=actor, comment=comment)


@receiver(route_health_changed, dispatch_uid="notifications.route_health_changed")
def notify_health(sender, route, previous, **kwargs):
    delivery.health_changed(route, previous)


@receiver(routes_health_changed, dispatch_uid="notifications.routes_health_changed")
def notify_health_many(sender, changes, **kwargs):
    delivery.health_changed_many(changes)


@receiver(auto_approve_enabled, dispatch_uid="notifications.auto_approve_enabled")
def notify_auto_approve(sender, team, actor, **kwargs):
    delivery.team_event(team, Event.AUTO_APPROVE, actor=actor)
