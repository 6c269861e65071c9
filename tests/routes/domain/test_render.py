"""Rendering a route into Kubernetes objects: shapes, shared Certificates, names, hashes, YAML, validation.

Golden files under ``golden/`` pin the exact YAML for each backend kind and TLS mode; after an intended
change, rewrite them with ``PORTICO_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from routes.domain.render import (
    HOST_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    MANAGED_SELECTOR,
    REVISION_ANNOTATION,
    ROUTE_LABEL,
    SPEC_HASH_ANNOTATION,
    TEAM_LABEL,
    certificate_for,
    certificate_name,
    desired_objects,
    host_label_value,
    object_key,
    render_certificate,
    render_route,
    spec_hash,
    tls_secret_name,
    to_yaml,
)
from routes.domain.validation import validate_objects
from routes.domain.values import TLS, Backend, ClusterSettings, RouteSpec, RouteTarget

GOLDEN_DIR = Path(__file__).parent / "golden"
KUBERNETES_VERSIONS = ["1.29", "1.37"]

CLUSTER = ClusterSettings(name="prod-eu", ingress_class="nginx", default_issuer="letsencrypt")
FIRST_ID = "0b8f3c52-1d6e-4a7b-9c21-5f0e2d9a1c01"
SECOND_ID = "7d2e9a10-4c3b-4f5e-8a6d-2b1c0e9f8a02"

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LONG_HOST = "checkout-service-frontend-canary." + "very-long-team-subdomain." * 3 + "shop.example.com"
MANAGED = Backend(service_name="cart", service_port=80, target_port=8080, selector={"tier": "web", "app": "cart"})


def target(route_id: str = FIRST_ID, name: str = "cart", namespace: str = "shop", revision: int = 1) -> RouteTarget:
    return RouteTarget(id=route_id, name=name, team="shop", namespace=namespace, revision=revision)


def spec(host: str = "cart.shop.example.com", **changes) -> RouteSpec:
    return RouteSpec(host=host, **{"backend": Backend(service_name="cart", service_port=8080), **changes})


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def reordered(value):
    """The same data with every dict's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


GOLDEN_CASES = {
    "backend-existing": spec(
        host="shop.example.com", path="/api", backend=Backend(service_name="api", service_port=8080)
    ),
    "backend-managed-clusterip": spec(backend=MANAGED),
    "backend-managed-nodeport": spec(
        backend=Backend(
            service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}, service_type="NodePort"
        )
    ),
    "backend-managed-loadbalancer": spec(
        backend=Backend(
            service_name="cart",
            service_port=443,
            target_port="https",
            selector={"app": "cart"},
            service_type="LoadBalancer",
        )
    ),
    "backend-external": spec(
        host="pay.shop.example.com",
        path_type="Exact",
        path="/checkout",
        backend=Backend(service_name="payments", service_port=443, external_name="payments.vendor.example.net"),
    ),
    "tls-cert-manager": spec(tls=TLS(mode="cert-manager", issuer="letsencrypt-staging")),
    "tls-secret": spec(tls=TLS(mode="secret", secret_name="shop-wildcard-cert")),
    "tls-none": spec(tls=TLS(mode="none")),
}

VALIDATION_CASES = {
    **GOLDEN_CASES,
    "long-host": spec(host=LONG_HOST),
    "wildcard-host": spec(host="*.shop.example.com"),
    "named-target-port": spec(backend=Backend(service_name="cart", service_port=80, target_port="http")),
    "named-service-port": spec(backend=Backend(service_name="cart", service_port="web")),
    "external-without-port": spec(backend=Backend(service_name="legacy", external_name="legacy.example.net")),
}


def assert_matches_golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / f"{name}.yaml"
    if os.environ.get("PORTICO_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with PORTICO_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from {path.name} (PORTICO_UPDATE_GOLDEN=1 rewrites it)"


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_rendered_yaml_matches_golden_file(case):
    objects = desired_objects([(target(revision=3), GOLDEN_CASES[case])], CLUSTER)

    assert_matches_golden(case, to_yaml(objects))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", sorted(VALIDATION_CASES))
def test_every_rendered_object_validates_strict(case, version):
    objects = desired_objects([(target(), VALIDATION_CASES[case])], CLUSTER)

    assert objects
    assert validate_objects(objects, version) == []


def test_unknown_field_in_ingress_spec_is_reported():
    ingress = of_kind(render_route(target(), spec(), CLUSTER), "Ingress")[0]
    ingress["spec"]["ingressClass"] = "nginx"

    errors = validate_objects([ingress])

    assert len(errors) == 1
    assert errors[0].startswith("Ingress shop/cart: spec:")
    assert "'ingressClass' was unexpected" in errors[0]


def test_non_numeric_service_port_is_reported():
    service = of_kind(render_route(target(), spec(backend=MANAGED), CLUSTER), "Service")[0]
    service["spec"]["ports"][0]["port"] = "eighty"

    errors = validate_objects([service], "1.29")

    assert errors == ["Service shop/cart: spec.ports[0].port: 'eighty' is not of type 'integer'"]


def test_certificate_with_unknown_field_and_without_issuer_is_reported():
    certificate = certificate_for(target(), spec(), CLUSTER)
    certificate["spec"]["dnsName"] = "cart.shop.example.com"
    del certificate["spec"]["issuerRef"]

    errors = validate_objects([certificate])

    assert len(errors) == 2
    assert any("'issuerRef' is a required property" in error for error in errors)
    assert any("'dnsName' was unexpected" in error for error in errors)


def test_certificate_private_key_values_are_checked_against_the_crd_enum():
    certificate = certificate_for(target(), spec(), CLUSTER)
    certificate["spec"]["privateKey"] = {"algorithm": "DSA"}

    errors = validate_objects([certificate])

    assert len(errors) == 1
    assert "spec.privateKey.algorithm" in errors[0]


def test_unknown_kind_is_an_error():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"}}

    errors = validate_objects([widget])

    assert errors == ["Widget shop/w: unknown kind Widget (example.com/v1): no schema for Kubernetes 1.37"]


def test_invalid_names_and_label_values_are_reported():
    service = of_kind(render_route(target(), spec(backend=MANAGED), CLUSTER), "Service")[0]
    service["metadata"]["name"] = "9cart"  # a Service name must start with a letter
    service["metadata"]["labels"][HOST_LABEL] = "x" * 64

    errors = validate_objects([service])

    assert len(errors) == 2
    assert "metadata.name '9cart'" in errors[0]
    assert f"metadata.labels['{HOST_LABEL}']" in errors[1]


def test_unsupported_kubernetes_version_is_an_error():
    errors = validate_objects(render_route(target(), spec(), CLUSTER), "1.9")

    assert len(errors) == 1
    assert "1.9" in errors[0]


def test_render_route_gives_service_then_ingress_and_never_a_certificate():
    objects = render_route(target(), spec(backend=MANAGED), CLUSTER)

    assert [obj["kind"] for obj in objects] == ["Service", "Ingress"]


def test_existing_backend_gets_no_service():
    objects = render_route(target(), spec(), CLUSTER)

    assert [obj["kind"] for obj in objects] == ["Ingress"]


def test_ingress_routes_host_and_path_to_the_service():
    ingress = render_route(target(), spec(path="/cart", path_type="Exact"), CLUSTER)[-1]

    assert ingress["metadata"]["name"] == "cart"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"] == [
        {
            "host": "cart.shop.example.com",
            "http": {
                "paths": [
                    {
                        "path": "/cart",
                        "pathType": "Exact",
                        "backend": {"service": {"name": "cart", "port": {"number": 8080}}},
                    }
                ]
            },
        }
    ]


def test_ingress_tls_follows_the_tls_mode():
    def ingress_tls(tls: TLS):
        return render_route(target(), spec(tls=tls), CLUSTER)[-1]["spec"].get("tls")

    host = ["cart.shop.example.com"]
    assert ingress_tls(TLS()) == [{"hosts": host, "secretName": "cart-shop-example-com-tls"}]
    assert ingress_tls(TLS(mode="secret", secret_name="own-cert")) == [{"hosts": host, "secretName": "own-cert"}]
    assert ingress_tls(TLS(mode="none")) is None


def test_ingress_has_no_cert_manager_annotations():
    ingress = render_route(target(), spec(), CLUSTER)[-1]

    assert not [key for key in ingress["metadata"]["annotations"] if key.startswith("cert-manager.io/")]


def test_managed_service_shape():
    service = render_route(target(), spec(backend=MANAGED), CLUSTER)[0]

    assert service["metadata"]["name"] == "cart"
    assert service["spec"] == {
        "type": "ClusterIP",
        "selector": {"app": "cart", "tier": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
    }


def test_external_service_is_external_name_and_ports_only_when_given():
    with_port = Backend(service_name="pay", service_port=443, external_name="pay.vendor.example.net")
    without_port = Backend(service_name="pay", external_name="pay.vendor.example.net")

    service, ingress = render_route(target(), spec(backend=with_port), CLUSTER)
    bare_service, bare_ingress = render_route(target(), spec(backend=without_port), CLUSTER)

    assert service["spec"] == {
        "type": "ExternalName",
        "externalName": "pay.vendor.example.net",
        "ports": [{"name": "http", "port": 443, "protocol": "TCP"}],
    }
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"number": 443}
    assert bare_service["spec"] == {"type": "ExternalName", "externalName": "pay.vendor.example.net"}
    assert bare_ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"number": 80}


def test_named_ports_stay_names():
    backend = Backend(service_name="cart", service_port=80, target_port="http", selector={"app": "cart"})

    service = render_route(target(), spec(backend=backend), CLUSTER)[0]
    existing = render_route(target(), spec(backend=Backend(service_name="cart", service_port="web")), CLUSTER)[0]

    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert existing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"name": "web"}


def test_numeric_strings_are_port_numbers():
    backend = Backend(service_name="cart", service_port="80", target_port="8080", selector={"app": "cart"})

    service, ingress = render_route(target(), spec(backend=backend), CLUSTER)

    assert service["spec"]["ports"][0]["port"] == 80
    assert service["spec"]["ports"][0]["targetPort"] == 8080
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"number": 80}


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


def test_per_route_objects_carry_route_labels_and_revision():
    for obj in render_route(target(revision=7), spec(backend=MANAGED), CLUSTER):
        assert obj["metadata"]["labels"] == {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: "shop", ROUTE_LABEL: FIRST_ID}
        assert obj["metadata"]["annotations"][REVISION_ANNOTATION] == "7"
        assert obj["metadata"]["namespace"] == "shop"


def test_certificate_carries_host_label_and_no_revision():
    certificate = certificate_for(target(revision=7), spec(), CLUSTER)

    assert certificate["metadata"]["labels"] == {
        MANAGED_BY_LABEL: MANAGED_BY,
        TEAM_LABEL: "shop",
        HOST_LABEL: "cart.shop.example.com",
    }
    assert list(certificate["metadata"]["annotations"]) == [SPEC_HASH_ANNOTATION]


def test_managed_selector_matches_the_managed_by_label():
    key, value = MANAGED_SELECTOR.split("=")

    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert obj["metadata"]["labels"][key] == value


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


def test_routes_naming_the_same_managed_service_render_it_once():
    first = (target(FIRST_ID, "cart"), spec(path="/cart", backend=MANAGED))
    second = (target(SECOND_ID, "cart-static"), spec(path="/static", backend=MANAGED))

    services = of_kind(desired_objects([second, first], CLUSTER), "Service")

    assert len(services) == 1
    assert services[0]["metadata"]["labels"][ROUTE_LABEL] == FIRST_ID


def test_desired_objects_are_sorted_by_object_key():
    routes = [(target(SECOND_ID, "api"), spec(path="/api", backend=MANAGED)), (target(FIRST_ID), spec())]

    objects = desired_objects(routes, CLUSTER)

    assert [object_key(obj) for obj in objects] == sorted(object_key(obj) for obj in objects)


def test_object_key_is_api_version_kind_namespace_name():
    ingress = render_route(target(), spec(), CLUSTER)[0]

    assert object_key(ingress) == ("networking.k8s.io/v1", "Ingress", "shop", "cart")


def test_long_host_gets_a_hashed_label_and_still_valid_names():
    objects = desired_objects([(target(), spec(host=LONG_HOST))], CLUSTER)
    certificate = of_kind(objects, "Certificate")[0]

    assert len(LONG_HOST) > 63
    label = certificate["metadata"]["labels"][HOST_LABEL]
    assert label == host_label_value(LONG_HOST) and label.startswith("h-")
    assert len(label) <= 63 and LABEL_VALUE.fullmatch(label)
    for name in (certificate_name(LONG_HOST), tls_secret_name(LONG_HOST)):
        assert len(name) <= 63 and DNS1123_LABEL.fullmatch(name), name
    assert certificate["spec"]["dnsNames"] == [LONG_HOST]
    assert validate_objects(objects) == []


def test_long_hosts_sharing_a_prefix_get_distinct_names():
    other = LONG_HOST.replace("shop.example.com", "shop.example.org")

    assert certificate_name(LONG_HOST) != certificate_name(other)
    assert tls_secret_name(LONG_HOST) != tls_secret_name(other)
    assert host_label_value(LONG_HOST) != host_label_value(other)


def test_host_names_are_slugged():
    assert certificate_name("cart.shop.example.com") == "cart-shop-example-com"
    assert tls_secret_name("cart.shop.example.com") == "cart-shop-example-com-tls"
    assert certificate_name("*.shop.example.com") == "wildcard-shop-example-com"
    assert tls_secret_name("*.shop.example.com") == "wildcard-shop-example-com-tls"
    # A "-" of the host's own would read like a dot, so such hosts carry a hash (tests/routes/domain/test_injective_names.py).
    assert re.fullmatch(r"my-cart-shop-example-com-[0-9a-f]{10}", certificate_name("my-cart.shop.example.com"))


def test_host_label_is_the_host_when_valid_and_hashed_otherwise():
    assert host_label_value("cart.shop.example.com") == "cart.shop.example.com"
    wildcard = host_label_value("*.shop.example.com")
    assert wildcard.startswith("h-") and LABEL_VALUE.fullmatch(wildcard)
    assert host_label_value("*.shop.example.com") == wildcard


def test_spec_hash_annotation_is_the_hash_of_the_object():
    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert obj["metadata"]["annotations"][SPEC_HASH_ANNOTATION] == spec_hash(obj)
        assert re.fullmatch(r"[0-9a-f]{16}", spec_hash(obj))


def test_spec_hash_ignores_key_order():
    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert spec_hash(reordered(obj)) == spec_hash(obj)


def test_spec_hash_ignores_its_own_annotation():
    ingress = render_route(target(), spec(), CLUSTER)[0]
    tampered = copy.deepcopy(ingress)
    tampered["metadata"]["annotations"][SPEC_HASH_ANNOTATION] = "0000000000000000"

    assert spec_hash(tampered) == spec_hash(ingress)


def test_spec_hash_changes_when_the_spec_changes():
    before = render_route(target(), spec(path="/cart"), CLUSTER)[0]
    after = render_route(target(), spec(path="/basket"), CLUSTER)[0]
    edited = copy.deepcopy(before)
    edited["spec"]["ingressClassName"] = "traefik"

    assert spec_hash(after) != spec_hash(before)
    assert spec_hash(edited) != spec_hash(before)


def test_revision_bump_changes_route_objects_but_not_the_certificate():
    old = desired_objects([(target(revision=1), spec(backend=MANAGED))], CLUSTER)
    new = desired_objects([(target(revision=2), spec(backend=MANAGED))], CLUSTER)

    changed = {obj["kind"] for obj, was in zip(new, old, strict=True) if spec_hash(obj) != spec_hash(was)}
    assert changed == {"Service", "Ingress"}


def test_to_yaml_is_deterministic_and_readable():
    routes = [(target(FIRST_ID), spec(backend=MANAGED)), (target(SECOND_ID, "api"), spec(path="/api"))]

    text = to_yaml(desired_objects(routes, CLUSTER))
    shuffled = to_yaml(reordered(obj) for obj in desired_objects(list(reversed(routes)), CLUSTER))

    assert text == shuffled
    assert text.startswith("---\napiVersion: ")
    first_document = text.split("---\n")[1]
    top_keys = [line.split(":")[0] for line in first_document.splitlines() if re.match(r"\w", line)]
    assert top_keys == ["apiVersion", "kind", "metadata", "spec"]
    assert first_document.index("  name:") < first_document.index("  namespace:") < first_document.index("  labels:")


def test_to_yaml_reads_back_as_the_same_objects():
    objects = desired_objects([(target(), spec(backend=MANAGED))], CLUSTER)

    assert list(yaml.safe_load_all(to_yaml(objects))) == objects


def test_to_yaml_separates_documents():
    objects = desired_objects([(target(), spec(backend=MANAGED))], CLUSTER)

    assert to_yaml(objects).count("---\n") == len(objects) == 3


def test_unknown_output_is_refused():
    mesh = ClusterSettings(name="prod-eu", output="mesh")

    with pytest.raises(ValueError, match="mesh"):
        render_route(target(), spec(), mesh)


# Gateway API output: an HTTPRoute attached to the cluster's Gateway instead of an Ingress.

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
