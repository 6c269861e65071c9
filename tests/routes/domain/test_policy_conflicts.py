"""Route conflicts: names, paths, claimed hosts, other teams' live routes and foreign Ingresses (HTTP 409)."""

from dataclasses import replace

import pytest

from routes.domain.policy.conflicts import check_conflicts
from routes.domain.values import ExistingRoute, ForeignIngressPath, RouteSpec
from tests.routes.domain.policy_support import EXISTING


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
