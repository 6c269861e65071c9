"""An object Portico read as its own is deleted and created again by someone else, without Portico's labels,
before Portico's apply: the apply names the uid it read, so kube-apiserver refuses it instead of letting Portico's
forced apply take the stranger's object over; the route says what happened (docs/reliability.md, "On a real API
server"). Before, the forced apply adopted the new object: our labels on it, its fields overwritten."""

import pytest

from clusters.kube import KubeClient
from routes import reconcile, services
from routes.models import Route
from tests.factories import spec
from tests.reconcile.conftest import INGRESS

pytestmark = pytest.mark.django_db

THEIRS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "cart", "labels": {"app": "legacy"}},
    "spec": {
        "ingressClassName": "traefik",
        "rules": [
            {
                "host": "legacy.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "legacy", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    },
}


def replace_with_theirs(realkube) -> dict:
    realkube.delete(*INGRESS, "shop", "cart")
    return realkube.create(THEIRS, manager="kubectl-create")


def untouched(realkube, theirs: dict) -> bool:
    live = realkube.get(*INGRESS, "shop", "cart")
    return (live["metadata"]["uid"], live["metadata"]["resourceVersion"], live["spec"]) == (
        theirs["metadata"]["uid"],
        theirs["metadata"]["resourceVersion"],
        theirs["spec"],
    )


def applied_condition(route) -> dict:
    return next(c for c in Route.objects.get(pk=route.pk).conditions if c["type"] == "Applied")


def test_a_new_revision_is_not_applied_to_an_ingress_recreated_after_the_sync_listed(
    approve,
    realkube,
    kube_cluster,
    alice,
    pat,
    monkeypatch,
):
    route = approve()
    reconcile.reconcile_route(route.pk)
    services.approve_route(services.edit_route(route, user=alice, spec=spec(path="/v2")), user=pat)
    list_context = reconcile.sync.list_context  # the sync's last list before it applies
    theirs = []

    def list_then_replaced(*args):
        lists = list_context(*args)
        theirs.append(replace_with_theirs(realkube))
        return lists

    monkeypatch.setattr(reconcile.sync, "list_context", list_then_replaced)

    reconcile.sync_cluster(kube_cluster.pk)

    assert untouched(realkube, theirs[0])
    route = Route.objects.get(pk=route.pk)
    assert (route.health, route.sync, route.applied_revision) == ("Degraded", "OutOfSync", 1)
    applied = applied_condition(route)
    assert applied["status"] == "False"
    assert "Ingress shop/cart was deleted and created again by someone else since Portico read it" in applied["message"]

    monkeypatch.setattr(reconcile.sync, "list_context", list_context)
    reconcile.sync_cluster(kube_cluster.pk)  # the next sync lists it: not Portico's, left alone
    assert untouched(realkube, theirs[0])
    assert "is not managed by Portico" in applied_condition(route)["message"]


def test_drift_repair_does_not_take_over_an_ingress_recreated_after_it_was_read(
    approve,
    realkube,
    kube_cluster,
    monkeypatch,
):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})  # drift to repair
    get = KubeClient.get
    theirs = []

    def read_then_replaced(self, kind, name, namespace=None):
        current = get(self, kind, name, namespace)
        if kind.kind == "Ingress" and not theirs:
            theirs.append(replace_with_theirs(realkube))
        return current

    monkeypatch.setattr(KubeClient, "get", read_then_replaced)

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert theirs and untouched(realkube, theirs[0])
    assert report.applied == 0
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded" and route.sync == "OutOfSync"
    assert any("was deleted and created again by someone else" in c["message"] for c in route.conditions)


def test_an_ingress_deleted_since_it_was_read_is_created_again(approve, realkube, kube_cluster, monkeypatch):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})
    get = KubeClient.get
    deleted = []

    def read_then_deleted(self, kind, name, namespace=None):
        current = get(self, kind, name, namespace)
        if kind.kind == "Ingress" and not deleted:
            deleted.append(realkube.delete(*INGRESS, "shop", "cart"))
        return current

    monkeypatch.setattr(KubeClient, "get", read_then_deleted)

    assert reconcile.sync_cluster(kube_cluster.pk).applied == 1

    live = realkube.get(*INGRESS, "shop", "cart")
    assert live["spec"]["ingressClassName"] == "nginx"
    assert live["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
