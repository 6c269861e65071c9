"""Deleting a route or pruning a leftover removes only objects of that route (or host), and on Kubernetes only
the very object that was read and judged ours (docs/security.md, "One owner per object").

Before, `_delete_if_ours` checked only the managed-by label: deleting a route whose revision named another
route's managed Service deleted that Service.
"""

import pytest
import yaml

from clusters.kube import KubeClient
from clusters.models import Cluster
from routes import reconcile, services
from routes.domain.values import Backend
from teams.models import TeamNamespace
from tests.factories import stored_before_the_rule
from tests.reconcile.conftest import CERTIFICATE, INGRESS, SERVICE

pytestmark = pytest.mark.django_db

FRONTEND = Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"})


def service_file(cluster) -> dict | None:
    path = cluster.directory_path() / "shop/service-frontend.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else None


def test_deleting_a_route_that_names_another_routes_service_leaves_that_service(submit, pat, cluster, rival, mallory):
    victim = services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND), user=pat)
    reconcile.reconcile_route(victim.pk)
    hijack = services.approve_route(
        submit(
            "hijack",
            user=mallory,
            team=rival,
            host="hijack.rival.example.com",
            backend=Backend(service_name="other", service_port=80, target_port=9999, selector={"app": "evil"}),
        ),
        user=pat,
    )
    stored_before_the_rule(hijack, Backend(service_name="frontend"))

    services.request_deletion(hijack, user=mallory)
    assert reconcile.reconcile_route(hijack.pk) is reconcile.Result.DELETED

    service = service_file(cluster)
    assert service["metadata"]["labels"]["portico.dev/route"] == str(victim.pk)
    assert service["spec"]["selector"] == {"app": "frontend"}


def test_two_routes_that_shared_a_managed_service_keep_it_when_one_is_deleted(submit, pat, alice, cluster):
    first = services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND), user=pat)
    reconcile.reconcile_route(first.pk)
    second = services.approve_route(
        submit(
            "frontend-api",
            host="shop.example.com",
            path="/api",
            backend=Backend(service_name="api", service_port=80, target_port=8080, selector={"app": "frontend"}),
        ),
        user=pat,
    )
    stored_before_the_rule(second, Backend(service_name="frontend"))

    services.request_deletion(second, user=alice)
    reconcile.reconcile_route(second.pk)

    assert service_file(cluster)["metadata"]["labels"]["portico.dev/route"] == str(first.pk)


@pytest.fixture
def shared_kube_cluster(kube_cluster, rival):
    TeamNamespace.objects.create(team=rival, cluster=kube_cluster, namespace="shop")
    return kube_cluster


def test_deleting_a_route_that_names_another_routes_service_sends_no_delete_for_it(
    submit, pat, realkube, shared_kube_cluster, rival, mallory
):
    victim = services.approve_route(
        submit("frontend", host="shop.example.com", backend=FRONTEND, on=shared_kube_cluster), user=pat
    )
    reconcile.reconcile_route(victim.pk)
    hijack = services.approve_route(
        submit(
            "hijack",
            user=mallory,
            team=rival,
            host="hijack.rival.example.com",
            on=shared_kube_cluster,
            backend=Backend(service_name="other", service_port=80, target_port=9999, selector={"app": "evil"}),
        ),
        user=pat,
    )
    stored_before_the_rule(hijack, Backend(service_name="frontend"))
    realkube.clear_requests()

    services.request_deletion(hijack, user=mallory)
    reconcile.reconcile_route(hijack.pk)

    assert realkube.get(*SERVICE, "shop", "frontend")["metadata"]["labels"]["portico.dev/route"] == str(victim.pk)
    assert [r.path for r in realkube.requests if r.method == "DELETE" and "/services/" in r.path] == []


def replaced_after_read(monkeypatch, realkube, method: str, api_version: str, kind: str, name: str):
    """After Portico reads (``get``) or lists (``list``) objects of this kind, someone deletes the object and
    creates it again under the same name, labels included: a new object with a new uid."""
    original = getattr(KubeClient, method)
    done = []

    def read_then_replace(self, kind_, *args, **kwargs):
        result = original(self, kind_, *args, **kwargs)
        if kind_.kind == kind and not done:
            done.append(True)
            old = realkube.get(api_version, kind, "shop", name)
            realkube.delete(api_version, kind, "shop", name)
            fresh = {
                **old,
                "metadata": {
                    k: v for k, v in old["metadata"].items() if k in ("name", "namespace", "labels", "annotations")
                },
            }
            done.append((old["metadata"]["uid"], realkube.create(fresh)["metadata"]["uid"]))
        return result

    monkeypatch.setattr(KubeClient, method, read_then_replace)
    return done


def test_deletion_does_not_remove_an_object_recreated_since_it_was_read(approve, realkube, alice, monkeypatch):
    route = approve()
    reconcile.reconcile_route(route.pk)
    services.request_deletion(route, user=alice)
    replaced = replaced_after_read(monkeypatch, realkube, "get", *INGRESS, "cart")
    realkube.clear_requests()

    reconcile.reconcile_route(route.pk)

    old_uid, new_uid = replaced[1]
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["uid"] == new_uid
    delete = next(r for r in realkube.requests if r.method == "DELETE" and r.path.endswith("/ingresses/cart"))
    assert delete.body["preconditions"] == {"uid": old_uid}
    assert delete.status == 409


def test_prune_does_not_remove_an_object_recreated_since_the_list(approve, realkube, monkeypatch):
    route = approve()
    reconcile.reconcile_route(route.pk)
    leftover = realkube.get(*INGRESS, "shop", "cart")
    realkube.create(
        {
            **leftover,
            "metadata": {
                "name": "old",
                "namespace": "shop",
                "labels": {
                    **leftover["metadata"]["labels"],
                    "portico.dev/route": "00000000-0000-0000-0000-000000000000",
                },
            },
        }
    )
    replaced = replaced_after_read(monkeypatch, realkube, "list", *INGRESS, "old")
    realkube.clear_requests()

    report = reconcile.sync_cluster(route.cluster_id)

    old_uid, new_uid = replaced[1]
    assert realkube.get(*INGRESS, "shop", "old")["metadata"]["uid"] == new_uid
    delete = next(r for r in realkube.requests if r.method == "DELETE")
    assert (delete.body["preconditions"], delete.status, report.deleted) == ({"uid": old_uid}, 409, 0)


def test_a_sync_never_prunes_the_objects_of_another_clusters_route(approve, realkube, shop):
    """Two clusters registered on one API server (or, for directory clusters, one folder): neither prunes the
    other's objects."""
    route = approve()
    reconcile.reconcile_route(route.pk)
    twin = realkube.cluster(shop, name="real-again")

    report = reconcile.sync_cluster(twin.pk)

    assert report.deleted == 0
    assert realkube.get(*INGRESS, "shop", "cart") is not None and realkube.get(
        *CERTIFICATE, "shop", "cart-shop-example-com"
    )
    assert sorted(report.errors) == [
        "Certificate shop/cart-shop-example-com belongs to a route of cluster real; not pruned",
        "Ingress shop/cart belongs to a route of cluster real; not pruned",
    ]


def test_a_directory_sync_never_prunes_the_files_of_another_clusters_route(approved_route, cluster, shop):
    """Two clusters on one folder are refused outright now (tests/clusters/test_directory_folders.py); a twin
    stored before that rule still prunes nothing."""
    reconcile.reconcile_route(approved_route.pk)
    twin = Cluster.objects.create(name="twin", mode="directory", directory=cluster.directory or cluster.name)

    reconcile.sync_cluster(twin.pk)

    assert sorted(p.name for p in (cluster.directory_path() / "shop").iterdir()) == [
        "certificate-cart-shop-example-com.yaml",
        "ingress-cart.yaml",
    ]
