"""A cluster without cert-manager (no certificates.cert-manager.io CRD) on the local kube-apiserver: the sync applies
and repairs everything else and each route using cert-manager says it is not installed, instead of the Certificate
list's 404 stopping the whole sync with a message about permissions."""

import time

import pytest
import yaml

from routes import reconcile
from routes.domain.values import TLS
from tests.realkube.helper import CRD_DIR
from tests.reconcile.conftest import CERTIFICATE, INGRESS

pytestmark = pytest.mark.django_db

CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "certificates.cert-manager.io")


def remove_cert_manager(realkube) -> None:
    realkube.delete(*CRD)
    for _ in range(200):  # the API server's CRD finalizer removes it a moment later
        if realkube.get(*CRD) is None:
            return
        time.sleep(0.05)
    raise AssertionError("the Certificate CRD was not removed")


def test_sync_without_cert_manager_applies_the_rest_and_says_it_is_not_installed(approve, realkube):
    realkube.serve("cart")
    route = approve()
    plain = approve("cart-plain", host="plain.shop.example.com", tls=TLS(mode="secret", secret_name="plain-tls"))
    remove_cert_manager(realkube)

    report = reconcile.sync_cluster(route.cluster_id)

    assert report.errors == [] and report.reconciled == 2
    assert realkube.get(*INGRESS, "shop", "cart") is not None
    assert realkube.get(*INGRESS, "shop", "cart-plain") is not None
    route.refresh_from_db()
    plain.refresh_from_db()
    assert route.cluster.sync_error == ""
    assert route.cluster.cert_manager_present is False
    certificate = next(d for d in route.diagnostics if d["step"] == "certificate")
    assert certificate["status"] == "fail" and "cert-manager is not installed" in certificate["detail"]
    assert route.health == "Degraded" and route.applied_revision == route.approved_revision
    assert "cert-manager" not in next(d for d in plain.diagnostics if d["step"] == "certificate")["detail"]
    assert realkube.refused() == []

    # Drift is still repaired on the next sync, which lists the Certificates again and finds no such type.
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})
    report = reconcile.sync_cluster(route.cluster_id)
    assert report.errors == [] and report.applied >= 1
    assert realkube.get(*INGRESS, "shop", "cart")["spec"]["ingressClassName"] == "nginx"


def test_installing_cert_manager_later_issues_the_missing_certificate(approve, realkube):
    route = approve()
    remove_cert_manager(realkube)
    reconcile.sync_cluster(route.cluster_id)
    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None

    crd = yaml.safe_load((CRD_DIR / "cert-manager.io_certificates.yaml").read_text())
    realkube.server.apply(crd)
    realkube.server._wait_served(crd, time.monotonic() + 60)
    reconcile.sync_cluster(route.cluster_id)

    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is not None
    route.refresh_from_db()
    assert route.cluster.cert_manager_present is True
