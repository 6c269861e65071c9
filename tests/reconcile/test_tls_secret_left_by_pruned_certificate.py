"""The TLS Secret a pruned Certificate leaves behind (issue 17, "Clusters as they really are"), on the local
kube-apiserver (tests/realkube) with RBAC on, as deploy/target-rbac.yaml's identity.

cert-manager does not run here; each test writes the Secret as cert-manager does (its certificate-name annotation).
With the opt-in deploy/target-rbac-tls-secrets.yaml the Secret is deleted with the Certificate and an audit event
says so; without it the Secret stays, nothing is refused, and an audit event tells the platform engineers. A Secret
that is not provably the Certificate's (no annotation, another Certificate's, re-created since it was read) is never
deleted.
"""

from pathlib import Path

import pytest

from clusters import kube
from core.models import AuditEvent
from routes import reconcile, services
from tests.factories import spec

pytestmark = pytest.mark.django_db

TLS_SECRETS_RBAC = Path(__file__).resolve().parents[2] / "deploy" / "target-rbac-tls-secrets.yaml"
SECRET = ("v1", "Secret")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")
CERT_NAME = "cart-shop-example-com"
SECRET_NAME = "cart-shop-example-com-tls"


def issued_secret(realkube, certificate_name=CERT_NAME, *, annotated=True) -> dict:
    """The Secret cert-manager writes for a Certificate (annotated with its name), as admin."""
    annotations = {"cert-manager.io/certificate-name": certificate_name} if annotated else {}
    return realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": SECRET_NAME, "namespace": "shop", "annotations": annotations},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
        }
    )


@pytest.fixture
def applied(approve, realkube):
    realkube.serve("cart", port=8080)
    route = approve()
    reconcile.reconcile_route(route.pk)
    assert realkube.get(*CERTIFICATE, "shop", CERT_NAME)["spec"]["secretName"] == SECRET_NAME
    return route


def delete_route(route, alice):
    services.request_deletion(route, user=alice)
    reconcile.reconcile_route(route.pk)


def test_the_secret_goes_with_its_certificate_where_the_opt_in_role_allows(applied, realkube, alice):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    issued_secret(realkube)

    delete_route(applied, alice)

    assert realkube.get(*CERTIFICATE, "shop", CERT_NAME) is None
    assert realkube.get(*SECRET, "shop", SECRET_NAME) is None
    event = AuditEvent.objects.get(verb="delete-tls-secret")
    assert event.actor_name == "system" and event.object_id == str(applied.pk)
    assert event.before["secret"] == f"shop/{SECRET_NAME}" and event.before["certificate"] == f"shop/{CERT_NAME}"
    assert realkube.refused() == []


def test_without_the_opt_in_role_the_secret_stays_and_platform_engineers_are_told(applied, realkube, alice):
    issued_secret(realkube)

    delete_route(applied, alice)

    assert realkube.get(*CERTIFICATE, "shop", CERT_NAME) is None
    assert realkube.get(*SECRET, "shop", SECRET_NAME) is not None
    event = AuditEvent.objects.get(verb="tls-secret-left")
    assert event.before["message"].startswith(
        f"TLS Secret shop/{SECRET_NAME} left behind by the pruned Certificate {CERT_NAME}; "
        "grant deploy/target-rbac-tls-secrets.yaml or delete it"
    )
    assert not AuditEvent.objects.filter(verb="delete-tls-secret").exists()
    assert realkube.refused() == []  # asked first (SelfSubjectAccessReview), never refused


@pytest.mark.parametrize("secret", ["not annotated", "another Certificate's"])
def test_a_secret_not_provably_the_certificate_s_is_never_touched(applied, realkube, alice, secret):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    if secret == "not annotated":
        issued_secret(realkube, annotated=False)
    else:
        issued_secret(realkube, "someone-elses-certificate")
    realkube.clear_requests()

    delete_route(applied, alice)

    assert realkube.get(*SECRET, "shop", SECRET_NAME) is not None
    assert not [r for r in realkube.writes() if "/secrets/" in r.path]
    assert not AuditEvent.objects.filter(verb__in=["delete-tls-secret", "tls-secret-left"]).exists()


def test_a_secret_re_created_between_read_and_delete_is_not_deleted(applied, realkube, alice, monkeypatch):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    old_uid = issued_secret(realkube)["metadata"]["uid"]
    real_get = kube.KubeClient.get
    replaced = []

    def get_then_replace(self, kind, name, namespace=None):
        found = real_get(self, kind, name, namespace)
        if kind is kube.SECRET and found is not None:
            replaced.append(name)
            realkube.delete("v1", "Secret", "shop", SECRET_NAME)  # someone re-creates it meanwhile
            issued_secret(realkube)
        return found

    monkeypatch.setattr(kube.KubeClient, "get", get_then_replace)

    delete_route(applied, alice)

    assert replaced == [SECRET_NAME]  # Portico read it, and it was replaced before the delete
    live = realkube.get(*SECRET, "shop", SECRET_NAME)
    assert live is not None and live["metadata"]["uid"] != old_uid
    assert not AuditEvent.objects.filter(verb="delete-tls-secret").exists()


def test_a_host_change_prunes_the_old_certificate_and_its_secret(applied, realkube, alice, pat):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    issued_secret(realkube)

    services.edit_route(applied, user=alice, spec=spec(host="basket.shop.example.com"))
    route = services.approve_route(applied, user=pat)
    reconcile.reconcile_route(route.pk)

    assert realkube.get(*CERTIFICATE, "shop", "basket-shop-example-com") is not None
    assert realkube.get(*CERTIFICATE, "shop", CERT_NAME) is None
    assert realkube.get(*SECRET, "shop", SECRET_NAME) is None


def test_a_sync_pruning_a_leftover_certificate_removes_its_secret(applied, realkube, kube_cluster):
    realkube.server.apply_rbac(TLS_SECRETS_RBAC.read_text())
    issued_secret(realkube)
    applied.__class__.objects.filter(pk=applied.pk).delete()  # the route is gone from the database: a leftover

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.errors == []
    assert realkube.get(*CERTIFICATE, "shop", CERT_NAME) is None
    assert realkube.get(*SECRET, "shop", SECRET_NAME) is None
    event = AuditEvent.objects.get(verb="delete-tls-secret")
    assert event.object_type == "cluster" and event.before["cluster"] == kube_cluster.name
