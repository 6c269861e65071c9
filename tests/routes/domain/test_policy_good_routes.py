"""Route policy: well-formed routes pass, and several mistakes in one request are reported together."""

from dataclasses import replace

import pytest

from routes.domain.values import TLS
from tests.routes.domain.policy_support import EXISTING, EXTERNAL, MANAGED, OPEN_TEAM, check

GOOD_ROUTES = [
    pytest.param({}, id="existing-service"),
    pytest.param({"host": "  Cart.Shop.EXAMPLE.com. "}, id="host-case-spaces-trailing-dot"),
    pytest.param({"host": "shop.example.com"}, id="host-equal-to-suffix"),
    pytest.param({"host": "a.b.c.shop.example.com"}, id="host-deep-under-suffix"),
    pytest.param({"host": "shop.bücher.example"}, id="host-unicode-under-unicode-suffix"),
    pytest.param({"host": "shop.xn--bcher-kva.example"}, id="host-punycode-under-unicode-suffix"),
    pytest.param({"host": "shop。example。com"}, id="host-ideographic-dots"),
    pytest.param({"host": "straße.shop.example.com"}, id="host-sharp-s"),
    pytest.param({"host": "xn--strae-oqa.shop.example.com"}, id="host-idna2008-punycode"),
    pytest.param({"host": "ς.shop.example.com"}, id="host-final-sigma"),
    pytest.param({"host": "ab--cd.shop.example.com"}, id="host-ascii-double-hyphen"),
    pytest.param({"host": "*.shop.example.com", "is_platform": True}, id="wildcard-by-platform"),
    pytest.param({"host": ".".join(["a" * 59] * 3 + ["a" * 56]) + ".shop.example.com"}, id="host-253-characters"),
    pytest.param({"path": "/"}, id="path-root"),
    pytest.param({"path": "/healthz", "path_type": "Exact"}, id="path-exact"),
    pytest.param({"path": "/static/v1.2/~user_files/"}, id="path-dots-tilde-underscore"),
    pytest.param({"path": "/caf%C3%A9"}, id="path-percent-encoded"),
    pytest.param({"name": "a" * 63, "namespace": "shop-staging"}, id="name-63-characters"),
    pytest.param({"namespace": "shop", "cluster": "dev"}, id="namespace-on-other-cluster"),
    pytest.param({"backend": replace(EXISTING, service_port="http")}, id="existing-named-port"),
    pytest.param({"backend": replace(EXISTING, service_port=1)}, id="port-1"),
    pytest.param({"backend": replace(EXISTING, service_port=65535)}, id="port-65535"),
    pytest.param({"backend": MANAGED}, id="managed-default-cluster-ip"),
    pytest.param(
        {"backend": replace(MANAGED, service_type="ClusterIP", target_port="http-alt")}, id="managed-named-target-port"
    ),
    pytest.param(
        {"backend": replace(MANAGED, selector={"app.kubernetes.io/name": "cart", "tier": ""})},
        id="managed-prefixed-selector",
    ),
    pytest.param({"backend": replace(MANAGED, service_type="NodePort"), "team": OPEN_TEAM}, id="node-port-allowed"),
    pytest.param(
        {"backend": replace(MANAGED, service_type="LoadBalancer"), "team": OPEN_TEAM}, id="load-balancer-allowed"
    ),
    pytest.param({"backend": EXTERNAL}, id="external-name"),
    pytest.param({"tls": TLS(issuer="letsencrypt-prod")}, id="tls-cert-manager-issuer"),
    pytest.param({"tls": TLS(mode="secret", secret_name="cart.shop-tls")}, id="tls-existing-secret"),
    pytest.param({"tls": TLS(mode="none"), "team": OPEN_TEAM}, id="tls-plain-http-allowed"),
]


@pytest.mark.parametrize("changes", GOOD_ROUTES)
def test_good_route_has_no_violations(changes):
    assert check(**changes) == []


def test_several_mistakes_are_reported_together():
    violations = check(name="Cart", host="10.0.0.1", path="cart", backend=replace(EXISTING, service_port=0))

    assert [v.field for v in violations] == ["name", "host", "path", "backend.service_port"]
