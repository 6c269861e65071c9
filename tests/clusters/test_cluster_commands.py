"""Operator commands for cluster credentials: service-account kubeconfig, key rotation, server override."""

import base64
import json

import pytest
import yaml
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from clusters.kube import KubeClient
from clusters.kubeconfig import parse_kubeconfig
from clusters.models import Cluster

pytestmark = pytest.mark.django_db
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def admin_kubeconfig(kube, kube_kubeconfig, tmp_path):
    path = tmp_path / "admin.yaml"
    path.write_text(yaml.safe_dump(kube_kubeconfig))
    return path


def seed_token_secret(kube, token="sa-token-abc"):
    """The service account's token Secret, with the cluster's CA as Kubernetes puts it there."""
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": "portico-reconciler-token",
                "namespace": "portico-system",
                "annotations": {"kubernetes.io/service-account.name": "portico-reconciler"},
            },
            "data": {"token": b64(token), "ca.crt": kube.ca_data},
        }
    )


def test_service_account_kubeconfig_prints_an_inline_kubeconfig_portico_accepts(kube, admin_kubeconfig, capsys):
    seed_token_secret(kube)

    call_command(
        "service_account_kubeconfig",
        "--kubeconfig",
        str(admin_kubeconfig),
        "--server",
        "https://prod-eu.example.com:6443",
    )

    printed = yaml.safe_load(capsys.readouterr().out)
    parsed = parse_kubeconfig(printed)  # what add_cluster will accept
    assert parsed.server == "https://prod-eu.example.com:6443"
    assert printed["users"][0]["user"] == {"token": "sa-token-abc"}
    assert base64.b64decode(printed["clusters"][0]["cluster"]["certificate-authority-data"]).startswith(b"-----BEGIN")


def test_printed_kubeconfig_talks_to_the_cluster(kube, admin_kubeconfig, capsys):
    seed_token_secret(kube)
    call_command("service_account_kubeconfig", "--kubeconfig", str(admin_kubeconfig))
    printed = yaml.safe_load(capsys.readouterr().out)

    with KubeClient(printed) as client:
        assert client.version()
    assert kube.requests[-1].headers["Authorization"] == "Bearer sa-token-abc"


def test_service_account_kubeconfig_says_what_to_do_without_the_secret(kube, admin_kubeconfig):
    with pytest.raises(CommandError, match=r"Apply deploy/target-rbac\.yaml first"):
        call_command("service_account_kubeconfig", "--kubeconfig", str(admin_kubeconfig))


def test_rotate_kubeconfigs_reencrypts_with_the_newest_key(settings, kube_kubeconfig):
    settings.PORTICO_ENCRYPTION_KEYS = [OLD_KEY]
    cluster = Cluster(name="prod-eu")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()

    settings.PORTICO_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_kubeconfigs")

    with connection.cursor() as cursor:
        cursor.execute("SELECT kubeconfig_encrypted FROM clusters_cluster WHERE id = %s", [cluster.pk])
        raw = cursor.fetchone()[0]
    assert json.loads(Fernet(NEW_KEY.encode()).decrypt(raw.encode())) == Cluster.objects.get().get_kubeconfig()
    settings.PORTICO_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can go now
    assert (
        Cluster.objects.get().get_kubeconfig()["clusters"][0]["cluster"]["server"]
        == kube_kubeconfig["clusters"][0]["cluster"]["server"]
    )


def test_rotate_kubeconfigs_names_clusters_no_key_decrypts(settings, kube_kubeconfig):
    settings.PORTICO_ENCRYPTION_KEYS = [OLD_KEY]
    cluster = Cluster(name="lost")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()
    settings.PORTICO_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(CommandError, match="lost"):
        call_command("rotate_kubeconfigs")
    assert Cluster.objects.get().kubeconfig_encrypted == cluster.kubeconfig_encrypted


def test_add_cluster_server_overrides_the_kubeconfig_address(kube_kubeconfig, tmp_path):
    path = tmp_path / "k3s.yaml"
    path.write_text(yaml.safe_dump(kube_kubeconfig))

    call_command(
        "add_cluster", "k3s", "--kubeconfig", str(path), "--server", "https://k3s:6443", "--ingress-class", "traefik"
    )
    call_command("add_cluster", "k3s", "--kubeconfig", str(path), "--server", "https://k3s:6443")  # again: updates

    cluster = Cluster.objects.get(name="k3s")
    assert cluster.get_kubeconfig()["clusters"][0]["cluster"]["server"] == "https://k3s:6443"
    assert cluster.ingress_class == "traefik"
