"""Rendering a route on an Ingress cluster: the Ingress, the managed or external Service, ports, labels and revision."""

from __future__ import annotations

from routes.domain.render import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    MANAGED_SELECTOR,
    REVISION_ANNOTATION,
    ROUTE_LABEL,
    TEAM_LABEL,
    desired_objects,
    render_route,
)
from routes.domain.values import TLS, Backend
from tests.routes.domain.render_support import CLUSTER, FIRST_ID, MANAGED, SECOND_ID, of_kind, spec, target


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


def test_per_route_objects_carry_route_labels_and_revision():
    for obj in render_route(target(revision=7), spec(backend=MANAGED), CLUSTER):
        assert obj["metadata"]["labels"] == {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: "shop", ROUTE_LABEL: FIRST_ID}
        assert obj["metadata"]["annotations"][REVISION_ANNOTATION] == "7"
        assert obj["metadata"]["namespace"] == "shop"


def test_managed_selector_matches_the_managed_by_label():
    key, value = MANAGED_SELECTOR.split("=")

    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert obj["metadata"]["labels"][key] == value


def test_routes_naming_the_same_managed_service_render_it_once():
    first = (target(FIRST_ID, "cart"), spec(path="/cart", backend=MANAGED))
    second = (target(SECOND_ID, "cart-static"), spec(path="/static", backend=MANAGED))

    services = of_kind(desired_objects([second, first], CLUSTER), "Service")

    assert len(services) == 1
    assert services[0]["metadata"]["labels"][ROUTE_LABEL] == FIRST_ID
