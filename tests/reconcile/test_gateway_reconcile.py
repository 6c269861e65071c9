"""Routes on a cluster with Gateway API output, against the local kube-apiserver (tests/realkube, Gateway API CRDs
with their CEL rules) with the real kubernetes client:
an HTTPRoute attached to the cluster's Gateway is applied, kept, pruned, and its parent status read back."""

import pytest

from clusters import probe
from clusters.models import Cluster
from routes import reconcile, services
from routes.domain.values import TLS, Backend
from routes.models import Route
from tests.reconcile.conftest import CERTIFICATE, GATEWAY, HTTP_ROUTE, INGRESS, SERVICE

pytestmark = pytest.mark.django_db

PARENT_REF = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": "gateway-system"}


def seed_backend(realkube, name="cart", port=8080):
    """The team's own Service with one ready pod behind it."""
    realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"app": name}, "ports": [{"port": port}]},
        }
    )
    realkube.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": True}}],
            "ports": [{"port": port}],
        }
    )


def parent_status(accepted=("True", "Accepted", ""), resolved=("True", "ResolvedRefs", "")) -> dict:
    """An HTTPRoute status as the Gateway's controller writes it, for our parentRef."""
    conditions = [
        {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z",
            "observedGeneration": 1,
        }
        for kind, (status, reason, message) in (("Accepted", accepted), ("ResolvedRefs", resolved))
    ]
    return {"parents": [{"parentRef": PARENT_REF, "controllerName": "example.com/gateway", "conditions": conditions}]}


def condition(route: Route, kind: str) -> dict:
    return next(c for c in route.conditions if c["type"] == kind)


def step(route: Route, name: str) -> dict:
    return next(s for s in route.diagnostics if s["step"] == name)


def test_approved_route_applies_an_http_route_attached_to_the_gateway_and_no_ingress(approve_on_gateway, realkube):
    route = approve_on_gateway(path="/cart")

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED

    http_route = realkube.get(*HTTP_ROUTE, "shop", "cart")
    assert http_route["spec"]["parentRefs"] == [PARENT_REF]
    assert http_route["spec"]["hostnames"] == ["cart.shop.example.com"]
    assert http_route["spec"]["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/cart"}}],
            "backendRefs": [{"group": "", "kind": "Service", "name": "cart", "port": 8080, "weight": 1}],
        }
    ]  # weight: the CRD's default
    labels = http_route["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "portico" and labels["portico.dev/route"] == str(route.pk)
    assert realkube.get(*INGRESS, "shop", "cart") is None
    assert realkube.list_objects(*CERTIFICATE) == []  # cert-manager mode: the Gateway's listener holds the certificate
    writes = realkube.writes()
    assert [w.path for w in writes] == ["/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/cart"]
    assert {(w.method, w.content_type, w.query["fieldManager"], w.query["force"]) for w in writes} == {
        ("PATCH", "application/apply-patch+yaml", "portico", "true")
    }


def test_managed_service_is_applied_before_the_http_route(approve_on_gateway, realkube):
    route = approve_on_gateway(
        backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"})
    )

    reconcile.reconcile_route(route.pk)

    assert [w.path.split("/")[-2] for w in realkube.writes()] == ["services", "httproutes"]
    assert realkube.get(*SERVICE, "shop", "cart")["spec"]["ports"][0]["targetPort"] == 8080
    assert realkube.get(*HTTP_ROUTE, "shop", "cart")["spec"]["rules"][0]["backendRefs"][0]["port"] == 80


def test_no_op_sync_lists_once_per_kind_reads_the_gateway_and_writes_nothing(
    approve_on_gateway, realkube, gateway_cluster
):
    for name in ("cart", "api"):
        reconcile.reconcile_route(approve_on_gateway(name, host=f"{name}.shop.example.com").pk)
    reconcile.sync_cluster(gateway_cluster.pk)
    realkube.clear_requests()

    report = reconcile.sync_cluster(gateway_cluster.pk)

    assert (report.applied, report.deleted, report.reconciled, report.errors) == (0, 0, 0, [])
    assert realkube.writes() == []
    assert sorted(r.path for r in realkube.requests) == [
        "/api/v1/namespaces/shop/services",  # the routes' namespace only (docs/architecture.md, "What a sync reads")
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices",
        "/apis/gateway.networking.k8s.io/v1/httproutes",
        "/apis/gateway.networking.k8s.io/v1/namespaces/gateway-system/gateways/public",
        "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",  # one per namespace with routes
    ]
    http_route_list = next(r for r in realkube.requests if r.path.endswith("/httproutes"))
    assert http_route_list.query["labelSelector"] == "app.kubernetes.io/managed-by=portico"


def test_out_of_band_edit_of_the_http_route_is_restored_by_the_next_sync(approve_on_gateway, realkube, gateway_cluster):
    route = approve_on_gateway()
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(*HTTP_ROUTE, "shop", "cart", {"spec": {"hostnames": ["evil.example.net"]}})

    report = reconcile.sync_cluster(gateway_cluster.pk)

    assert report.applied == 1
    assert realkube.get(*HTTP_ROUTE, "shop", "cart")["spec"]["hostnames"] == ["cart.shop.example.com"]


def test_deleting_the_route_prunes_its_http_route_and_managed_service(approve_on_gateway, realkube, alice):
    route = approve_on_gateway(
        backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"})
    )
    reconcile.reconcile_route(route.pk)
    services.request_deletion(route, user=alice)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DELETED

    assert realkube.get(*HTTP_ROUTE, "shop", "cart") is None and realkube.get(*SERVICE, "shop", "cart") is None
    assert {(w.method, w.path.split("/")[-2]) for w in realkube.writes()} >= {
        ("DELETE", "httproutes"),
        ("DELETE", "services"),
    }


def test_http_route_no_longer_desired_is_pruned_by_sync(approve_on_gateway, realkube, gateway_cluster):
    route = approve_on_gateway()
    reconcile.reconcile_route(route.pk)
    Route.objects.filter(pk=route.pk).update(approved_revision=None, applied_revision=None)

    report = reconcile.sync_cluster(gateway_cluster.pk)

    assert report.deleted == 1 and realkube.get(*HTTP_ROUTE, "shop", "cart") is None


def test_accepted_and_resolved_http_route_with_ready_pods_is_healthy_at_the_gateways_address(
    approve_on_gateway, realkube, gateway_cluster
):
    seed_backend(realkube)
    route = approve_on_gateway()
    reconcile.reconcile_route(route.pk)
    route.refresh_from_db()
    assert route.health == "Progressing"  # applied, but the Gateway's controller has not reported yet
    assert condition(route, "Accepted")["status"] == "Unknown"

    realkube.set_status(*HTTP_ROUTE, "shop", "cart", parent_status())
    reconcile.sync_cluster(gateway_cluster.pk)

    route.refresh_from_db()
    assert (route.sync, route.health, route.address) == ("Synced", "Healthy", "203.0.113.9")
    assert condition(route, "Accepted")["status"] == "True" and condition(route, "ResolvedRefs")["status"] == "True"
    assert route.certificate == {"ready": None, "not_after": None}
    tls = step(route, "tls")
    assert (
        tls["status"] == "ok" and "terminated by the HTTPS listener of Gateway gateway-system/public" in tls["detail"]
    )
    assert "shop-wildcard-tls" in tls["detail"] and "letsencrypt" in tls["detail"]


def test_http_route_not_allowed_by_the_listeners_is_degraded_with_the_explanation(
    approve_on_gateway, realkube, gateway_cluster
):
    seed_backend(realkube)
    route = approve_on_gateway()
    reconcile.reconcile_route(route.pk)
    realkube.set_status(
        *HTTP_ROUTE,
        "shop",
        "cart",
        parent_status(accepted=("False", "NotAllowedByListeners", "No listener allows routes from namespace shop")),
    )

    reconcile.sync_cluster(gateway_cluster.pk)

    route.refresh_from_db()
    assert route.health == "Degraded"
    accepted = condition(route, "Accepted")
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners")
    assert "allowedRoutes" in accepted["message"] and "namespace shop" in accepted["message"]
    chain = step(route, "http-route")
    assert chain["status"] == "fail" and "allowedRoutes.namespaces" in chain["fix"]


def test_backend_not_found_is_degraded_naming_the_service(approve_on_gateway, realkube, gateway_cluster):
    route = approve_on_gateway(backend=Backend(service_name="carts", service_port=8080))
    reconcile.reconcile_route(route.pk)
    realkube.set_status(
        *HTTP_ROUTE, "shop", "cart", parent_status(resolved=("False", "BackendNotFound", 'Service "carts" not found'))
    )

    reconcile.sync_cluster(gateway_cluster.pk)

    route.refresh_from_db()
    assert route.health == "Degraded"
    resolved = condition(route, "ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "BackendNotFound")
    assert "Service carts, the HTTPRoute's backend, does not exist in namespace shop" in resolved["message"]
    assert step(route, "refs")["status"] == "fail"


def test_status_of_another_gateway_is_not_taken_for_ours(approve_on_gateway, realkube, gateway_cluster):
    seed_backend(realkube)
    route = approve_on_gateway()
    reconcile.reconcile_route(route.pk)
    other = parent_status()
    other["parents"][0]["parentRef"] = {**PARENT_REF, "name": "internal"}
    realkube.set_status(*HTTP_ROUTE, "shop", "cart", other)

    reconcile.sync_cluster(gateway_cluster.pk)

    route.refresh_from_db()
    assert route.health == "Progressing" and condition(route, "Accepted")["status"] == "Unknown"


def test_missing_gateway_degrades_the_route_and_fails_the_cluster_probe(approve_on_gateway, realkube, gateway_cluster):
    seed_backend(realkube)
    route = approve_on_gateway(tls=TLS(mode="cert-manager"))
    reconcile.reconcile_route(route.pk)
    realkube.set_status(*HTTP_ROUTE, "shop", "cart", parent_status())
    realkube.delete(*GATEWAY, "gateway-system", "public")

    cluster = probe.probe_cluster(gateway_cluster.pk)
    reconcile.sync_cluster(gateway_cluster.pk)

    assert cluster.reachable and cluster.gateway_present is False and not cluster.healthy
    assert "gateway-system/public" in cluster.health_message
    route.refresh_from_db()
    assert route.health == "Degraded" and step(route, "gateway")["status"] == "fail"


def test_probe_of_a_gateway_cluster_checks_the_gateway_not_ingress_class_or_cert_manager(gateway_cluster, realkube):
    cluster = probe.probe_cluster(gateway_cluster.pk)

    assert cluster.gateway_present and cluster.healthy and cluster.health_message == "All checks passed."
    assert sorted(r.path for r in realkube.requests) == [
        "/apis/apps/v1/namespaces/kube-system/daemonsets",  # the CNI, whatever the output
        "/apis/gateway.networking.k8s.io/v1/namespaces/gateway-system/gateways/public",
        "/version",
    ]
    assert Cluster.objects.get(pk=cluster.pk).ingress_class_present is None
