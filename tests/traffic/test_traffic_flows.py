"""Traffic really flows: routes requested, approved and reconciled by Portico answer HTTPS through Traefik, with a
certificate for their host issued by cert-manager, on the local kube-apiserver (tests/traffic/README.md).

Nothing here plays a controller: Traefik routes to the EndpointSlices' loopback addresses and publishes the
Ingress address, cert-manager issues the Certificates into Secrets that Traefik serves. Each request goes to
Traefik's HTTPS port with the route's host as SNI and Host and is verified against cert-manager's local CA.
"""

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routes import reconcile, services
from routes.domain.values import Backend
from routes.models import Route
from tests.api.conftest import route_body
from tests.factories import spec
from tests.traffic.conftest import HOST, apply, serve
from tests.traffic.helper import answers, eventually, no_route

pytestmark = pytest.mark.django_db


def test_a_route_requested_through_the_api_answers_https_with_a_certificate_issued_for_its_host(
    traffic_kube, traffic, backend, traffic_cluster, alice, pat
):
    serve(traffic_kube, "cart", backend("cart"))

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    response = api.post("/api/v1/routes/", route_body(), format="json")
    assert response.status_code == 201, response.json()
    route = Route.objects.get(pk=response.json()["id"])
    services.approve_route(route, user=pat)
    apply(route)

    answer = traffic.wait_for(HOST, "/hello", until=answers("cart"))
    assert answer.body == "cart /hello\n"
    # The chain was verified against cert-manager's local CA, for this host (ssl checks the name).
    assert answer.certificate["subjectAltName"] == (("DNS", HOST),)
    assert dict(x[0] for x in answer.certificate["issuer"])["commonName"] == "Portico local CA"
    not_after = datetime.datetime.strptime(answer.certificate["notAfter"], "%b %d %H:%M:%S %Y %Z")
    assert not_after > datetime.datetime.now() + datetime.timedelta(days=30)

    # Portico reads back what the controllers wrote: Traefik's address, cert-manager's Ready, the endpoints.
    eventually(
        lambda: (
            traffic_kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")["status"]
            .get("loadBalancer", {})
            .get("ingress")
        )
    )
    reconcile.sync_cluster(traffic_cluster.pk)
    route.refresh_from_db()
    assert route.health == "Healthy", route.diagnostics
    assert route.address == traffic.plane.lb_address
    body = api.get(f"/api/v1/routes/{route.pk}/").json()
    assert (body["sync"], body["health"]) == ("Synced", "Healthy")


def test_two_routes_on_one_host_are_split_by_path(traffic_kube, traffic, backend, traffic_cluster, submit, pat):
    serve(traffic_kube, "shop-web", backend("web"))
    serve(traffic_kube, "shop-api", backend("api"))
    web = services.approve_route(
        submit("web", on=traffic_cluster, path="/", backend=Backend(service_name="shop-web", service_port=8080)),
        user=pat,
    )
    api_route = services.approve_route(
        submit("api", on=traffic_cluster, path="/api", backend=Backend(service_name="shop-api", service_port=8080)),
        user=pat,
    )
    apply(web)
    apply(api_route)

    assert traffic.wait_for(HOST, "/api/orders", until=answers("api")).body == "api /api/orders\n"
    assert traffic.get(HOST, "/basket").backend == "web"
    assert traffic.get(HOST, "/").backend == "web"
    assert traffic.get(HOST, "/apiary").backend == "web"  # Prefix /api matches path elements, not characters


def test_an_edit_moves_traffic_only_after_approval(traffic_kube, traffic, backend, traffic_cluster, submit, alice, pat):
    serve(traffic_kube, "cart", backend("cart-v1"))
    serve(traffic_kube, "cart-v2", backend("cart-v2"))
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    traffic.wait_for(HOST, until=answers("cart-v1"))

    route = services.edit_route(
        route, user=alice, spec=spec(backend=Backend(service_name="cart-v2", service_port=8080))
    )
    reconcile.reconcile_route(route.pk)  # nothing approved changed: the live revision stays
    reconcile.sync_cluster(traffic_cluster.pk)

    assert traffic.get(HOST).backend == "cart-v1"

    services.approve_route(route, user=pat)
    apply(route)

    traffic.wait_for(HOST, until=answers("cart-v2"))


def test_a_deleted_route_stops_answering(traffic_kube, traffic, backend, traffic_cluster, submit, alice, pat):
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    traffic.wait_for(HOST, until=answers("cart"))

    services.request_deletion(route, user=alice)
    reconcile.reconcile_route(route.pk)

    assert traffic_kube.list_objects("networking.k8s.io/v1", "Ingress", "shop") == []
    traffic.wait_for(HOST, until=no_route, verify=False)  # Traefik itself answers 404: no router for the host


def test_the_gateway_api_output_serves_the_same_request_through_an_httproute(
    traffic_kube, traffic, backend, shop, submit, pat
):
    from clusters.models import Cluster

    plane = traffic.plane
    traffic_kube.add_namespace("gateway-system")
    # The listener's certificate, issued by cert-manager into the Gateway's namespace.
    traffic_kube.create(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "shop-wildcard", "namespace": "gateway-system"},
            "spec": {
                "secretName": "shop-wildcard-tls",
                "dnsNames": ["*.shop.example.com"],
                "issuerRef": {"name": "portico-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"},
            },
        }
    )
    # Traefik binds a listener to the entry point with the same port.
    traffic_kube.create(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "public", "namespace": "gateway-system"},
            "spec": {
                "gatewayClassName": "traefik",
                "listeners": [
                    {
                        "name": "https",
                        "protocol": "HTTPS",
                        "port": plane.https_port,
                        "hostname": "*.shop.example.com",
                        "tls": {
                            "mode": "Terminate",
                            "certificateRefs": [{"kind": "Secret", "name": "shop-wildcard-tls"}],
                        },
                        "allowedRoutes": {"namespaces": {"from": "All"}},
                    }
                ],
            },
        }
    )
    Cluster.objects.filter(name="prod-eu").delete()
    cluster = traffic_kube.cluster(
        shop,
        name="prod-eu",
        output="gateway",
        gateway_name="public",
        gateway_namespace="gateway-system",
        gateway_section_name="https",
    )
    serve(traffic_kube, "cart", backend("cart-gw"))
    route = services.approve_route(submit("cart", on=cluster), user=pat)
    apply(route)

    answer = traffic.wait_for(HOST, "/checkout", until=answers("cart-gw"))
    assert answer.body == "cart-gw /checkout\n"
    assert answer.certificate["subjectAltName"] == (("DNS", "*.shop.example.com"),)
    http_route = traffic_kube.get("gateway.networking.k8s.io/v1", "HTTPRoute", "shop", "cart")
    accepted = http_route["status"]["parents"][0]["conditions"]
    assert {c["type"]: c["status"] for c in accepted}["Accepted"] == "True"  # written by Traefik
