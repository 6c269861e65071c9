"""Shared values of the route-policy tests: a team's policy, the three kinds of backend, check() and bad().

Each bad input must produce exactly one violation, on the field the developer has to fix, with the
code that decides the HTTP status (invalid/forbidden -> 400, conflict -> 409) and a message that says why.
"""

from dataclasses import replace

import pytest
from hypothesis import strategies as st

from routes.domain.policy.route import check_route
from routes.domain.values import Backend, RouteSpec, TeamPolicy

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


# Well-formed DNS labels, for the properties about hosts and external names.
dns_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda label: "--" not in label
)
