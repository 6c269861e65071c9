"""Portico against a real kube-apiserver, as deploy/target-rbac.yaml's identity: a cluster added with add_cluster
passes the probe, and an approved route is server-side applied to real objects and reads their status back."""

import pytest

from routes import reconcile, services
from routes.domain.values import Backend
from routes.models import Route
from tests.reconcile.conftest import seed_gateway

pytestmark = pytest.mark.django_db

INGRESS = ("networking.k8s.io/v1", "Ingress")
SERVICE = ("v1", "Service")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")
HTTP_ROUTE = ("gateway.networking.k8s.io/v1", "HTTPRoute")


@pytest.fixture
def real_cluster(realkube, shop):
    return realkube.cluster(shop)


def test_a_cluster_added_with_add_cluster_passes_the_probe(real_cluster):
    assert real_cluster.reachable is True
    assert real_cluster.server_version == "v1.37.2" and real_cluster.kubernetes_minor == "1.37"
    assert (real_cluster.ingress_class_present, real_cluster.cert_manager_present, real_cluster.issuer_present) == (
        True,
        True,
        True,
    )
    assert real_cluster.health_message == "All checks passed."
    assert real_cluster.get_kubeconfig()["users"][0]["user"]["token"]  # inline token, TLS verified by the inline CA


def test_an_approved_route_becomes_real_objects_by_server_side_apply(realkube, real_cluster, submit, pat):
    realkube.serve("cart", port=8080)
    route = services.approve_route(submit("cart", on=real_cluster), user=pat)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED

    assert realkube.refused() == []
    ingress = realkube.get(*INGRESS, "shop", "cart")
    assert ingress["spec"]["rules"][0]["host"] == "cart.shop.example.com"
    assert ingress["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
    assert [(m["manager"], m["operation"]) for m in ingress["metadata"]["managedFields"]] == [("portico", "Apply")]
    cert = realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com")
    assert cert["spec"]["issuerRef"]["name"] == "letsencrypt"
    first_applies = [r for r in realkube.writes() if r.method == "PATCH"]
    assert first_applies and {r.status for r in first_applies} == {201}  # a PATCH that creates


def test_status_written_by_the_controllers_makes_the_route_healthy(realkube, real_cluster, submit, pat):
    realkube.serve("cart", port=8080)
    route = services.approve_route(submit("cart", on=real_cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    assert Route.objects.get(pk=route.pk).health == "Progressing"

    realkube.set_ingress_address("cart", "203.0.113.7")
    realkube.set_certificate_ready("cart-shop-example-com")
    reconcile.sync_cluster(real_cluster.pk)

    route.refresh_from_db()
    assert (route.sync, route.health, route.address) == ("Synced", "Healthy", "203.0.113.7")
    assert realkube.refused() == []


def test_a_managed_service_is_created_and_gets_a_cluster_ip(realkube, real_cluster, submit, pat):
    backend = Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"})
    route = services.approve_route(submit("cart", on=real_cluster, backend=backend), user=pat)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED

    service = realkube.get(*SERVICE, "shop", "cart")
    assert service["spec"]["selector"] == {"app": "cart"} and service["spec"]["clusterIP"].startswith("10.96.")
    assert realkube.refused() == []


def test_gateway_output_applies_an_httproute_the_crd_accepts(realkube, shop, submit, pat):
    seed_gateway(realkube)
    cluster = realkube.cluster(
        shop, name="gw", output="gateway", gateway_name="public", gateway_namespace="gateway-system"
    )
    assert cluster.gateway_present is True
    realkube.serve("cart", port=8080)
    route = services.approve_route(submit("cart", on=cluster), user=pat)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED

    http_route = realkube.get(*HTTP_ROUTE, "shop", "cart")
    assert http_route["spec"]["hostnames"] == ["cart.shop.example.com"]
    assert http_route["spec"]["parentRefs"][0]["name"] == "public"
    assert realkube.refused() == []
