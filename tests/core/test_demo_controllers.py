"""`make run`'s demo controllers (clusters/demo_controllers.py) on the local kube-apiserver: they play the ingress
controller and cert-manager through the status subresource, so a demo route goes Progressing -> Healthy."""

import pytest

from clusters.demo_controllers import DEMO_ADDRESS, DemoApiError, DemoControllers
from routes import reconcile, services
from routes.models import Route

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_route_goes_healthy_a_moment_after_portico_applies_it(realkube, shop, submit, pat):
    cluster = realkube.cluster(shop)
    realkube.serve("cart", port=8080)
    route = services.approve_route(submit("cart", on=cluster), user=pat)
    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
    clock = Clock()
    controllers = DemoControllers(realkube.kubeconfig("admin"), delay=3.0, clock=clock)

    assert controllers.step() == []  # first seen: the newcomer sees Progressing for a moment
    reconcile.sync_cluster(cluster.pk)
    assert Route.objects.get(pk=route.pk).health == "Progressing"

    clock.now = 3.0
    assert sorted(controllers.step()) == [
        "cert-manager: Certificate shop/cart-shop-example-com is Ready",
        f"ingress controller: Ingress shop/cart has address {DEMO_ADDRESS}",
    ]
    reconcile.sync_cluster(cluster.pk)
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Healthy"
    assert route.address == DEMO_ADDRESS
    assert route.certificate["ready"] is True
    assert realkube.refused() == []
    assert controllers.step() == []  # nothing left to do
    controllers.close()


def test_they_write_status_only_through_the_status_subresource(realkube, shop, submit, pat):
    cluster = realkube.cluster(shop)
    realkube.serve("cart", port=8080)
    route = services.approve_route(submit("cart", on=cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    spec_before = realkube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")["spec"]
    controllers = DemoControllers(realkube.kubeconfig("admin"), delay=0)

    controllers.step()

    ingress = realkube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert ingress["spec"] == spec_before
    ours = [m for m in ingress["metadata"]["managedFields"] if m["manager"] == "portico-demo-controllers"]
    assert [m.get("subresource") for m in ours] == ["status"]
    certificate = realkube.get("cert-manager.io/v1", "Certificate", "shop", "cart-shop-example-com")
    assert certificate["status"]["notAfter"] > certificate["status"]["notBefore"]
    controllers.close()


def test_ingresses_of_another_ingress_class_are_left_alone(realkube):
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "other"},
            "spec": {
                "ingressClassName": "traefik",
                "defaultBackend": {"service": {"name": "cart", "port": {"number": 8080}}},
            },
        }
    )
    controllers = DemoControllers(realkube.kubeconfig("admin"), delay=0)

    assert controllers.step() == []
    assert (
        not realkube.get("networking.k8s.io/v1", "Ingress", "shop", "other")
        .get("status", {})
        .get("loadBalancer", {})
        .get("ingress")
    )
    controllers.close()


def test_portico_own_identity_may_not_play_them(realkube, shop, submit, pat):
    """Why the demo runs them as the admin: deploy/target-rbac.yaml grants Portico no status writes."""
    cluster = realkube.cluster(shop)
    realkube.serve("cart", port=8080)
    reconcile.reconcile_route(services.approve_route(submit("cart", on=cluster), user=pat).pk)
    controllers = DemoControllers(realkube.kubeconfig("portico"), delay=0)

    with pytest.raises(DemoApiError, match="403"):
        controllers.step()
    controllers.close()
