"""One owner per object against a real kube-apiserver: DELETE carries the uid of the object read as a precondition
(a re-created object survives), deleting or applying a route never touches another route's Service, and a
Certificate under its pre-injective name is pruned (docs/security.md, "One owner per object")."""

from dataclasses import replace

import pytest

from clusters.kube import KubeClient
from routes import reconcile, services
from routes.domain import render
from routes.domain.values import Backend
from routes.models import Route
from tests.factories import stored_before_the_rule

pytestmark = pytest.mark.django_db

INGRESS = ("networking.k8s.io/v1", "Ingress")
SERVICE = ("v1", "Service")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")
FRONTEND = Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"})


@pytest.fixture
def real_cluster(realkube, shop):
    return realkube.cluster(shop)


def replaced_after(monkeypatch, realkube, method: str, api_version: str, kind: str, name: str) -> list:
    """After Portico's first ``get`` or ``list`` of this kind, someone deletes the object and creates it again
    under the same name and labels: a new object with a new uid. Returns [(old uid, new uid)] once it happened."""
    original = getattr(KubeClient, method)
    replaced = []

    def read_then_replace(self, kind_, *args, **kwargs):
        result = original(self, kind_, *args, **kwargs)
        if kind_.kind == kind and not replaced:
            old = realkube.get(api_version, kind, "shop", name)
            realkube.delete(api_version, kind, "shop", name)
            fresh = {
                "apiVersion": api_version,
                "kind": kind,
                "spec": old["spec"],
                "metadata": {k: old["metadata"][k] for k in ("name", "labels", "annotations") if k in old["metadata"]},
            }
            replaced.append((old["metadata"]["uid"], realkube.create(fresh)["metadata"]["uid"]))
        return result

    monkeypatch.setattr(KubeClient, method, read_then_replace)
    return replaced


def test_deleting_a_route_leaves_an_ingress_recreated_since_it_was_read(
    realkube, real_cluster, submit, pat, alice, monkeypatch
):
    route = services.approve_route(submit("cart", on=real_cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    services.request_deletion(route, user=alice)
    replaced = replaced_after(monkeypatch, realkube, "get", *INGRESS, "cart")
    realkube.clear_requests()

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DELETED

    [(old_uid, new_uid)] = replaced
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["uid"] == new_uid
    [delete] = [r for r in realkube.requests if r.method == "DELETE" and r.path.endswith("/ingresses/cart")]
    assert (delete.body["preconditions"], delete.status) == ({"uid": old_uid}, 409)
    assert realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None  # the rest went as usual
    assert realkube.refused() == []


def test_prune_leaves_an_object_recreated_since_the_list(realkube, real_cluster, submit, pat, monkeypatch):
    route = services.approve_route(submit("cart", on=real_cluster), user=pat)
    reconcile.reconcile_route(route.pk)
    ingress = realkube.get(*INGRESS, "shop", "cart")
    realkube.create(
        {
            "apiVersion": INGRESS[0],
            "kind": "Ingress",
            "spec": ingress["spec"],
            "metadata": {
                "name": "old",
                "labels": {
                    **ingress["metadata"]["labels"],
                    "portico.dev/route": "00000000-0000-0000-0000-000000000000",
                },
            },
        }
    )
    replaced = replaced_after(monkeypatch, realkube, "list", *INGRESS, "old")
    realkube.clear_requests()

    report = reconcile.sync_cluster(real_cluster.pk)

    [(old_uid, new_uid)] = replaced
    assert realkube.get(*INGRESS, "shop", "old")["metadata"]["uid"] == new_uid
    [delete] = [r for r in realkube.requests if r.method == "DELETE"]
    assert (delete.body["preconditions"], delete.status, report.deleted) == ({"uid": old_uid}, 409, 0)


def two_owners_of_frontend(realkube, cluster, submit, pat):
    """Route "frontend" manages Service frontend and is applied; route "hijack" was approved naming Service
    "frontend" too, as a route stored before one owner per object was a rule."""
    realkube.endpoint_slice("frontend", port=8080)
    victim = services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND, on=cluster), user=pat)
    reconcile.reconcile_route(victim.pk)
    hijack = services.approve_route(
        submit(
            "hijack",
            host="hijack.shop.example.com",
            on=cluster,
            backend=replace(FRONTEND, service_name="evil", target_port=9999, selector={"app": "evil"}),
        ),
        user=pat,
    )
    return victim, stored_before_the_rule(hijack, Backend(service_name="frontend"))


def test_a_second_owner_is_degraded_and_never_writes_to_the_service(realkube, real_cluster, submit, pat, alice):
    victim, hijack = two_owners_of_frontend(realkube, real_cluster, submit, pat)
    before = realkube.get(*SERVICE, "shop", "frontend")
    realkube.clear_requests()

    assert reconcile.reconcile_route(hijack.pk) is reconcile.Result.DEGRADED
    reconcile.sync_cluster(real_cluster.pk)
    services.request_deletion(hijack, user=alice)
    reconcile.sync_cluster(real_cluster.pk)

    assert [r for r in realkube.writes() if "/services/frontend" in r.path] == []
    after = realkube.get(*SERVICE, "shop", "frontend")
    assert (after["metadata"]["uid"], after["spec"]["selector"], after["metadata"]["labels"]["portico.dev/route"]) == (
        before["metadata"]["uid"],
        {"app": "frontend"},
        str(victim.pk),
    )
    assert Route.objects.get(pk=hijack.pk).deleted_at is not None
    assert Route.objects.get(pk=victim.pk).sync == "Synced"
    assert realkube.refused() == []


def test_a_certificate_under_its_old_name_is_pruned(realkube, real_cluster, submit, pat, monkeypatch):
    host = "x-y.shop.example.com"
    with monkeypatch.context() as old_portico:
        old_portico.setattr(render, "_host_slug", lambda h: h.replace(".", "-"))
        services.approve_route(submit("dashed", host=host, on=real_cluster), user=pat)
        reconcile.sync_cluster(real_cluster.pk)
    # The upgraded Portico runs in new worker processes, which remember nothing of the old one's syncs.
    reconcile.memo.forget(real_cluster.pk)
    assert [c["metadata"]["name"] for c in realkube.list_objects(*CERTIFICATE, "shop")] == ["x-y-shop-example-com"]

    reconcile.sync_cluster(real_cluster.pk)

    assert [c["metadata"]["name"] for c in realkube.list_objects(*CERTIFICATE, "shop")] == [
        render.certificate_name(host)
    ]
    assert realkube.get(*INGRESS, "shop", "dashed")["spec"]["tls"][0]["secretName"] == render.tls_secret_name(host)
    assert realkube.refused() == []
