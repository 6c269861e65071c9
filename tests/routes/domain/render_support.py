"""Shared values of the rendering tests: a cluster, route targets and specs, and the golden and validation cases.

Golden files under ``golden/`` pin the exact YAML for each backend kind and TLS mode; after an intended
change, rewrite them with ``PORTICO_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from routes.domain.values import TLS, Backend, ClusterSettings, RouteSpec, RouteTarget

GOLDEN_DIR = Path(__file__).parent / "golden"
KUBERNETES_VERSIONS = ["1.29", "1.37"]

CLUSTER = ClusterSettings(name="prod-eu", ingress_class="nginx", default_issuer="letsencrypt")
FIRST_ID = "0b8f3c52-1d6e-4a7b-9c21-5f0e2d9a1c01"
SECOND_ID = "7d2e9a10-4c3b-4f5e-8a6d-2b1c0e9f8a02"

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LONG_HOST = "checkout-service-frontend-canary." + "very-long-team-subdomain." * 3 + "shop.example.com"
MANAGED = Backend(service_name="cart", service_port=80, target_port=8080, selector={"tier": "web", "app": "cart"})


def target(route_id: str = FIRST_ID, name: str = "cart", namespace: str = "shop", revision: int = 1) -> RouteTarget:
    return RouteTarget(id=route_id, name=name, team="shop", namespace=namespace, revision=revision)


def spec(host: str = "cart.shop.example.com", **changes) -> RouteSpec:
    return RouteSpec(host=host, **{"backend": Backend(service_name="cart", service_port=8080), **changes})


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def reordered(value):
    """The same data with every dict's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


GOLDEN_CASES = {
    "backend-existing": spec(
        host="shop.example.com", path="/api", backend=Backend(service_name="api", service_port=8080)
    ),
    "backend-managed-clusterip": spec(backend=MANAGED),
    "backend-managed-nodeport": spec(
        backend=Backend(
            service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}, service_type="NodePort"
        )
    ),
    "backend-managed-loadbalancer": spec(
        backend=Backend(
            service_name="cart",
            service_port=443,
            target_port="https",
            selector={"app": "cart"},
            service_type="LoadBalancer",
        )
    ),
    "backend-external": spec(
        host="pay.shop.example.com",
        path_type="Exact",
        path="/checkout",
        backend=Backend(service_name="payments", service_port=443, external_name="payments.vendor.example.net"),
    ),
    "tls-cert-manager": spec(tls=TLS(mode="cert-manager", issuer="letsencrypt-staging")),
    "tls-secret": spec(tls=TLS(mode="secret", secret_name="shop-wildcard-cert")),
    "tls-none": spec(tls=TLS(mode="none")),
}

VALIDATION_CASES = {
    **GOLDEN_CASES,
    "long-host": spec(host=LONG_HOST),
    "wildcard-host": spec(host="*.shop.example.com"),
    "named-target-port": spec(backend=Backend(service_name="cart", service_port=80, target_port="http")),
    "named-service-port": spec(backend=Backend(service_name="cart", service_port="web")),
    "external-without-port": spec(backend=Backend(service_name="legacy", external_name="legacy.example.net")),
}


def assert_matches_golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / f"{name}.yaml"
    if os.environ.get("PORTICO_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with PORTICO_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from {path.name} (PORTICO_UPDATE_GOLDEN=1 rewrites it)"
