import pytest

from routes import reconcile

pytestmark = pytest.mark.django_db


def test_probe_of_a_prepared_cluster(kube_cluster):
    assert kube_cluster.reachable and kube_cluster.server_version == "v1.37.0"
    assert kube_cluster.ingress_class_present and kube_cluster.cert_manager_present and kube_cluster.issuer_present
    assert kube_cluster.health_message == "All checks passed."


def test_probe_explains_a_missing_ingress_controller_and_cert_manager(kube, kube_cluster):
    kube.delete("networking.k8s.io/v1", "IngressClass", None, "nginx")
    kube.remove_api_group("cert-manager.io")
    kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "certificates.cert-manager.io")

    cluster = reconcile.probe_cluster(kube_cluster.pk)

    assert cluster.reachable and not cluster.ingress_class_present and not cluster.cert_manager_present
    assert 'IngressClass "nginx" is missing' in cluster.health_message
    assert "cert-manager is not installed" in cluster.health_message


def test_probe_of_an_unreachable_cluster(kube, kube_cluster):
    kube.refuse_connections()
    try:
        cluster = reconcile.probe_cluster(kube_cluster.pk)
    finally:
        kube.restore()

    assert cluster.reachable is False and "did not answer" in cluster.health_message


def test_probe_uses_the_kubeconfig_token(kube, kube_cluster):
    reconcile.probe_cluster(kube_cluster.pk)
    assert all(r.headers.get("Authorization", "").startswith("Bearer ") for r in kube.requests)
