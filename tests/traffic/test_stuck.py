"""Stuck is a state, not a wait: a route Progressing past PORTICO_PROGRESS_DEADLINE turns Degraded with the
reason, and the team hears of it like any other health change. On the real data path: cert-manager really fails
to issue from an ACME server that never answers, and no controller ever gives an nginx-class Ingress an address."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import NotificationDelivery
from routes import reconcile, services
from routes.domain.values import TLS
from routes.models import Route
from tests.traffic.conftest import apply, serve
from tests.traffic.helper import eventually

pytestmark = pytest.mark.django_db


def an_hour_later(route) -> None:
    """As if the route had been Progressing for an hour (nothing here waits on the wall clock)."""
    Route.objects.filter(pk=route.pk).update(progressing_since=timezone.now() - timedelta(hours=1))


def test_a_certificate_whose_acme_challenge_never_passes_turns_degraded_after_the_deadline(
    traffic_kube, traffic, backend, traffic_cluster, submit, alice, pat, settings
):
    settings.PORTICO_PROGRESS_DEADLINE = 600
    alice.email = "alice@shop.example.com"  # a team member who hears of health changes
    alice.save()
    traffic_kube.create(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": "acme-nowhere"},
            "spec": {
                "acme": {
                    "server": "https://127.0.0.1:9/directory",
                    "email": "ops@shop.example.com",
                    "privateKeySecretRef": {"name": "acme-nowhere-account"},
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "traefik"}}}],
                }
            },
        }
    )
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(
        submit("cart", on=traffic_cluster, tls=TLS(mode="cert-manager", issuer="acme-nowhere")), user=pat
    )
    apply(route)
    reconcile.sync_cluster(traffic_cluster.pk)
    route.refresh_from_db()
    assert route.health == "Progressing" and route.progressing_since is not None

    reconcile.sync_cluster(traffic_cluster.pk)  # still within the deadline: still Progressing
    assert Route.objects.get(pk=route.pk).health == "Progressing"

    an_hour_later(route)
    reconcile.sync_cluster(traffic_cluster.pk)

    route.refresh_from_db()
    assert route.health == "Degraded"
    stalled = next(c for c in route.conditions if c["type"] == "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "ProgressDeadlineExceeded"
    assert stalled["message"].startswith(
        "Progressing for 60 minutes, longer than the 10 minutes a route may take "
        "(PORTICO_PROGRESS_DEADLINE): TLS certificate"
    )
    certificate = next(d for d in route.diagnostics if d["step"] == "certificate")
    assert certificate["status"] == "fail" and certificate["detail"].startswith("Still not done after 60 minutes: ")
    degraded = NotificationDelivery.objects.filter(route_id=route.pk, event="degraded")
    assert degraded.exists()
    assert degraded.first().payload["health"]["problems"][0]["title"] == certificate["title"]


def test_an_ingress_that_never_gets_an_address_turns_degraded_after_the_deadline(
    traffic_kube, traffic, backend, shop, submit, pat
):
    from clusters.models import Cluster

    Cluster.objects.filter(name="prod-eu").delete()
    # IngressClass nginx exists, but no ingress-nginx runs here: nothing will ever publish an address.
    cluster = traffic_kube.cluster(shop, name="prod-eu", ingress_class="nginx", issuer="portico-ca")
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(submit("cart", on=cluster), user=pat)
    apply(route)
    reconcile.sync_cluster(cluster.pk)
    assert Route.objects.get(pk=route.pk).health == "Progressing"

    an_hour_later(route)
    reconcile.sync_cluster(cluster.pk)

    route.refresh_from_db()
    assert route.health == "Degraded"
    ingress = next(d for d in route.diagnostics if d["step"] == "ingress")
    assert ingress["status"] == "fail" and "Still not done after 60 minutes" in ingress["detail"]
    stalled = next(c for c in route.conditions if c["type"] == "Stalled")
    assert "Ingress" in stalled["message"]

    # Once the controller acts, the route recovers and the stall is forgotten. cert-manager issues the route's
    # certificate on its own schedule (slower on a loaded machine), so the sync is repeated until it has.
    traffic_kube.set_ingress_address("cart", "127.0.0.1")

    def recovered():
        reconcile.sync_cluster(cluster.pk)
        route.refresh_from_db()
        return route.health == "Healthy"

    eventually(recovered)
    assert route.progressing_since is None
    assert not [c for c in route.conditions if c["type"] == "Stalled"]
