"""Route options in every controller's own words (docs/route-options.md): each option x controller renders the
annotations, Middlewares or HTTPRoute fields of the table, every rendered object validates like every other
(strict schemas, vendored CRDs, ownership labels and annotations), and policy refuses what the cluster cannot
honour, what is malformed and what the team's limits do not allow."""

from __future__ import annotations

import pytest

from routes.domain.policy.options import OPTION_NAMES, SUPPORTED, check_options
from routes.domain.policy.route import check_route
from routes.domain.render import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    REVISION_ANNOTATION,
    ROUTE_LABEL,
    SPEC_HASH_ANNOTATION,
    TEAM_LABEL,
    route_objects,
    spec_hash,
)
from routes.domain.validation import validate_objects
from routes.domain.values import FORBIDDEN, Backend, ClusterSettings, RouteOptions, RouteSpec, RouteTarget, TeamPolicy

TARGET = RouteTarget(id="0b8f3c52-1d6e-4a7b-9c21-5f0e2d9a1c01", name="cart", team="shop", namespace="shop", revision=3)
TEAM = TeamPolicy(slug="shop", domains=("shop.example.com",), namespaces=frozenset({("prod-eu", "shop")}))
GATEWAY = ClusterSettings(name="prod-eu", output="gateway", gateway_name="public", gateway_namespace="gateway-system")

ONE_OPTION = {
    "force_https": RouteOptions(force_https=True),
    "timeout_seconds": RouteOptions(timeout_seconds=120),
    "max_body_size_mb": RouteOptions(max_body_size_mb=25),
    "source_ranges": RouteOptions(source_ranges=("203.0.113.0/24", "2001:db8::/32")),
}
N = "nginx.ingress.kubernetes.io/"
H = "haproxy.org/"
# What each option renders as on each controller's Ingress: annotations (Traefik: the Middlewares named).
EXPECTED_ANNOTATIONS = {
    ("ingress-nginx", "force_https"): {N + "force-ssl-redirect": "true"},
    ("ingress-nginx", "timeout_seconds"): {N + "proxy-read-timeout": "120", N + "proxy-send-timeout": "120"},
    ("ingress-nginx", "max_body_size_mb"): {N + "proxy-body-size": "25m"},
    ("ingress-nginx", "source_ranges"): {N + "whitelist-source-range": "203.0.113.0/24,2001:db8::/32"},
    ("haproxy", "force_https"): {H + "ssl-redirect": "true"},
    ("haproxy", "timeout_seconds"): {H + "timeout-server": "120s"},
    ("haproxy", "source_ranges"): {H + "allow-list": "203.0.113.0/24,2001:db8::/32"},
    ("traefik", "force_https"): {
        "traefik.ingress.kubernetes.io/router.middlewares": "shop-cart-https-redirect@kubernetescrd"
    },
    ("traefik", "max_body_size_mb"): {
        "traefik.ingress.kubernetes.io/router.middlewares": "shop-cart-body-size@kubernetescrd"
    },
    ("traefik", "source_ranges"): {
        "traefik.ingress.kubernetes.io/router.middlewares": "shop-cart-sources@kubernetescrd"
    },
}
EXPECTED_MIDDLEWARES = {
    "force_https": ("cart-https-redirect", {"redirectScheme": {"scheme": "https", "permanent": True}}),
    "max_body_size_mb": ("cart-body-size", {"buffering": {"maxRequestBodyBytes": 25 * 1024 * 1024}}),
    "source_ranges": ("cart-sources", {"ipAllowList": {"sourceRange": ["203.0.113.0/24", "2001:db8::/32"]}}),
}


def spec_with(options: RouteOptions) -> RouteSpec:
    return RouteSpec(
        host="cart.shop.example.com", backend=Backend(service_name="cart", service_port=8080), options=options
    )


def owned_by_the_route(obj: dict) -> bool:
    meta = obj["metadata"]
    return (
        meta["labels"] == {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: "shop", ROUTE_LABEL: TARGET.id}
        and meta["annotations"][REVISION_ANNOTATION] == "3"
        and meta["annotations"][SPEC_HASH_ANNOTATION] == spec_hash(obj)
    )


@pytest.mark.parametrize(("controller", "option"), sorted(EXPECTED_ANNOTATIONS))
@pytest.mark.parametrize("version", ["1.29", "1.37"])
def test_each_option_renders_as_the_controllers_own_words_and_validates(controller, option, version):
    objects = route_objects(
        TARGET, spec_with(ONE_OPTION[option]), ClusterSettings(name="prod-eu", controller=controller)
    )

    [ingress] = [o for o in objects if o["kind"] == "Ingress"]
    extra = {k: v for k, v in ingress["metadata"]["annotations"].items() if not k.startswith("portico.dev/")}
    assert extra == EXPECTED_ANNOTATIONS[(controller, option)]
    middlewares = [(o["metadata"]["name"], o["spec"]) for o in objects if o["kind"] == "Middleware"]
    assert middlewares == ([EXPECTED_MIDDLEWARES[option]] if controller == "traefik" else [])
    assert all(owned_by_the_route(o) for o in objects if o["kind"] != "Certificate")
    assert validate_objects(objects, version) == []


def test_every_option_at_once_on_traefik_names_its_middlewares_in_order():
    options = RouteOptions(force_https=True, max_body_size_mb=1, source_ranges=("10.0.0.0/8",))

    objects = route_objects(TARGET, spec_with(options), ClusterSettings(name="prod-eu", controller="traefik"))

    assert [o["kind"] for o in objects] == ["Middleware", "Middleware", "Middleware", "Ingress", "Certificate"]
    [ingress] = [o for o in objects if o["kind"] == "Ingress"]
    assert ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == (
        "shop-cart-sources@kubernetescrd,shop-cart-https-redirect@kubernetescrd,shop-cart-body-size@kubernetescrd"
    )
    assert validate_objects(objects) == []


def test_a_timeout_on_gateway_api_output_is_the_rules_request_timeout():
    objects = route_objects(TARGET, spec_with(RouteOptions(timeout_seconds=45)), GATEWAY)

    [http_route] = [o for o in objects if o["kind"] == "HTTPRoute"]
    assert http_route["spec"]["rules"][0]["timeouts"] == {"request": "45s"}
    assert validate_objects(objects) == []


def test_the_vendored_schemas_refuse_a_malformed_timeout_and_an_unknown_middleware_field():
    [http_route] = route_objects(TARGET, spec_with(RouteOptions(timeout_seconds=45)), GATEWAY)
    http_route["spec"]["rules"][0]["timeouts"]["request"] = "45 seconds"
    objects = route_objects(
        TARGET, spec_with(ONE_OPTION["force_https"]), ClusterSettings(name="prod-eu", controller="traefik")
    )
    objects[0]["spec"]["redirectScheme"]["schema"] = "https"

    assert any("timeouts.request" in e for e in validate_objects([http_route]))
    assert any("schema" in e for e in validate_objects(objects[:1]))


@pytest.mark.parametrize("controller", ["ingress-nginx", "traefik", "haproxy", ""])
def test_a_route_without_options_renders_exactly_as_before(controller):
    settings = ClusterSettings(name="prod-eu", controller=controller)

    assert route_objects(TARGET, spec_with(RouteOptions()), settings) == route_objects(
        TARGET, spec_with(RouteOptions()), ClusterSettings(name="prod-eu")
    )


SCOPES = [
    ("ingress", "ingress-nginx", "ingress-nginx"),
    ("ingress", "traefik", "traefik"),
    ("ingress", "haproxy", "haproxy"),
    ("gateway", "ingress-nginx", "gateway"),
    ("ingress", "", ""),
]


@pytest.mark.parametrize(("output", "controller", "scope"), SCOPES)
@pytest.mark.parametrize("option", OPTION_NAMES)
def test_an_option_the_cluster_cannot_honour_is_refused_on_its_field(output, controller, scope, option):
    violations = check_options(ONE_OPTION[option], TEAM, output=output, controller=controller)

    if option in SUPPORTED.get(scope, ()):
        assert violations == []
    else:
        [violation] = violations
        assert violation.field == f"options.{option}" and violation.code == FORBIDDEN
        assert "cannot be set on this cluster" in violation.message


def test_traefiks_refused_timeout_says_why():
    [violation] = check_options(ONE_OPTION["timeout_seconds"], TEAM, output="ingress", controller="traefik")

    assert "Traefik has no per-route timeout" in violation.message


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        (RouteOptions(timeout_seconds=0), "timeout_seconds", "between 1 and 3600"),
        (RouteOptions(timeout_seconds=3601), "timeout_seconds", "between 1 and 3600"),
        (RouteOptions(timeout_seconds="30"), "timeout_seconds", "whole number"),  # type: ignore[arg-type]
        (RouteOptions(max_body_size_mb=10241), "max_body_size_mb", "between 1 and 10240"),
        (RouteOptions(source_ranges=("203.0.113.7/24",)), "source_ranges", 'write "203.0.113.0/24"'),
        (RouteOptions(source_ranges=("203.0.113.7",)), "source_ranges", "needs a prefix length"),
        (RouteOptions(source_ranges=("office",)), "source_ranges", "not an address range"),
        (RouteOptions(source_ranges=("10.0.0.0/8", "10.0.0.0/8")), "source_ranges", "listed once"),
        (RouteOptions(force_https="yes"), "force_https", "true or false"),  # type: ignore[arg-type]
    ],
)
def test_malformed_options_are_refused_with_what_to_write(options, field, words):
    [violation] = check_options(options, TEAM, output="ingress", controller="ingress-nginx")

    assert violation.field == f"options.{field}" and words in violation.message


def test_the_teams_limits_hold():
    team = TeamPolicy(slug="shop", max_timeout_seconds=60, max_body_size_mb=10, allow_source_ranges=False)
    options = RouteOptions(timeout_seconds=61, max_body_size_mb=11, source_ranges=("10.0.0.0/8",))

    violations = check_options(options, team, output="ingress", controller="ingress-nginx")

    assert {(v.field, v.code) for v in violations} == {
        ("options.timeout_seconds", FORBIDDEN),
        ("options.max_body_size_mb", FORBIDDEN),
        ("options.source_ranges", FORBIDDEN),
    }
    assert (
        check_options(
            RouteOptions(timeout_seconds=60, max_body_size_mb=10), team, output="ingress", controller="ingress-nginx"
        )
        == []
    )


def test_check_route_judges_the_options_with_the_clusters_controller():
    violations = check_route(
        name="cart",
        namespace="shop",
        cluster="prod-eu",
        spec=spec_with(RouteOptions(timeout_seconds=30)),
        team=TEAM,
        is_platform=False,
        controller="traefik",
    )

    assert [v.field for v in violations] == ["options.timeout_seconds"]


def test_options_are_left_out_of_a_stored_spec_until_one_is_set():
    plain, limited = spec_with(RouteOptions()), spec_with(RouteOptions(source_ranges=("10.0.0.0/8",)))

    assert "options" not in plain.to_dict()
    assert limited.to_dict()["options"]["source_ranges"] == ["10.0.0.0/8"]
    assert RouteSpec.from_dict(limited.to_dict()) == limited
    assert RouteSpec.from_dict(plain.to_dict()) == plain
