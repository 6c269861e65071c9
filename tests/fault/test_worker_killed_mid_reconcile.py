"""A worker killed with SIGKILL while reconciling 200 routes costs no route: after a restart all converge."""

import json
import re
import time

import pytest

from routes.models import Route
from tests.fault.conftest import applies_per_object, elapsed, serve_everything, settled, sweep, wait_or_explain
from tests.reconcile.conftest import CERTIFICATE, INGRESS
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

ROUTES = 200
# Production keeps Redis' visibility timeout at an hour (the beat sweep covers lost messages long before);
# here a message the killed worker had fetched but not acknowledged comes back after 3 s.
FAST_REDELIVERY = {
    "PORTICO_TEST_BROKER_TRANSPORT_OPTIONS": json.dumps(
        {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    )
}


def test_sigkilled_worker_loses_no_route_and_duplicates_no_object(
    clean_broker,
    start_worker,
    many_routes,
    kube,
    emulated_cluster,
    figures,
):
    routes = many_routes(ROUTES)  # 200 reconcile messages wait on the broker
    assert clean_broker.llen("celery") == ROUTES
    first = start_worker("w1", env=FAST_REDELIVERY)
    started = time.monotonic()
    wait_for(lambda: len(kube.list_objects(*INGRESS, "shop")) >= ROUTES // 4, timeout=60, interval=0.02)

    first.kill()
    on_cluster_at_kill = len(kube.list_objects(*INGRESS, "shop"))
    recorded_at_kill = Route.objects.filter(applied_revision=1).count()
    unacked_at_kill = clean_broker.hlen("unacked")
    assert on_cluster_at_kill < ROUTES and unacked_at_kill >= 1  # killed in the middle, holding messages

    restarted = time.monotonic()
    second = start_worker("w2", env=FAST_REDELIVERY)
    wait_or_explain(
        lambda: (
            Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1, sync="Synced").count() == ROUTES
        ),
        timeout=90,
        interval=0.2,
        routes=routes,
        workers=[first, second],
        broker=clean_broker,
    )
    converged = elapsed(restarted)
    serve_everything(kube)  # the ingress controller and cert-manager do their part
    sweep()
    wait_or_explain(
        lambda: settled(routes), timeout=60, interval=0.2, routes=routes, workers=[first, second], broker=clean_broker
    )

    ingresses = kube.list_objects(*INGRESS)
    certificates = kube.list_objects(*CERTIFICATE)
    assert sorted(i["metadata"]["name"] for i in ingresses) == sorted(f"r{i}" for i in range(ROUTES))
    assert sorted(i["metadata"]["labels"]["portico.dev/route"] for i in ingresses) == sorted(str(r.pk) for r in routes)
    assert len(certificates) == ROUTES
    assert set(Route.objects.filter(pk__in=[r.pk for r in routes]).values_list("health", flat=True)) == {"Healthy"}
    received = sum(
        len(re.findall(r"Task routes\.tasks\.reconcile_route\[.*\] received", w.log_text())) for w in (first, second)
    )
    applies = applies_per_object(kube)
    assert received >= ROUTES + 1  # the unacknowledged messages were delivered again
    assert max(applies.values()) <= 2  # at most the object in flight at the kill is applied twice
    figures(
        routes=ROUTES,
        killed_after_s=round(restarted - started, 2),
        ingresses_on_cluster_at_kill=on_cluster_at_kill,
        routes_recorded_applied_at_kill=recorded_at_kill,
        unacked_messages_at_kill=unacked_at_kill,
        messages_redelivered=received - ROUTES,
        seconds_to_converge_after_restart=converged,
        seconds_to_all_healthy_after_restart=elapsed(restarted),
        objects_applied_twice=sum(1 for n in applies.values() if n > 1),
        objects_on_cluster=len(ingresses) + len(certificates),
        requests_sent=len(kube.requests),
    )
