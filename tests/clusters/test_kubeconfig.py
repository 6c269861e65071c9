"""Kubeconfigs: inline credentials only, encrypted at rest, never shown back."""

import pytest
import yaml

from clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from clusters.models import Cluster


def kubeconfig(cluster=None, user=None):
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "prod",
            "contexts": [{"name": "prod", "context": {"cluster": "c", "user": "u"}}],
            "clusters": [
                {
                    "name": "c",
                    "cluster": cluster or {"server": "https://k8s.example.com", "certificate-authority-data": "Q0E="},
                }
            ],
            "users": [{"name": "u", "user": user or {"token": "s3cr3t-token"}}],
        }
    )


@pytest.mark.parametrize(
    ("user", "words"),
    [
        ({"exec": {"command": "aws"}}, '"exec", which runs a program'),
        ({"auth-provider": {"name": "gcp"}}, '"auth-provider", which runs a program'),
        ({"tokenFile": "/var/run/token"}, 'refers to a file with "tokenFile"'),
        ({"client-key": "/root/key.pem"}, 'refers to a file with "client-key"'),
        ({"client-certificate": "/root/cert.pem"}, 'refers to a file with "client-certificate"'),
    ],
)
def test_commands_and_file_references_are_refused(user, words):
    with pytest.raises(KubeconfigError, match=words):
        parse_kubeconfig(kubeconfig(user=user))


def test_certificate_authority_file_is_refused():
    with pytest.raises(KubeconfigError, match='"certificate-authority"'):
        parse_kubeconfig(kubeconfig(cluster={"server": "https://x", "certificate-authority": "/etc/ca.pem"}))


def test_insecure_skip_tls_verify_needs_the_explicit_flag():
    text = kubeconfig(cluster={"server": "https://x", "insecure-skip-tls-verify": True})
    with pytest.raises(KubeconfigError, match="skips TLS verification"):
        parse_kubeconfig(text)
    assert parse_kubeconfig(text, allow_insecure=True).insecure_skip_tls_verify


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("clusters: [unclosed", "not valid YAML"),
        ("- a list", "must be a YAML mapping"),
        ("{}", "no contexts"),
    ],
)
def test_malformed_kubeconfigs_say_what_is_wrong(text, words):
    with pytest.raises(KubeconfigError, match=words):
        parse_kubeconfig(text)


def test_unknown_context_lists_the_known_ones():
    with pytest.raises(KubeconfigError, match=r'Context "staging" is not in the kubeconfig \(it has: prod\)'):
        parse_kubeconfig(kubeconfig(), "staging")


@pytest.mark.django_db
def test_kubeconfig_is_encrypted_at_rest():
    cluster = Cluster(name="prod", mode="kubernetes")
    cluster.set_kubeconfig(kubeconfig())
    cluster.save()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT kubeconfig_encrypted FROM clusters_cluster WHERE id = %s", [cluster.pk])
        raw = cursor.fetchone()[0]
    assert "s3cr3t-token" not in raw and "k8s.example.com" not in raw
    assert Cluster.objects.get(pk=cluster.pk).get_kubeconfig()["users"][0]["user"]["token"] == "s3cr3t-token"


@pytest.mark.django_db
def test_rotated_keys_still_decrypt_and_rotate_to_the_newest(settings):
    from core import crypto

    old = crypto.encrypt("secret")
    settings.PORTICO_ENCRYPTION_KEYS = ["a-brand-new-passphrase", *settings.PORTICO_ENCRYPTION_KEYS]
    assert crypto.decrypt(old) == "secret"
    rotated = crypto.rotate(old)
    settings.PORTICO_ENCRYPTION_KEYS = ["a-brand-new-passphrase"]
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old)


@pytest.mark.django_db
def test_cluster_admin_never_shows_the_kubeconfig(client):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", password="x")
    client.force_login(admin)
    cluster = Cluster(name="prod", mode="kubernetes")
    cluster.set_kubeconfig(kubeconfig())
    cluster.save()

    page = client.get(f"/admin/clusters/cluster/{cluster.pk}/change/").content.decode()

    assert "s3cr3t-token" not in page and cluster.kubeconfig_encrypted not in page


@pytest.mark.django_db
def test_cluster_admin_reports_a_bad_kubeconfig_on_the_field(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", password="x"))
    response = client.post(
        "/admin/clusters/cluster/add/",
        {
            "name": "prod",
            "mode": "kubernetes",
            "ingress_class": "nginx",
            "default_issuer": "le",
            "output": "ingress",
            "kubeconfig": kubeconfig(user={"exec": {"command": "aws"}}),
        },
    )

    assert response.status_code == 200
    assert "runs a program on the Portico worker" in response.content.decode()
    assert not Cluster.objects.exists()
