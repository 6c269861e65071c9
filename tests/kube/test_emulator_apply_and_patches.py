"""The emulator's server-side apply (field managers, conflicts, status, dry run) and its three other patch types."""

import kubernetes
import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator_support import APPLY, apply_ingress, apply_raw, certificate, ingress, managers, status_of


def test_apply_creates_a_missing_object_with_201_and_records_how_it_was_sent(kube, networking):
    status, created = apply_ingress(networking, ingress())

    assert status == 201
    assert created.metadata.uid
    assert managers(kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart"))["portico"]["operation"] == "Apply"
    [request] = kube.writes()
    assert (request.method, request.path) == ("PATCH", "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/cart")
    assert request.content_type == APPLY
    assert request.query == {"fieldManager": "portico", "force": "true"}
    assert request.body["spec"]["rules"][0]["host"] == "cart.shop.example.com"
    assert request.status == 201


def test_apply_updates_and_removes_the_fields_the_manager_stopped_applying(kube, api):
    apply_raw(api, ingress(labels={"keep": "1", "drop": "1"}, annotations={"portico.dev/revision": "1"}))

    status, updated = apply_raw(api, ingress(host="basket.shop.example.com", labels={"keep": "1"}))

    assert status == 200
    stored = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert stored["metadata"]["labels"] == {"keep": "1"}
    assert "annotations" not in stored["metadata"]
    assert stored["spec"]["rules"][0]["host"] == "basket.shop.example.com"
    assert managers(stored)["portico"]["fieldsV1"]["f:metadata"] == {"f:labels": {"f:keep": {}}}
    assert updated == stored


def test_apply_leaves_fields_owned_by_other_managers(kube, api):
    apply_raw(api, ingress())
    kube.patch_out_of_band(
        "networking.k8s.io/v1", "Ingress", "shop", "cart", {"metadata": {"labels": {"note": "by-hand"}}}
    )

    apply_raw(api, ingress())

    stored = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert stored["metadata"]["labels"]["note"] == "by-hand"
    assert set(managers(stored)) == {"portico", "kubectl-edit"}


def test_forced_apply_repairs_drift_and_takes_the_field_back(kube, api):
    apply_raw(api, ingress())
    kube.patch_out_of_band("networking.k8s.io/v1", "Ingress", "shop", "cart", {"spec": {"ingressClassName": "traefik"}})
    assert managers(kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart"))["kubectl-edit"]

    apply_raw(api, ingress())

    stored = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert stored["spec"]["ingressClassName"] == "nginx"
    assert "kubectl-edit" not in managers(stored)


def test_unforced_apply_conflicts_with_another_managers_field(kube, networking):
    apply_ingress(networking, ingress())
    kube.patch_out_of_band("networking.k8s.io/v1", "Ingress", "shop", "cart", {"spec": {"ingressClassName": "traefik"}})

    with pytest.raises(ApiException) as error:
        apply_ingress(networking, ingress(), force=False)

    assert error.value.status == 409
    status = status_of(error.value)
    assert status["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using networking.k8s.io/v1: .spec.ingressClassName'
    )
    assert status["details"]["causes"][0]["field"] == ".spec.ingressClassName"


def test_apply_needs_a_field_manager(api):
    with pytest.raises(ApiException) as error:
        kubernetes.client.NetworkingV1Api(api).patch_namespaced_ingress("cart", "shop", ingress(), _content_type=APPLY)

    assert error.value.status == 422
    assert "fieldManager: Required value" in status_of(error.value)["message"]


def test_status_is_what_the_controller_set_and_applies_do_not_touch_it(kube, custom):
    cert = certificate()
    cert["status"] = {"conditions": [{"type": "Ready", "status": "False"}]}
    custom.patch_namespaced_custom_object(
        "cert-manager.io",
        "v1",
        "shop",
        "certificates",
        cert["metadata"]["name"],
        cert,
        field_manager="portico",
        force=True,
        _content_type=APPLY,
    )
    assert "status" not in kube.get("cert-manager.io/v1", "Certificate", "shop", cert["metadata"]["name"])

    kube.set_status(
        "cert-manager.io/v1",
        "certificates",
        "shop",
        cert["metadata"]["name"],
        {
            "conditions": [{"type": "Ready", "status": "True"}],
            "notAfter": "2027-01-01T00:00:00Z",
        },
    )
    custom.patch_namespaced_custom_object(
        "cert-manager.io",
        "v1",
        "shop",
        "certificates",
        cert["metadata"]["name"],
        certificate(),
        field_manager="portico",
        force=True,
        _content_type=APPLY,
    )

    read = custom.get_namespaced_custom_object(
        "cert-manager.io", "v1", "shop", "certificates", cert["metadata"]["name"]
    )
    assert read["status"]["conditions"] == [{"type": "Ready", "status": "True"}]


def test_a_dry_run_apply_answers_the_result_and_stores_nothing(kube, networking):
    apply_ingress(networking, ingress())
    before = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")

    preview = networking.patch_namespaced_ingress(
        "cart",
        "shop",
        ingress(host="basket.shop.example.com"),
        field_manager="portico",
        force=True,
        dry_run="All",
        _content_type=APPLY,
    )

    assert preview.spec.rules[0].host == "basket.shop.example.com"
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") == before


def test_ingress_address_set_by_a_controller_is_visible(kube, networking):
    apply_ingress(networking, ingress())

    kube.set_status(
        "networking.k8s.io/v1", "Ingress", "shop", "cart", {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    )

    assert networking.read_namespaced_ingress("cart", "shop").status.load_balancer.ingress[0].ip == "203.0.113.7"


def test_merge_strategic_and_json_patches_are_applied_and_recorded(kube, core, custom):
    core.create_namespaced_service("shop", {"metadata": {"name": "cart"}, "spec": {"ports": [{"port": 80}]}})
    custom.create_namespaced_custom_object("cert-manager.io", "v1", "shop", "certificates", certificate())

    core.patch_namespaced_service("cart", "shop", {"metadata": {"labels": {"a": "1"}}})
    core.patch_namespaced_service("cart", "shop", [{"op": "add", "path": "/metadata/annotations", "value": {"b": "2"}}])
    custom.patch_namespaced_custom_object(
        "cert-manager.io",
        "v1",
        "shop",
        "certificates",
        "cart-shop-example-com",
        {"spec": {"dnsNames": ["x.example.com"]}},
    )

    service = kube.get("v1", "services", "shop", "cart")
    assert (service["metadata"]["labels"], service["metadata"]["annotations"]) == ({"a": "1"}, {"b": "2"})
    assert kube.get("cert-manager.io/v1", "certificates", "shop", "cart-shop-example-com")["spec"]["dnsNames"] == [
        "x.example.com"
    ]
    assert [r.content_type for r in kube.writes() if r.method == "PATCH"] == [
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/merge-patch+json",
    ]
    with pytest.raises(ApiException) as error:  # custom resources have no strategic merge
        custom.patch_namespaced_custom_object(
            "cert-manager.io",
            "v1",
            "shop",
            "certificates",
            "cart-shop-example-com",
            {"spec": {}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert error.value.status == 415
