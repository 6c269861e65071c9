"""Route options (``RouteOptions``) in each controller's own words: ingress-nginx and HAProxy annotations on the
Ingress, Traefik Middlewares the Ingress names, and HTTPRoute fields for Gateway API output. docs/route-options.md
is the table of the same mapping. Pure, like ``routes.domain.render``, which calls it; policy
(``routes.domain.policy.options``) has refused every option the cluster cannot honour before anything renders.
"""

from __future__ import annotations

from typing import Any

from clusters.facts import HAPROXY, INGRESS_NGINX, TRAEFIK
from routes.domain.values import RouteOptions

MIDDLEWARE_API_VERSION = "traefik.io/v1alpha1"
TRAEFIK_MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"
_MIB = 1024 * 1024

# The suffix of each Middleware's name after the route's; a route name is a DNS label, so "<route>-<suffix>" is
# a valid Middleware name, and different routes never share one.
MIDDLEWARE_SUFFIXES = {"force_https": "https-redirect", "max_body_size_mb": "body-size", "source_ranges": "sources"}


def ingress_annotations(options: RouteOptions, controller: str, namespace: str, route_name: str) -> dict[str, str]:
    """The annotations that ask the cluster's ingress controller for ``options``; empty when none is set."""
    if controller == INGRESS_NGINX:
        return _nginx(options)
    if controller == HAPROXY:
        return _haproxy(options)
    if controller == TRAEFIK:
        names = [f"{namespace}-{name}@kubernetescrd" for name, _ in _traefik_specs(options, route_name)]
        return {TRAEFIK_MIDDLEWARES_ANNOTATION: ",".join(names)} if names else {}
    return {}


def traefik_middlewares(options: RouteOptions, route_name: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, spec) of each Traefik Middleware the options need, in the order the router applies them."""
    return _traefik_specs(options, route_name)


def http_route_timeouts(options: RouteOptions) -> dict[str, str] | None:
    """An HTTPRoute rule's ``timeouts``: the whole request, as Gateway API's Duration ("30s")."""
    if options.timeout_seconds is None:
        return None
    return {"request": f"{options.timeout_seconds}s"}


def _nginx(options: RouteOptions) -> dict[str, str]:
    prefix = "nginx.ingress.kubernetes.io/"
    annotations = {}
    if options.force_https:
        # force-ssl-redirect redirects even where the Ingress has no tls section (ssl-redirect only where it has).
        annotations[prefix + "force-ssl-redirect"] = "true"
    if options.timeout_seconds is not None:
        # Both directions of the proxied request: reading the answer and sending the body.
        annotations[prefix + "proxy-read-timeout"] = str(options.timeout_seconds)
        annotations[prefix + "proxy-send-timeout"] = str(options.timeout_seconds)
    if options.max_body_size_mb is not None:
        annotations[prefix + "proxy-body-size"] = f"{options.max_body_size_mb}m"
    if options.source_ranges:
        # whitelist-source-range is read by every ingress-nginx release; allowlist-source-range only by newer ones.
        annotations[prefix + "whitelist-source-range"] = ",".join(options.source_ranges)
    return annotations


def _haproxy(options: RouteOptions) -> dict[str, str]:
    prefix = "haproxy.org/"
    annotations = {}
    if options.force_https:
        annotations[prefix + "ssl-redirect"] = "true"
    if options.timeout_seconds is not None:
        annotations[prefix + "timeout-server"] = f"{options.timeout_seconds}s"
    if options.source_ranges:
        annotations[prefix + "allow-list"] = ",".join(options.source_ranges)
    return annotations


def _traefik_specs(options: RouteOptions, route_name: str) -> list[tuple[str, dict[str, Any]]]:
    specs: list[tuple[str, dict[str, Any]]] = []
    if options.source_ranges:
        # First: a client outside the ranges is refused before anything else answers it.
        specs.append(
            (
                f"{route_name}-{MIDDLEWARE_SUFFIXES['source_ranges']}",
                {"ipAllowList": {"sourceRange": list(options.source_ranges)}},
            )
        )
    if options.force_https:
        # A request that already came over HTTPS passes through unchanged: redirectScheme answers only when the
        # scheme differs.
        specs.append(
            (
                f"{route_name}-{MIDDLEWARE_SUFFIXES['force_https']}",
                {"redirectScheme": {"scheme": "https", "permanent": True}},
            )
        )
    if options.max_body_size_mb is not None:
        specs.append(
            (
                f"{route_name}-{MIDDLEWARE_SUFFIXES['max_body_size_mb']}",
                {"buffering": {"maxRequestBodyBytes": options.max_body_size_mb * _MIB}},
            )
        )
    return specs
