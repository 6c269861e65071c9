"""The emulator's writes: create with server fields and defaults, versions, namespaces, 404/409/422, PUT, delete."""

import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator_support import apply_ingress, ingress, status_of


def test_create_answers_201_with_uid_resource_version_timestamp_and_generation(kube, networking):
    created, status, _ = networking.create_namespaced_ingress_with_http_info("shop", ingress())

    assert status == 201
    meta = created.metadata
    assert meta.uid and meta.creation_timestamp is not None and meta.generation == 1
    assert int(meta.resource_version) > 0
    stored = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert stored["metadata"]["uid"] == meta.uid
    assert stored["metadata"]["resourceVersion"] == meta.resource_version
    assert stored["spec"]["rules"][0]["host"] == "cart.shop.example.com"


def test_services_get_server_defaults(core):
    created = core.create_namespaced_service(
        "shop",
        {
            "metadata": {"name": "cart"},
            "spec": {"type": "NodePort", "selector": {"app": "cart"}, "ports": [{"port": 8080}]},
        },
    )

    assert created.spec.cluster_ip.startswith("10.96.")
    port = created.spec.ports[0]
    assert (port.protocol, port.target_port, 30000 <= port.node_port <= 32767) == ("TCP", 8080, True)


def test_resource_version_increases_on_each_write_and_generation_on_spec_changes(kube, networking):
    _, first = apply_ingress(networking, ingress())
    _, same = apply_ingress(networking, ingress())
    _, relabelled = apply_ingress(networking, ingress(labels={"app.kubernetes.io/managed-by": "portico", "x": "1"}))
    _, moved = apply_ingress(
        networking,
        ingress(host="basket.shop.example.com", labels={"app.kubernetes.io/managed-by": "portico", "x": "1"}),
    )

    versions = [int(obj.metadata.resource_version) for obj in (first, same, relabelled, moved)]
    assert versions[0] == versions[1] < versions[2] < versions[3]
    assert [obj.metadata.generation for obj in (first, same, relabelled, moved)] == [1, 1, 1, 2]
    # An apply that changes nothing is not a write: the object has three versions, not four.
    assert len(kube.history("networking.k8s.io/v1", "ingresses", "shop", "cart")) == 3


def test_namespaces_can_be_created_read_listed_and_deleted(kube, core):
    created = core.create_namespace({"metadata": {"name": "shop"}})
    core.create_namespaced_service("shop", {"metadata": {"name": "cart"}, "spec": {"ports": [{"port": 80}]}})

    assert created.status.phase == "Active"
    assert core.read_namespace("shop").metadata.labels["kubernetes.io/metadata.name"] == "shop"
    assert [ns.metadata.name for ns in core.list_namespace().items] == ["shop"]

    core.delete_namespace("shop")

    assert kube.get("v1", "Namespace", None, "shop") is None
    assert kube.get("v1", "Service", "shop", "cart") is None


def test_namespaced_objects_need_their_namespace_when_required(kube, core):
    kube.require_namespaces = True

    with pytest.raises(ApiException) as error:
        core.create_namespaced_service("nowhere", {"metadata": {"name": "cart"}, "spec": {"ports": [{"port": 80}]}})

    assert error.value.status == 404
    assert status_of(error.value)["message"] == 'namespaces "nowhere" not found'


def test_duplicate_create_answers_409_already_exists(networking):
    networking.create_namespaced_ingress("shop", ingress())

    with pytest.raises(ApiException) as error:
        networking.create_namespaced_ingress("shop", ingress())

    assert error.value.status == 409
    status = status_of(error.value)
    assert (status["kind"], status["reason"]) == ("Status", "AlreadyExists")
    assert status["message"] == 'ingresses.networking.k8s.io "cart" already exists'
    assert status["details"] == {"name": "cart", "group": "networking.k8s.io", "kind": "ingresses"}


def test_missing_objects_answer_404_with_a_status_body(core):
    with pytest.raises(ApiException) as error:
        core.read_namespaced_service("nope", "shop")

    assert error.value.status == 404
    status = status_of(error.value)
    assert (status["status"], status["reason"], status["code"]) == ("Failure", "NotFound", 404)
    assert status["message"] == 'services "nope" not found'


def test_invalid_label_values_and_names_answer_422_invalid(networking):
    too_long = "a" * 64
    with pytest.raises(ApiException) as error:
        networking.create_namespaced_ingress("shop", ingress(labels={"portico.dev/host": too_long}))

    assert error.value.status == 422
    status = status_of(error.value)
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        f'Ingress.networking.k8s.io "cart" is invalid: metadata.labels: Invalid value: "{too_long}": '
        "must be no more than 63 characters"
    )
    with pytest.raises(ApiException) as error:
        networking.create_namespaced_ingress("shop", ingress(name="Cart_1"))
    assert status_of(error.value)["details"]["causes"][0]["field"] == "metadata.name"


def test_put_replaces_the_object_and_refuses_a_stale_resource_version(kube, core):
    created = core.create_namespaced_service(
        "shop",
        {
            "metadata": {"name": "cart", "labels": {"a": "1"}},
            "spec": {"ports": [{"port": 80}]},
        },
    )
    body = core.read_namespaced_service("cart", "shop").to_dict()
    body["metadata"]["labels"] = {"b": "2"}

    replaced = core.replace_namespaced_service("cart", "shop", body)

    assert replaced.metadata.labels == {"b": "2"}
    assert replaced.spec.cluster_ip == created.spec.cluster_ip
    assert kube.requests[-1].method == "PUT"
    body["metadata"]["resource_version"] = created.metadata.resource_version
    with pytest.raises(ApiException) as error:
        core.replace_namespaced_service("cart", "shop", body)
    assert error.value.status == 409 and status_of(error.value)["reason"] == "Conflict"


def test_delete_answers_a_status_and_finalizers_hold_the_object_until_removed(kube, core, networking):
    core.create_namespaced_service("shop", {"metadata": {"name": "cart"}, "spec": {"ports": [{"port": 80}]}})
    kube.create(
        ingress(labels={"a": "1"})
        | {"metadata": {"name": "cart", "namespace": "shop", "finalizers": ["example.com/hold"]}}
    )

    deleted_service = core.delete_namespaced_service("cart", "shop")
    deleted_ingress = networking.delete_namespaced_ingress("cart", "shop")

    # As from kube-apiserver: a Service's deletion answers the Service, an object held by a finalizer
    # answers itself (marked for deletion), and an object deleted at once answers a Status.
    assert deleted_service.metadata.name == "cart"
    assert (deleted_ingress["kind"], deleted_ingress["metadata"]["deletionTimestamp"] is not None) == ("Ingress", True)
    kube.create(ingress("blog"))
    deleted = networking.delete_namespaced_ingress("blog", "shop")
    assert (deleted["kind"], deleted["status"], deleted["details"]["name"]) == ("Status", "Success", "blog")
    assert kube.get("v1", "Service", "shop", "cart") is None
    held = kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart")
    assert held["metadata"]["deletionTimestamp"]
    kube.patch_out_of_band("networking.k8s.io/v1", "Ingress", "shop", "cart", {"metadata": {"finalizers": None}})
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is None
