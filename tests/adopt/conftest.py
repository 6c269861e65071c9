"""Fixtures for adoption: the emulated cluster of tests/reconcile and Ingresses made by hand, as kubectl would."""
import copy

import pytest

from tests.reconcile.conftest import approve, kube_cluster  # noqa: F401 - fixtures
from tests.web.conftest import htmx_headers, login  # noqa: F401 - fixtures

INGRESS = ("networking.k8s.io/v1", "Ingress")


def ingress_body(name="cart", *, namespace="shop", host="cart.shop.example.com", path="/", path_type="Prefix",
                 service="cart", port=8080, ingress_class="nginx", secret="cart-tls", **extra) -> dict:
    """An Ingress as a person writes it: one rule, one path, to an existing Service, TLS from a Secret."""
    port_ref = {"number": port} if isinstance(port, int) else {"name": port}
    spec = {"rules": [{"host": host, "http": {"paths": [
        {"path": path, "pathType": path_type, "backend": {"service": {"name": service, "port": port_ref}}}]}}]}
    if ingress_class:
        spec["ingressClassName"] = ingress_class
    if secret:
        spec["tls"] = [{"hosts": [host], "secretName": secret}]
    metadata = {"name": name, "namespace": namespace, "labels": {"app": name}}
    metadata.update(extra.pop("metadata", {}))
    spec.update(extra)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


@pytest.fixture
def hand_made(kube):
    """Create an Ingress on the emulator out of band (not through Portico); returns its spec as stored."""

    def _make(name="cart", **kwargs) -> dict:
        body = kwargs.pop("body", None) or ingress_body(name, **kwargs)
        created = kube.create(body)
        return copy.deepcopy(created["spec"])

    return _make
