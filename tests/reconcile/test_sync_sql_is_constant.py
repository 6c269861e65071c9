"""A cluster sync's database work does not grow with the number of its routes: the statuses it changes are written
in one UPDATE per batch, the health changes they announce in one INSERT of deliveries, and nothing is read again
route by route (bench/notes.md, "First apply" and "No-op sync"). Counted on the local kube-apiserver."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import NotificationDelivery, TeamWebhook
from routes import reconcile
from routes.models import HostClaim, Route
from routes.reconcile import memo as memos
from tests.notifications.conftest import addresses, make_webhook  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _sync_queries(cluster_id) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        report = reconcile.sync_cluster(cluster_id)
    assert not report.errors
    return [q["sql"] for q in queries]


def _approve_many(approve, start: int, count: int) -> list[Route]:
    return [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(start, start + count)]


def test_a_no_op_sync_costs_the_same_queries_for_two_routes_and_for_six(approve, realkube):
    realkube.serve("cart")
    routes = _approve_many(approve, 0, 2)
    cluster_id = routes[0].cluster_id
    for _ in range(2):  # applied, then the statuses settle
        reconcile.sync_cluster(cluster_id)
    few = _sync_queries(cluster_id)

    _approve_many(approve, 2, 4)
    for _ in range(2):
        reconcile.sync_cluster(cluster_id)
    many = _sync_queries(cluster_id)

    # Each route's stored reachability result is read with the routes, not fetched again one route at a time.
    assert len(many) == len(few), "\n".join(many)


def test_a_first_sync_writes_the_statuses_and_health_events_of_all_its_routes_at_once(
    approve, realkube, make_webhook, addresses
):
    """No pod serves these routes, so the first sync finds them all Degraded: each is announced to the team's webhook
    and members once, with the deliveries written in one INSERT and the statuses in one UPDATE."""
    make_webhook("https://hooks.example.com/portico")
    routes = _approve_many(approve, 0, 6)
    cluster_id = routes[0].cluster_id

    sql = _sync_queries(cluster_id)

    assert set(Route.objects.filter(cluster_id=cluster_id).values_list("health", flat=True)) == {"Degraded"}
    deliveries = NotificationDelivery.objects.filter(event="degraded")
    # One delivery per route to the webhook, and one per route to alice, the team's member with an address.
    assert sorted(deliveries.filter(webhook__isnull=False).values_list("route_id", flat=True)) == sorted(
        r.pk for r in routes
    )
    assert deliveries.filter(email="alice@example.com").count() == len(routes)
    table = NotificationDelivery._meta.db_table
    assert len([s for s in sql if s.startswith(f'INSERT INTO "{table}"')]) == 1
    status_writes = [s for s in sql if s.startswith(f'UPDATE "{Route._meta.db_table}" SET "sync"')]
    assert len(status_writes) == 1
    # The team's webhooks and members are read once for the six routes, not once per route.
    webhooks = f'FROM "{TeamWebhook._meta.db_table}"'
    assert len([s for s in sql if webhooks in s]) == 1


def _queries_judging_every_route(cluster_id, *, unclaimed: bool) -> list[str]:
    """Settle the cluster's routes, then sync once more with the worker's memo gone (a new worker process), so
    every route's status is judged again."""
    for _ in range(2):
        reconcile.sync_cluster(cluster_id)
    if unclaimed:
        HostClaim.objects.filter(route__cluster_id=cluster_id).delete()
        reconcile.sync_cluster(cluster_id)
    memos.forget(cluster_id)
    return _sync_queries(cluster_id)


@pytest.mark.parametrize("unclaimed", [False, True], ids=["claimed hosts", "unclaimed hosts"])
def test_a_sync_that_judges_every_route_again_costs_the_same_queries_for_two_routes_and_for_six(
    approve, realkube, unclaimed
):
    """The status columns the sync's query leaves out are loaded for all the judged routes in one query, and a host
    without a claim is known from the claims read at once, not asked again route by route."""
    realkube.serve("cart")
    routes = _approve_many(approve, 0, 2)
    cluster_id = routes[0].cluster_id
    few = _queries_judging_every_route(cluster_id, unclaimed=unclaimed)

    _approve_many(approve, 2, 4)
    many = _queries_judging_every_route(cluster_id, unclaimed=unclaimed)

    assert len(many) == len(few), "\n".join(many)
    assert Route.objects.filter(cluster_id=cluster_id, last_synced_at__isnull=False).count() == 6
