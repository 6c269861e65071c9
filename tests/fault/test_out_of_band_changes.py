"""Someone edits or deletes what Portico manages, or an Ingress Portico does not manage claims one of our
hosts: a worker's next sync restores ours and reports the foreign one as a conflict, never touching it."""
import re

import pytest

from routes.models import Route
from tests.fault.conftest import CERTIFICATE, applies_per_object, elapsed, sweep
from tests.reconcile.conftest import INGRESS
from tests.worker.conftest import log_messages, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

FOREIGN = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "legacy-shop", "namespace": "legacy", "labels": {"app": "legacy"}},
           "spec": {"ingressClassName": "nginx", "rules": [{"host": "r0.shop.example.com", "http": {"paths": [
               {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "old", "port": {"number": 80}}}}]}}]}}


def test_a_single_sync_restores_our_objects_and_reports_the_foreign_ingress(
    clean_broker, start_worker, many_routes, kube, emulated_cluster, figures,
):
    import time

    foreign = kube.create(FOREIGN, manager="kubectl")
    worker = start_worker("w1")
    routes = many_routes(3)
    wait_for(lambda: Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1).count() == 3)
    kube.patch_out_of_band(*INGRESS, "shop", "r1", {"spec": {"rules": [{"host": "evil.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "evil", "port": {"number": 80}}}}]}}]}})
    kube.delete(*INGRESS, "shop", "r2")
    kube.delete(*CERTIFICATE, "shop", "r1-shop-example-com")
    kube.clear_requests()

    started = time.monotonic()
    sweep()
    wait_for(lambda: sum(1 for m in log_messages(worker.log_text())
                         if re.search(r"sync_cluster\[.*\] succeeded.*'kind: ", m)) == 1, timeout=30)
    restored_in = elapsed(started)

    assert kube.get(*INGRESS, "shop", "r1")["spec"]["rules"][0]["host"] == "r1.shop.example.com"
    assert kube.get(*INGRESS, "shop", "r2") is not None
    assert kube.get(*CERTIFICATE, "shop", "r1-shop-example-com") is not None
    assert sorted(applies_per_object(kube).values()) == [1, 1, 1]
    untouched = kube.get(*INGRESS, "legacy", "legacy-shop")
    assert (untouched["spec"], untouched["metadata"]["resourceVersion"]) == (
        foreign["spec"], foreign["metadata"]["resourceVersion"])
    assert not [q for q in kube.requests if "/namespaces/legacy/" in q.path or q.path.endswith("/legacy-shop")]
    r0 = Route.objects.get(pk=routes[0].pk)
    conflict = next(c for c in r0.conditions if c["type"] == "Conflict")
    assert conflict["status"] == "True" and "legacy/legacy-shop" in conflict["message"]
    assert r0.health == "Degraded"
    assert {c["type"]: c["status"] for c in Route.objects.get(pk=routes[1].pk).conditions}.get("Conflict") != "True"
    figures(objects_changed_out_of_band=3, syncs_to_restore=1, seconds_to_restore=restored_in,
            requests_sent_by_the_sync=len(kube.requests), writes=len(kube.writes()),
            requests_touching_the_foreign_ingress=0)
