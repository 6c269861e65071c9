"""Route degraded / healthy again: sent once per transition, where health is saved (a route's reconcile and the
cluster sync's bulk refresh), never on every sync. Driven against the local kube-apiserver (tests/realkube)."""

import pytest

from notifications.messages import health_event
from notifications.models import NotificationDelivery
from routes import reconcile
from routes.models import Route
from tests.reconcile.conftest import INGRESS, approve, kube_cluster  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

SLICE = ("discovery.k8s.io/v1", "EndpointSlice")


def _serve(realkube):
    """What a working cluster shows for route cart: its Service with a ready pod, an address, a certificate."""
    realkube.serve("cart", port=8080)


def _pods_ready(realkube, ready: bool):
    realkube.patch_out_of_band(
        *SLICE, "shop", "cart-abc", {"endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": ready}}]}
    )


def _address(realkube, ip: str | None):
    realkube.set_status(*INGRESS, "shop", "cart", {"loadBalancer": {"ingress": [{"ip": ip}] if ip else []}})


@pytest.fixture
def healthy_route(approve, realkube):
    route = approve()
    _serve(realkube)
    reconcile.reconcile_route(route.pk)
    _address(realkube, "203.0.113.7")
    realkube.set_certificate_ready("cart-shop-example-com")
    reconcile.sync_cluster(route.cluster_id)
    assert Route.objects.get(pk=route.pk).health == "Healthy"
    return route


@pytest.fixture
def sync(committed, eager_tasks):
    """One cluster sync, committed, with the notifications it enqueues sent at once."""

    def _sync(route):
        with committed():
            reconcile.sync_cluster(route.cluster_id)
        return Route.objects.get(pk=route.pk).health

    return _sync


def _health_events(route) -> list[str]:
    return list(
        NotificationDelivery.objects.filter(route_id=route.pk, event__in=["degraded", "healthy"])
        .order_by("created_at", "id")
        .values_list("event", flat=True)
    )


def test_becoming_healthy_for_the_first_time_sends_nothing(healthy_route):
    assert _health_events(healthy_route) == []


def test_degraded_and_healthy_again_are_sent_once_per_transition(healthy_route, realkube, sync, addresses, mailoutbox):
    _pods_ready(realkube, False)
    assert sync(healthy_route) == "Degraded"
    assert sync(healthy_route) == "Degraded"
    assert sync(healthy_route) == "Degraded"
    assert _health_events(healthy_route) == ["degraded"]

    _pods_ready(realkube, True)
    assert sync(healthy_route) == "Healthy"
    assert sync(healthy_route) == "Healthy"

    assert _health_events(healthy_route) == ["degraded", "healthy"]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["alice@example.com"], "[Portico] Degraded: shop/cart (cart.shop.example.com/)"),
        (["alice@example.com"], "[Portico] Healthy again: shop/cart (cart.shop.example.com/)"),
    ]
    assert "none is ready" in mailoutbox[0].body and "Fix:" in mailoutbox[0].body


def test_the_degraded_payload_says_what_broke(healthy_route, realkube, sync, receiver, make_webhook):
    make_webhook(receiver.url, events=["degraded"])
    _pods_ready(realkube, False)
    sync(healthy_route)

    [_request] = receiver.requests
    payload = NotificationDelivery.objects.get(event="degraded").payload
    assert payload["event"] == "degraded" and payload["route"]["health"] == "Degraded"
    assert payload["health"]["previous"] == "Healthy" and payload["health"]["current"] == "Degraded"
    [problem] = payload["health"]["problems"]
    assert "none is ready" in problem["detail"] and "kubectl -n shop" in problem["fix"]


def test_healthy_again_is_sent_when_the_repair_passes_through_progressing(
    healthy_route, realkube, sync, addresses, mailoutbox
):
    _pods_ready(realkube, False)
    assert sync(healthy_route) == "Degraded"
    _pods_ready(realkube, True)
    _address(realkube, None)
    assert sync(healthy_route) == "Progressing"
    _address(realkube, "203.0.113.7")
    assert sync(healthy_route) == "Healthy"

    assert _health_events(healthy_route) == ["degraded", "healthy"]
    assert [m.subject.split(":")[0] for m in mailoutbox] == ["[Portico] Degraded", "[Portico] Healthy again"]


def test_a_reconcile_that_finds_the_route_broken_sends_degraded_once(
    approve, realkube, committed, eager_tasks, addresses, mailoutbox
):
    route = approve()
    realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"selector": {"app": "kart"}, "ports": [{"port": 8080}]},
        }
    )

    with committed():
        reconcile.reconcile_route(route.pk)
        reconcile.reconcile_route(route.pk)

    assert Route.objects.get(pk=route.pk).health == "Degraded"
    assert _health_events(route) == ["degraded"]
    [message] = mailoutbox
    assert "selects no pods" in message.body


@pytest.mark.parametrize(
    ("previous", "current", "last_sent", "event"),
    [
        ("Healthy", "Degraded", None, "degraded"),
        ("Progressing", "Degraded", None, "degraded"),  # a new route that never worked is news too
        ("Unknown", "Degraded", None, "degraded"),
        ("Degraded", "Degraded", "degraded", None),
        ("Degraded", "Healthy", "degraded", "healthy"),
        ("Progressing", "Healthy", "degraded", "healthy"),  # repaired through Progressing
        ("Progressing", "Healthy", None, None),  # healthy for the first time
        ("Progressing", "Healthy", "healthy", None),
        ("Healthy", "Healthy", None, None),
        ("Degraded", "Progressing", "degraded", None),
        ("Healthy", "Progressing", None, None),
        ("Degraded", "Missing", "degraded", None),
    ],
)
def test_which_health_changes_are_events(previous, current, last_sent, event):
    assert health_event(previous, current, last_health_event=last_sent) == event
