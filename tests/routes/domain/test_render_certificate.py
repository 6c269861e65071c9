"""Rendering cert-manager Certificates: shape, issuer, and one per host and namespace, shared by its routes."""

from __future__ import annotations

from routes.domain.render import (
    HOST_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SPEC_HASH_ANNOTATION,
    TEAM_LABEL,
    certificate_for,
    desired_objects,
    object_key,
    render_certificate,
)
from routes.domain.values import TLS
from tests.routes.domain.render_support import CLUSTER, FIRST_ID, SECOND_ID, of_kind, spec, target


def test_certificate_shape():
    certificate = render_certificate(namespace="shop", host="cart.shop.example.com", issuer="le-prod", team="shop")

    assert object_key(certificate) == ("cert-manager.io/v1", "Certificate", "shop", "cart-shop-example-com")
    assert certificate["spec"] == {
        "secretName": "cart-shop-example-com-tls",
        "dnsNames": ["cart.shop.example.com"],
        "issuerRef": {"kind": "ClusterIssuer", "name": "le-prod", "group": "cert-manager.io"},
    }


def test_certificate_issuer_defaults_to_the_clusters():
    assert certificate_for(target(), spec(), CLUSTER)["spec"]["issuerRef"]["name"] == "letsencrypt"
    own_issuer = spec(tls=TLS(issuer="internal-ca"))
    assert certificate_for(target(), own_issuer, CLUSTER)["spec"]["issuerRef"]["name"] == "internal-ca"


def test_only_cert_manager_routes_need_a_certificate():
    assert certificate_for(target(), spec(tls=TLS(mode="secret", secret_name="own")), CLUSTER) is None
    assert certificate_for(target(), spec(tls=TLS(mode="none")), CLUSTER) is None
    assert of_kind(desired_objects([(target(), spec(tls=TLS(mode="none")))], CLUSTER), "Certificate") == []


def test_certificate_carries_host_label_and_no_revision():
    certificate = certificate_for(target(revision=7), spec(), CLUSTER)

    assert certificate["metadata"]["labels"] == {
        MANAGED_BY_LABEL: MANAGED_BY,
        TEAM_LABEL: "shop",
        HOST_LABEL: "cart.shop.example.com",
    }
    assert list(certificate["metadata"]["annotations"]) == [SPEC_HASH_ANNOTATION]


def test_two_routes_on_one_host_share_one_certificate():
    routes = [(target(FIRST_ID, "cart"), spec(path="/cart")), (target(SECOND_ID, "api"), spec(path="/api"))]

    objects = desired_objects(routes, CLUSTER)

    assert len(of_kind(objects, "Certificate")) == 1
    assert len(of_kind(objects, "Ingress")) == 2


def test_same_host_in_two_namespaces_gets_a_certificate_in_each():
    routes = [(target(FIRST_ID, namespace="shop"), spec()), (target(SECOND_ID, namespace="shop-canary"), spec())]

    certificates = of_kind(desired_objects(routes, CLUSTER), "Certificate")

    assert [cert["metadata"]["namespace"] for cert in certificates] == ["shop", "shop-canary"]
    assert {cert["metadata"]["name"] for cert in certificates} == {"cart-shop-example-com"}


def test_removing_one_of_two_routes_keeps_the_certificate_unchanged():
    first = (target(FIRST_ID, "cart"), spec(path="/cart"))
    second = (target(SECOND_ID, "api"), spec(path="/api"))

    both = of_kind(desired_objects([first, second], CLUSTER), "Certificate")
    only_second = of_kind(desired_objects([second], CLUSTER), "Certificate")
    only_first = of_kind(desired_objects([first], CLUSTER), "Certificate")

    assert both == only_second == only_first
    assert len(both) == 1


def test_smallest_route_id_decides_a_disputed_certificate_whatever_the_order():
    first = (target(FIRST_ID, "cart"), spec(path="/cart", tls=TLS(issuer="issuer-a")))
    second = (target(SECOND_ID, "api"), spec(path="/api", tls=TLS(issuer="issuer-b")))

    forward = desired_objects([first, second], CLUSTER)
    backward = desired_objects([second, first], CLUSTER)

    assert forward == backward
    assert of_kind(forward, "Certificate")[0]["spec"]["issuerRef"]["name"] == "issuer-a"
