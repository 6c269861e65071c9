"""Route policy on Gateway API clusters: what an HTTPRoute cannot express is refused at request time."""

from routes.domain.policy.route import check_route
from routes.domain.values import TLS, Backend, RouteSpec
from tests.routes.domain.policy_support import EXISTING, TEAM, check


def check_on_gateway(**spec_fields):
    spec_fields = {"host": "cart.shop.example.com", "path": "/cart", "backend": EXISTING, **spec_fields}
    return check_route(
        name="cart",
        namespace="shop",
        cluster="prod-eu",
        spec=RouteSpec(**spec_fields),
        team=TEAM,
        is_platform=False,
        output="gateway",
    )


def test_gateway_cluster_needs_a_numeric_service_port():
    (violation,) = check_on_gateway(backend=Backend(service_name="cart", service_port="http"))
    assert violation.field == "backend.service_port" and "port number" in violation.message
    assert check_on_gateway(backend=Backend(service_name="cart", service_port=8080)) == []


def test_gateway_cluster_terminates_tls_at_the_listener_so_no_own_secret():
    (violation,) = check_on_gateway(tls=TLS(mode="secret", secret_name="cart-tls"))
    assert violation.field == "tls.mode" and "Gateway" in violation.message
    assert check_on_gateway(tls=TLS(mode="cert-manager")) == []


def test_the_same_requests_are_fine_on_an_ingress_cluster():
    assert check(backend=Backend(service_name="cart", service_port="http")) == []
    assert check(tls=TLS(mode="secret", secret_name="cart-tls")) == []
