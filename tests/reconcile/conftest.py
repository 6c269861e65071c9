import pytest

from clusters.models import Cluster
from portal.models import TeamNamespace
from routes import reconcile

INGRESS = ("networking.k8s.io/v1", "Ingress")
SERVICE = ("v1", "Service")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")


def seed_cluster_addons(kube, *, ingress_class="nginx", issuer="letsencrypt"):
    """What a well-prepared cluster has: an ingress controller's IngressClass, cert-manager, a ClusterIssuer."""
    kube.create({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": ingress_class},
                 "spec": {"controller": "k8s.io/ingress-nginx"}})
    kube.create({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                 "metadata": {"name": "certificates.cert-manager.io"},
                 "spec": {"group": "cert-manager.io", "scope": "Namespaced",
                          "names": {"plural": "certificates", "kind": "Certificate"},
                          "versions": [{"name": "v1", "served": True, "storage": True}]}})
    kube.create({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": issuer},
                 "spec": {"acme": {}}})


@pytest.fixture
def kube_cluster(kube, kube_kubeconfig, shop):
    """A kubernetes-mode cluster pointing at the emulator, probed, where team shop may use namespace shop."""
    seed_cluster_addons(kube)
    cluster = Cluster(name="kind", mode="kubernetes")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()
    TeamNamespace.objects.create(team=shop, cluster=cluster, namespace="shop")
    reconcile.probe_cluster(cluster.pk)
    kube.clear_requests()
    cluster.refresh_from_db()
    return cluster


@pytest.fixture
def approve(submit, kube_cluster, pat):
    """Submit as alice on the emulated cluster and approve as pat."""
    from routes import services

    def _approve(name="cart", **kwargs):
        return services.approve_route(submit(name, on=kube_cluster, **kwargs), user=pat)

    return _approve
