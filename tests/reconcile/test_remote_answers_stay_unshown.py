"""What an API server answers is never shown for a cluster: its health message, its sync error, the API,
the clusters page and the logs name the HTTP status and its standard phrase only, for platform engineers too
(developers see a summary without even that). A cluster pointed at some internal HTTP service would otherwise
show that service's pages."""

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from clusters import probe
from routes import reconcile

pytestmark = pytest.mark.django_db

SECRET_PAGE = "INTERNAL-SECRET-PAGE: db_password=hunter2 " + "A" * 300


def shown_to(user, cluster) -> str:
    """Everything a developer can read about the cluster: its API representation and the clusters page."""
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    return api.get(f"/api/v1/clusters/{cluster.name}/").content.decode() + page.get("/clusters/").content.decode()


def test_a_probe_answered_with_some_page_shows_its_status_only(kube, emulated_kube_cluster, alice, pat, caplog):
    """On the emulator: it answers with any page on demand (a real API server answers with its own)."""
    kube_cluster = emulated_kube_cluster
    kube.fail_next(1, 404, body=SECRET_PAGE, path_contains="/version")

    with caplog.at_level(logging.DEBUG):
        cluster = probe.probe_cluster(kube_cluster.pk)

    assert cluster.reachable is False
    assert cluster.health_message == "The API server did not answer: GET /version: 404 Not Found"
    assert "404 Not Found" in shown_to(pat, cluster)
    assert "hunter2" not in shown_to(pat, cluster) + shown_to(alice, cluster) + caplog.text


def test_a_refused_sync_shows_the_status_not_the_servers_message(
    kube, emulated_kube_cluster, approve_on_emulator, alice, pat, caplog
):
    """On the emulator: the refusal carries a message the test chose, to look for it everywhere."""
    kube_cluster = emulated_kube_cluster
    reconcile.reconcile_route(approve_on_emulator().pk)
    kube.fail_next(
        1, 403, message="services is forbidden: hunter2 and other internals", methods=["GET"], path_contains="services"
    )

    with caplog.at_level(logging.DEBUG):
        reconcile.sync_cluster(kube_cluster.pk)

    kube_cluster.refresh_from_db()
    assert "GET /api/v1/services: 403 Forbidden" in kube_cluster.sync_error
    assert "403 Forbidden" in shown_to(pat, kube_cluster)
    assert "hunter2" not in shown_to(pat, kube_cluster) + shown_to(alice, kube_cluster) + caplog.text


def test_a_route_still_shows_why_the_api_server_refused_its_object(kube, emulated_kube_cluster, approve_on_emulator):
    """On the emulator: Portico validates every object before it applies it, so a real server never refuses one
    as invalid; the 422 is injected."""
    # The API server's Status message explains a refused object to the team that asked for it (permanent errors
    # mark the route Degraded with the API server's message, docs/architecture.md); it stays on that route.
    kube_cluster = emulated_kube_cluster
    route = approve_on_emulator()
    kube.fail_next(1, 422, methods=["PATCH"], message="spec.rules[0].host: Invalid value")

    reconcile.reconcile_route(route.pk)

    route.refresh_from_db()
    kube_cluster.refresh_from_db()
    applied = next(c for c in route.conditions if c["type"] == "Applied")
    assert (
        "422 Unprocessable Entity" in applied["message"] and "spec.rules[0].host: Invalid value" in applied["message"]
    )
    assert "Invalid value" not in kube_cluster.health_message + kube_cluster.sync_error
