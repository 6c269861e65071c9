"""What the portal shows beyond a team's own routes: /metrics needs its token unless DEBUG is on, and developers
never see server folders or raw probe and sync messages, which can quote whatever an API server answered
(docs/security.md, "What developers see")."""

import pytest
from django.test import Client
from django.utils import timezone

from clusters.models import Cluster

pytestmark = pytest.mark.django_db

RAW_PROBE = "The API server did not answer: GET /version: 404 INTERNAL-SECRET-PAGE: db_password=hunter2"
RAW_SYNC = "The last sync was refused by the API server: 403 forbidden: user system:serviceaccount:ops:leaky-name."
SUMMARY_PROBE = "Portico could not reach the API server at the last probe; platform engineers have the details."
SUMMARY_SYNC = "The last sync was refused by the cluster; platform engineers have the details."


# /metrics


@pytest.mark.parametrize("role", ["anonymous", "developer", "platform"])
def test_metrics_without_a_configured_token_answer_403_to_everyone(settings, alice, pat, role):
    settings.DEBUG, settings.PORTICO_METRICS_TOKEN = False, ""
    client = Client()
    if role != "anonymous":
        client.force_login({"developer": alice, "platform": pat}[role])

    response = client.get("/metrics")

    assert response.status_code == 403
    assert response.content.decode() == (
        "Metrics are closed: set PORTICO_METRICS_TOKEN, then scrape with Authorization: Bearer <token>.\n"
    )
    assert "portico_" not in response.content.decode()


def test_metrics_need_the_token_whenever_one_is_configured(settings, client):
    settings.PORTICO_METRICS_TOKEN = "scrape-me"
    for debug in (False, True):
        settings.DEBUG = debug
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


def test_metrics_are_open_for_make_run_only(settings, client):
    settings.DEBUG, settings.PORTICO_METRICS_TOKEN = True, ""
    response = client.get("/metrics")
    assert response.status_code == 200 and "portico_reviews_pending" in response.content.decode()


# Clusters: the API and the page


@pytest.fixture
def troubled(cluster):
    """A kubernetes cluster whose last probe and sync quote the server; and `cluster`, a directory one."""
    cluster.directory = "prod-eu-gitops"
    cluster.save()
    return Cluster.objects.create(
        name="edge",
        mode="kubernetes",
        reachable=False,
        checked_at=timezone.now(),
        health_message=RAW_PROBE,
        sync_error=RAW_SYNC,
    )


def api_clusters(api, user):
    response = api(user).get("/api/v1/clusters/")
    assert response.status_code == 200
    return response.status_code, {c["name"]: c for c in response.json()["results"]}


@pytest.mark.parametrize("role", ["owner", "other_team"])
def test_api_gives_developers_a_summary_and_no_folder(api, troubled, settings, alice, bob, role):
    status, clusters = api_clusters(api, {"owner": alice, "other_team": bob}[role])

    assert status == 200
    assert clusters["prod-eu"]["directory"] == ""
    assert clusters["edge"]["health"]["message"] == SUMMARY_PROBE
    assert clusters["edge"]["health"]["sync_error"] == SUMMARY_SYNC
    assert clusters["edge"]["health"]["reachable"] is False and clusters["edge"]["health"]["healthy"] is False
    detail = api({"owner": alice, "other_team": bob}[role]).get("/api/v1/clusters/edge/").json()
    assert detail["health"]["message"] == SUMMARY_PROBE
    everything = str(clusters) + str(detail)
    assert "hunter2" not in everything and "leaky-name" not in everything and "gitops" not in everything


def test_api_gives_platform_engineers_the_raw_messages_and_the_folder(api, troubled, pat):
    status, clusters = api_clusters(api, pat)

    assert status == 200
    assert clusters["prod-eu"]["directory"] == "prod-eu-gitops"
    assert clusters["edge"]["health"]["message"] == RAW_PROBE
    assert clusters["edge"]["health"]["sync_error"] == RAW_SYNC


def test_api_clusters_need_a_sign_in(api, troubled):
    assert api(None).get("/api/v1/clusters/").status_code == 401


def test_a_reachable_cluster_summary_names_the_failed_checks_only(api, troubled, alice):
    Cluster.objects.filter(name="edge").update(
        reachable=True,
        ingress_class_present=False,
        cert_manager_present=True,
        issuer_present=False,
        health_message='IngressClass "nginx" is missing: … raw',
        sync_error="",
    )

    edge = api(alice).get("/api/v1/clusters/edge/").json()

    assert edge["health"]["message"] == 'IngressClass "nginx" is missing. ClusterIssuer "letsencrypt" does not exist.'
    assert edge["health"]["sync_error"] == ""


@pytest.mark.parametrize("role", ["owner", "other_team"])
def test_clusters_page_gives_developers_a_summary_and_no_folder(login, troubled, settings, alice, bob, role):
    html = login({"owner": alice, "other_team": bob}[role]).get("/clusters/").content.decode()

    assert SUMMARY_PROBE in html and SUMMARY_SYNC in html
    assert "hunter2" not in html and "leaky-name" not in html
    assert "prod-eu-gitops" not in html and str(settings.PORTICO_DIRECTORY_ROOT) not in html
    assert "Portico writes the manifests to a folder for Argo CD or Flux to apply." in html


def test_clusters_page_gives_platform_engineers_the_raw_messages_and_the_folder(login, troubled, settings, pat):
    html = login(pat).get("/clusters/").content.decode()

    assert "INTERNAL-SECRET-PAGE: db_password=hunter2" in html and "leaky-name" in html
    assert f"<code>{settings.PORTICO_DIRECTORY_ROOT}/prod-eu-gitops</code>" in html


def test_clusters_page_needs_a_sign_in(client, troubled):
    response = client.get("/clusters/")
    assert response.status_code == 302 and "/login/" in response["Location"]
