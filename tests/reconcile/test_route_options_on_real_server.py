"""Route options applied to the local kube-apiserver (tests/realkube) as deploy/target-rbac.yaml's identity: the
ingress-nginx annotations, Traefik's Middlewares (the vendored CRD's schema admits them) and Gateway API's
request timeout (the real HTTPRoute CRD, CEL included) are accepted, and a Middleware a new revision no longer
needs is removed."""

from dataclasses import replace

import pytest

from routes import reconcile, services
from routes.domain.values import Backend, RouteOptions
from routes.models import Route
from tests.reconcile.conftest import HTTP_ROUTE, INGRESS, seed_gateway

pytestmark = pytest.mark.django_db

MIDDLEWARE = ("traefik.io/v1alpha1", "Middleware")
EVERYTHING = RouteOptions(force_https=True, timeout_seconds=90, max_body_size_mb=20, source_ranges=("10.0.0.0/8",))


def applied(route) -> Route:
    result = reconcile.reconcile_route(route.pk)
    assert result is reconcile.Result.APPLIED, Route.objects.get(pk=route.pk).conditions
    return Route.objects.get(pk=route.pk)


def test_ingress_nginx_annotations_reach_the_ingress(realkube, kube_cluster, submit, pat):
    assert kube_cluster.controller_family == "ingress-nginx"

    applied(services.approve_route(submit("cart", on=kube_cluster, options=EVERYTHING), user=pat))

    annotations = realkube.get(*INGRESS, "shop", "cart")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "20m"
    assert annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] == "10.0.0.0/8"
    assert realkube.refused() == []


def test_traefik_middlewares_are_applied_and_the_one_no_longer_needed_is_removed(realkube, shop, submit, pat, alice):
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "traefik"},
            "spec": {"controller": "traefik.io/ingress-controller"},
        }
    )
    cluster = realkube.cluster(shop, name="edge", ingress_class="traefik")
    options = replace(EVERYTHING, timeout_seconds=None)
    route = applied(services.approve_route(submit("cart", on=cluster, options=options), user=pat))

    names = {m["metadata"]["name"] for m in realkube.list_objects(*MIDDLEWARE, "shop")}
    assert names == {"cart-sources", "cart-https-redirect", "cart-body-size"}
    assert realkube.get(*MIDDLEWARE, "shop", "cart-body-size")["spec"] == {
        "buffering": {"maxRequestBodyBytes": 20 * 1024 * 1024}
    }

    edited = services.edit_route(
        route, user=alice, spec=replace(route.latest_spec, options=RouteOptions(force_https=True))
    )
    applied(services.approve_route(edited, user=pat))

    assert {m["metadata"]["name"] for m in realkube.list_objects(*MIDDLEWARE, "shop")} == {"cart-https-redirect"}
    ingress = realkube.get(*INGRESS, "shop", "cart")
    assert ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == (
        "shop-cart-https-redirect@kubernetescrd"
    )
    assert realkube.refused() == []


def test_a_request_timeout_reaches_the_httproute(realkube, shop, submit, pat):
    seed_gateway(realkube)
    cluster = realkube.cluster(
        shop, name="gw", output="gateway", gateway_name="public", gateway_namespace="gateway-system"
    )
    backend = Backend(service_name="cart", service_port=8080)

    applied(
        services.approve_route(
            submit("cart", on=cluster, backend=backend, options=RouteOptions(timeout_seconds=15)), user=pat
        )
    )

    assert realkube.get(*HTTP_ROUTE, "shop", "cart")["spec"]["rules"][0]["timeouts"] == {"request": "15s"}
    assert realkube.refused() == []
