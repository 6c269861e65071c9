"""Redis is down while routes are submitted and approved: every request is accepted and stored, nothing is
lost, and the beat sweep reconciles them all once Redis is back (the database is the truth, the queue only
a wake-up call). On the local kube-apiserver (tests/realkube)."""

import time

import pytest
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routes import services
from routes.models import Route
from tests.factories import spec
from tests.fault.conftest import elapsed, host_of, serve_everything, settled, sweep
from tests.reconcile.conftest import INGRESS
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

THROUGH_SERVICES = 4
THROUGH_API = 4


def _api_available() -> bool:
    try:
        reverse("route-list")
        return True
    except NoReverseMatch:
        return False


def _api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_requests_made_while_redis_is_down_are_kept_and_reconciled_after_it_returns(
    own_redis,
    start_worker,
    alice,
    pat,
    shop,
    realkube,
    real_cluster,
    figures,
):
    worker = start_worker("w1", env={"CELERY_BROKER_URL": own_redis.url})
    own_redis.stop()
    down = time.monotonic()

    timings = []
    routes = []
    for i in range(THROUGH_SERVICES):
        t = time.monotonic()
        route = services.submit_route(
            user=alice, team=shop, cluster=real_cluster, namespace="shop", name=f"r{i}", spec=spec(host=host_of(i))
        )
        routes.append(services.approve_route(route, user=pat))
        timings.append(time.monotonic() - t)
    api_routes = 0
    if _api_available():
        for i in range(THROUGH_SERVICES, THROUGH_SERVICES + THROUGH_API):
            t = time.monotonic()
            body = {
                "name": f"r{i}",
                "team": "shop",
                "cluster": real_cluster.name,
                "namespace": "shop",
                "host": host_of(i),
                "path": "/",
                "path_type": "Prefix",
                "backend": {"service_name": "cart", "service_port": 8080},
                "tls": {"mode": "cert-manager"},
            }
            created = _api_client(alice).post("/api/v1/routes/", body, format="json")
            assert created.status_code == 201, created.content
            approved = _api_client(pat).post(
                f"/api/v1/routes/{created.json()['id']}/approve/", {"comment": "ok"}, format="json"
            )
            assert approved.status_code == 200, approved.content
            routes.append(Route.objects.get(pk=created.json()["id"]))
            timings.append(time.monotonic() - t)
            api_routes += 1

    stored = Route.objects.filter(pk__in=[r.pk for r in routes], approved_revision=1)
    assert stored.count() == len(routes)  # every request was accepted and kept
    assert realkube.list_objects(*INGRESS) == []  # and nothing could reach a worker
    outage = elapsed(down)

    own_redis.start()  # empty: the wake-up calls sent while it was down are gone for good
    back = time.monotonic()
    wait_for(lambda: "Connected to redis" in worker.log_text().split("Connection to broker lost")[-1], timeout=60)
    reconnected = elapsed(back)
    sweep()  # beat's next round
    wait_for(
        lambda: (
            Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1, sync="Synced").count()
            == len(routes)
        ),
        timeout=30,
    )
    converged = elapsed(back)
    serve_everything(realkube)
    sweep()
    wait_for(lambda: settled(routes), timeout=30)

    assert sorted(i["metadata"]["name"] for i in realkube.list_objects(*INGRESS)) == sorted(r.name for r in routes)
    figures(
        routes=len(routes),
        through_api=api_routes,
        redis_down_s=outage,
        slowest_submit_and_approve_while_down_s=round(max(timings), 2),
        worker_reconnected_after_s=reconnected,
        seconds_to_converge_after_redis_returned=converged,
    )
