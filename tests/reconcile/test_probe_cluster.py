"""probe_cluster against the local kube-apiserver (tests/realkube), as deploy/target-rbac.yaml's identity."""

import time

import pytest

from clusters import probe

pytestmark = pytest.mark.django_db


def test_probe_of_a_prepared_cluster(kube_cluster):
    assert kube_cluster.reachable and kube_cluster.server_version == "v1.37.2"
    assert kube_cluster.ingress_class_present and kube_cluster.cert_manager_present and kube_cluster.issuer_present
    assert kube_cluster.health_message == "All checks passed."


def test_probe_explains_a_missing_ingress_controller_and_cert_manager(realkube, kube_cluster):
    realkube.delete("networking.k8s.io/v1", "IngressClass", None, "nginx")
    crd = ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "certificates.cert-manager.io")
    realkube.delete(*crd)
    for _ in range(200):  # the API server's CRD finalizer removes it (and every Certificate) a moment later
        if realkube.get(*crd) is None:
            break
        time.sleep(0.05)

    cluster = probe.probe_cluster(kube_cluster.pk)

    assert cluster.reachable and not cluster.ingress_class_present and not cluster.cert_manager_present
    assert 'IngressClass "nginx" is missing' in cluster.health_message
    assert "cert-manager is not installed" in cluster.health_message


def test_probe_of_an_unreachable_cluster(kube, emulated_kube_cluster):
    """On the emulator: it refuses connections on demand and serves again at the same address."""
    kube.refuse_connections()
    try:
        cluster = probe.probe_cluster(emulated_kube_cluster.pk)
    finally:
        kube.restore()

    assert cluster.reachable is False and "did not answer" in cluster.health_message


def test_probe_with_a_token_the_api_server_does_not_know_says_it_was_refused(realkube, shop):
    cluster = realkube.cluster(shop, token="not-a-token-the-server-knows")

    assert cluster.reachable is False and "401" in cluster.health_message
