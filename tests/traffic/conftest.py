"""Shared by the traffic tests: the local API server as a Portico cluster served by Traefik and cert-manager,
a Service with a loopback backend behind it, and the reachability settings that point at the session's Traefik."""

import pytest

from routes import reconcile

HOST = "cart.shop.example.com"


@pytest.fixture
def traffic_cluster(traffic_kube, traffic, shop):
    """The local API server as a Portico cluster whose ingress controller is Traefik and whose issuer is
    cert-manager's local CA (named like the session's default cluster, so the API's requests land here)."""
    from clusters.models import Cluster

    Cluster.objects.filter(name="prod-eu").delete()
    return traffic_kube.cluster(shop, name="prod-eu", ingress_class="traefik", issuer="portico-ca")


@pytest.fixture
def reach(settings, traffic):
    """Reachability settings for the session's Traefik: the demo host resolves to its address (like curl
    --resolve), HTTPS goes to its port, and cert-manager's local CA is trusted besides the system's."""
    settings.PORTICO_REACHABILITY_RESOLVE = [f"*.shop.example.com={traffic.plane.lb_address}"]
    settings.PORTICO_REACHABILITY_HTTPS_PORT = traffic.plane.https_port
    settings.PORTICO_REACHABILITY_HTTP_PORT = traffic.plane.http_port
    settings.PORTICO_REACHABILITY_CA_FILE = str(traffic.plane.ca_file)
    settings.PORTICO_REACHABILITY_TIMEOUT = 5.0
    return settings


def serve(
    traffic_kube,
    name: str,
    backend,
    *,
    port: int = 8080,
    target_port: int | str | None = None,
    slice_port: int | bool = True,
) -> None:
    """Service ``name`` (port ``port``) with ``backend`` as its one ready endpoint, listed in an EndpointSlice as
    the EndpointSlice controller would from a pod listening on the backend's address and port. ``slice_port``
    False lists the endpoint with no port, as that controller does when no pod declares a named targetPort;
    a number lists that port instead of the backend's."""
    traffic_kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "selector": {"app": name},
                "ports": [{"name": "http", "port": port, "targetPort": target_port or backend.port}],
            },
        }
    )
    ports = (
        []
        if slice_port is False
        else [{"name": "http", "port": backend.port if slice_port is True else slice_port, "protocol": "TCP"}]
    )
    traffic_kube.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [backend.address], "conditions": {"ready": True}}],
            "ports": ports,
        }
    )


def apply(route) -> None:
    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
