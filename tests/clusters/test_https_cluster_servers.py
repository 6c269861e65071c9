"""A cluster's credentials go with every request to its API server, so its address must be https://: a plain
http:// server is refused in the API, the admin and add_cluster alike, with the same message."""

import pytest
import yaml
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from clusters.models import Cluster

pytestmark = pytest.mark.django_db

PLAIN_HTTP = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "c",
    "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:18080/internal-admin"}}],
    "users": [{"name": "u", "user": {"token": "SUPERSECRET-TOKEN-abc123"}}],
    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
}


@pytest.fixture
def rule() -> str:
    with pytest.raises(KubeconfigError) as refused:
        parse_kubeconfig(PLAIN_HTTP)
    return str(refused.value)


def test_the_rule_says_why(rule):
    assert "https://" in rule and "never over plain HTTP" in rule


def test_the_api_refuses_a_plain_http_server(pat, rule):
    client = APIClient()
    client.force_authenticate(pat)

    response = client.post(
        "/api/v1/clusters/",
        {"name": "sec-ssrf", "mode": "kubernetes", "kubeconfig": yaml.safe_dump(PLAIN_HTTP)},
        format="json",
    )

    assert response.status_code == 400 and response.json() == {"kubeconfig": [rule]}
    assert not Cluster.objects.filter(name="sec-ssrf").exists()


def test_the_admin_refuses_a_plain_http_server(admin_client_as, pat, rule):
    response = admin_client_as(pat).post(
        "/admin/clusters/cluster/add/",
        {
            "name": "sec-ssrf",
            "mode": "kubernetes",
            "context": "",
            "directory": "",
            "ingress_class": "nginx",
            "default_issuer": "letsencrypt",
            "output": "ingress",
            "gateway_name": "",
            "gateway_namespace": "",
            "gateway_section_name": "",
            "kubeconfig": yaml.safe_dump(PLAIN_HTTP),
        },
    )

    assert response.status_code == 200 and response.context["adminform"].form.errors == {"kubeconfig": [rule]}
    assert not Cluster.objects.exists()


def test_add_cluster_refuses_a_plain_http_server_and_an_http_override(tmp_path, rule, kube_kubeconfig):
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(PLAIN_HTTP))
    secure = tmp_path / "secure.yaml"
    secure.write_text(yaml.safe_dump(kube_kubeconfig))

    with pytest.raises(CommandError) as direct:
        call_command("add_cluster", "sec-ssrf", "--kubeconfig", str(plain))
    with pytest.raises(CommandError) as override:
        call_command("add_cluster", "sec-ssrf", "--kubeconfig", str(secure), "--server", "http://k3s:6443")

    assert str(direct.value) == str(override.value) == f"kubeconfig: {rule}"
    assert not Cluster.objects.exists()
