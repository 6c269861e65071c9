"""Two worker processes sync the same cluster at once, while edits are being reconciled: every repair is
applied once, no status update is lost, and the cluster ends exactly as the database says."""

import re
import time

import pytest
from django.db.models import F

from routes import reconcile, services
from routes.models import Route
from routes.tasks import sync_cluster
from tests.factories import spec
from tests.fault.conftest import applies_per_object, elapsed, serve_everything
from tests.reconcile.conftest import INGRESS
from tests.worker.conftest import log_messages, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

ROUTES = 60
SYNCS = 8


def _ingress_path(i: int) -> str:
    return f"/apis/networking.k8s.io/v1/namespaces/shop/ingresses/r{i}"


def test_concurrent_syncs_apply_each_repair_once_and_lose_no_status(
    clean_broker,
    start_worker,
    many_routes,
    alice,
    pat,
    kube,
    emulated_cluster,
    figures,
):
    routes = many_routes(ROUTES)
    reconcile.sync_cluster(emulated_cluster.pk)
    serve_everything(kube)
    reconcile.sync_cluster(emulated_cluster.pk)
    assert set(Route.objects.values_list("health", flat=True)) == {"Healthy"}
    clean_broker.flushall()  # the approvals' wake-up calls were served in-process above
    for i in range(20):  # deleted by hand
        kube.delete(*INGRESS, "shop", f"r{i}")
    for i in range(20, 40):  # edited by hand
        kube.patch_out_of_band(*INGRESS, "shop", f"r{i}", {"spec": {"ingressClassName": "traefik"}})
    edited = routes[40:50]  # edited in Portico: a new revision, approved while the syncs run
    for route in edited:
        services.edit_route(route, user=alice, spec=spec(host=route.host, path="/v2"))
    kube.clear_requests()
    workers = [start_worker("w1"), start_worker("w2")]

    fired = time.monotonic()
    for route in edited:
        services.approve_route(Route.objects.get(pk=route.pk), user=pat)
    for _ in range(SYNCS):
        sync_cluster.delay(emulated_cluster.pk)

    def converged():
        rows = Route.objects.filter(pk__in=[r.pk for r in routes])
        return (
            not rows.exclude(sync="Synced").exists()
            and rows.filter(applied_revision=2).count() == len(edited)
            and len(kube.list_objects(*INGRESS)) == ROUTES
            and all(i["spec"]["ingressClassName"] == "nginx" for i in kube.list_objects(*INGRESS))
        )

    wait_for(converged, timeout=60, interval=0.1)
    took = elapsed(fired)
    wait_for(
        lambda: (
            sum(
                1
                for w in workers
                for m in log_messages(w.log_text())
                if re.search(r"sync_cluster\[.*\] (succeeded|retry|raised)", m)
            )
            == SYNCS
        ),
        timeout=60,
    )

    applies = applies_per_object(kube)
    repaired = {_ingress_path(i) for i in range(40)} | {_ingress_path(i) for i in range(40, 50)}
    assert set(applies) == repaired  # only what drifted or changed was written...
    assert set(applies.values()) == {1}  # ...and each of those exactly once
    for i in range(40, 50):
        assert kube.get(*INGRESS, "shop", f"r{i}")["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/v2"
    syncs = [m for w in workers for m in log_messages(w.log_text()) if re.search(r"sync_cluster\[.*\] succeeded", m)]
    skipped = [m for m in syncs if "skipped (another worker is syncing it)" in m]
    assert len(syncs) == SYNCS and 1 <= len(skipped) < SYNCS
    assert all(w.log_text().count("ready.") == 1 for w in workers)

    serve_everything(kube)
    reconcile.sync_cluster(emulated_cluster.pk)
    rows = Route.objects.filter(pk__in=[r.pk for r in routes])
    assert {(r.sync, r.health) for r in rows} == {("Synced", "Healthy")}
    assert not rows.exclude(applied_revision=F("approved_revision")).exists()
    figures(
        routes=ROUTES,
        concurrent_syncs=SYNCS,
        syncs_skipped_by_the_lease=len(skipped),
        objects_repaired=len(repaired),
        applies_sent=sum(applies.values()),
        seconds_to_converge=took,
        requests_sent=len(kube.requests),
        workers=2,
        threads_per_worker=2,
    )
