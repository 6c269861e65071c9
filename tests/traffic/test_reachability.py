"""The reachability check on the real data path: DNS -> TLS -> HTTP through the session's Traefik, and each
failure the data path can produce said in plain words (docs/reachability.md). The host resolves through
PORTICO_REACHABILITY_RESOLVE (no DNS server here); the cluster's API server is on loopback, so loopback targets
are allowed for its routes."""

import socket
import threading

import pytest

from routes import reachability, reconcile, services
from routes.domain.values import TLS
from routes.models import Route
from tests.traffic.conftest import HOST, apply, serve
from tests.traffic.helper import answers

pytestmark = pytest.mark.django_db


def hops(result: dict) -> dict:
    return {hop["hop"]: hop for hop in result["hops"]}


def test_a_working_route_passes_every_hop_with_the_days_its_certificate_has_left(
    traffic_kube, traffic, backend, traffic_cluster, reach, submit, pat, client, alice
):
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(submit("cart", on=traffic_cluster, path="/shop"), user=pat)
    apply(route)
    traffic.wait_for(HOST, "/shop", until=answers("cart"))
    reconcile.sync_cluster(traffic_cluster.pk)

    result = reachability.run(route.pk)

    assert result["state"] == "ok", result
    found = hops(result)
    assert [hop["state"] for hop in result["hops"]] == ["ok", "ok", "ok"]
    assert found["dns"]["detail"] == f"{HOST} resolves to 127.0.0.1, the ingress controller's address."
    assert result["certificate"]["names"] == [HOST] and result["certificate"]["issuer"] == "Portico local CA"
    assert result["certificate"]["days_left"] >= 30
    assert f"{result['certificate']['days_left']} days left" in found["tls"]["detail"]
    assert result["http_status"] == 200 and found["http"]["detail"] == "The backend answered 200 OK to GET /shop."
    assert all(hop["ms"] is not None for hop in result["hops"])
    assert Route.objects.get(pk=route.pk).reachability == result

    # The API shows it in the route's status, the page draws it.
    client.force_login(alice)
    status = client.get(f"/api/v1/routes/{route.pk}/").json()["status"]
    assert status["reachability"]["state"] == "ok" and status["reachability"]["http_status"] == 200
    page = client.get(f"/routes/{route.pk}/").content.decode()
    assert '<svg role="img" aria-label="Traffic flow for cart.shop.example.com"' in page
    for hop in ("client", "dns", "lb", "controller", "front", "service", "endpoints", "certificate"):
        assert f'data-hop="{hop}" data-state="ok"' in page, hop


def test_dns_that_points_elsewhere_names_both_addresses(
    traffic_kube, traffic, backend, traffic_cluster, reach, submit, pat
):
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    traffic.wait_for(HOST, until=answers("cart"))
    reconcile.sync_cluster(traffic_cluster.pk)
    reach.PORTICO_REACHABILITY_RESOLVE = [f"{HOST}=127.0.0.9"]

    result = reachability.run(route.pk)

    assert result["state"] == "fail"
    assert result["summary"] == (
        f"DNS for {HOST} points at 127.0.0.9, the ingress controller's address is "
        "127.0.0.1. Point the record at 127.0.0.1."
    )
    assert [hop["hop"] for hop in result["hops"]] == ["dns"]  # nothing sent to the wrong address


def test_a_missing_tls_secret_shows_as_the_controllers_default_certificate(
    traffic_kube, traffic, backend, traffic_cluster, reach, submit, pat
):
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(
        submit("cart", on=traffic_cluster, tls=TLS(mode="secret", secret_name="cart-tls")), user=pat
    )
    apply(route)
    # Traefik routes the host, but has no certificate for it: it serves its own default one.
    traffic.wait_for(HOST, until=answers("cart"), verify=False)
    reconcile.sync_cluster(traffic_cluster.pk)

    result = reachability.run(route.pk)

    found = hops(result)
    assert found["tls"]["state"] == "fail"
    assert result["certificate"]["issuer"] == "TRAEFIK DEFAULT CERT"
    assert found["tls"]["detail"].startswith(f"The certificate served for {HOST} ")
    assert "TLS Secret is missing" in found["tls"]["detail"] or "TLS Secret exists" in found["tls"]["detail"]
    assert found["http"]["state"] == "ok"  # the backend itself answers, over the untrusted certificate
    assert result["state"] == "fail" and result["summary"] == found["tls"]["detail"]


def test_a_numeric_target_port_no_pod_listens_on_is_a_bad_gateway(
    traffic_kube, traffic, backend, traffic_cluster, reach, submit, pat
):
    cart = backend("cart")
    # The Service sends to 9, where nothing listens; the EndpointSlice lists the pod with that port.
    serve(traffic_kube, "cart", cart, target_port=9, slice_port=9)
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    traffic.wait_for(HOST, until=lambda answer: answer.status == 502)
    reconcile.sync_cluster(traffic_cluster.pk)

    result = reachability.run(route.pk)

    found = hops(result)
    assert (found["dns"]["state"], found["tls"]["state"], found["http"]["state"]) == ("ok", "ok", "fail")
    assert found["http"]["detail"].startswith(
        "The ingress controller answered 502 Bad Gateway: it could not reach "
        "the backend. Check that the Service's targetPort is the port your pods "
        "listen on"
    )
    assert cart.requests == []


def test_a_named_target_port_no_pod_declares_leaves_no_endpoint_to_send_to(
    traffic_kube, traffic, backend, traffic_cluster, reach, submit, pat
):
    cart = backend("cart")
    # No pod declares port "web": the EndpointSlice controller lists the pods with no ports.
    serve(traffic_kube, "cart", cart, target_port="web", slice_port=False)
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    reconcile.sync_cluster(traffic_cluster.pk)
    answer = traffic.wait_for(HOST, until=lambda answer: answer.status in (404, 503))

    result = reachability.run(route.pk)

    found = hops(result)
    assert found["http"]["state"] == "fail" and result["http_status"] == answer.status
    assert "503 Service Unavailable" in found["http"]["detail"] or "404 Not Found" in found["http"]["detail"]
    assert cart.requests == []


def test_private_targets_are_refused_unless_allowed(settings):
    settings.PORTICO_REACHABILITY_RESOLVE = ["cart.shop.example.com=10.1.2.3"]
    settings.PORTICO_REACHABILITY_ALLOW_PRIVATE = False
    target = reachability.Target(
        host="cart.shop.example.com", path="/", tls=True, lb_address="10.1.2.3", private_allowed=False
    )

    result = reachability.check(target).as_dict()

    assert result["state"] == "skip"
    assert result["summary"] == (
        "cart.shop.example.com resolves to 10.1.2.3, a private address, which Portico does not contact "
        "(PORTICO_REACHABILITY_ALLOW_PRIVATE allows it; it is allowed on its own when the cluster's API server is "
        "at a private address)."
    )
    assert [hop["hop"] for hop in result["hops"]] == ["dns", "guard"]


def test_a_host_that_does_not_resolve_says_so(settings):
    settings.PORTICO_REACHABILITY_RESOLVE = []
    target = reachability.Target(
        host="nothing-here.invalid", path="/", tls=True, lb_address="198.51.100.4", private_allowed=False
    )

    result = reachability.check(target).as_dict()

    assert result["state"] == "fail"
    assert result["summary"] == (
        "nothing-here.invalid does not resolve from Portico's network. Create a DNS record "
        "for it pointing at the ingress controller's address (198.51.100.4)."
    )


def test_a_resolver_that_does_not_answer_fails_the_dns_hop_after_the_timeout(settings, monkeypatch):
    """getaddrinfo has no timeout of its own; the check stops waiting for it after PORTICO_REACHABILITY_TIMEOUT
    instead of holding the worker's thread for as long as the system resolver retries."""
    settings.PORTICO_REACHABILITY_RESOLVE = []
    settings.PORTICO_REACHABILITY_TIMEOUT = 0.2
    release = threading.Event()
    asked = []

    def hanging_resolver(host, *args, **kwargs):
        asked.append(host)
        release.wait(60)
        raise socket.gaierror("released")

    monkeypatch.setattr(reachability.socket, "getaddrinfo", hanging_resolver)
    target = reachability.Target(
        host="slow-dns.example.com", path="/", tls=True, lb_address="198.51.100.4", private_allowed=False
    )
    try:
        result = reachability.check(target).as_dict()
        answered_while_resolver_hung = not release.is_set()
    finally:
        release.set()

    assert asked == ["slow-dns.example.com"] and answered_while_resolver_hung
    assert result["state"] == "fail"
    assert [hop["hop"] for hop in result["hops"]] == ["dns"]
    assert result["summary"] == (
        "The DNS resolver did not answer for slow-dns.example.com within 0.2 s (PORTICO_REACHABILITY_TIMEOUT). "
        "Check the resolver Portico's workers use; the check runs again later."
    )
