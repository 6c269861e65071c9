"""The pitfalls that used to read Healthy, produced on the local kube-apiserver (tests/realkube) and read by a
sync as deploy/target-rbac.yaml's identity: each turns health away from Healthy and names its fix.

What plays the missing controllers: EndpointSlices are written as the EndpointSlice controller writes them (a pod
whose named port it cannot resolve is listed without that port), the ingress controller's Service and its
endpoints as its installation would have them, and the Ingress address as the controller would publish it."""

from pathlib import Path

import pytest

from routes import reconcile
from routes.domain.values import TLS, Backend
from routes.models import Route

pytestmark = pytest.mark.django_db

TLS_SECRETS_RBAC = Path(__file__).resolve().parents[2] / "deploy" / "target-rbac-tls-secrets.yaml"


def step(route: Route, name: str) -> dict:
    route.refresh_from_db()
    return next(s for s in route.diagnostics if s["step"] == name)


def controller(realkube, *, ready: bool) -> None:
    """ingress-nginx where its usual installation puts it: Service ingress-nginx/ingress-nginx-controller."""
    realkube.add_namespace("ingress-nginx")
    realkube.service("ingress-nginx-controller", port=80, namespace="ingress-nginx", selector={"app": "ingress-nginx"})
    realkube.endpoint_slice("ingress-nginx-controller", port=80, namespace="ingress-nginx", ready=ready)


def synced(route: Route) -> Route:
    reconcile.sync_cluster(route.cluster_id)
    route.refresh_from_db()
    return route


def test_named_target_port_no_pod_declares_is_degraded(approve, realkube):
    realkube.service("cart", port=8080, ports=[{"name": "http", "port": 8080, "targetPort": "web"}])
    slice_ = realkube.endpoint_slice("cart")
    # The EndpointSlice controller found no container port named "web" in the pod: it lists the pod without it.
    realkube.replace_out_of_band({**slice_, "ports": []})
    route = approve()
    reconcile.reconcile_route(route.pk)

    route = synced(route)

    assert route.health == "Degraded"
    found = step(route, "target-port")
    assert found["status"] == "fail" and "container port named web" in found["detail"]
    assert realkube.refused() == []


def test_managed_load_balancer_without_an_address_is_progressing(approve, realkube, shop):
    """No cloud controller runs here, as on kind or bare metal without MetalLB: the address never comes."""
    shop.allow_load_balancer = True
    shop.save(update_fields=["allow_load_balancer"])
    backend = Backend(
        service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}, service_type="LoadBalancer"
    )
    route = approve(backend=backend)
    reconcile.reconcile_route(route.pk)
    realkube.endpoint_slice("cart", port=8080)
    realkube.set_ingress_address("cart")
    realkube.set_certificate_ready("cart-shop-example-com")

    route = synced(route)

    assert route.health == "Progressing"
    assert "no external address" in step(route, "service")["detail"]


def test_network_policy_that_keeps_the_controller_out_is_degraded_and_named(approve, realkube):
    controller(realkube, ready=True)
    realkube.serve("cart")
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "same-namespace-only", "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "cart"}}, "ingress": [{"from": [{"podSelector": {}}]}]},
        }
    )
    route = approve()
    reconcile.reconcile_route(route.pk)

    route = synced(route)

    assert route.health == "Degraded"
    found = step(route, "network-policy")
    assert "NetworkPolicy same-namespace-only" in found["detail"]
    assert "ingress-nginx/ingress-nginx-controller" in found["detail"]

    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-ingress-nginx", "namespace": "shop"},
            "spec": {
                "podSelector": {},
                "ingress": [
                    {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}
                ],
            },
        }
    )
    assert step(synced(route), "network-policy")["status"] == "ok"


def test_controller_that_published_an_address_and_lost_its_pods_is_degraded(approve, realkube):
    controller(realkube, ready=False)
    realkube.serve("cart")
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.set_ingress_address("cart", "203.0.113.7")
    realkube.set_certificate_ready("cart-shop-example-com")

    route = synced(route)

    assert route.health == "Degraded"
    found = step(route, "controller")
    assert "published 203.0.113.7" in found["detail"] and "no ready pods" in found["detail"]


@pytest.fixture
def controller_outside(realkube):
    """IngressClass nginx says its controller runs outside the cluster, for one test: the clean-up between tests
    restores added and removed objects, not an annotation on the session's own IngressClass."""

    def annotate(value):
        annotations = {"portico.dev/controller-service": value}
        realkube.patch_out_of_band(
            "networking.k8s.io/v1", "IngressClass", None, "nginx", {"metadata": {"annotations": annotations}}
        )

    annotate("outside")
    yield
    annotate(None)


@pytest.mark.usefixtures("controller_outside")
def test_controller_named_outside_the_cluster_on_the_ingress_class_is_not_judged(approve, realkube):
    realkube.serve("cart")
    route = approve()
    reconcile.reconcile_route(route.pk)

    assert "outside the cluster" in step(synced(route), "controller")["detail"]


def test_existing_tls_secret_missing_or_not_tls_is_degraded_where_secrets_may_be_read(approve, realkube):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    realkube.serve("cart")
    route = approve(tls=TLS(mode="secret", secret_name="cart-tls"))
    reconcile.reconcile_route(route.pk)
    realkube.set_ingress_address("cart")

    route = synced(route)
    assert route.health == "Degraded"
    assert "does not exist in namespace shop" in step(route, "certificate")["detail"]

    realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cart-tls", "namespace": "shop"},
            "type": "Opaque",
            "stringData": {"tls.crt": "x"},
        }
    )
    route = synced(route)
    assert route.health == "Degraded" and "not kubernetes.io/tls" in step(route, "certificate")["detail"]
    assert "tls.crt" not in str(route.diagnostics) and "eA==" not in str(route.conditions)
    assert realkube.refused() == []


def test_without_the_opt_in_secrets_are_not_read_and_nothing_is_refused(approve, realkube):
    realkube.serve("cart")
    route = approve(tls=TLS(mode="secret", secret_name="cart-tls"))
    reconcile.reconcile_route(route.pk)

    found = step(synced(route), "certificate")

    assert found["status"] == "skip"
    assert realkube.refused() == []
    assert not any("/secrets" in r.path for r in realkube.requests)
