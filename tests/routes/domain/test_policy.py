"""Route policy: field rules, team policy and conflicts, as the form, the API and the worker see them.

Each bad input must produce exactly one violation, on the field the developer has to fix, with the
code that decides the HTTP status (invalid/forbidden -> 400, conflict -> 409) and a message that says why.
"""

from dataclasses import replace

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routes.api.errors import violations_to_nested
from routes.domain.policy.conflicts import check_conflicts
from routes.domain.policy.external import check_external_name
from routes.domain.policy.hosts import host_within_suffixes, normalize_host
from routes.domain.policy.route import check_route
from routes.domain.values import (
    PATH_TYPES,
    SERVICE_TYPES,
    TLS,
    TLS_MODES,
    Backend,
    ExistingRoute,
    ForeignIngressPath,
    RouteSpec,
    TeamPolicy,
)

TEAM = TeamPolicy(
    slug="shop",
    domains=("shop.example.com", "bücher.example"),
    namespaces=frozenset({("prod-eu", "shop"), ("prod-eu", "shop-staging"), ("dev", "shop")}),
)
OPEN_TEAM = replace(TEAM, allow_node_port=True, allow_load_balancer=True, allow_plain_http=True)

EXISTING = Backend(service_name="cart", service_port=8080)
MANAGED = Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"})
EXTERNAL = Backend(service_name="legacy", service_port=443, external_name="legacy.internal.example.net")

LONG_HOST = ".".join(["a" * 60] * 4) + ".shop.example.com"  # 260 characters


def check(*, name="cart", namespace="shop", cluster="prod-eu", team=TEAM, is_platform=False, **spec_fields):
    spec_fields = {"host": "cart.shop.example.com", "path": "/cart", "backend": EXISTING, **spec_fields}
    return check_route(
        name=name,
        namespace=namespace,
        cluster=cluster,
        spec=RouteSpec(**spec_fields),
        team=team,
        is_platform=is_platform,
    )


def bad(changes, field, code, fragment, id):
    return pytest.param(changes, field, code, fragment, id=id)


BAD_ROUTES = [
    # Hostnames: syntax.
    bad(
        {"host": "foo_bar.shop.example.com"},
        "host",
        "invalid",
        'the label "foo_bar" may contain only lower-case letters, digits and "-"',
        id="host-underscore",
    ),
    bad(
        {"host": "Foo_Bar.shop.example.com"},
        "host",
        "invalid",
        'Host "Foo_Bar.shop.example.com" is not a valid DNS name',
        id="host-quotes-original-input",
    ),
    bad(
        {"host": "https://cart.shop.example.com/cart"},
        "host",
        "invalid",
        'must not include a scheme ("https://"); enter only the host, such as "cart.shop.example.com"',
        id="host-scheme",
    ),
    bad({"host": "cart.shop.example.com/cart"}, "host", "invalid", 'must not include a path ("/cart")', id="host-path"),
    bad({"host": "cart.shop.example.com:8443"}, "host", "invalid", 'must not include a port (":8443")', id="host-port"),
    bad({"host": "10.0.0.1"}, "host", "invalid", "it is an IP address", id="host-ipv4"),
    bad({"host": "10.0.0.1:80"}, "host", "invalid", "it is an IP address", id="host-ipv4-port"),
    bad({"host": "::1"}, "host", "invalid", "it is an IP address", id="host-ipv6"),
    bad({"host": "[2001:db8::1]"}, "host", "invalid", "it is an IP address", id="host-ipv6-brackets"),
    bad({"host": "[::1]:443"}, "host", "invalid", "it is an IP address", id="host-ipv6-brackets-port"),
    bad({"host": "cart.shop.example.123"}, "host", "invalid", 'last label "123" is all digits', id="host-numeric-tld"),
    bad({"host": "localhost"}, "host", "invalid", "at least two labels", id="host-single-label"),
    bad({"host": "cart..shop.example.com"}, "host", "invalid", "empty label", id="host-double-dot"),
    bad({"host": ".cart.shop.example.com"}, "host", "invalid", "empty label", id="host-leading-dot"),
    bad({"host": "cart.shop.example.com.."}, "host", "invalid", "empty label", id="host-two-trailing-dots"),
    bad(
        {"host": "a" * 64 + ".shop.example.com"},
        "host",
        "invalid",
        "is 64 characters long; the limit is 63",
        id="host-label-too-long",
    ),
    bad({"host": LONG_HOST}, "host", "invalid", "is 260 characters long; the limit is 253", id="host-too-long"),
    bad(
        {"host": "-cart.shop.example.com"},
        "host",
        "invalid",
        'the label "-cart" must start and end with a letter or digit',
        id="host-leading-hyphen",
    ),
    bad(
        {"host": "cart-.shop.example.com"},
        "host",
        "invalid",
        'the label "cart-" must start and end with a letter or digit',
        id="host-trailing-hyphen",
    ),
    bad(
        {"host": "my cart.shop.example.com"},
        "host",
        "invalid",
        "may contain only lower-case letters",
        id="host-inner-space",
    ),
    bad(
        {"host": "cart\x00.shop.example.com"},
        "host",
        "invalid",
        'Host "cart\\x00.shop.example.com"',
        id="host-control-char-escaped",
    ),
    bad(
        {"host": "cart.*.shop.example.com"},
        "host",
        "invalid",
        "may only be the whole first label",
        id="host-wildcard-inside",
    ),
    bad(
        {"host": "*cart.shop.example.com"},
        "host",
        "invalid",
        "may only be the whole first label",
        id="host-wildcard-partial",
    ),
    bad({"host": "*.com", "is_platform": True}, "host", "invalid", "at least two labels", id="host-wildcard-tld"),
    bad({"host": "xn--zz.shop.example.com"}, "host", "invalid", "not valid punycode", id="host-bad-punycode"),
    bad(
        {"host": "a\u200d.shop.example.com"},
        "host",
        "invalid",
        'the label "a\\u200d" is not a valid internationalised name (Joiner U+200D not allowed',
        id="host-misplaced-zero-width-joiner",
    ),
    bad(
        {"host": "a\u200c.shop.example.com"},
        "host",
        "invalid",
        "Joiner U+200C not allowed",
        id="host-misplaced-zero-width-non-joiner",
    ),
    bad(
        {"host": "xn--a-ugn.shop.example.com"},
        "host",
        "invalid",
        "is not valid punycode (Joiner U+200D not allowed",
        id="host-punycode-of-a-misplaced-joiner",
    ),
    bad({"host": ""}, "host", "invalid", "Host is required", id="host-empty"),
    bad({"host": "   "}, "host", "invalid", "Host is required", id="host-blank"),
    # Hostnames: team policy.
    bad(
        {"host": "cart.example.org"},
        "host",
        "forbidden",
        'outside the domains of team "shop": use "shop.example.com", "bücher.example"',
        id="host-outside-suffix",
    ),
    bad({"host": "evilshop.example.com"}, "host", "forbidden", "outside the domains", id="host-lookalike-suffix"),
    bad({"host": "shop.example.com.evil.net"}, "host", "forbidden", "outside the domains", id="host-suffix-as-prefix"),
    bad({"host": "büchers.example"}, "host", "forbidden", "outside the domains", id="host-unicode-lookalike"),
    bad(
        {"host": "*.shop.example.com"},
        "host",
        "forbidden",
        "can only be requested by a platform engineer",
        id="host-wildcard-by-developer",
    ),
    bad(
        {"host": "*.example.com", "is_platform": True},
        "host",
        "forbidden",
        "outside the domains",
        id="host-platform-wildcard-outside-suffix",
    ),
    bad(
        {"team": replace(TEAM, domains=())},
        "host",
        "forbidden",
        'Team "shop" has no DNS domains yet',
        id="host-team-without-domains",
    ),
    # Paths and path types.
    bad({"path": "cart"}, "path", "invalid", 'must start with "/", as in "/cart"', id="path-relative"),
    bad({"path": "/cart/../admin"}, "path", "invalid", 'must not contain ".."', id="path-dotdot"),
    bad({"path": "/cart/%2e%2e/admin"}, "path", "invalid", 'must not contain ".."', id="path-encoded-dotdot"),
    bad({"path": "/my cart"}, "path", "invalid", "must not contain spaces", id="path-space"),
    bad({"path": "/cart\n"}, "path", "invalid", "line breaks", id="path-newline"),
    bad(
        {"path": "/api/(v1|v2)"},
        "path",
        "invalid",
        'regular-expression characters ("(", ")", "|")',
        id="path-regex-group",
    ),
    bad({"path": "/cart.*"}, "path", "invalid", 'regular-expression characters ("*")', id="path-regex-star"),
    bad({"path": "/cart/[0-9]+"}, "path", "invalid", "match literally", id="path-regex-class"),
    bad({"path": "/cart\\d"}, "path", "invalid", "regular-expression characters", id="path-backslash"),
    bad({"path": "/cart//items"}, "path", "invalid", 'must not contain "//"', id="path-double-slash"),
    bad({"path": "/cart?page=2"}, "path", "invalid", "query string", id="path-query"),
    bad({"path": "/cart#top"}, "path", "invalid", "fragment", id="path-fragment"),
    bad({"path": "/" + "a" * 1024}, "path", "invalid", "the limit is 1024", id="path-too-long"),
    bad({"path": "/a%2Fb"}, "path", "invalid", 'encoded "/"', id="path-encoded-slash"),
    bad({"path": "/a/./b"}, "path", "invalid", '"." segments', id="path-dot-segment"),
    bad({"path": ""}, "path", "invalid", 'use "/" to serve the whole host', id="path-empty"),
    bad(
        {"path_type": "ImplementationSpecific"},
        "path_type",
        "invalid",
        'choose "Prefix"',
        id="path-type-implementation-specific",
    ),
    bad({"path_type": "prefix"}, "path_type", "invalid", '"prefix" is not supported', id="path-type-lower-case"),
    # Names, namespaces and clusters.
    bad({"name": "Cart"}, "name", "invalid", 'Name "Cart" is not valid: it must be lower-case', id="name-upper-case"),
    bad({"name": "cart_api"}, "name", "invalid", "may contain only lower-case letters", id="name-underscore"),
    bad({"name": "cart.api"}, "name", "invalid", "may contain only lower-case letters", id="name-dot"),
    bad({"name": "a" * 64}, "name", "invalid", "64 characters long; the limit is 63", id="name-too-long"),
    bad({"name": "-cart"}, "name", "invalid", "must start and end with a letter or digit", id="name-leading-hyphen"),
    bad({"name": ""}, "name", "invalid", "Name is required", id="name-empty"),
    bad({"namespace": "Shop"}, "namespace", "invalid", "must be lower-case", id="namespace-upper-case"),
    bad(
        {"namespace": "payments"},
        "namespace",
        "forbidden",
        'may not use namespace "payments" on cluster "prod-eu"; allowed there: "shop", "shop-staging"',
        id="namespace-not-allowed",
    ),
    bad(
        {"namespace": "shop-staging", "cluster": "dev"},
        "namespace",
        "forbidden",
        'allowed there: "shop".',
        id="namespace-allowed-on-other-cluster-only",
    ),
    bad(
        {"cluster": "prod-us"},
        "namespace",
        "forbidden",
        'has no namespace on cluster "prod-us"',
        id="namespace-cluster-without-grant",
    ),
    bad({"cluster": ""}, "cluster", "invalid", "Cluster is required", id="cluster-empty"),
    bad({"cluster": "prod eu"}, "cluster", "invalid", "not a valid cluster name", id="cluster-space"),
    # Ports.
    bad(
        {"backend": replace(EXISTING, service_port=0)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-zero",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=65536)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-too-high",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=-1)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-negative",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=True)},
        "backend.service_port",
        "invalid",
        "must be a number from 1 to 65535 or a port name",
        id="port-bool",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=80.5)},
        "backend.service_port",
        "invalid",
        "must be a number from 1 to 65535 or a port name",
        id="port-float",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="8080")},
        "backend.service_port",
        "invalid",
        "is text; send it as a number",
        id="port-digits-as-text",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="a-very-long-port-name")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-too-long",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="80-80")},
        "backend.service_port",
        "invalid",
        "at least one letter",
        id="port-name-without-letter",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="http--alt")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-double-hyphen",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="HTTP")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-upper-case",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=None)},
        "backend.service_port",
        "invalid",
        "Service port is required",
        id="port-missing",
    ),
    bad(
        {"backend": replace(MANAGED, service_port="http")},
        "backend.service_port",
        "invalid",
        "because Portico creates this Service",
        id="port-named-on-managed-service",
    ),
    bad(
        {"backend": replace(MANAGED, target_port=70000)},
        "backend.target_port",
        "invalid",
        "between 1 and 65535",
        id="target-port-too-high",
    ),
    bad(
        {"backend": replace(MANAGED, target_port=None)},
        "backend.target_port",
        "invalid",
        "needs a target port",
        id="target-port-missing",
    ),
    # Backends.
    bad(
        {"backend": replace(EXISTING, service_name=None)},
        "backend.service_name",
        "invalid",
        "Service name is required",
        id="service-name-missing",
    ),
    bad(
        {"backend": replace(EXISTING, service_name="1cart")},
        "backend.service_name",
        "invalid",
        "must start with a letter",
        id="service-name-digit-first",
    ),
    bad(
        {"backend": replace(MANAGED, selector=None)},
        "backend.selector",
        "invalid",
        "needs a selector",
        id="selector-missing",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app name": "cart"})},
        "backend.selector",
        "invalid",
        'Selector key "app name" is not a valid label key',
        id="selector-key-space",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"Example.com/app": "cart"})},
        "backend.selector",
        "invalid",
        "not a valid label key",
        id="selector-key-bad-prefix",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app": "cart!"})},
        "backend.selector",
        "invalid",
        'Selector value "cart!" for "app" is not a valid label value',
        id="selector-value-punctuation",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app": "x" * 64})},
        "backend.selector",
        "invalid",
        "not a valid label value",
        id="selector-value-too-long",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="ExternalName")},
        "backend.service_type",
        "invalid",
        '"ExternalName" is not supported',
        id="service-type-unknown",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="NodePort")},
        "backend.service_type",
        "forbidden",
        "opens a port on every node",
        id="service-type-node-port",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="LoadBalancer")},
        "backend.service_type",
        "forbidden",
        "separate cloud load balancer",
        id="service-type-load-balancer",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="10.1.2.3")},
        "backend.external_name",
        "invalid",
        "it is an IP address",
        id="external-ip",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="https://legacy.example.net")},
        "backend.external_name",
        "invalid",
        "must not include a scheme",
        id="external-scheme",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="Legacy.example.net")},
        "backend.external_name",
        "invalid",
        'the label "Legacy" must be lower-case',
        id="external-upper-case",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="*.example.net")},
        "backend.external_name",
        "invalid",
        'the label "*"',
        id="external-wildcard",
    ),
    bad(
        {"backend": replace(EXTERNAL, selector={"app": "cart"})},
        "backend.selector",
        "invalid",
        "An external backend has no selector",
        id="external-with-selector",
    ),
    bad(
        {"backend": replace(EXTERNAL, service_type="ClusterIP")},
        "backend.service_type",
        "invalid",
        "always uses a Service of type ExternalName",
        id="external-with-service-type",
    ),
    bad(
        {"backend": replace(EXTERNAL, service_name=None)},
        "backend.service_name",
        "invalid",
        "Service name is required",
        id="external-without-service-name",
    ),
    # TLS.
    bad(
        {"backend": replace(EXISTING, service_port="²")},
        "backend.service_port",
        "invalid",
        "must be written with the digits 0 to 9",
        id="port-superscript-digit",
    ),
    bad(
        {"backend": replace(MANAGED, target_port="١٢")},
        "backend.target_port",
        "invalid",
        "must be written with the digits 0 to 9",
        id="target-port-arabic-indic-digits",
    ),
    bad(
        {"tls": TLS(mode="letsencrypt")}, "tls.mode", "invalid", '"letsencrypt" is not supported', id="tls-unknown-mode"
    ),
    bad({"tls": TLS(mode=None)}, "tls.mode", "invalid", "TLS mode is required", id="tls-mode-missing"),
    bad(
        {"tls": TLS(mode="secret")},
        "tls.secret_name",
        "invalid",
        "needs the name of an existing TLS Secret",
        id="tls-secret-without-name",
    ),
    bad(
        {"tls": TLS(mode="secret", secret_name="My_Secret")},
        "tls.secret_name",
        "invalid",
        'Secret name "My_Secret" is not a valid name',
        id="tls-secret-bad-name",
    ),
    bad(
        {"tls": TLS(secret_name="cart\ntls")},
        "tls.secret_name",
        "invalid",
        'Secret name "cart\\ntls" is not a valid name',
        id="tls-ignored-secret-name-still-checked",
    ),
    bad(
        {"team": replace(TEAM, slug="-sec-bad-")},
        "team",
        "forbidden",
        'Team "-sec-bad-" cannot own routes: its slug labels every object',
        id="team-slug-not-a-label-value",
    ),
    bad(
        {"tls": TLS(issuer="Lets Encrypt")},
        "tls.issuer",
        "invalid",
        "not a valid ClusterIssuer name",
        id="tls-issuer-bad-name",
    ),
    bad({"tls": TLS(mode="none")}, "tls.mode", "forbidden", "may not serve plain HTTP", id="tls-plain-http"),
]


@pytest.mark.parametrize(("changes", "field", "code", "fragment"), BAD_ROUTES)
def test_bad_route_gets_one_violation_on_the_field_to_fix(changes, field, code, fragment):
    violations = check(**changes)

    assert [(v.field, v.code) for v in violations] == [(field, code)], violations
    assert fragment in violations[0].message


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


def conflicts(
    *,
    host="cart.shop.example.com",
    path="/cart",
    path_type="Prefix",
    route_id=None,
    name="cart-v2",
    team="shop",
    namespace="shop",
    others=(),
    claims=None,
    foreign=(),
):
    return check_conflicts(
        route_id=route_id,
        name=name,
        team=team,
        namespace=namespace,
        spec=RouteSpec(host=host, path=path, path_type=path_type, backend=EXISTING),
        others=others,
        claims=claims or {},
        foreign=foreign,
    )


CART = ExistingRoute(
    id="r-cart",
    name="cart",
    team="shop",
    namespace="shop",
    host="cart.shop.example.com",
    path="/cart",
    path_type="Prefix",
)
PAY = ExistingRoute(
    id="r-pay", name="pay", team="billing", namespace="billing", host="pay.example.com", path="/", path_type="Prefix"
)
BILLING_WILDCARD = replace(PAY, id="r-wild", name="wild", host="*.example.com")
LEGACY = ForeignIngressPath(namespace="legacy", name="old-cart", host="cart.shop.example.com", path="/cart")


def clash(changes, field, fragment, id):
    return pytest.param(changes, field, fragment, id=id)


BAD_CONFLICTS = [
    clash(
        {"name": "cart", "path": "/other", "others": [CART]},
        "name",
        'A route named "cart" already exists in namespace "shop"',
        id="duplicate-name",
    ),
    clash(
        {"others": [CART]},
        "path",
        'Route "shop/cart" of team "shop" already serves Prefix path "/cart"',
        id="same-host-path-type",
    ),
    clash({"path": "/cart/", "others": [CART]}, "path", 'Route "shop/cart"', id="prefix-trailing-slash-is-same-path"),
    clash(
        {"host": "CART.Shop.example.com.", "others": [CART]},
        "path",
        'Route "shop/cart"',
        id="same-path-host-case-and-dot",
    ),
    clash(
        {"path_type": "Exact", "others": [replace(CART, path_type="Exact")]}, "path", "Exact path", id="same-exact-path"
    ),
    clash(
        {"route_id": "r-other", "others": [CART]},
        "path",
        'Route "shop/cart"',
        id="edit-cannot-take-another-routes-path",
    ),
    clash(
        {"host": "pay.example.com", "claims": {"pay.example.com": "billing"}},
        "host",
        'is claimed by team "billing"',
        id="claimed-host",
    ),
    clash(
        {"host": "pay.example.com", "path": "/shop-promo", "claims": {"pay.example.com": "billing"}},
        "host",
        'claimed by team "billing"',
        id="path-under-claimed-host",
    ),
    clash(
        {"host": "PAY.Example.COM", "claims": {"pay.example.com": "billing"}},
        "host",
        'Host "PAY.Example.COM" is claimed by team "billing"',
        id="claim-takeover-by-case",
    ),
    clash(
        {"host": "pay.example.com.", "claims": {"pay.example.com": "billing"}},
        "host",
        'claimed by team "billing"',
        id="claim-takeover-by-trailing-dot",
    ),
    clash(
        {"host": "bücher.example", "claims": {"xn--bcher-kva.example": "books"}},
        "host",
        'claimed by team "books"',
        id="claim-takeover-by-unicode",
    ),
    clash(
        {"host": "xn--bcher-kva.example", "claims": {"Bücher.example": "books"}},
        "host",
        'claimed by team "books"',
        id="claim-takeover-by-punycode",
    ),
    clash(
        {"host": "pay.example.com", "claims": {"*.example.com": "billing"}},
        "host",
        'Host "pay.example.com" falls under "*.example.com", which is claimed by team "billing"',
        id="host-under-claimed-wildcard",
    ),
    clash(
        {"host": "*.example.com", "claims": {"pay.example.com": "billing"}},
        "host",
        'Wildcard host "*.example.com" would cover "pay.example.com", which is claimed by team "billing"',
        id="wildcard-over-claimed-host",
    ),
    clash(
        {"host": "*.Example.com.", "claims": {"*.example.com": "billing"}},
        "host",
        'claimed by team "billing"',
        id="same-wildcard-claimed",
    ),
    clash(
        {"host": "pay.example.com", "path": "/other", "others": [PAY]},
        "host",
        'already used by team "billing" (route "billing/pay")',
        id="other-teams-live-route-without-claim",
    ),
    clash(
        {"host": "Pay.Example.com.", "path": "/other", "others": [PAY]},
        "host",
        'already used by team "billing"',
        id="other-teams-live-route-case-and-dot",
    ),
    clash(
        {"host": "api.example.com", "others": [BILLING_WILDCARD]},
        "host",
        'falls under "*.example.com", which is already used by team "billing" (route "billing/wild")',
        id="other-teams-live-wildcard",
    ),
    clash(
        {"foreign": [LEGACY]},
        "path",
        'Ingress "legacy/old-cart", which Portico does not manage',
        id="foreign-ingress-same-path",
    ),
    clash(
        {"path": "/cart/", "foreign": [replace(LEGACY, host="Cart.Shop.Example.com")]},
        "path",
        'Ingress "legacy/old-cart"',
        id="foreign-ingress-case-and-slash",
    ),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), BAD_CONFLICTS)
def test_conflict_gets_one_violation_naming_what_is_in_the_way(changes, field, fragment):
    violations = conflicts(**changes)

    assert [(v.field, v.code) for v in violations] == [(field, "conflict")], violations
    assert fragment in violations[0].message


GOOD_CONFLICTS = [
    pytest.param({"route_id": "r-cart", "name": "cart", "others": [CART]}, id="edit-keeps-its-own-id"),
    pytest.param({"path": "/checkout", "others": [CART]}, id="same-team-same-host-other-path"),
    pytest.param({"path": "/cartography", "others": [CART]}, id="prefix-is-not-a-string-prefix"),
    pytest.param({"path_type": "Exact", "others": [CART]}, id="same-path-other-path-type"),
    pytest.param(
        {"name": "cart", "namespace": "shop-staging", "path": "/other", "others": [CART]},
        id="same-name-other-namespace",
    ),
    pytest.param({"claims": {"cart.shop.example.com": "shop"}}, id="own-claim"),
    pytest.param(
        {"host": "a.shop.example.com", "claims": {"*.example.com": "billing"}},
        id="wildcard-claim-covers-one-label-only",
    ),
    pytest.param({"host": "example.com", "claims": {"*.example.com": "billing"}}, id="wildcard-claim-excludes-apex"),
    pytest.param({"host": "shop.example.com", "claims": {"example.com": "billing"}}, id="claim-is-not-a-suffix"),
    pytest.param(
        {"host": "*.shop.example.com", "claims": {"a.b.shop.example.com": "billing"}},
        id="wildcard-request-one-label-only",
    ),
    pytest.param({"host": "shop.example.com", "others": [PAY]}, id="other-team-other-host"),
    pytest.param({"path": "/checkout", "foreign": [LEGACY]}, id="foreign-ingress-other-path"),
    pytest.param({"host": "www.shop.example.com", "foreign": [LEGACY]}, id="foreign-ingress-other-host"),
]


@pytest.mark.parametrize("changes", GOOD_CONFLICTS)
def test_no_conflict(changes):
    assert conflicts(**changes) == []


def test_claim_and_live_route_of_the_same_team_are_reported_once():
    violations = conflicts(host="pay.example.com", others=[PAY], claims={"pay.example.com": "billing"})

    assert [v.field for v in violations] == ["host"]
    assert 'claimed by team "billing"' in violations[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(" Shop.Example.COM. ", "shop.example.com", id="case-space-dot"),
        pytest.param("bücher.example", "xn--bcher-kva.example", id="unicode-to-punycode"),
        pytest.param("BÜCHER.example", "xn--bcher-kva.example", id="unicode-upper-case"),
        pytest.param("*.Bücher.example", "*.xn--bcher-kva.example", id="wildcard-unicode"),
        pytest.param("shop。example。com", "shop.example.com", id="ideographic-dots"),
        pytest.param("shop.example.com..", "shop.example.com.", id="only-one-dot-dropped"),
        pytest.param("ü" * 70 + ".example", "ü" * 70 + ".example", id="unconvertible-label-kept"),
        pytest.param("a⒈example.com", "a⒈example.com", id="nameprep-dot-refused"),
        # UTS 46 non-transitional (IDNA 2008), as browsers: deviation characters keep their own punycode.
        pytest.param("straße.example", "xn--strae-oqa.example", id="sharp-s-is-not-ss"),
        pytest.param("ς.example", "xn--3xa.example", id="final-sigma-is-not-sigma"),
        pytest.param("xn--strae-oqa.example", "xn--strae-oqa.example", id="idna2008-punycode-kept"),
        pytest.param("Ｃａｒｔ.Ｓｈｏｐ．example", "cart.shop.example", id="full-width-letters-and-stop"),
        pytest.param("İstanbul.example", "xn--istanbul-o0e.example", id="dotted-capital-i"),
        pytest.param("ΣΑΣ.example", "xn--mxa9ab.example", id="capital-sigmas-map-as-browsers-do"),
        pytest.param("sh\u00adop.example", "shop.example", id="soft-hyphen-ignored"),
        pytest.param("a\u200d.example", "a\u200d.example", id="misplaced-joiner-kept-for-validation"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="not-text"),
    ],
)
def test_normalize_host(raw, expected):
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    ("host", "suffixes", "within"),
    [
        pytest.param("shop.example.com", ["shop.example.com"], True, id="equal"),
        pytest.param("a.shop.example.com", ["shop.example.com"], True, id="under"),
        pytest.param("*.shop.example.com", ["shop.example.com"], True, id="wildcard-under"),
        pytest.param("Shop.Example.com.", ["SHOP.example.com"], True, id="normalised-both-sides"),
        pytest.param("shop.xn--bcher-kva.example", ["bücher.example"], True, id="punycode-under-unicode"),
        pytest.param("evilshop.example.com", ["shop.example.com"], False, id="lookalike"),
        pytest.param("*.example.com", ["shop.example.com"], False, id="wildcard-above"),
        pytest.param("example.com", ["shop.example.com"], False, id="parent"),
        pytest.param("shop.example.com", [], False, id="no-suffixes"),
        pytest.param("shop.example.com", [""], False, id="empty-suffix-allows-nothing"),
    ],
)
def test_host_within_suffixes(host, suffixes, within):
    assert host_within_suffixes(host, suffixes) is within


# Arbitrary input, weighted towards the characters that matter to hosts and paths.
awkward_text = st.one_of(st.text(max_size=80), st.text(alphabet="aZ09-._*:/[]?#%@ \t\n.。⒈üß", max_size=80))
optional_text = st.one_of(st.none(), awkward_text)
ports = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), awkward_text)
backends = st.builds(
    Backend,
    service_name=optional_text,
    service_port=ports,
    target_port=ports,
    selector=st.one_of(st.none(), st.dictionaries(awkward_text, awkward_text, max_size=3)),
    service_type=st.one_of(st.none(), st.sampled_from(SERVICE_TYPES), awkward_text),
    external_name=optional_text,
)
tls_values = st.builds(
    TLS,
    mode=st.one_of(st.sampled_from(TLS_MODES), optional_text),
    issuer=optional_text,
    secret_name=optional_text,
)
specs = st.builds(
    RouteSpec,
    host=st.one_of(awkward_text, st.text(max_size=400)),
    path=st.one_of(awkward_text, st.text(max_size=1100)),
    path_type=st.one_of(st.sampled_from(PATH_TYPES), awkward_text),
    backend=backends,
    tls=tls_values,
)
teams = st.builds(
    TeamPolicy,
    slug=awkward_text,
    domains=st.lists(awkward_text, max_size=3).map(tuple),
    namespaces=st.frozensets(st.tuples(awkward_text, awkward_text), max_size=3),
    allow_node_port=st.booleans(),
    allow_load_balancer=st.booleans(),
    allow_plain_http=st.booleans(),
)


@given(
    name=awkward_text, namespace=awkward_text, cluster=awkward_text, spec=specs, team=teams, is_platform=st.booleans()
)
def test_check_route_never_raises_and_every_violation_names_a_field(name, namespace, cluster, spec, team, is_platform):
    violations = check_route(
        name=name, namespace=namespace, cluster=cluster, spec=spec, team=team, is_platform=is_platform
    )

    for violation in violations:
        assert violation.field and violation.message.strip()
        assert violation.code in ("invalid", "forbidden")
    assert isinstance(violations_to_nested(violations), dict)


existing_routes = st.builds(
    ExistingRoute,
    id=awkward_text,
    name=awkward_text,
    team=st.sampled_from(["shop", "billing"]),
    namespace=awkward_text,
    host=awkward_text,
    path=awkward_text,
    path_type=st.sampled_from(PATH_TYPES),
)
foreign_paths = st.builds(
    ForeignIngressPath, namespace=awkward_text, name=awkward_text, host=awkward_text, path=awkward_text
)


@given(
    spec=specs,
    others=st.lists(existing_routes, max_size=4),
    claims=st.dictionaries(awkward_text, st.sampled_from(["shop", "billing"]), max_size=4),
    foreign=st.lists(foreign_paths, max_size=3),
)
def test_check_conflicts_never_raises_and_reports_only_conflicts(spec, others, claims, foreign):
    violations = check_conflicts(
        route_id=None,
        name="cart",
        team="shop",
        namespace="shop",
        spec=spec,
        others=others,
        claims=claims,
        foreign=foreign,
    )

    assert all(v.field in ("name", "host", "path") and v.message and v.code == "conflict" for v in violations)


dns_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda label: "--" not in label
)


@given(labels=st.lists(dns_labels, min_size=1, max_size=4), upper=st.booleans(), trailing_dot=st.booleans())
def test_any_well_formed_host_under_the_team_suffix_is_accepted(labels, upper, trailing_dot):
    host = ".".join(labels) + ".shop.example.com" + ("." if trailing_dot else "")

    assert check(host=host.upper() if upper else host) == []
    assert normalize_host(normalize_host(host.upper())) == normalize_host(host) == host.rstrip(".")


unicode_labels = st.text(
    st.characters(codec="utf-8", exclude_characters=".\u3002\uff0e\uff61"), min_size=1, max_size=12
)


@given(labels=st.lists(unicode_labels | dns_labels, min_size=1, max_size=3))
def test_an_accepted_unicode_host_is_stored_as_the_name_a_browser_resolves(labels):
    host = ".".join(labels) + ".shop.example.com"

    stored = normalize_host(host)

    assert normalize_host(stored) == stored
    if check(host=host) == []:
        assert stored.isascii() and stored == stored.lower()
        # Browsers map hosts with UTS 46, non-transitional (WHATWG URL); idna is stricter only about "--" in
        # the 3rd and 4th place of ASCII labels, which DNS and browsers allow.
        if not any(label[2:4] == "--" and not label.startswith("xn--") for label in stored.split(".")):
            assert idna.encode(host.strip(), uts46=True, transitional=False).decode("ascii") == stored
        assert check(host=stored) == []
        assert normalize_host(idna.decode(stored)) == stored


@given(prefix=st.from_regex(r"[a-z0-9-]+", fullmatch=True))
def test_a_suffix_never_allows_a_lookalike(prefix):
    assert not host_within_suffixes(prefix + "shop.example.com", ["shop.example.com"])


# Gateway API clusters: what an HTTPRoute cannot express is refused at request time.


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


# What a route may publish: an ExternalName reaches outside the cluster, never into it (docs/security.md).

CLUSTER_NAMESPACES = {"shop", "blog"}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("frontend.shop.svc.cluster.local", 'is a name in the cluster\'s own DNS zone ("cluster.local")'),
        ("cluster.local", "cluster's own DNS zone"),
        ("kubernetes.default.svc", 'names a Service in the cluster\'s DNS ("<service>.<namespace>.svc")'),
        ("frontend.shop.svc.corp.example.com", "names a Service in the cluster's DNS"),
        ("frontend.shop", 'reads as Service "frontend" in namespace "shop"'),
        ("web-0.frontend.blog", 'reads as a pod of Service "frontend" in namespace "blog"'),
        ("kubernetes.default", 'reads as Service "kubernetes" in namespace "default"'),
        ("metadata.google.internal", "is a cloud metadata endpoint"),
        ("instance-data.ec2.internal", "is a cloud metadata endpoint"),
        ("metadata.goog", "is a cloud metadata endpoint"),
        ("127.0.0.1.nip.io", 'is served by "nip.io", which answers with whatever address is written in the name'),
        ("app.10-0-0-1.sslip.io", 'is served by "sslip.io"'),
        ("7f000001.nip.io", 'is served by "nip.io"'),
        ("app.lvh.me", 'is served by "lvh.me"'),
        ("app.127-0-0-1.example.com", "has the address 127.0.0.1 written in it"),
        ("ip-10-1-2-3.eu-west-1.compute.example.com", "has the address 10.1.2.3 written in it"),
        ("169.254.169.254.example.com", "has the address 169.254.169.254 written in it"),
        ("0.0.0.0.example.com", "has the address 0.0.0.0 written in it"),
        ("db.corp.internal", 'is under ".internal", which names hosts inside a private network'),
        ("printer.local", 'is under ".local"'),
        ("app.localhost", 'is under ".localhost"'),
        ("api.partner.lan", 'does not end in a public top-level domain (".lan" is not one)'),
        ("api.partner.example", 'does not end in a public top-level domain (".example" is not one)'),
        ("db.home.arpa", 'is under ".arpa"'),
        ("co.uk", "is a public suffix under which anyone registers names, not a host"),
    ],
    ids=lambda value: value if "." in value else None,
)
def test_an_external_name_inside_the_cluster_or_a_private_network_is_refused_saying_why(name, fragment):
    violations = check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES)

    assert [(v.field, v.code) for v in violations] == [("backend.external_name", "forbidden")], violations
    assert violations[0].message.startswith(f'External name "{name}" ')
    assert fragment in violations[0].message


@pytest.mark.parametrize(
    "name",
    [
        "api.partner.com",
        "example.com",
        "legacy.internal.example.net",
        "db.abc123.eu-west-1.rds.amazonaws.com",
        "frontend.dev",
        "1.2.3.4.example.com",
        "x.svc.example.com",
        "shop.co.uk",
        "xn--bcher-kva.example.com",
    ],
)
def test_a_public_external_name_is_accepted(name):
    assert check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES) == []


def test_a_team_with_external_domains_points_only_under_them_and_may_use_its_private_zone():
    team = replace(TEAM, external_domains=("corp.internal", "partner.example.com"))

    assert check_external_name("db.corp.internal", team=team) == []
    assert check_external_name("api.partner.example.com", team=team) == []
    [violation] = check_external_name("api.stripe.com", team=team)
    assert violation.message == (
        'External name "api.stripe.com" is outside what team "shop" may point at: use "corp.internal", '
        '"partner.example.com" or a name under one of them, or ask a platform engineer to add its domain.'
    )


@pytest.mark.parametrize(
    "name",
    [
        "kubernetes.default.svc.cluster.local",
        "x.svc.cluster.local",
        "frontend.shop",
        "metadata.google.internal",
        "127.0.0.1.nip.io",
        "app.10-0-0-1.corp.internal",
    ],
)
def test_external_domains_never_open_the_cluster_metadata_or_private_addresses(name):
    team = replace(TEAM, external_domains=("cluster.local", "shop", "internal.", "nip.io", "corp.internal"))

    [violation] = check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES, team=team)
    assert "is outside what team" not in violation.message


def test_check_route_judges_the_external_name_against_the_clusters_namespaces():
    spec = RouteSpec(host="cart.shop.example.com", backend=replace(EXTERNAL, external_name="frontend.blog"))

    violations = check_route(
        name="cart",
        namespace="shop",
        cluster="prod-eu",
        spec=spec,
        team=TEAM,
        is_platform=True,
        cluster_namespaces={"blog"},
    )

    assert [v.field for v in violations] == ["backend.external_name"]


cluster_suffixes = st.sampled_from(
    [".svc", ".svc.cluster.local", ".cluster.local", ".internal", ".local", ".localhost", ".nip.io", ".sslip.io"]
)


@given(labels=st.lists(dns_labels, min_size=1, max_size=3), suffix=cluster_suffixes, platform=st.booleans())
def test_no_name_under_a_cluster_or_private_suffix_is_ever_accepted(labels, suffix, platform):
    name = ".".join(labels) + suffix

    assert check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES) != []
    assert check(backend=replace(EXTERNAL, external_name=name), is_platform=platform) != []
