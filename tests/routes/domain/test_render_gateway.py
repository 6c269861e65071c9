"""Rendering on a Gateway API cluster: an HTTPRoute attached to the cluster's Gateway instead of an Ingress."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routes.domain.render import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    REVISION_ANNOTATION,
    ROUTE_LABEL,
    SPEC_HASH_ANNOTATION,
    TEAM_LABEL,
    certificate_for,
    desired_objects,
    render_route,
    spec_hash,
    to_yaml,
)
from routes.domain.validation import validate_objects
from routes.domain.values import TLS, Backend, ClusterSettings
from tests.routes.domain.render_support import (
    FIRST_ID,
    MANAGED,
    VALIDATION_CASES,
    assert_matches_golden,
    of_kind,
    reordered,
    spec,
    target,
)

GATEWAY = ClusterSettings(
    name="prod-eu",
    default_issuer="letsencrypt",
    output="gateway",
    gateway_name="public",
    gateway_namespace="gateway-system",
)
GATEWAY_GOLDEN_CASES = {
    "gateway-backend-managed": (GATEWAY, spec(backend=MANAGED)),
    "gateway-exact-path-listener": (
        replace(GATEWAY, gateway_section_name="https"),
        spec(
            host="pay.shop.example.com",
            path="/checkout",
            path_type="Exact",
            backend=Backend(service_name="payments", service_port=8443),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(GATEWAY_GOLDEN_CASES))
def test_rendered_http_route_matches_golden_file(case):
    cluster, route_spec = GATEWAY_GOLDEN_CASES[case]

    assert_matches_golden(case, to_yaml(desired_objects([(target(revision=3), route_spec)], cluster)))


# A backendRef takes port numbers only: see test_named_service_port_is_reported_for_http_routes.
GATEWAY_VALIDATION_CASES = {name: case for name, case in VALIDATION_CASES.items() if name != "named-service-port"}


@pytest.mark.parametrize("case", sorted(GATEWAY_VALIDATION_CASES))
def test_every_rendered_http_route_validates_against_the_gateway_api_schema(case):
    objects = desired_objects([(target(), GATEWAY_VALIDATION_CASES[case])], GATEWAY)

    assert of_kind(objects, "HTTPRoute")
    assert validate_objects(objects) == []


def test_gateway_cluster_gets_http_route_and_managed_service_but_no_ingress_or_certificate():
    route_spec = spec(backend=MANAGED, tls=TLS(mode="cert-manager"))

    objects = desired_objects([(target(), route_spec)], GATEWAY)

    assert sorted(obj["kind"] for obj in objects) == ["HTTPRoute", "Service"]
    assert [obj["kind"] for obj in render_route(target(), route_spec, GATEWAY)] == ["Service", "HTTPRoute"]
    assert certificate_for(target(), route_spec, GATEWAY) is None


def test_http_route_attaches_to_the_clusters_gateway_and_routes_host_and_path_to_the_service():
    http_route = of_kind(render_route(target(), spec(path="/cart"), GATEWAY), "HTTPRoute")[0]

    assert http_route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert http_route["metadata"]["name"] == "cart" and http_route["metadata"]["namespace"] == "shop"
    assert http_route["spec"] == {
        "parentRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": "gateway-system"}
        ],
        "hostnames": ["cart.shop.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/cart"}}],
                "backendRefs": [{"group": "", "kind": "Service", "name": "cart", "port": 8080}],
            }
        ],
    }


def test_section_name_selects_one_listener_when_set():
    listener = replace(GATEWAY, gateway_section_name="https")

    http_route = of_kind(render_route(target(), spec(), listener), "HTTPRoute")[0]

    assert http_route["spec"]["parentRefs"][0]["sectionName"] == "https"


@pytest.mark.parametrize(("path_type", "gateway_type"), [("Prefix", "PathPrefix"), ("Exact", "Exact")])
def test_path_types_map_to_gateway_api_path_match_types(path_type, gateway_type):
    http_route = of_kind(render_route(target(), spec(path="/api", path_type=path_type), GATEWAY), "HTTPRoute")[0]

    assert http_route["spec"]["rules"][0]["matches"] == [{"path": {"type": gateway_type, "value": "/api"}}]


@pytest.mark.parametrize(
    "tls", [TLS(mode="cert-manager"), TLS(mode="secret", secret_name="shop-tls"), TLS(mode="none")]
)
def test_http_route_carries_no_tls_whatever_the_mode(tls):
    http_route = of_kind(render_route(target(), spec(tls=tls), GATEWAY), "HTTPRoute")[0]

    assert "tls" not in http_route["spec"]
    assert "secretName" not in to_yaml([http_route]) and "cert-manager" not in to_yaml([http_route])


def test_http_route_carries_route_labels_revision_and_its_own_spec_hash():
    http_route = of_kind(render_route(target(revision=4), spec(), GATEWAY), "HTTPRoute")[0]

    labels = http_route["metadata"]["labels"]
    assert labels == {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: "shop", ROUTE_LABEL: FIRST_ID}
    annotations = http_route["metadata"]["annotations"]
    assert annotations[REVISION_ANNOTATION] == "4"
    assert annotations[SPEC_HASH_ANNOTATION] == spec_hash(http_route) == spec_hash(reordered(http_route))


def test_http_route_rendering_is_deterministic_and_its_hash_follows_the_spec():
    first = of_kind(render_route(target(), spec(), GATEWAY), "HTTPRoute")[0]
    again = of_kind(render_route(target(), spec(), GATEWAY), "HTTPRoute")[0]
    other_path = of_kind(render_route(target(), spec(path="/v2"), GATEWAY), "HTTPRoute")[0]
    other_gateway = of_kind(render_route(target(), spec(), replace(GATEWAY, gateway_name="internal")), "HTTPRoute")[0]

    assert to_yaml([first]) == to_yaml([again])
    hashes = {obj["metadata"]["annotations"][SPEC_HASH_ANNOTATION] for obj in (first, other_path, other_gateway)}
    assert len(hashes) == 3


def test_external_backend_on_a_gateway_cluster_points_the_http_route_at_its_external_name_service():
    route_spec = spec(backend=Backend(service_name="legacy", external_name="legacy.example.net"))

    objects = render_route(target(), route_spec, GATEWAY)

    assert [obj["kind"] for obj in objects] == ["Service", "HTTPRoute"]
    assert objects[0]["spec"]["type"] == "ExternalName"
    assert objects[1]["spec"]["rules"][0]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "legacy", "port": 80}
    ]


def test_named_service_port_is_reported_for_http_routes():
    objects = render_route(target(), spec(backend=Backend(service_name="cart", service_port="web")), GATEWAY)

    errors = validate_objects(objects)

    assert errors == ["HTTPRoute shop/cart: spec.rules[0].backendRefs[0].port: 'web' is not of type 'integer'"]


def test_http_route_schema_rejects_unknown_fields_and_enforces_the_crd_path_rules():
    http_route = of_kind(render_route(target(), spec(), GATEWAY), "HTTPRoute")[0]
    http_route["spec"]["tls"] = [{"hosts": ["cart.shop.example.com"]}]
    http_route["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/a/../b"
    del http_route["spec"]["rules"][0]["backendRefs"][0]["port"]

    errors = validate_objects([http_route])

    assert len(errors) == 3
    assert any("'tls' was unexpected" in error for error in errors)
    assert any(error.startswith("HTTPRoute shop/cart: spec.rules[0].matches[0].path.value:") for error in errors)
    assert any("backendRefs[0]: 'port' is a required property" in error for error in errors)


def test_http_route_path_type_outside_the_crd_enum_is_reported():
    http_route = of_kind(render_route(target(), spec(), GATEWAY), "HTTPRoute")[0]
    http_route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"

    errors = validate_objects([http_route])

    assert len(errors) == 1 and "spec.rules[0].matches[0].path.type: 'Prefix' is not one of" in errors[0]
