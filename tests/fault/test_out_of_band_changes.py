"""Someone edits or deletes what Portico manages, or an Ingress Portico does not manage claims one of our
hosts: a worker's next sync restores ours and reports the foreign one as a conflict, never touching it.

On the local kube-apiserver (tests/realkube). The sync runs in a Celery worker process, whose requests the test's
request log does not see, so what was written is read from the objects themselves: every write changes an
object's resourceVersion."""

import re
import time

import pytest

from routes import services
from routes.models import Route
from tests.fault.conftest import CERTIFICATE, elapsed, host_of, sweep
from tests.reconcile.conftest import INGRESS
from tests.worker.conftest import log_messages, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

FOREIGN = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "legacy-shop", "namespace": "legacy", "labels": {"app": "legacy"}},
    "spec": {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": "r0.shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "old", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    },
}


def versions(realkube) -> dict[str, str]:
    """resourceVersion of every Ingress and Certificate on the server, by namespace/kind/name."""
    return {
        f"{o['metadata']['namespace']}/{o['kind']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
        for kind in (INGRESS, CERTIFICATE)
        for o in realkube.list_objects(*kind)
    }


def syncs_done(worker) -> int:
    return sum(1 for m in log_messages(worker.log_text()) if re.search(r"sync_cluster\[.*\] succeeded.*'real: ", m))


def test_a_single_sync_restores_our_objects_and_reports_the_foreign_ingress(
    clean_broker,
    start_worker,
    realkube,
    shop,
    submit,
    pat,
    figures,
):
    realkube.serve("cart", port=8080)
    cluster = realkube.cluster(shop)
    realkube.add_namespace("legacy")
    foreign = realkube.create(FOREIGN, manager="kubectl")
    worker = start_worker("w1")
    routes = [services.approve_route(submit(f"r{i}", on=cluster, host=host_of(i)), user=pat) for i in range(3)]
    wait_for(lambda: Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1).count() == 3)
    realkube.patch_out_of_band(
        *INGRESS,
        "shop",
        "r1",
        {
            "spec": {
                "rules": [
                    {
                        "host": "evil.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "evil", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            }
        },
    )
    realkube.delete(*INGRESS, "shop", "r2")
    realkube.delete(*CERTIFICATE, "shop", "r1-shop-example-com")
    before = versions(realkube)

    started = time.monotonic()
    sweep()
    wait_for(lambda: syncs_done(worker) == 1, timeout=30)
    restored_in = elapsed(started)

    assert realkube.get(*INGRESS, "shop", "r1")["spec"]["rules"][0]["host"] == "r1.shop.example.com"
    assert realkube.get(*INGRESS, "shop", "r2") is not None
    assert realkube.get(*CERTIFICATE, "shop", "r1-shop-example-com") is not None
    after = versions(realkube)
    written = sorted(key for key in after if before.get(key) != after[key])
    assert written == ["shop/Certificate/r1-shop-example-com", "shop/Ingress/r1", "shop/Ingress/r2"]
    untouched = realkube.get(*INGRESS, "legacy", "legacy-shop")
    assert (untouched["spec"], untouched["metadata"]["resourceVersion"]) == (
        foreign["spec"],
        foreign["metadata"]["resourceVersion"],
    )
    r0 = Route.objects.get(pk=routes[0].pk)
    conflict = next(c for c in r0.conditions if c["type"] == "Conflict")
    assert conflict["status"] == "True" and "legacy/legacy-shop" in conflict["message"]
    assert r0.health == "Degraded"
    assert {c["type"]: c["status"] for c in Route.objects.get(pk=routes[1].pk).conditions}.get("Conflict") != "True"

    sweep()  # restored once: the next sync writes nothing
    wait_for(lambda: syncs_done(worker) == 2, timeout=30)
    assert versions(realkube) == after
    figures(
        objects_changed_out_of_band=3,
        syncs_to_restore=1,
        seconds_to_restore=restored_in,
        objects_written_by_the_sync=len(written),
        objects_written_by_the_next_sync=0,
        writes_to_the_foreign_ingress=0,
    )
