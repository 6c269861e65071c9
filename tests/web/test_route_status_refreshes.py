"""A settled route's status keeps refreshing slowly on a live cluster, so a scheduled reachability check's result
(which can turn its health) shows without a reload; nothing polls for a GitOps export or a deleted route."""

import pytest

from clusters.models import Cluster
from routes.models import Route

pytestmark = pytest.mark.django_db

FAST = 'hx-trigger="every 2s"'
SLOW = 'hx-trigger="every 60s"'


def settled(route, *, mode="kubernetes", reachability=None):
    Cluster.objects.filter(pk=route.cluster_id).update(mode=mode)
    Route.objects.filter(pk=route.pk).update(
        applied_revision=route.approved_revision,
        sync="Synced",
        health="Healthy",
        reachability=reachability if reachability is not None else {"state": "ok", "summary": "answers", "hops": []},
    )
    return Route.objects.get(pk=route.pk)


def test_settled_route_on_a_live_cluster_refreshes_slowly_and_shows_a_new_result(
    login, alice, approved_route, htmx_headers
):
    route = settled(approved_route)
    client = login(alice)

    fragment = client.get(route.get_absolute_url(), **htmx_headers).content.decode()
    assert SLOW in fragment and FAST not in fragment

    failed = {"state": "fail", "summary": "No HTTP answer from cart.shop.example.com", "hops": [], "checked_at": ""}
    Route.objects.filter(pk=route.pk).update(reachability=failed, health="Degraded")
    again = client.get(route.get_absolute_url(), **htmx_headers).content.decode()
    assert "Degraded" in again and SLOW in again


def test_gitops_export_does_not_refresh(login, alice, approved_route, htmx_headers):
    route = settled(approved_route, mode="directory")

    fragment = login(alice).get(route.get_absolute_url(), **htmx_headers).content.decode()

    assert "hx-trigger" not in fragment


def test_no_refresh_when_scheduled_checks_are_off(login, alice, approved_route, htmx_headers, settings):
    settings.PORTICO_REACHABILITY_INTERVAL = 0
    route = settled(approved_route)

    assert "hx-trigger" not in login(alice).get(route.get_absolute_url(), **htmx_headers).content.decode()
