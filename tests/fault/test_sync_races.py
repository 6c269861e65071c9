"""A cluster sync racing another worker's reconcile_route on the local kube-apiserver (tests/realkube), made
deterministic: the other worker acts at the worst moment, between the sync's lists (or its database snapshot) and
its writes."""

import pytest

from routes import reconcile, services
from routes.domain import render
from routes.models import Route
from tests.factories import spec
from tests.reconcile.conftest import INGRESS, approve, kube_cluster  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.fault, pytest.mark.django_db]


def _patches(realkube, name):
    return [w for w in realkube.writes() if w.method == "PATCH" and w.path.endswith(f"/ingresses/{name}")]


def _paths(realkube, name):
    return realkube.get(*INGRESS, "shop", name)["spec"]["rules"][0]["http"]["paths"][0]["path"]


def test_a_revision_applied_after_the_sync_listed_is_not_applied_again(approve, realkube, alice, pat, monkeypatch):
    route = approve()
    reconcile.reconcile_route(route.pk)
    services.edit_route(route, user=alice, spec=spec(path="/v2"))
    list_live = reconcile.sync.list_live

    def list_then_other_worker_applies(*args):
        lists = list_live(*args)
        services.approve_route(Route.objects.get(pk=route.pk), user=pat)
        reconcile.reconcile_route(route.pk)  # settled again before the sync reads the database
        return lists

    monkeypatch.setattr(reconcile.sync, "list_live", list_then_other_worker_applies)
    realkube.clear_requests()

    reconcile.sync_cluster(route.cluster_id)

    assert len(_patches(realkube, "cart")) == 1  # reconcile_route's; the sync saw a stale list, not drift
    assert _paths(realkube, "cart") == "/v2"


def test_a_sync_never_writes_back_a_revision_older_than_the_route_has_now(approve, realkube, alice, pat, monkeypatch):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "traefik"}})  # drift to repair
    services.edit_route(route, user=alice, spec=spec(path="/v2"))
    desired_objects = render.desired_objects

    def snapshot_then_other_worker_applies(*args, **kwargs):
        objects = desired_objects(*args, **kwargs)  # from the sync's snapshot: revision 1
        monkeypatch.setattr(render, "desired_objects", desired_objects)
        services.approve_route(Route.objects.get(pk=route.pk), user=pat)
        reconcile.reconcile_route(route.pk)
        return objects

    monkeypatch.setattr(render, "desired_objects", snapshot_then_other_worker_applies)

    reconcile.sync_cluster(route.cluster_id)

    assert _paths(realkube, "cart") == "/v2"
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["annotations"]["portico.dev/revision"] == "2"


def test_a_sync_does_not_overwrite_the_status_another_worker_just_wrote(approve, realkube, alice, pat, monkeypatch):
    realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"selector": {"app": "cart"}, "ports": [{"port": 8080}]},
        }
    )
    route = approve()
    reconcile.reconcile_route(route.pk)
    services.edit_route(
        route, user=alice, spec=spec(backend=spec().backend.__class__(service_name="cart-v2", service_port=8080))
    )
    # Something the sync will notice, so its (stale) evaluation differs from the row it read.
    realkube.set_status(*INGRESS, "shop", "cart", {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}})
    desired_objects = render.desired_objects

    def snapshot_then_other_worker_applies(*args, **kwargs):
        objects = desired_objects(*args, **kwargs)
        monkeypatch.setattr(render, "desired_objects", desired_objects)
        services.approve_route(Route.objects.get(pk=route.pk), user=pat)
        reconcile.reconcile_route(route.pk)  # writes revision 2's status: Service cart-v2 does not exist
        return objects

    monkeypatch.setattr(render, "desired_objects", snapshot_then_other_worker_applies)

    reconcile.sync_cluster(route.cluster_id)

    route = Route.objects.get(pk=route.pk)
    service_step = next(d for d in route.diagnostics if d.get("step") == "service")
    assert "cart-v2" in str(service_step)


def test_a_route_another_worker_settled_after_the_sync_listed_is_not_applied_again(
    approve,
    realkube,
    alice,
    pat,
    monkeypatch,
):
    route = approve()
    reconcile.reconcile_route(route.pk)
    services.edit_route(route, user=alice, spec=spec(path="/v2"))
    services.approve_route(Route.objects.get(pk=route.pk), user=pat)  # unsettled in the sync's snapshot
    desired_objects = render.desired_objects

    def snapshot_then_other_worker_applies(*args, **kwargs):
        objects = desired_objects(*args, **kwargs)
        monkeypatch.setattr(render, "desired_objects", desired_objects)
        reconcile.reconcile_route(route.pk)  # the approval's own task wins the race
        return objects

    monkeypatch.setattr(render, "desired_objects", snapshot_then_other_worker_applies)
    realkube.clear_requests()

    reconcile.sync_cluster(route.cluster_id)

    assert len(_patches(realkube, "cart")) == 1
    assert _paths(realkube, "cart") == "/v2"
