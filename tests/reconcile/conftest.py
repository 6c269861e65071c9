"""Clusters for the reconciler's tests: on the local kube-apiserver (tests/realkube: RBAC, admission, CRD schemas,
server-side apply as a real server does it) unless a test needs a fault only the emulator (tests/kube) can inject
on demand: a 5xx or 429 answer, a refused or cut connection. Those tests use the ``emulated_*`` fixtures and say
why in their docstring.
"""

import pytest

from clusters import probe
from clusters.models import Cluster
from teams.models import TeamNamespace

INGRESS = ("networking.k8s.io/v1", "Ingress")
SERVICE = ("v1", "Service")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")


def seed_cluster_addons(kube, *, ingress_class="nginx", issuer="letsencrypt"):
    """What a well-prepared cluster has: an ingress controller's IngressClass, cert-manager, a ClusterIssuer."""
    kube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": ingress_class},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    )
    kube.create(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "certificates.cert-manager.io"},
            "spec": {
                "group": "cert-manager.io",
                "scope": "Namespaced",
                "names": {"plural": "certificates", "kind": "Certificate"},
                "versions": [{"name": "v1", "served": True, "storage": True}],
            },
        }
    )
    kube.create(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": issuer},
            "spec": {"acme": {}},
        }
    )


def serve_cart(kube):
    """Service shop/cart with one ready pod behind it, as the team's own deployment would have made it."""
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"selector": {"app": "cart"}, "ports": [{"port": 8080}]},
        }
    )
    kube.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "cart-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "cart"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": True}}],
            "ports": [{"port": 8080}],
        }
    )


@pytest.fixture
def kube_cluster(realkube, shop):
    """A kubernetes-mode cluster on the local kube-apiserver, registered with add_cluster as deploy/target-rbac.yaml's
    identity and probed, where team shop may use namespace shop."""
    return realkube.cluster(shop)


@pytest.fixture
def emulated_kube_cluster(kube, kube_kubeconfig, shop):
    """A kubernetes-mode cluster on the emulator, for faults a real server cannot produce on demand; probed, where
    team shop may use namespace shop."""
    seed_cluster_addons(kube)
    return emulated_cluster(kube, kube_kubeconfig, shop, name="kind")


def emulated_cluster(kube, kubeconfig: dict, team, **fields) -> Cluster:
    """A kubernetes-mode cluster on the emulator where ``team`` may use namespace shop, probed, requests cleared."""
    cluster = Cluster(mode="kubernetes", **fields)
    cluster.set_kubeconfig(kubeconfig)
    cluster.save()
    TeamNamespace.objects.create(team=team, cluster=cluster, namespace="shop")
    probe.probe_cluster(cluster.pk)
    kube.clear_requests()
    cluster.refresh_from_db()
    return cluster


@pytest.fixture
def approve(submit, kube_cluster, pat):
    """Submit as alice on the local kube-apiserver's cluster and approve as pat."""
    from routes import services

    def _approve(name="cart", **kwargs):
        return services.approve_route(submit(name, on=kube_cluster, **kwargs), user=pat)

    return _approve


@pytest.fixture
def approve_on_emulator(submit, emulated_kube_cluster, pat):
    """Submit as alice on the emulated cluster and approve as pat."""
    from routes import services

    def _approve(name="cart", **kwargs):
        return services.approve_route(submit(name, on=emulated_kube_cluster, **kwargs), user=pat)

    return _approve


HTTP_ROUTE = ("gateway.networking.k8s.io/v1", "HTTPRoute")
GATEWAY = ("gateway.networking.k8s.io/v1", "Gateway")


def seed_gateway(realkube, *, name="public", namespace="gateway-system", address="203.0.113.9"):
    """A shared Gateway as a platform team runs it: an HTTPS listener for the shop's hosts whose certificate
    cert-manager's Gateway support issues (the annotation), programmed by its controller, with an address."""
    if namespace not in realkube.namespaces:
        realkube.add_namespace(namespace)
    gateway = realkube.create(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
            },
            "spec": {
                "gatewayClassName": "example",
                "listeners": [
                    {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}},
                    {
                        "name": "https",
                        "protocol": "HTTPS",
                        "port": 443,
                        "hostname": "*.shop.example.com",
                        "allowedRoutes": {"namespaces": {"from": "All"}},
                        "tls": {
                            "mode": "Terminate",
                            "certificateRefs": [{"kind": "Secret", "name": "shop-wildcard-tls"}],
                        },
                    },
                ],
            },
        }
    )
    realkube.set_gateway_status(name, namespace, address=address)
    return gateway


@pytest.fixture
def gateway_cluster(realkube, shop):
    """A kubernetes-mode cluster with Gateway API output, attached to Gateway gateway-system/public on the local
    kube-apiserver, probed, where team shop may use namespace shop."""
    seed_gateway(realkube)
    return realkube.cluster(
        shop, name="gw", output="gateway", gateway_name="public", gateway_namespace="gateway-system"
    )


@pytest.fixture
def approve_on_gateway(submit, gateway_cluster, pat):
    """Submit as alice on the Gateway API cluster and approve as pat."""
    from routes import services

    def _approve(name="cart", **kwargs):
        return services.approve_route(submit(name, on=gateway_cluster, **kwargs), user=pat)

    return _approve


def healthy_routes(approve, realkube, count: int) -> list:
    """``count`` routes r0, r1, ... applied, each on its own Service with a ready pod, its Ingress given an address
    and its Certificate made ready: what a sync then finds Healthy."""
    from routes import reconcile
    from tests.factories import Backend

    routes = []
    for i in range(count):
        realkube.serve(f"svc{i}")
        route = approve(
            f"r{i}", host=f"r{i}.shop.example.com", backend=Backend(service_name=f"svc{i}", service_port=8080)
        )
        reconcile.reconcile_route(route.pk)
        realkube.set_ingress_address(f"r{i}", "203.0.113.7")
        realkube.set_certificate_ready(f"r{i}-shop-example-com")
        routes.append(route)
    return routes
