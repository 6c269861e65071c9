"""Route policy on paths, path types, names, namespaces, clusters and the team's slug: one violation per bad input."""

from dataclasses import replace

import pytest

from tests.routes.domain.policy_support import TEAM, bad, check

BAD_ROUTES = [
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
    bad(
        {"team": replace(TEAM, slug="-sec-bad-")},
        "team",
        "forbidden",
        'Team "-sec-bad-" cannot own routes: its slug labels every object',
        id="team-slug-not-a-label-value",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code", "fragment"), BAD_ROUTES)
def test_bad_route_gets_one_violation_on_the_field_to_fix(changes, field, code, fragment):
    violations = check(**changes)

    assert [(v.field, v.code) for v in violations] == [(field, code)], violations
    assert fragment in violations[0].message
