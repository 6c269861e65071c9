"""A sync after a full one that left nothing to do, with nothing changed since, is quiet: it sends no request and
writes no route (routes/reconcile/quiet.py). Anything a full sync would act on ends the quiet: an object of the
cluster changed by anyone (a watch fires), a row the sync reads, a Progressing route, a watch refused, and the
resync period. On the local kube-apiserver, with its RBAC (deploy/target-rbac.yaml grants watch)."""

import time

import pytest

from clusters import watches
from clusters.devcluster.server import TARGET_RBAC
from clusters.models import Cluster
from routes import reconcile
from routes.choices import HealthChoices
from routes.models import HostClaim, Route, RouteRevision
from routes.reconcile import quiet as quiet_module
from teams.models import Team, TeamNamespace
from tests.factories import Backend
from tests.reconcile.conftest import INGRESS, SERVICE, healthy_routes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def watching(settings):
    settings.PORTICO_SYNC_WATCH = True
    yield
    watches.disarm_all()


def _wait_for(cluster_id, wanted: str, timeout: float = 20.0) -> None:
    """Until the cluster's watches are in state ``wanted`` (watches.status): they answer on their own threads."""
    deadline = time.monotonic() + timeout
    while watches.status(cluster_id) != wanted:
        assert time.monotonic() < deadline, f"watches {watches.status(cluster_id)}, not {wanted}"
        time.sleep(0.05)


def _until_quiet(cluster_id) -> None:
    """Full syncs until one leaves nothing to do and its watches are open."""
    for _ in range(5):
        report = reconcile.sync_cluster(cluster_id)
        assert not report.errors, report.errors
        if watches.status(cluster_id) != "none":
            _wait_for(cluster_id, "quiet")
            return
    raise AssertionError("no full sync left the cluster quiet")


@pytest.fixture
def quiet(approve, realkube):
    """Two routes applied and Healthy, on Services with a ready pod, and the cluster quiet."""
    routes = healthy_routes(approve, realkube, 2)
    _until_quiet(routes[0].cluster_id)
    assert set(Route.objects.values_list("health", flat=True)) == {HealthChoices.HEALTHY}
    realkube.clear_requests()
    return routes


def test_a_sync_with_nothing_changed_is_quiet_sends_no_request_and_writes_no_route(quiet, realkube):
    cluster_id = quiet[0].cluster_id
    rows = list(Route.objects.order_by("pk").values_list("pk", "updated_at", "last_synced_at"))
    synced_before = Cluster.objects.get(pk=cluster_id).last_synced_at

    report = reconcile.sync_cluster(cluster_id)

    assert report.quiet and report.routes == 2 and not report.errors
    assert realkube.requests == []
    assert list(Route.objects.order_by("pk").values_list("pk", "updated_at", "last_synced_at")) == rows
    assert Cluster.objects.get(pk=cluster_id).last_synced_at > synced_before  # the routes' "checked at"


def test_an_object_edited_out_of_band_ends_the_quiet_and_is_repaired(quiet, realkube):
    cluster_id = quiet[0].cluster_id
    realkube.patch_out_of_band(*INGRESS, "shop", "r0", {"spec": {"rules": [{"host": "evil.example.com"}]}})
    _wait_for(cluster_id, "fired")

    report = reconcile.sync_cluster(cluster_id)

    assert not report.quiet and report.applied == 1
    assert realkube.get(*INGRESS, "shop", "r0")["spec"]["rules"][0]["host"] == "r0.shop.example.com"


def test_an_object_deleted_out_of_band_ends_the_quiet_and_is_created_again(quiet, realkube):
    cluster_id = quiet[0].cluster_id
    realkube.delete(*INGRESS, "shop", "r1")
    _wait_for(cluster_id, "fired")

    report = reconcile.sync_cluster(cluster_id)

    assert not report.quiet
    assert realkube.get(*INGRESS, "shop", "r1") is not None


def test_a_service_a_route_sends_traffic_to_losing_its_pods_ends_the_quiet(quiet, realkube):
    """Not Portico's object: the Service's EndpointSlices are watched as they are listed."""
    cluster_id = quiet[0].cluster_id
    realkube.delete(*SERVICE, "shop", "svc0")
    _wait_for(cluster_id, "fired")

    report = reconcile.sync_cluster(cluster_id)

    assert not report.quiet
    assert Route.objects.get(pk=quiet[0].pk).health == HealthChoices.DEGRADED


def _approve_another(approve, quiet):
    approve("r9", host="r9.shop.example.com", backend=Backend(service_name="svc0", service_port=8080))


def _request_deletion(approve, quiet):
    Route.objects.filter(pk=quiet[1].pk).update(deletion_requested_at=Cluster.objects.first().created_at)


def _release_claim(approve, quiet):
    HostClaim.objects.filter(host="r0.shop.example.com").delete()


def _change_team_policy(approve, quiet):
    Team.objects.filter(pk=quiet[0].team_id).update(external_domains=["example.net"])


def _change_cluster_setting(approve, quiet):
    Cluster.objects.filter(pk=quiet[0].cluster_id).update(default_issuer="other-issuer")


def _mark_unreachable(approve, quiet):
    Cluster.objects.filter(pk=quiet[0].cluster_id).update(reachable=False)


def _store_another_status(approve, quiet):
    Route.objects.filter(pk=quiet[0].pk).update(health=HealthChoices.DEGRADED)


def _add_team_namespace(approve, quiet):
    TeamNamespace.objects.create(team_id=quiet[0].team_id, cluster_id=quiet[0].cluster_id, namespace="shop-two")


def _rewrite_stored_spec(approve, quiet):
    revision = RouteRevision.objects.get(route=quiet[0], number=1)
    RouteRevision.objects.filter(pk=revision.pk).update(spec={**revision.spec, "path": "/shop"})


@pytest.mark.parametrize(
    "change",
    [
        _approve_another,
        _request_deletion,
        _release_claim,
        _change_team_policy,
        _change_cluster_setting,
        _mark_unreachable,
        _store_another_status,
        _add_team_namespace,
        _rewrite_stored_spec,
    ],
)
def test_a_change_of_a_row_the_sync_reads_ends_the_quiet(quiet, approve, change):
    change(approve, quiet)

    report = reconcile.sync_cluster(quiet[0].cluster_id)

    assert not report.quiet


def test_a_rewritten_spec_is_applied_by_the_sync_that_ends_the_quiet(quiet, approve, realkube):
    _rewrite_stored_spec(approve, quiet)

    reconcile.sync_cluster(quiet[0].cluster_id)

    assert realkube.get(*INGRESS, "shop", "r0")["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/shop"


def test_the_quiet_lasts_no_longer_than_the_resync_period(quiet, monkeypatch, settings):
    """What is not watched (the IngressClass, the controller, a Gateway, permissions) and the clock (a certificate's
    days to expiry) are looked at again at least every PORTICO_SYNC_RESYNC seconds."""
    later = time.monotonic() + settings.PORTICO_SYNC_RESYNC + 1
    monkeypatch.setattr("routes.reconcile.quiet.time.monotonic", lambda: later)

    report = reconcile.sync_cluster(quiet[0].cluster_id)

    assert not report.quiet and not report.errors


def test_a_progressing_route_keeps_every_sync_full(approve, realkube):
    """Its deadline is the clock's: it turns Degraded once it waited too long, with nothing else changed."""
    realkube.serve("cart")  # no ingress controller publishes an address: Progressing
    route = approve()
    reconcile.reconcile_route(route.pk)
    reports = [reconcile.sync_cluster(route.cluster_id) for _ in range(3)]

    assert Route.objects.get(pk=route.pk).health == HealthChoices.PROGRESSING
    assert not any(r.quiet for r in reports)
    assert watches.status(route.cluster_id) == "none"


def test_without_the_watch_verb_every_sync_lists(approve, realkube):
    """A cluster whose role predates the watch verb keeps syncing, every time in full."""
    realkube.server.apply_rbac(TARGET_RBAC.read_text().replace('"list", "watch"', '"list"'))
    realkube.serve("cart")
    route = approve(backend=Backend(service_name="cart", service_port=8080))
    reconcile.reconcile_route(route.pk)
    realkube.set_ingress_address("cart", "203.0.113.7")
    realkube.set_certificate_ready("cart-shop-example-com")
    reconcile.sync_cluster(route.cluster_id)
    reconcile.sync_cluster(route.cluster_id)
    realkube.clear_requests()

    reports = [reconcile.sync_cluster(route.cluster_id) for _ in range(2)]

    assert not any(r.quiet for r in reports) and not any(r.errors for r in reports)
    assert [r.path for r in realkube.requests if r.method == "GET" and r.path.endswith("/ingresses")]
    assert Route.objects.get(pk=route.pk).health == HealthChoices.HEALTHY


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_digest_changes_with_a_row_and_only_then(quiet, monkeypatch, vendor):
    """PostgreSQL digests the routes' rows itself; SQLite (``make run``) cannot (its parser refuses a concatenation
    that deep), so they are read and digested in Python: the same rule either way."""
    monkeypatch.setattr(quiet_module.connection, "vendor", vendor)
    cluster = Cluster.objects.get(pk=quiet[0].cluster_id)
    before = quiet_module.database_digest(cluster)
    assert quiet_module.database_digest(cluster) == before

    HostClaim.objects.filter(host="r1.shop.example.com").delete()

    assert quiet_module.database_digest(cluster) != before


def test_a_worker_shutting_down_closes_its_watches(quiet):
    from celery import signals

    import portico.celery  # noqa: F401 - connects the worker's signal handlers

    signals.worker_shutdown.send(sender=None)

    assert watches.status(quiet[0].cluster_id) == "none"
