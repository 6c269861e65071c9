"""Other field managers on Portico's objects, on the local kube-apiserver (tests/realkube), where server-side apply
tracks field ownership and merges keyed lists as on any cluster (docs/reliability.md, "On a real API server").

- A person with kubectl (an Update, or a server-side apply as another manager) changes a field Portico owns and
  adds one it does not: the next sync takes Portico's field back with its forced apply, the other field stays
  the other manager's, and later syncs write nothing.
- A second controller adds a port to a Service Portico manages: Service `ports` is a list merged by port and
  protocol, so that port survives Portico's apply. Drift detection compares like the server merges: the foreign
  port is not drift (before, every sync re-applied the Service, forever), a change to Portico's own port is.
"""

import pytest

from routes import reconcile
from routes.domain.values import Backend
from tests.reconcile.conftest import INGRESS, SERVICE

pytestmark = pytest.mark.django_db

OWNER_ANNOTATION = "example.com/owner"


def managers_of(obj: dict, field: str) -> set[str]:
    """The field managers whose managedFields name ``field`` (a FieldsV1 key such as "f:ingressClassName")."""
    import json

    return {entry["manager"] for entry in obj["metadata"]["managedFields"] if field in json.dumps(entry["fieldsV1"])}


def patches(realkube) -> list:
    return [r for r in realkube.writes() if r.method == "PATCH"]


@pytest.mark.parametrize("how", ["kubectl edit", "kubectl apply --server-side --force-conflicts"])
def test_another_manager_loses_the_field_portico_owns_and_keeps_its_own(approve, realkube, kube_cluster, how):
    reconcile.reconcile_route(approve().pk)
    change = {"metadata": {"annotations": {OWNER_ANNOTATION: "team-x"}}, "spec": {"ingressClassName": "traefik"}}
    if how == "kubectl edit":
        realkube.patch_out_of_band(*INGRESS, "shop", "cart", change, manager="kubectl-edit")
        manager = "kubectl-edit"
    else:
        realkube.apply_out_of_band(
            {
                "apiVersion": INGRESS[0],
                "kind": INGRESS[1],
                "metadata": {"name": "cart", **change["metadata"]},
                "spec": change["spec"],
            },
            manager="kubectl",
            force=True,
        )
        manager = "kubectl"
    assert managers_of(realkube.get(*INGRESS, "shop", "cart"), "f:ingressClassName") == {manager}

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.applied == 1 and report.errors == []
    live = realkube.get(*INGRESS, "shop", "cart")
    assert live["spec"]["ingressClassName"] == "nginx"
    assert managers_of(live, "f:ingressClassName") == {"portico"}
    assert live["metadata"]["annotations"][OWNER_ANNOTATION] == "team-x"  # not Portico's field: left alone
    assert managers_of(live, f"f:{OWNER_ANNOTATION}") == {manager}

    realkube.clear_requests()
    for _ in range(2):
        assert reconcile.sync_cluster(kube_cluster.pk).applied == 0
    assert patches(realkube) == []


@pytest.fixture
def managed_service_route(approve):
    route = approve(backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}))
    reconcile.reconcile_route(route.pk)
    return route


def add_metrics_port(realkube) -> None:
    """A second controller (a service mesh, say) adds its port to the Service by server-side apply."""
    realkube.apply_out_of_band(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart"},
            "spec": {"ports": [{"name": "metrics", "port": 9090, "targetPort": 9090}]},
        },
        manager="mesh-controller",
    )


def ports(realkube) -> dict[int, object]:
    return {p["port"]: p["targetPort"] for p in realkube.get(*SERVICE, "shop", "cart")["spec"]["ports"]}


def test_a_port_another_controller_added_to_a_managed_service_survives_and_is_no_drift(
    managed_service_route,
    realkube,
    kube_cluster,
):
    add_metrics_port(realkube)
    realkube.clear_requests()

    for _ in range(2):
        report = reconcile.sync_cluster(kube_cluster.pk)
        assert (report.applied, report.errors) == (0, [])

    assert patches(realkube) == []
    assert ports(realkube) == {80: 8080, 9090: 9090}
    assert reconcile.reconcile_route(managed_service_route.pk) is reconcile.Result.UNCHANGED


def test_a_change_to_porticos_own_port_is_still_drift_and_the_foreign_port_stays(
    managed_service_route,
    realkube,
    kube_cluster,
):
    add_metrics_port(realkube)
    service = realkube.get(*SERVICE, "shop", "cart")
    ours = next(i for i, p in enumerate(service["spec"]["ports"]) if p["port"] == 80)
    realkube.patch_out_of_band(
        *SERVICE,
        "shop",
        "cart",
        [{"op": "replace", "path": f"/spec/ports/{ours}/targetPort", "value": 9999}],
        patch_type="json",
    )
    realkube.clear_requests()

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.applied == 1
    assert [r.path for r in patches(realkube)] == ["/api/v1/namespaces/shop/services/cart"]
    assert ports(realkube) == {80: 8080, 9090: 9090}
