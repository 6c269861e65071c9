"""Fixtures for adoption: the clusters of tests/reconcile (the local kube-apiserver; the emulator for injected faults)
and Ingresses made by hand, as kubectl would."""

import copy

import pytest

from tests.reconcile.conftest import approve, emulated_kube_cluster, kube_cluster  # noqa: F401 - fixtures
from tests.web.conftest import htmx_headers, login  # noqa: F401 - fixtures

INGRESS = ("networking.k8s.io/v1", "Ingress")


def ingress_body(
    name="cart",
    *,
    namespace="shop",
    host="cart.shop.example.com",
    path="/",
    path_type="Prefix",
    service="cart",
    port=8080,
    ingress_class="nginx",
    secret="cart-tls",
    **extra,
) -> dict:
    """An Ingress as a person writes it: one rule, one path, to an existing Service, TLS from a Secret."""
    port_ref = {"number": port} if isinstance(port, int) else {"name": port}
    spec = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": path_type,
                            "backend": {"service": {"name": service, "port": port_ref}},
                        }
                    ]
                },
            }
        ]
    }
    if ingress_class:
        spec["ingressClassName"] = ingress_class
    if secret:
        spec["tls"] = [{"hosts": [host], "secretName": secret}]
    metadata = {"name": name, "namespace": namespace, "labels": {"app": name}}
    metadata.update(extra.pop("metadata", {}))
    spec.update(extra)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


@pytest.fixture
def hand_made(realkube):
    """Create an Ingress on the local kube-apiserver out of band (not through Portico), in a namespace made for it
    if need be; returns its spec as stored."""

    def _make(name="cart", **kwargs) -> dict:
        body = kwargs.pop("body", None) or ingress_body(name, **kwargs)
        namespace = body["metadata"]["namespace"]
        if namespace != realkube.namespace and namespace not in realkube.namespaces:
            realkube.add_namespace(namespace)
        created = realkube.create(body)
        return copy.deepcopy(created["spec"])

    return _make
