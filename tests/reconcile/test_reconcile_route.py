"""reconcile_route against the local kube-apiserver (tests/realkube) with the real kubernetes client, as
deploy/target-rbac.yaml's identity; faults a real server cannot produce on demand use the emulator (tests/kube)."""

import pytest

from routes import reconcile
from routes.domain.values import Backend
from routes.models import Route
from tests.reconcile.conftest import CERTIFICATE, INGRESS, SERVICE

pytestmark = pytest.mark.django_db


def test_approved_route_creates_ingress_and_certificate_with_our_labels(approve, realkube):
    route = approve()

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED

    ingress = realkube.get(*INGRESS, "shop", "cart")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "cart.shop.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "cart", "port": {"number": 8080}}
    assert ingress["spec"]["tls"] == [{"hosts": ["cart.shop.example.com"], "secretName": "cart-shop-example-com-tls"}]
    labels = ingress["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "portico"
    assert labels["portico.dev/route"] == str(route.pk) and labels["portico.dev/team"] == "shop"
    assert ingress["metadata"]["annotations"]["portico.dev/revision"] == "1"
    cert = realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com")
    assert cert["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": "letsencrypt", "group": "cert-manager.io"}
    assert realkube.get(*SERVICE, "shop", "cart") is None  # an existing Service is never created by Portico


def test_writes_are_server_side_apply_as_portico(approve, realkube):
    reconcile.reconcile_route(approve().pk)

    writes = realkube.writes()
    assert writes and all(w.method == "PATCH" for w in writes)
    assert {w.content_type for w in writes} == {"application/apply-patch+yaml"}
    assert {(w.query["fieldManager"], w.query["force"]) for w in writes} == {("portico", "true")}


def test_managed_service_is_applied_before_the_ingress(approve, realkube):
    route = approve(backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}))

    reconcile.reconcile_route(route.pk)

    kinds = [w.path.split("/")[-2] for w in realkube.writes()]
    assert kinds.index("services") < kinds.index("ingresses")
    service = realkube.get(*SERVICE, "shop", "cart")
    assert service["spec"]["selector"] == {"app": "cart"} and service["spec"]["ports"][0]["targetPort"] == 8080


def test_second_reconcile_with_nothing_changed_sends_no_write(approve, realkube):
    route = approve()
    reconcile.reconcile_route(route.pk)
    realkube.clear_requests()

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.UNCHANGED
    assert realkube.writes() == []


def test_route_becomes_synced_and_healthy_once_the_cluster_serves_it(approve, realkube):
    route = approve()
    realkube.serve("cart", port=8080)
    # ingress-nginx where its usual installation puts it, with a ready pod (the "controller" step).
    realkube.add_namespace("ingress-nginx")
    realkube.service("ingress-nginx-controller", port=80, namespace="ingress-nginx")
    realkube.endpoint_slice("ingress-nginx-controller", port=80, namespace="ingress-nginx")
    reconcile.reconcile_route(route.pk)
    assert Route.objects.get(pk=route.pk).health == "Progressing"  # no address, certificate not issued yet

    realkube.set_status(*INGRESS, "shop", "cart", {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}})
    realkube.set_status(
        *CERTIFICATE,
        "shop",
        "cart-shop-example-com",
        {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}], "notAfter": "2027-02-01T00:00:00Z"},
    )
    reconcile.sync_cluster(route.cluster_id)

    route = Route.objects.get(pk=route.pk)
    assert (route.sync, route.health, route.address) == ("Synced", "Healthy", "203.0.113.7")
    assert route.endpoints == {"ready": 1, "total": 1}
    assert route.certificate == {"ready": True, "not_after": "2027-02-01T00:00:00Z"}
    assert [step["status"] for step in route.diagnostics] == ["ok"] * len(route.diagnostics)


def test_service_selecting_no_pods_is_explained(approve, realkube):
    route = approve()
    realkube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"selector": {"app": "kart"}, "ports": [{"port": 8080}]},
        }
    )

    reconcile.reconcile_route(route.pk)

    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded"
    endpoints = next(step for step in route.diagnostics if step["step"] == "endpoints")
    assert endpoints["status"] == "fail" and "selector" in endpoints["fix"]


def test_invalid_object_rejected_by_the_server_marks_the_route_degraded_with_its_message(approve_on_emulator, kube):
    """On the emulator: Portico validates every object before it applies it, so it never sends a real server an
    invalid one; the server's 422 is injected."""
    route = approve_on_emulator()
    kube.fail_next(
        1,
        422,
        methods=["PATCH"],
        message='Ingress.networking.k8s.io "cart" is invalid: spec.rules[0].host: Invalid value',
    )

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DEGRADED

    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded" and route.sync == "OutOfSync" and route.applied_revision is None
    applied = next(c for c in route.conditions if c["type"] == "Applied")
    assert applied["status"] == "False" and "spec.rules[0].host: Invalid value" in applied["message"]


def test_transient_error_is_recorded_and_raised_for_a_retry(approve_on_emulator, kube):
    """On the emulator: a real server does not answer 500 on demand."""
    from clusters.kube import TransientKubeError

    route = approve_on_emulator()
    kube.fail_next(1, 500, methods=["GET"])

    with pytest.raises(TransientKubeError):
        reconcile.reconcile_route(route.pk)

    route = Route.objects.get(pk=route.pk)
    assert route.applied_revision is None
    assert next(c for c in route.conditions if c["type"] == "Applied")["reason"] == "APIServerUnavailable"


@pytest.mark.parametrize("fault", ["500", "429", "refused"])
def test_task_retries_transient_errors_and_converges(approve_on_emulator, kube, settings, fault):
    """On the emulator: a real server does not answer 500 or 429, or cut connections, on demand."""
    from routes.tasks import reconcile_route

    settings.CELERY_TASK_ALWAYS_EAGER = True
    route = approve_on_emulator()
    if fault == "500":
        kube.fail_next(2, 500, methods=["PATCH"])
    elif fault == "429":
        kube.fail_next(2, 429, methods=["PATCH"], headers={"Retry-After": "0"})
    else:
        kube.drop_next(2, methods=["GET"])

    reconcile_route.apply(args=[str(route.pk)])

    route = Route.objects.get(pk=route.pk)
    assert route.applied_revision == 1 and route.sync == "Synced"
    assert kube.get(*INGRESS, "shop", "cart") is not None


def test_an_existing_object_we_do_not_own_is_never_modified(approve, realkube):
    foreign = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {"rules": [{"host": "legacy.example.com"}]},
    }
    realkube.create(foreign)
    route = approve()

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DEGRADED

    assert realkube.get(*INGRESS, "shop", "cart")["spec"] == foreign["spec"]
    assert not [w for w in realkube.writes() if "ingresses" in w.path]
    route = Route.objects.get(pk=route.pk)
    assert "not managed by Portico" in next(c for c in route.conditions if c["type"] == "Applied")["message"]


def test_new_revision_prunes_what_the_old_one_no_longer_wants(approve, realkube, alice, quinn):
    from routes import services
    from tests.factories import spec

    route = approve(backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}))
    reconcile.reconcile_route(route.pk)
    route = services.edit_route(route, user=alice, spec=spec(backend=Backend(service_name="cart-v2", service_port=80)))
    services.approve_route(route, user=quinn)

    reconcile.reconcile_route(route.pk)

    assert realkube.get(*SERVICE, "shop", "cart") is None
    ingress = realkube.get(*INGRESS, "shop", "cart")
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "cart-v2"
    assert Route.objects.get(pk=route.pk).applied_revision == 2


def test_deletion_removes_objects_and_keeps_the_route_in_history(approve, realkube, alice):
    from routes import services

    route = approve()
    reconcile.reconcile_route(route.pk)
    services.request_deletion(route, user=alice)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DELETED

    assert (
        realkube.get(*INGRESS, "shop", "cart") is None
        and realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None
    )
    assert Route.objects.get(pk=route.pk).deleted_at is not None


def test_missing_route_is_tolerated(db):
    import uuid

    assert reconcile.reconcile_route(uuid.uuid4()) is reconcile.Result.GONE


def test_each_applied_revision_and_the_removal_are_audited_once(approve, realkube, alice):
    from core.models import AuditEvent
    from routes import services

    route = approve()
    reconcile.reconcile_route(route.pk)
    reconcile.reconcile_route(route.pk)  # nothing new: no second event
    services.request_deletion(Route.objects.get(pk=route.pk), user=alice)
    reconcile.reconcile_route(route.pk)

    events = list(
        AuditEvent.objects.filter(object_id=str(route.pk), verb__in=["apply", "remove"])
        .order_by("pk")
        .values_list("verb", "actor_name", "after")
    )
    assert events == [("apply", "system", {"applied_revision": 1, "cluster": "real"}), ("remove", "system", None)]
