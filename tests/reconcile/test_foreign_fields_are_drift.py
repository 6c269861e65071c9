"""Fields other managers add to Portico's objects are drift (issue 17, "Clusters as they really are"), on the local
kube-apiserver (tests/realkube), where managedFields are recorded as on any cluster.

Portico's forced apply never removes a field another manager owns, so re-applying cannot repair it: the route's
diagnostics name the manager and the fields (a step and a ForeignFields condition). The annotations that make the
ingress controller do more than any reviewed option (snippets, external auth: routes.domain.policy.annotations) are
removed by the sync, with an audit event. What controllers write through the status subresource is not drift, and
finding foreign fields costs no request: they are in the lists a sync makes anyway.
"""

import kubernetes
import pytest

from core.models import AuditEvent
from routes import reconcile
from routes.domain.values import Backend
from routes.models import Route
from tests.reconcile.conftest import CERTIFICATE, INGRESS, SERVICE

pytestmark = pytest.mark.django_db

AUTH_URL = "nginx.ingress.kubernetes.io/auth-url"
SNIPPET = "nginx.ingress.kubernetes.io/configuration-snippet"
NOTE = "example.com/on-call"


def step(route, name):
    route = Route.objects.get(pk=route.pk)
    return next((s for s in route.diagnostics if s["step"] == name), None)


def condition(route, name):
    route = Route.objects.get(pk=route.pk)
    return next((c for c in route.conditions if c["type"] == name), None)


def annotate(realkube, name, annotations, manager="kubectl-annotate"):
    """`kubectl annotate` through the kubernetes client: a merge patch as another field manager."""
    kubernetes.client.NetworkingV1Api(realkube.api).patch_namespaced_ingress(
        name, "shop", {"metadata": {"annotations": annotations}}, field_manager=manager
    )


@pytest.fixture
def synced(approve, realkube, kube_cluster):
    """Route cart applied, its controllers' status written, and synced once (the worker's memo is warm)."""
    realkube.serve("cart", port=8080)
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.set_ingress_address("cart", "203.0.113.7")
    realkube.set_certificate_ready("cart-shop-example-com")
    reconcile.sync_cluster(kube_cluster.pk)
    return route


def test_status_written_by_controllers_is_not_drift(synced, realkube):
    managers = {e["manager"] for e in realkube.get(*INGRESS, "shop", "cart")["metadata"]["managedFields"]}
    assert len(managers) > 1  # the stand-in ingress controller wrote the status as another manager

    assert step(synced, "foreign-fields") is None
    assert condition(synced, "ForeignFields") is None
    assert Route.objects.get(pk=synced.pk).health == "Healthy"


def test_an_annotation_another_manager_adds_is_reported_and_left(synced, realkube, kube_cluster):
    annotate(realkube, "cart", {NOTE: "team-x"})

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.errors == [] and report.applied == 0
    found = step(synced, "foreign-fields")
    assert found["status"] == "warn"
    assert f"kubectl-annotate added annotation {NOTE} to Ingress shop/cart." in found["detail"]
    assert "Portico does not manage it, so it is not removed by its re-apply" in found["detail"]
    assert "kubectl annotate ingress cart -n shop KEY-" in found["fix"]
    steps = [s["step"] for s in Route.objects.get(pk=synced.pk).diagnostics]
    assert steps.index("foreign-fields") == steps.index("ingress") + 1
    assert condition(synced, "ForeignFields")["status"] == "True"
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["annotations"][NOTE] == "team-x"
    assert Route.objects.get(pk=synced.pk).health == "Healthy"  # reported, not a failure of traffic


def test_snippet_and_auth_annotations_are_removed_with_an_audit_event(synced, realkube, kube_cluster):
    annotate(realkube, "cart", {AUTH_URL: "https://auth.evil.example/check", SNIPPET: "more_set_headers 'X: y';"})

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.errors == []
    annotations = realkube.get(*INGRESS, "shop", "cart")["metadata"]["annotations"]
    assert AUTH_URL not in annotations and SNIPPET not in annotations
    assert annotations["portico.dev/revision"] == "1"  # Portico's own annotations untouched
    found = step(synced, "foreign-fields")
    assert (
        f"kubectl-annotate added annotation {AUTH_URL}, annotation {SNIPPET} to Ingress shop/cart." in found["detail"]
    )
    assert "Portico removed them" in found["detail"]
    event = AuditEvent.objects.get(verb="remove-annotations")
    assert event.actor_name == "system" and event.object_id == str(synced.pk)
    assert {a["annotation"] for a in event.before["annotations"]} == {AUTH_URL, SNIPPET}
    assert {a["added_by"] for a in event.before["annotations"]} == {"kubectl-annotate"}

    # The removal moved the object's resourceVersion; the memo follows it, and nothing more is written.
    realkube.clear_requests()
    assert reconcile.sync_cluster(kube_cluster.pk).applied == 0
    assert realkube.writes() == []


def test_a_dangerous_annotation_set_by_server_side_apply_is_removed_too(synced, realkube, kube_cluster):
    realkube.apply_out_of_band(
        {
            "apiVersion": INGRESS[0],
            "kind": INGRESS[1],
            "metadata": {"name": "cart", "annotations": {"nginx.ingress.kubernetes.io/server-snippet": "return 200;"}},
        },
        manager="helm",
    )

    reconcile.sync_cluster(kube_cluster.pk)

    live = realkube.get(*INGRESS, "shop", "cart")
    assert "nginx.ingress.kubernetes.io/server-snippet" not in live["metadata"]["annotations"]
    assert (
        "helm added annotation nginx.ingress.kubernetes.io/server-snippet" in step(synced, "foreign-fields")["detail"]
    )


def test_finding_foreign_fields_costs_no_request(synced, realkube, kube_cluster):
    realkube.clear_requests()
    reconcile.sync_cluster(kube_cluster.pk)
    before = [(r.method, r.path) for r in realkube.requests]
    annotate(realkube, "cart", {NOTE: "team-x"})

    realkube.clear_requests()
    reconcile.sync_cluster(kube_cluster.pk)

    assert [(r.method, r.path) for r in realkube.requests] == before
    assert realkube.writes() == []
    assert step(synced, "foreign-fields") is not None


def test_fields_on_the_shared_certificate_and_a_managed_service_are_reported(approve, realkube, kube_cluster):
    route = approve(backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}))
    reconcile.reconcile_route(route.pk)
    realkube.patch_out_of_band(
        *CERTIFICATE, "shop", "cart-shop-example-com", {"spec": {"duration": "24h0m0s"}}, manager="kubectl-edit"
    )
    realkube.patch_out_of_band(
        *SERVICE, "shop", "cart", {"metadata": {"labels": {"mesh.example.com/inject": "true"}}}, manager="mesh-operator"
    )

    reconcile.sync_cluster(kube_cluster.pk)

    detail = step(route, "foreign-fields")["detail"]
    assert "kubectl-edit added spec.duration to Certificate shop/cart-shop-example-com." in detail
    assert "mesh-operator added label mesh.example.com/inject to Service shop/cart." in detail


def test_an_existing_service_the_team_owns_is_not_portico_s_to_report(synced, realkube, kube_cluster):
    realkube.patch_out_of_band(
        *SERVICE, "shop", "cart", {"metadata": {"annotations": {NOTE: "team-x"}}}, manager="kubectl-annotate"
    )

    reconcile.sync_cluster(kube_cluster.pk)

    assert step(synced, "foreign-fields") is None
