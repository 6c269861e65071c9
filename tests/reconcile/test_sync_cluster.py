"""sync_cluster against the API server emulator: drift repair, pruning, foreign objects, cost."""
import pytest
from django.utils import timezone

from clusters.models import Cluster
from routes import reconcile, services
from routes.models import Route
from tests.reconcile.conftest import CERTIFICATE, INGRESS

pytestmark = pytest.mark.django_db


def test_out_of_band_edit_is_restored_by_the_next_sync(approve, kube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    kube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})

    report = reconcile.sync_cluster(route.cluster_id)

    assert report.applied == 1
    assert kube.get(*INGRESS, "shop", "cart")["spec"]["ingressClassName"] == "nginx"


def test_out_of_band_delete_is_restored_by_the_next_sync(approve, kube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    kube.delete(*INGRESS, "shop", "cart")

    reconcile.sync_cluster(route.cluster_id)

    assert kube.get(*INGRESS, "shop", "cart") is not None


def test_deleted_route_is_pruned_while_the_shared_certificate_stays(approve, kube, alice):
    first = approve()
    second = approve("cart-api", path="/api")
    reconcile.sync_cluster(first.cluster_id)
    assert len(kube.list_objects(*CERTIFICATE, "shop")) == 1

    services.request_deletion(first, user=alice)
    reconcile.sync_cluster(first.cluster_id)

    assert kube.get(*INGRESS, "shop", "cart") is None
    assert kube.get(*INGRESS, "shop", "cart-api") is not None
    assert kube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is not None
    services.request_deletion(second, user=alice)
    reconcile.sync_cluster(first.cluster_id)
    assert kube.list_objects(*CERTIFICATE, "shop") == []


def test_object_with_our_label_and_no_route_is_pruned(approve, kube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    leftover = kube.get(*INGRESS, "shop", "cart")
    leftover["metadata"] = {"name": "old", "namespace": "shop", "labels": leftover["metadata"]["labels"] | {
        "portico.dev/route": "00000000-0000-0000-0000-000000000000"}}
    kube.create(leftover)

    assert reconcile.sync_cluster(route.cluster_id).deleted == 1
    assert kube.get(*INGRESS, "shop", "old") is None


def test_foreign_ingress_on_our_host_is_reported_and_never_touched(approve, kube):
    foreign = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "legacy-cart", "namespace": "legacy"},
               "spec": {"rules": [{"host": "cart.shop.example.com", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "old", "port": {"number": 80}}}}]}}]}}
    kube.create(foreign)
    route = approve()
    reconcile.reconcile_route(route.pk)

    reconcile.sync_cluster(route.cluster_id)

    assert kube.get(*INGRESS, "legacy", "legacy-cart")["spec"] == foreign["spec"]
    assert not [w for w in kube.writes() if "legacy" in w.path]
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded"
    conflict = next(c for c in route.conditions if c["type"] == "Conflict")
    assert conflict["status"] == "True" and "legacy/legacy-cart" in conflict["message"]
    assert route.cluster.foreign_ingresses == [
        {"namespace": "legacy", "name": "legacy-cart", "host": "cart.shop.example.com", "path": "/"}]


def test_foreign_ingress_makes_a_new_request_for_that_path_a_conflict(approve, kube, submit, kube_cluster):
    kube.create({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "legacy", "namespace": "legacy"},
                 "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
                     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "x", "port": {"number": 80}}}}]}}]}})
    reconcile.sync_cluster(kube_cluster.pk)
    kube_cluster.refresh_from_db()

    with pytest.raises(services.PolicyError) as exc:
        submit("shop", on=kube_cluster, host="shop.example.com")
    assert exc.value.is_conflict and "legacy/legacy" in str(exc.value)


def test_noop_sync_of_200_routes_lists_once_per_kind_and_writes_nothing(approve, kube):
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(200)]
    first = reconcile.sync_cluster(routes[0].cluster_id)
    assert first.reconciled == 200 and not first.errors
    kube.clear_requests()

    report = reconcile.sync_cluster(routes[0].cluster_id)

    assert (report.applied, report.deleted, report.reconciled, report.errors) == (0, 0, 0, [])
    assert kube.writes() == []
    lists = sorted(r.path for r in kube.requests)
    assert lists == ["/api/v1/services", "/apis/cert-manager.io/v1/certificates",
                     "/apis/discovery.k8s.io/v1/endpointslices", "/apis/networking.k8s.io/v1/ingresses"]


def test_sync_with_unreachable_api_server_reports_and_releases_the_lease(approve, kube):
    route = approve()
    kube.refuse_connections()
    try:
        report = reconcile.sync_cluster(route.cluster_id)
    finally:
        kube.restore()

    assert report.errors and "Cannot reach the API server" in report.errors[0]
    assert not reconcile.sync_cluster(route.cluster_id).skipped


def test_foreign_certificate_with_our_name_is_never_overwritten_and_is_reported(approve, kube, kube_cluster):
    route = approve()
    reconcile.reconcile_route(route.pk)
    # Someone replaces our Certificate with their own, without our labels (lists by our label miss it).
    kube.delete(*CERTIFICATE, "shop", "cart-shop-example-com")
    theirs = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
              "metadata": {"name": "cart-shop-example-com", "namespace": "shop"},
              "spec": {"secretName": "theirs-tls", "dnsNames": ["cart.shop.example.com"],
                       "issuerRef": {"kind": "ClusterIssuer", "name": "other"}}}
    kube.create(theirs)
    kube.clear_requests()

    reconcile.sync_cluster(kube_cluster.pk)

    assert kube.get(*CERTIFICATE, "shop", "cart-shop-example-com")["spec"] == theirs["spec"]
    assert not [w for w in kube.writes() if "certificates" in w.path]
    route.refresh_from_db()
    assert any("not managed by Portico" in c["message"] for c in route.conditions)


def test_sync_refused_by_the_api_server_is_reported_on_the_cluster_not_raised(approve, kube, kube_cluster):
    reconcile.reconcile_route(approve().pk)
    kube.fail_next(1, 403, message='services is forbidden: User "system:serviceaccount:portico-system:portico" '
                                   'cannot list resource "services"', methods=["GET"], path_contains="services")

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.errors == ["GET /api/v1/services: 403 Forbidden"]
    kube_cluster.refresh_from_db()
    assert "refused by the API server" in kube_cluster.sync_error and "deploy/target-rbac.yaml" in kube_cluster.sync_error
    assert "403 Forbidden" in kube_cluster.sync_error and "cannot list" not in kube_cluster.sync_error
    assert kube_cluster.sync_lease_owner == ""  # the lease is released for the next attempt
    assert not kube_cluster.healthy

    reconcile.probe_cluster(kube_cluster.pk)  # a probe does not hide it
    kube_cluster.refresh_from_db()
    assert kube_cluster.sync_error and not kube_cluster.healthy

    reconcile.sync_cluster(kube_cluster.pk)  # the next sync that runs clears it
    kube_cluster.refresh_from_db()
    assert kube_cluster.sync_error == "" and kube_cluster.healthy


def test_a_crashed_syncs_lease_expires_after_two_sync_intervals(kube_cluster, settings):
    from datetime import timedelta

    settings.PORTICO_SYNC_INTERVAL = 45
    assert reconcile._acquire_lease(kube_cluster.pk)  # then the worker dies without releasing it
    kube_cluster.refresh_from_db()
    assert kube_cluster.sync_lease_until - timezone.now() <= timedelta(seconds=90)
    assert reconcile.sync_cluster(kube_cluster.pk).skipped

    Cluster.objects.filter(pk=kube_cluster.pk).update(sync_lease_until=timezone.now() - timedelta(seconds=1))
    assert not reconcile.sync_cluster(kube_cluster.pk).skipped


def test_a_long_sync_renews_its_lease_and_stops_when_it_was_taken_over(kube_cluster, settings):
    settings.PORTICO_SYNC_INTERVAL = 30  # a 60 s lease, renewed after 20 s
    now = [0.0]
    token = reconcile._acquire_lease(kube_cluster.pk)
    keeper = reconcile.LeaseKeeper(kube_cluster.pk, token, clock=lambda: now[0])
    first = Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until

    now[0] = 10.0
    keeper.keep()  # too early: no write
    assert Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until == first
    now[0] = 25.0
    keeper.keep()
    assert Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until > first

    Cluster.objects.filter(pk=kube_cluster.pk).update(sync_lease_owner="another-worker")
    now[0] = 50.0
    with pytest.raises(reconcile.LeaseLost):
        keeper.keep()


def test_switching_a_cluster_to_gateway_output_removes_its_ingresses_and_certificates(approve, kube, kube_cluster):
    from tests.reconcile.conftest import HTTP_ROUTE, seed_gateway

    route = approve()
    reconcile.reconcile_route(route.pk)
    reconcile.sync_cluster(kube_cluster.pk)
    assert kube.get(*INGRESS, "shop", "cart") and kube.get(*CERTIFICATE, "shop", "cart-shop-example-com")

    seed_gateway(kube)
    Cluster.objects.filter(pk=kube_cluster.pk).update(output="gateway", gateway_name="public",
                                                      gateway_namespace="gateway-system")
    report = reconcile.sync_cluster(kube_cluster.pk)

    assert kube.get(*INGRESS, "shop", "cart") is None
    assert kube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None
    assert kube.get(*HTTP_ROUTE, "shop", "cart") is not None
    assert report.deleted == 2

    kube.clear_requests()
    reconcile.sync_cluster(kube_cluster.pk)  # once only: later syncs do not look for the old kinds again
    assert not [r for r in kube.requests if "ingresses" in r.path or "certificates" in r.path]
