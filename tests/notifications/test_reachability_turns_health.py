"""A failed reachability check turns a Healthy route Degraded with the check's reason, and a passing one turns it
Healthy again, each announced once like any other health change; later syncs keep the verdict (no flapping
between the sync's Healthy and the check's failure)."""

import pytest

from notifications.models import NotificationDelivery
from routes import progress
from routes.models import Route

pytestmark = pytest.mark.django_db

DNS_FAILED = {
    "state": "fail",
    "checked_at": "2026-12-01T21:00:00+00:00",
    "summary": "DNS for cart.shop.example.com points at 203.0.113.9, the ingress controller's address is 198.51.100.4.",
    "hops": [],
}
PASSED = {
    "state": "ok",
    "checked_at": "2026-12-01T21:05:00+00:00",
    "summary": "https://cart.shop.example.com/ answers.",
    "hops": [],
}


@pytest.fixture
def healthy(approved_route):
    Route.objects.filter(pk=approved_route.pk).update(health="Healthy", conditions=[], reachability={})
    return Route.objects.get(pk=approved_route.pk)


def events(route) -> list[str]:
    return list(
        NotificationDelivery.objects.filter(route_id=route.pk, event__in=["degraded", "healthy"])
        .order_by("created_at", "id")
        .values_list("event", flat=True)
    )


def test_failed_check_degrades_with_its_reason_and_notifies_once(
    healthy, committed, eager_tasks, addresses, mailoutbox
):
    with committed():
        progress.record_reachability(healthy, DNS_FAILED)
    with committed():
        progress.record_reachability(Route.objects.get(pk=healthy.pk), DNS_FAILED)

    route = Route.objects.get(pk=healthy.pk)
    assert route.health == "Degraded" and route.reachability == DNS_FAILED
    [reachable] = [c for c in route.conditions if c["type"] == "Reachable"]
    assert reachable["status"] == "False" and "points at 203.0.113.9" in reachable["message"]
    assert events(route) == ["degraded"]
    assert "points at 203.0.113.9" in mailoutbox[0].body


def test_passing_check_makes_it_healthy_again(healthy, committed, eager_tasks, addresses, mailoutbox):
    with committed():
        progress.record_reachability(healthy, DNS_FAILED)
        progress.record_reachability(Route.objects.get(pk=healthy.pk), PASSED)

    route = Route.objects.get(pk=healthy.pk)
    assert route.health == "Healthy" and not [c for c in route.conditions if c["type"] == "Reachable"]
    assert events(route) == ["degraded", "healthy"]


def test_a_status_write_keeps_the_failed_checks_verdict(healthy):
    """What the sync and the reconcile write goes through progress.judge: the diagnostics' Healthy stays Degraded
    while the last check failed."""
    progress.record_reachability(healthy, DNS_FAILED)
    route = Route.objects.get(pk=healthy.pk)

    judged = progress.judge(route, {"health": "Healthy", "conditions": [], "diagnostics": []}, route.updated_at)

    assert judged["health"] == "Degraded"
    assert [c["type"] for c in judged["conditions"]] == ["Reachable"]


def test_a_route_with_other_trouble_keeps_its_own_health(healthy):
    Route.objects.filter(pk=healthy.pk).update(health="Progressing")
    route = Route.objects.get(pk=healthy.pk)

    progress.record_reachability(route, DNS_FAILED)

    assert Route.objects.get(pk=healthy.pk).health == "Progressing"
