"""Kubeconfigs, tokens and keys: encrypted at rest, and never in logs, audit events, error pages or the admin.
Audit events cannot be changed or deleted through the admin (the model refuses too:
tests/core/test_audit_is_append_only.py)."""

import base64
import datetime
import logging
import sys

import kubernetes
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import connection
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from clusters import probe
from clusters.kube import KubeClient, TransientKubeError
from clusters.models import Cluster
from core.models import AuditEvent
from routes import reconcile, services
from teams.models import TeamNamespace
from tests.reconcile.conftest import seed_cluster_addons

pytestmark = [pytest.mark.fault, pytest.mark.django_db]


def client_certificate() -> tuple[bytes, bytes]:
    """A client certificate and its key (PEM), which the client loads for every TLS connection."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portico-client")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


# Inline client credentials alongside the token, as a real kubeconfig often carries them.
CERT_PEM, KEY_PEM = client_certificate()
CERT_DATA, KEY_DATA = base64.b64encode(CERT_PEM).decode(), base64.b64encode(KEY_PEM).decode()
# A line from inside each PEM: found only if the decoded certificate or key leaked.
CERT_LINE, KEY_LINE = CERT_PEM.decode().splitlines()[1], KEY_PEM.decode().splitlines()[1]


@pytest.fixture
def secret_cluster(kube, shop):
    seed_cluster_addons(kube)
    config = kube.kubeconfig()
    config["users"][0]["user"].update({"client-certificate-data": CERT_DATA, "client-key-data": KEY_DATA})
    cluster = Cluster(name="kind", mode="kubernetes")
    cluster.set_kubeconfig(config)
    cluster.save()
    TeamNamespace.objects.create(team=shop, cluster=cluster, namespace="shop")
    probe.probe_cluster(cluster.pk)
    return cluster


def secrets_of(kube) -> list[str]:
    return [kube.token, CERT_DATA, KEY_DATA, CERT_LINE, KEY_LINE]


def test_the_kubeconfig_is_stored_encrypted(secret_cluster, kube):
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(c)::text FROM clusters_cluster c WHERE id = %s", [secret_cluster.pk])
        (row,) = cursor.fetchone()
    for secret in [*secrets_of(kube), kube.url, f"127.0.0.1:{kube.port}", "client-key-data"]:
        assert secret not in row
    assert Cluster.objects.get(pk=secret_cluster.pk).get_kubeconfig()["users"][0]["user"]["token"] == kube.token


def test_no_secret_is_logged_by_a_reconcile_or_a_failing_one(secret_cluster, submit, pat, kube, caplog):
    caplog.set_level(logging.DEBUG)  # everything, the kubernetes client's and urllib3's debug lines included
    route = services.approve_route(submit(on=secret_cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    reconcile.sync_cluster(secret_cluster.pk)
    kube.fail_next(1, 401)
    reconcile.reconcile_route(route.pk)
    kube.fail_next(50, 500)
    with pytest.raises(TransientKubeError):
        reconcile.reconcile_route(
            services.approve_route(submit("cart-api", on=secret_cluster, path="/api"), user=pat).pk
        )
    reconcile.sync_cluster(secret_cluster.pk)
    kube.refuse_connections()
    probe.probe_cluster(secret_cluster.pk)
    kube.restore()

    assert "route=" in caplog.text and "500" in caplog.text  # the logs were captured
    for secret in secrets_of(kube):
        assert secret not in caplog.text


def test_no_secret_reaches_an_audit_event(secret_cluster, submit, pat, alice, kube):
    route = services.approve_route(submit(on=secret_cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    services.request_deletion(route, user=alice)
    reconcile.reconcile_route(route.pk)

    events = " ".join(f"{e.before} {e.after} {e.object_repr}" for e in AuditEvent.objects.all())
    assert AuditEvent.objects.count() >= 3
    for secret in [*secrets_of(kube), kube.url]:
        assert secret not in events


@pytest.mark.parametrize("where", ["loading the kubeconfig", "sending a request"])
def test_the_error_report_of_a_failing_kube_call_shows_no_secret(secret_cluster, kube, settings, monkeypatch, where):
    """The report Django mails to ADMINS (and renders for a 500 with DEBUG on: there it shows every local,
    by design, which is one reason DEBUG stays off in production) lists each frame's local variables."""
    settings.DEBUG = False

    def boom(*args, **kwargs):
        raise RuntimeError("unexpected failure")

    if where == "loading the kubeconfig":
        monkeypatch.setattr(kubernetes.config.kube_config.KubeConfigLoader, "load_and_set", boom)
    else:
        monkeypatch.setattr(kubernetes.client.rest.RESTClientObject, "request", boom)
    request = RequestFactory().get("/clusters/kind/")
    page = ""
    try:
        with KubeClient.for_cluster(secret_cluster) as client:
            client.version()
    except RuntimeError:
        page = ExceptionReporter(request, *sys.exc_info(), is_email=True).get_traceback_html()
    assert "unexpected failure" in page and "boom" in page  # the report, with its frames
    for secret in secrets_of(kube):
        assert secret not in page


def test_the_cluster_admin_shows_no_kubeconfig(secret_cluster, kube, admin_client):
    page = admin_client.get(f"/admin/clusters/cluster/{secret_cluster.pk}/change/").content.decode()
    assert secret_cluster.name in page
    for secret in [*secrets_of(kube), secret_cluster.kubeconfig_encrypted]:
        assert secret not in page


def test_audit_events_cannot_be_changed_or_deleted_through_the_admin(approved_route, admin_client):
    event = AuditEvent.objects.first()
    before = AuditEvent.objects.count()

    change = admin_client.post(f"/admin/portal/auditevent/{event.pk}/change/", {"verb": "forged"})
    delete = admin_client.post(f"/admin/portal/auditevent/{event.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        "/admin/portal/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    add = admin_client.post("/admin/portal/auditevent/add/", {"verb": "forged"})

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert "delete_selected" not in admin_client.get("/admin/portal/auditevent/").content.decode()
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(verb="forged").exists()
