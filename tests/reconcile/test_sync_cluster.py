"""sync_cluster against the local kube-apiserver (tests/realkube): drift repair, pruning, foreign objects, cost."""

import pytest
import yaml
from django.utils import timezone

from clusters import lease, probe
from clusters.models import Cluster
from routes import reconcile, services
from routes.models import Route
from tests.reconcile.conftest import CERTIFICATE, INGRESS

pytestmark = pytest.mark.django_db


def test_out_of_band_edit_is_restored_by_the_next_sync(approve, realkube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})

    report = reconcile.sync_cluster(route.cluster_id)

    assert report.applied == 1
    assert realkube.get(*INGRESS, "shop", "cart")["spec"]["ingressClassName"] == "nginx"


def test_out_of_band_delete_is_restored_by_the_next_sync(approve, realkube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.delete(*INGRESS, "shop", "cart")

    reconcile.sync_cluster(route.cluster_id)

    assert realkube.get(*INGRESS, "shop", "cart") is not None


def test_deleted_route_is_pruned_while_the_shared_certificate_stays(approve, realkube, alice):
    first = approve()
    second = approve("cart-api", path="/api")
    reconcile.sync_cluster(first.cluster_id)
    assert len(realkube.list_objects(*CERTIFICATE, "shop")) == 1

    services.request_deletion(first, user=alice)
    reconcile.sync_cluster(first.cluster_id)

    assert realkube.get(*INGRESS, "shop", "cart") is None
    assert realkube.get(*INGRESS, "shop", "cart-api") is not None
    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is not None
    services.request_deletion(second, user=alice)
    reconcile.sync_cluster(first.cluster_id)
    assert realkube.list_objects(*CERTIFICATE, "shop") == []


def test_object_with_our_label_and_no_route_is_pruned(approve, realkube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    leftover = realkube.get(*INGRESS, "shop", "cart")
    leftover["metadata"] = {
        "name": "old",
        "namespace": "shop",
        "labels": leftover["metadata"]["labels"] | {"portico.dev/route": "00000000-0000-0000-0000-000000000000"},
    }
    realkube.create(leftover)

    assert reconcile.sync_cluster(route.cluster_id).deleted == 1
    assert realkube.get(*INGRESS, "shop", "old") is None


def test_foreign_ingress_on_our_host_is_reported_and_never_touched(approve, realkube):
    foreign = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "legacy-cart", "namespace": "legacy"},
        "spec": {
            "rules": [
                {
                    "host": "cart.shop.example.com",
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
            ]
        },
    }
    realkube.add_namespace("legacy")
    realkube.create(foreign)
    route = approve()
    reconcile.reconcile_route(route.pk)

    reconcile.sync_cluster(route.cluster_id)

    assert realkube.get(*INGRESS, "legacy", "legacy-cart")["spec"] == foreign["spec"]
    assert not [w for w in realkube.writes() if "legacy" in w.path]
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded"
    conflict = next(c for c in route.conditions if c["type"] == "Conflict")
    assert conflict["status"] == "True" and "legacy/legacy-cart" in conflict["message"]
    assert route.cluster.foreign_ingresses == [
        {"namespace": "legacy", "name": "legacy-cart", "host": "cart.shop.example.com", "path": "/"}
    ]


def test_foreign_ingress_makes_a_new_request_for_that_path_a_conflict(approve, realkube, submit, kube_cluster):
    realkube.add_namespace("legacy")
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "legacy", "namespace": "legacy"},
            "spec": {
                "rules": [
                    {
                        "host": "shop.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "x", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        }
    )
    reconcile.sync_cluster(kube_cluster.pk)
    kube_cluster.refresh_from_db()

    with pytest.raises(services.PolicyError) as exc:
        submit("shop", on=kube_cluster, host="shop.example.com")
    assert exc.value.is_conflict and "legacy/legacy" in str(exc.value)


def test_noop_sync_of_50_routes_lists_once_per_kind_and_writes_nothing(approve, realkube):
    # 50 rather than the emulator's 200: on a real server the first sync's 100 applies cost most of this test,
    # and 50 routes already show that the requests do not grow with the routes (bench/ measures 10k).
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(50)]
    first = reconcile.sync_cluster(routes[0].cluster_id)
    assert first.reconciled == 50 and not first.errors
    realkube.clear_requests()

    report = reconcile.sync_cluster(routes[0].cluster_id)

    assert (report.applied, report.deleted, report.reconciled, report.errors) == (0, 0, 0, [])
    assert realkube.writes() == []
    lists = sorted((r.path, r.query.get("labelSelector")) for r in realkube.requests)
    assert lists == sorted(
        [
            ("/api/v1/namespaces/shop/services", None),  # the routes' existing Service "cart"
            ("/api/v1/services", "app.kubernetes.io/managed-by=portico"),
            ("/apis/cert-manager.io/v1/certificates", "app.kubernetes.io/managed-by=portico"),
            ("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices", "kubernetes.io/service-name in (cart)"),
            ("/apis/networking.k8s.io/v1/ingresses", "app.kubernetes.io/managed-by!=portico"),
            ("/apis/networking.k8s.io/v1/ingresses", "app.kubernetes.io/managed-by=portico"),
            (
                "/api/v1/namespaces/ingress-nginx/services/ingress-nginx-controller",
                None,
            ),  # the controller (diagnostics)
            ("/apis/networking.k8s.io/v1/ingressclasses/nginx", None),  # where its controller runs (diagnostics)
            ("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies", None),  # one per namespace with routes
        ]
    )


def test_sync_with_unreachable_api_server_reports_and_releases_the_lease(approve_on_emulator, kube):
    """On the emulator: it refuses connections on demand and serves again at the same address."""
    route = approve_on_emulator()
    kube.refuse_connections()
    try:
        report = reconcile.sync_cluster(route.cluster_id)
    finally:
        kube.restore()

    assert report.errors and "Cannot reach the API server" in report.errors[0]
    assert not reconcile.sync_cluster(route.cluster_id).skipped


def test_foreign_certificate_with_our_name_is_never_overwritten_and_is_reported(approve, realkube, kube_cluster):
    route = approve()
    reconcile.reconcile_route(route.pk)
    # Someone replaces our Certificate with their own, without our labels (lists by our label miss it).
    realkube.delete(*CERTIFICATE, "shop", "cart-shop-example-com")
    theirs = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "cart-shop-example-com", "namespace": "shop"},
        "spec": {
            "secretName": "theirs-tls",
            "dnsNames": ["cart.shop.example.com"],
            "issuerRef": {"kind": "ClusterIssuer", "name": "other"},
        },
    }
    realkube.create(theirs)
    realkube.clear_requests()

    reconcile.sync_cluster(kube_cluster.pk)

    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com")["spec"] == theirs["spec"]
    assert not [w for w in realkube.writes() if "certificates" in w.path]
    route.refresh_from_db()
    assert any("not managed by Portico" in c["message"] for c in route.conditions)


def without_list_services(realkube) -> None:
    """deploy/target-rbac.yaml less `list` on Services, until kube-apiserver's authorizer refuses that list."""
    import time

    from clusters.devcluster.server import TARGET_RBAC
    from clusters.kube import SERVICE, KubeClient, PermanentKubeError

    docs = [doc for doc in yaml.safe_load_all(TARGET_RBAC.read_text()) if doc]
    role = next(doc for doc in docs if doc["kind"] == "ClusterRole")
    for rule in role["rules"]:
        if "services" in rule.get("resources", []):
            rule["verbs"] = [verb for verb in rule["verbs"] if verb != "list"]
    realkube.server.apply(role)
    with KubeClient(realkube.kubeconfig("portico"), name="rbac-probe") as client:
        for _ in range(100):
            try:
                client.list(SERVICE, namespace="shop")
            except PermanentKubeError as exc:
                if exc.status == 403:
                    realkube.clear_requests()
                    return
                raise
            time.sleep(0.05)
    raise AssertionError("The API server still lets Portico list Services")


def test_sync_refused_by_the_api_server_is_reported_on_the_cluster_not_raised(approve, realkube, kube_cluster):
    from clusters.devcluster.server import TARGET_RBAC

    reconcile.reconcile_route(approve().pk)
    without_list_services(realkube)

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.errors == ["GET /api/v1/services: 403 Forbidden"]
    [refused] = realkube.refused()  # kube-apiserver's RBAC authorizer said why, to Portico's log only
    assert 'cannot list resource "services"' in refused.error and refused.error.startswith(report.errors[0])
    kube_cluster.refresh_from_db()
    assert (
        "refused by the API server" in kube_cluster.sync_error and "deploy/target-rbac.yaml" in kube_cluster.sync_error
    )
    assert "403 Forbidden" in kube_cluster.sync_error and "cannot list" not in kube_cluster.sync_error
    assert kube_cluster.sync_lease_owner == ""  # the lease is released for the next attempt
    assert not kube_cluster.healthy

    probe.probe_cluster(kube_cluster.pk)  # a probe does not hide it
    kube_cluster.refresh_from_db()
    assert kube_cluster.sync_error and not kube_cluster.healthy

    realkube.server.apply_rbac(TARGET_RBAC.read_text())
    for _ in range(100):  # the authorizer sees the restored role a moment later
        reconcile.sync_cluster(kube_cluster.pk)  # the next sync that runs clears it
        kube_cluster.refresh_from_db()
        if kube_cluster.sync_error == "":
            break
    assert kube_cluster.sync_error == "" and kube_cluster.healthy


def test_a_crashed_syncs_lease_expires_after_two_sync_intervals(kube_cluster, settings):
    from datetime import timedelta

    settings.PORTICO_SYNC_INTERVAL = 45
    assert lease.acquire(kube_cluster.pk)  # then the worker dies without releasing it
    kube_cluster.refresh_from_db()
    assert kube_cluster.sync_lease_until - timezone.now() <= timedelta(seconds=90)
    assert reconcile.sync_cluster(kube_cluster.pk).skipped

    Cluster.objects.filter(pk=kube_cluster.pk).update(sync_lease_until=timezone.now() - timedelta(seconds=1))
    assert not reconcile.sync_cluster(kube_cluster.pk).skipped


def test_a_long_sync_renews_its_lease_and_stops_when_it_was_taken_over(kube_cluster, settings):
    settings.PORTICO_SYNC_INTERVAL = 30  # a 60 s lease, renewed after 20 s
    now = [0.0]
    token = lease.acquire(kube_cluster.pk)
    keeper = lease.LeaseKeeper(kube_cluster.pk, token, clock=lambda: now[0])
    first = Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until

    now[0] = 10.0
    keeper.keep()  # too early: no write
    assert Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until == first
    now[0] = 25.0
    keeper.keep()
    assert Cluster.objects.get(pk=kube_cluster.pk).sync_lease_until > first

    Cluster.objects.filter(pk=kube_cluster.pk).update(sync_lease_owner="another-worker")
    now[0] = 50.0
    with pytest.raises(lease.LeaseLost):
        keeper.keep()


def test_switching_a_cluster_to_gateway_output_removes_its_ingresses_and_certificates(approve, realkube, kube_cluster):
    from tests.reconcile.conftest import HTTP_ROUTE, seed_gateway

    route = approve()
    reconcile.reconcile_route(route.pk)
    reconcile.sync_cluster(kube_cluster.pk)
    assert realkube.get(*INGRESS, "shop", "cart") and realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com")

    seed_gateway(realkube)
    Cluster.objects.filter(pk=kube_cluster.pk).update(
        output="gateway", gateway_name="public", gateway_namespace="gateway-system"
    )
    report = reconcile.sync_cluster(kube_cluster.pk)

    assert realkube.get(*INGRESS, "shop", "cart") is None
    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None
    assert realkube.get(*HTTP_ROUTE, "shop", "cart") is not None
    assert report.deleted == 2

    realkube.clear_requests()
    reconcile.sync_cluster(kube_cluster.pk)  # once only: later syncs do not look for the old kinds again
    assert not [r for r in realkube.requests if "ingresses" in r.path or "certificates" in r.path]
