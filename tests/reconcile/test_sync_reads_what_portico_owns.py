"""A sync reads what Portico owns on a cluster, not the cluster (docs/architecture.md, "What a sync reads"), on the
local kube-apiserver: its lists are scoped by Portico's label, by the routes' namespaces and by the routes'
Services, every diagnostic still sees what it needs, and a sync that changes nothing rewrites no route row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clusters.models import Cluster
from routes import reconcile
from routes.models import Route
from tests.reconcile.conftest import INGRESS

pytestmark = pytest.mark.django_db

OTHERS = "payments"  # another team's namespace on the same cluster, full of objects that are none of Portico's


def _crowd(realkube, count: int = 12) -> None:
    """Services with ready endpoints and an Ingress in a namespace where Portico has no route."""
    realkube.add_namespace(OTHERS)
    for i in range(count):
        realkube.service(f"pay{i}", namespace=OTHERS)
        realkube.endpoint_slice(f"pay{i}", namespace=OTHERS)


def test_a_sync_never_lists_the_objects_of_namespaces_without_routes(approve, realkube):
    _crowd(realkube)
    realkube.serve("cart")
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.clear_requests()

    report = reconcile.sync_cluster(route.cluster_id)

    assert not report.errors
    for request in realkube.requests:
        assert request.method == "GET"
        if request.path == "/apis/networking.k8s.io/v1/ingressclasses/nginx":
            # The cluster's own IngressClass, read by name (the NetworkPolicy step finds the ingress controller
            # from it): one object, whatever else the cluster holds.
            continue
        selector = request.query.get("labelSelector", "")
        # Cluster-wide lists are Portico's objects by label, or the foreign Ingresses (their hosts can clash).
        assert "/namespaces/" in request.path or selector in (
            "app.kubernetes.io/managed-by=portico",
            "app.kubernetes.io/managed-by!=portico",
        ), request
        assert OTHERS not in request.path
        assert not [(ns, name) for ns, name in request.listed if ns == OTHERS], request
    slices = [r for r in realkube.requests if r.path.endswith("/endpointslices")]
    assert [(r.path, r.query["labelSelector"]) for r in slices] == [
        ("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices", "kubernetes.io/service-name in (cart)")
    ]
    # The diagnostics still see the existing Service and its ready endpoint.
    route = Route.objects.get(pk=route.pk)
    assert route.endpoints == {"ready": 1, "total": 1}


def test_a_foreign_ingress_in_another_namespace_is_still_a_conflict(approve, realkube):
    realkube.add_namespace("legacy")
    realkube.create(
        {
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
    )
    route = approve()
    reconcile.reconcile_route(route.pk)

    reconcile.sync_cluster(route.cluster_id)

    route = Route.objects.get(pk=route.pk)
    conflict = next(c for c in route.conditions if c["type"] == "Conflict")
    assert conflict["status"] == "True" and "legacy/legacy-cart" in conflict["message"]
    assert realkube.get(*INGRESS, "legacy", "legacy-cart")["metadata"].get("labels") is None


def test_a_foreign_ingress_under_a_routes_name_is_reported_and_left_alone(approve, realkube, submit, kube_cluster, pat):
    from routes import services

    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"defaultBackend": {"service": {"name": "theirs", "port": {"number": 80}}}},
        }
    )
    route = services.approve_route(submit("cart", on=kube_cluster), user=pat)
    realkube.clear_requests()

    reconcile.sync_cluster(route.cluster_id)

    assert not [w for w in realkube.writes() if "/ingresses/" in w.path]
    assert realkube.get(*INGRESS, "shop", "cart")["spec"]["defaultBackend"]["service"]["name"] == "theirs"
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded"
    assert any("not managed by Portico" in c["message"] for c in route.conditions)


def test_a_sync_that_changes_nothing_rewrites_no_route_row(approve, realkube):
    realkube.serve("cart")
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(5)]
    cluster_id = routes[0].cluster_id
    reconcile.sync_cluster(cluster_id)
    reconcile.sync_cluster(cluster_id)  # statuses settle (conditions' transition times) on the second look
    before = dict(Route.objects.filter(cluster_id=cluster_id).values_list("pk", "updated_at"))
    synced_before = Cluster.objects.get(pk=cluster_id).last_synced_at

    with CaptureQueriesContext(connection) as queries:
        report = reconcile.sync_cluster(cluster_id)

    assert not report.errors and report.routes == 5
    assert not [q["sql"] for q in queries if q["sql"].startswith('UPDATE "routes_route"')]
    assert dict(Route.objects.filter(cluster_id=cluster_id).values_list("pk", "updated_at")) == before
    cluster = Cluster.objects.get(pk=cluster_id)
    assert cluster.last_synced_at > synced_before
    # What the pages and the API show as "last synced" is the cluster's sync, not the last row write.
    route = Route.objects.select_related("cluster").get(pk=routes[0].pk)
    assert route.checked_at == cluster.last_synced_at


def test_a_route_whose_status_changed_is_written_with_its_time(approve, realkube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    reconcile.sync_cluster(route.cluster_id)
    written = Route.objects.get(pk=route.pk).last_synced_at

    realkube.serve("cart")  # endpoints appear: the status changes
    reconcile.sync_cluster(route.cluster_id)

    route = Route.objects.get(pk=route.pk)
    assert route.endpoints == {"ready": 1, "total": 1}
    assert route.last_synced_at > written


def test_an_unsettled_routes_missing_certificate_costs_one_list_per_namespace_not_a_get_each(
    approve, realkube, kube_cluster
):
    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(6)]
    realkube.clear_requests()

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.reconciled == 6 and not report.errors
    certificate_reads = [
        r for r in realkube.requests if r.method == "GET" and "/certificates" in r.path and "namespaces" in r.path
    ]
    assert [r.path for r in certificate_reads] == ["/apis/cert-manager.io/v1/namespaces/shop/certificates"]
    assert Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1).count() == 6


def test_a_worker_remembers_what_matched_and_still_repairs_an_edit_made_since(approve, realkube, monkeypatch):
    """The second sync in a process compares no object still at the resourceVersion where it matched (nor renders
    the unchanged routes again); an out-of-band edit changes the resourceVersion and is repaired as ever."""
    from routes.domain import render

    routes = [approve(f"r{i}", host=f"r{i}.shop.example.com") for i in range(3)]
    cluster_id = routes[0].cluster_id
    reconcile.sync_cluster(cluster_id)
    reconcile.sync_cluster(cluster_id)  # remembers what matched
    compared, rendered = [], []
    in_sync, desired_objects = reconcile.memo.in_sync, render.desired_objects
    monkeypatch.setattr(reconcile.memo, "in_sync", lambda live, obj: compared.append(obj) or in_sync(live, obj))
    monkeypatch.setattr(render, "desired_objects", lambda *a: rendered.append(a) or desired_objects(*a))

    assert reconcile.sync_cluster(cluster_id).applied == 0
    assert compared == [] and rendered == []

    realkube.patch_out_of_band(*INGRESS, "shop", "r1", {"spec": {"ingressClassName": "traefik"}})
    report = reconcile.sync_cluster(cluster_id)

    assert report.applied == 1 and [o["metadata"]["name"] for o in compared] == ["r1"]
    assert realkube.get(*INGRESS, "shop", "r1")["spec"]["ingressClassName"] == "nginx"
