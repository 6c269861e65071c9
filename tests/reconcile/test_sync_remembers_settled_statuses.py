"""A worker does not work out again the status of a route whose diagnostics' input is the same as when it last
found the stored status to be their answer (routes/reconcile/memo.py), nor decode a revision's spec twice; every
change still shows: an object that changed on the cluster, a status another writer stored, a reachability check,
a Progressing route and, after a while, the clock. On the local kube-apiserver."""

import pytest

from routes import progress, reconcile
from routes.choices import HealthChoices
from routes.models import Route, RouteRevision
from routes.reconcile import memo as memos
from routes.reconcile import status as status_module
from tests.reconcile.conftest import INGRESS, healthy_routes

pytestmark = pytest.mark.django_db

SLICE = ("discovery.k8s.io/v1", "EndpointSlice")


@pytest.fixture
def evaluated(monkeypatch):
    """The hosts whose status a sync's refresh works out (calls the diagnostics for)."""
    hosts: list[str] = []
    evaluate = status_module.evaluate

    def spy(observed, **kwargs):
        hosts.append(observed.host)
        return evaluate(observed, **kwargs)

    monkeypatch.setattr(status_module, "evaluate", spy)
    return hosts


@pytest.fixture
def settled(approve, realkube):
    """Three applied routes, each on a Service with a ready pod, and two syncs run: the second found every stored
    status to be the diagnostics' answer."""
    routes = healthy_routes(approve, realkube, 3)
    cluster_id = routes[0].cluster_id
    reconcile.sync_cluster(cluster_id)
    reconcile.sync_cluster(cluster_id)
    assert set(Route.objects.values_list("health", flat=True)) == {HealthChoices.HEALTHY}
    return routes


def test_a_sync_that_finds_the_same_input_works_out_no_status_again(settled, evaluated):
    report = reconcile.sync_cluster(settled[0].cluster_id)

    assert not report.errors and report.routes == 3
    assert evaluated == []


def test_a_changed_endpoint_slice_is_seen_at_the_next_sync(settled, evaluated, realkube):
    slice_ = realkube.get(*SLICE, "shop", "svc1-abc")
    realkube.patch_out_of_band(
        *SLICE, "shop", "svc1-abc", {"endpoints": [{**slice_["endpoints"][0], "conditions": {"ready": False}}]}
    )

    reconcile.sync_cluster(settled[0].cluster_id)

    assert evaluated == ["r1.shop.example.com"]
    assert Route.objects.get(pk=settled[1].pk).endpoints == {"ready": 0, "total": 1}
    assert Route.objects.get(pk=settled[0].pk).endpoints == {"ready": 1, "total": 1}


def test_a_status_another_writer_stored_is_worked_out_again(settled, evaluated):
    Route.objects.filter(pk=settled[2].pk).update(health=HealthChoices.DEGRADED, conditions=[])

    reconcile.sync_cluster(settled[0].cluster_id)

    assert evaluated == ["r2.shop.example.com"]
    fixed = Route.objects.get(pk=settled[2].pk)
    assert fixed.health == Route.objects.get(pk=settled[0].pk).health and fixed.conditions


def test_a_failed_reachability_check_is_worked_out_again(settled, evaluated):
    route = Route.objects.get(pk=settled[0].pk)
    progress.record_reachability(route, {"ok": False, "summary": "DNS: the host does not resolve."})

    reconcile.sync_cluster(route.cluster_id)

    assert evaluated == ["r0.shop.example.com"]
    assert Route.objects.get(pk=route.pk).reachability == {"ok": False, "summary": "DNS: the host does not resolve."}


def test_after_a_while_every_status_is_worked_out_again(settled, evaluated, monkeypatch):
    """The diagnostics read the clock too (a certificate's days to expiry): a remembered answer does not last."""
    later = memos.time.monotonic() + memos.SETTLED_FOR + 1
    monkeypatch.setattr(memos.time, "monotonic", lambda: later)

    reconcile.sync_cluster(settled[0].cluster_id)

    assert sorted(evaluated) == [f"r{i}.shop.example.com" for i in range(3)]


def test_a_progressing_route_is_worked_out_at_every_sync(approve, realkube, evaluated):
    """Its deadline is the clock's: it turns Degraded once it has waited too long, with nothing else changed."""
    realkube.serve("cart")  # no ingress controller publishes an address: Progressing
    route = approve()
    reconcile.reconcile_route(route.pk)
    for _ in range(3):
        reconcile.sync_cluster(route.cluster_id)

    assert Route.objects.get(pk=route.pk).health == HealthChoices.PROGRESSING
    assert evaluated.count("cart.shop.example.com") == 3


def test_a_revision_spec_is_decoded_once_per_worker(settled, monkeypatch):
    decoded = []
    decode_spec = memos.decode_spec
    monkeypatch.setattr(memos, "decode_spec", lambda text: decoded.append(text) or decode_spec(text))

    reconcile.sync_cluster(settled[0].cluster_id)
    assert decoded == []

    reconcile.memo.forget(settled[0].cluster_id)  # a new worker process
    reconcile.sync_cluster(settled[0].cluster_id)
    assert len(decoded) == 3


def test_a_rewritten_stored_spec_is_read_again(settled, realkube):
    """Stored specs do not change, but a repair of stored data may rewrite one: the running worker renders it."""
    revision = RouteRevision.objects.get(route=settled[0], number=1)
    revision.spec = {**revision.spec, "path": "/shop"}
    revision.save(update_fields=["spec"])

    reconcile.sync_cluster(settled[0].cluster_id)

    rule = realkube.get(*INGRESS, "shop", "r0")["spec"]["rules"][0]
    assert rule["http"]["paths"][0]["path"] == "/shop"


def test_a_deleted_route_is_forgotten(settled):
    from routes import services

    services.request_deletion(settled[0], user=settled[0].created_by)
    reconcile.sync_cluster(settled[0].cluster_id)
    reconcile.sync_cluster(settled[0].cluster_id)

    assert set(memos.for_cluster(settled[0].cluster_id).settled) == {settled[1].pk, settled[2].pk}


def test_a_worker_remembers_digests_not_statuses(settled):
    """What it keeps per route stays small whatever the route's diagnostics say (a worker syncing 50 clusters of
    1,000 routes held 1 GiB when it kept the statuses themselves)."""
    remembered = memos.for_cluster(settled[0].cluster_id).settled

    assert set(remembered) == {route.pk for route in settled}
    for fingerprint, stored, expires in remembered.values():
        assert isinstance(fingerprint, bytes) and isinstance(stored, str) and isinstance(expires, float)
