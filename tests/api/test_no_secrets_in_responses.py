"""Kubeconfigs, tokens and keys never leave the server: not in any API response, error bodies included, and not
in the audit trail the API writes. Checked on the raw response bytes."""

import base64
import json

import pytest

from clusters.models import Cluster
from core.models import AuditEvent

from .conftest import url

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXNlcnZpY2UtYWNjb3VudC10b2tlbg.SIGNATURE-0123456789"
KEY = base64.b64encode(
    b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPRIVATEKEYMATERIAL\n-----END EC PRIVATE KEY-----\n"
).decode()
CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBCLIENTCERTIFICATE\n-----END CERTIFICATE-----\n").decode()
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBCERTIFICATEAUTHORITY\n-----END CERTIFICATE-----\n").decode()
PASSWORD = "hunter2-basic-auth-password"


def kubeconfig(server="https://kube.example.com:6443", user_extra=None) -> str:
    user = {
        "token": TOKEN,
        "client-key-data": KEY,
        "client-certificate-data": CERT,
        "password": PASSWORD,
        "username": "admin",
        **(user_extra or {}),
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "prod",
            "clusters": [{"name": "prod", "cluster": {"server": server, "certificate-authority-data": CA}}],
            "users": [{"name": "admin", "user": user}],
            "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "admin"}}],
        }
    )


SECRETS = [TOKEN, KEY, CERT, CA, PASSWORD, "SIGNATURE-0123456789", "PRIVATEKEYMATERIAL"]


def assert_no_secrets(content: bytes, cluster: Cluster | None = None):
    text = content.decode("utf-8", "replace")
    for secret in SECRETS + ([cluster.kubeconfig_encrypted] if cluster is not None else []):
        assert secret not in text
    assert "kubeconfig_encrypted" not in text


@pytest.fixture
def client(api, pat, no_throttle):
    return api(pat)


@pytest.fixture
def kube_cluster(client):
    response = client.post("/api/v1/clusters/", {"name": "prod-us", "kubeconfig": kubeconfig()}, format="json")
    assert response.status_code == 201, response.content
    assert_no_secrets(response.content)
    cluster = Cluster.objects.get(name="prod-us")
    assert cluster.get_kubeconfig()["users"][0]["user"]["token"] == TOKEN
    return cluster


def test_cluster_reads_show_that_credentials_exist_but_not_what_they_are(client, kube_cluster, cluster):
    detail = client.get("/api/v1/clusters/prod-us/")
    listing = client.get("/api/v1/clusters/")

    assert detail.json()["has_credentials"] is True
    assert "kubeconfig" not in detail.json()
    for response in (detail, listing):
        assert response.status_code == 200
        assert_no_secrets(response.content, kube_cluster)


def test_cluster_writes_and_their_errors_never_echo_credentials(client, kube_cluster):
    responses = [
        client.patch("/api/v1/clusters/prod-us/", {"display_name": "US", "kubeconfig": kubeconfig()}, format="json"),
        client.patch("/api/v1/clusters/prod-us/", {"kubeconfig": kubeconfig(server="ftp://nowhere")}, format="json"),
        client.patch(
            "/api/v1/clusters/prod-us/",
            {"kubeconfig": kubeconfig(user_extra={"exec": {"command": TOKEN}})},
            format="json",
        ),
        client.patch(
            "/api/v1/clusters/prod-us/", {"kubeconfig": f"users:\n- user:\n    token: {TOKEN}: [\n"}, format="json"
        ),
        client.patch("/api/v1/clusters/prod-us/", {"kubeconfig": kubeconfig(), "name": "renamed"}, format="json"),
        client.post("/api/v1/clusters/", {"name": "prod-us", "kubeconfig": kubeconfig()}, format="json"),
        client.post("/api/v1/clusters/", {"name": "Bad Name", "kubeconfig": kubeconfig()}, format="json"),
        client.post("/api/v1/clusters/", {"name": "x", "kubeconfig": kubeconfig(), "token": TOKEN}, format="json"),
        client.delete("/api/v1/clusters/prod-us/"),
    ]

    assert [r.status_code for r in responses] == [200, 400, 400, 400, 400, 409, 400, 400, 204]
    for response in responses:
        assert_no_secrets(response.content, kube_cluster)


def test_yaml_errors_give_the_position_without_quoting_the_line(client, kube_cluster):
    response = client.patch(
        "/api/v1/clusters/prod-us/", {"kubeconfig": f"users:\n- user:\n    token: {TOKEN}: [\n"}, format="json"
    )

    assert response.json() == {"kubeconfig": ["The kubeconfig is not valid YAML (line 3, column 92)."]}


def test_route_endpoints_on_a_cluster_with_credentials_never_show_them(client, kube_cluster, shop, submit, quinn):
    kube_cluster.team_namespaces.create(team=shop, namespace="shop")
    route = submit(on=kube_cluster, user=quinn)
    paths = [
        url(),
        url(route),
        url(route, "manifests") + "?revision=1",
        url(route, "diff"),
        url(route, "status"),
        url(route, "history"),
        "/api/v1/teams/",
        "/api/v1/host-claims/",
        "/api/schema/",
    ]

    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_secrets(response.content, kube_cluster)


def test_the_audit_trail_records_cluster_changes_without_credentials(client, kube_cluster):
    client.patch("/api/v1/clusters/prod-us/", {"kubeconfig": kubeconfig()}, format="json")

    events = AuditEvent.objects.filter(object_type="cluster")
    assert [e.verb for e in events.order_by("id")] == ["create", "edit"]
    for event in events:
        assert_no_secrets(json.dumps([event.before, event.after]).encode(), kube_cluster)
