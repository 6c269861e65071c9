"""The API emulator, driven by the official `kubernetes` client, behaves as Portico needs a cluster to.

Each test states one behaviour of kube-apiserver that kmock 0.8 alone lacks (docs/architecture.md, "Tests")
or that the reconciler's tests rely on, and checks it both through the client and in the
emulator's store and request log.
"""

import json
import threading
import time

import kubernetes
import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator import KubeEmulator

APPLY = "application/apply-patch+yaml"
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"


@pytest.fixture
def api(kube_kubeconfig):
    client = kubernetes.config.new_client_from_config_dict(kube_kubeconfig)
    yield client
    client.close()


@pytest.fixture
def core(api):
    return kubernetes.client.CoreV1Api(api)


@pytest.fixture
def networking(api):
    return kubernetes.client.NetworkingV1Api(api)


@pytest.fixture
def custom(api):
    return kubernetes.client.CustomObjectsApi(api)


def ingress(name="cart", namespace="shop", *, host="cart.shop.example.com", labels=None, annotations=None, path="/"):
    """An Ingress as Portico renders one."""
    metadata = {"name": name, "namespace": namespace, "labels": labels or {"app.kubernetes.io/managed-by": "portico"}}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def certificate(name="cart-shop-example-com", namespace="shop", host="cart.shop.example.com"):
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "portico"}},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": [host],
            "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"},
        },
    }


def apply_raw(api, obj, *, manager="portico", force=True):
    """Server-side apply the way clusters/kube.py sends it: param_serialize + call_api, JSON text body."""
    meta = obj["metadata"]
    query = [("fieldManager", manager)] + ([("force", "true")] if force else [])
    method, url, headers, body, post = api.param_serialize(
        "PATCH",
        INGRESSES,
        path_params={"namespace": meta["namespace"], "name": meta["name"]},
        query_params=query,
        header_params={"Content-Type": APPLY, "Accept": "application/json"},
        body=json.dumps(obj),
        auth_settings=["BearerToken"],
    )
    response = api.call_api(method, url, headers, body, post)
    response.read()
    return response.status, json.loads(response.data)


def apply_ingress(networking, obj, *, force=True):
    """Server-side apply through the typed API, forcing the apply content type with `_content_type`."""
    data, status, _ = networking.patch_namespaced_ingress_with_http_info(
        obj["metadata"]["name"],
        obj["metadata"]["namespace"],
        obj,
        field_manager="portico",
        force=force,
        _content_type=APPLY,
    )
    return status, data


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


def managers(obj: dict) -> dict[str, dict]:
    return {entry["manager"]: entry for entry in obj["metadata"].get("managedFields", [])}


def test_kubeconfig_works_with_the_official_client_and_version_is_settable(kube, api):
    version = kubernetes.client.VersionApi(api).get_code()
    assert (version.major, version.minor, version.git_version) == ("1", "37", "v1.37.0")

    kube.set_version(29)

    assert kubernetes.client.VersionApi(api).get_code().minor == "29"
    config = kube.kubeconfig()
    assert config["clusters"][0]["cluster"]["server"] == kube.url
    assert config["users"][0]["user"] == {"token": kube.token}


def test_discovery_describes_the_groups_and_resources_portico_uses(api):
    groups = {group.name for group in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert {
        "networking.k8s.io",
        "discovery.k8s.io",
        "cert-manager.io",
        "apiextensions.k8s.io",
        "gateway.networking.k8s.io",
    } <= groups

    core = {r.name: r for r in kubernetes.client.CoreV1Api(api).get_api_resources().resources}
    assert {"services", "namespaces", "pods", "endpoints"} <= set(core)
    assert core["namespaces"].namespaced is False and core["services"].namespaced is True
    networking = {r.name: r for r in kubernetes.client.NetworkingV1Api(api).get_api_resources().resources}
    assert networking["ingresses"].kind == "Ingress" and networking["ingresses"].namespaced is True
    assert networking["ingressclasses"].namespaced is False
    cert_manager = {
        r.name: r for r in kubernetes.client.CustomObjectsApi(api).get_api_resources("cert-manager.io", "v1").resources
    }
    assert cert_manager["clusterissuers"].namespaced is False and cert_manager["certificates"].namespaced is True
    assert "patch" in cert_manager["certificates"].verbs
    assert kubernetes.client.CoreApi(api).get_api_versions().versions == ["v1"]


def test_a_removed_api_group_leaves_discovery_and_its_urls_answer_404(kube, api, custom):
    kube.remove_api_group("cert-manager.io")

    groups = {group.name for group in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert "cert-manager.io" not in groups
    with pytest.raises(ApiException) as error:
        custom.list_namespaced_custom_object("cert-manager.io", "v1", "shop", "certificates")
    assert error.value.status == 404


def test_creating_a_crd_serves_its_resource(api, custom):
    kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [
                    {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}
                ],
            },
        }
    )

    custom.create_namespaced_custom_object(
        "example.com",
        "v1",
        "shop",
        "widgets",
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
        },
    )

    assert "example.com" in {group.name for group in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert custom.get_namespaced_custom_object("example.com", "v1", "shop", "widgets", "w")["kind"] == "Widget"


def test_requests_without_the_token_are_unauthorized_but_version_is_public(kube):
    config = kube.kubeconfig()
    config["users"][0]["user"]["token"] = "stolen"
    client = kubernetes.config.new_client_from_config_dict(config)

    with pytest.raises(ApiException) as error:
        kubernetes.client.CoreV1Api(client).list_namespace()

    assert error.value.status == 401 and status_of(error.value)["reason"] == "Unauthorized"
    assert kubernetes.client.VersionApi(client).get_code().major == "1"
    client.close()


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


LABELLED = {
    "cart": {"app": "cart", "tier": "web", "managed": "yes"},
    "api": {"app": "api", "tier": "api"},
    "docs": {"app": "docs", "tier": "static", "managed": "yes"},
    "bare": {},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=cart", {"cart"}),
        ("app==cart", {"cart"}),
        ("app!=cart", {"api", "docs", "bare"}),
        ("tier in (web, api)", {"cart", "api"}),
        ("tier notin (web,api)", {"docs", "bare"}),
        ("managed", {"cart", "docs"}),
        ("!managed", {"api", "bare"}),
        ("managed,tier!=static", {"cart"}),
        ("app in (cart,docs),!managed", set()),
    ],
)
def test_label_selectors_filter_lists(kube, networking, selector, expected):
    for name, labels in LABELLED.items():
        kube.create(ingress(name, labels=labels))
    kube.create(ingress("elsewhere", namespace="other", labels={"app": "cart", "tier": "web", "managed": "yes"}))

    listed = networking.list_namespaced_ingress("shop", label_selector=selector)

    assert {item.metadata.name for item in listed.items} == expected
    assert kube.requests[-1].query["labelSelector"] == selector


def test_label_selectors_filter_lists_across_all_namespaces(kube, api, networking):
    kube.create(ingress("cart", namespace="shop", labels={"app.kubernetes.io/managed-by": "portico"}))
    kube.create(ingress("blog", namespace="blog", labels={"app.kubernetes.io/managed-by": "portico"}))
    kube.create(ingress("foreign", namespace="shop", labels={"app": "legacy"}))

    typed = networking.list_ingress_for_all_namespaces(label_selector="app.kubernetes.io/managed-by=portico")
    raw = api.call_api(
        *api.param_serialize(
            "GET",
            "/apis/networking.k8s.io/v1/ingresses",
            query_params=[("labelSelector", "app.kubernetes.io/managed-by=portico")],
            auth_settings=["BearerToken"],
        )
    )
    raw.read()

    assert [(i.metadata.namespace, i.metadata.name) for i in typed.items] == [("blog", "blog"), ("shop", "cart")]
    assert [i["metadata"]["name"] for i in json.loads(raw.data)["items"]] == ["blog", "cart"]


def test_a_malformed_label_selector_answers_400(networking):
    with pytest.raises(ApiException) as error:
        networking.list_namespaced_ingress("shop", label_selector="app in cart")

    assert error.value.status == 400 and status_of(error.value)["reason"] == "BadRequest"


def test_field_selectors_on_name_and_namespace(kube, core):
    for name in ("a", "b"):
        core.create_namespaced_service("shop", {"metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}})

    assert [s.metadata.name for s in core.list_namespaced_service("shop", field_selector="metadata.name=b").items] == [
        "b"
    ]
    assert [
        s.metadata.name for s in core.list_service_for_all_namespaces(field_selector="metadata.namespace!=shop").items
    ] == []


def test_lists_carry_kind_api_version_and_resource_version(kube, api):
    kube.create(ingress())
    kube.create(certificate())

    def get(path):
        response = api.call_api(*api.param_serialize("GET", path, auth_settings=["BearerToken"]))
        response.read()
        return json.loads(response.data)

    ingresses = get("/apis/networking.k8s.io/v1/namespaces/shop/ingresses")
    certificates = get("/apis/cert-manager.io/v1/namespaces/shop/certificates")

    assert (ingresses["kind"], ingresses["apiVersion"]) == ("IngressList", "networking.k8s.io/v1")
    assert int(ingresses["metadata"]["resourceVersion"]) >= int(ingresses["items"][0]["metadata"]["resourceVersion"])
    # As from a real server: built-in list items omit apiVersion/kind, custom resources keep them.
    assert "kind" not in ingresses["items"][0]
    assert (certificates["kind"], certificates["items"][0]["kind"]) == ("CertificateList", "Certificate")


def test_lists_paginate_with_limit_and_continue_in_a_stable_order(kube, core):
    for name in ("e", "c", "a", "d", "b"):
        kube.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"ports": [{"port": 80}]},
            }
        )

    pages, token = [], None
    while True:
        page = core.list_namespaced_service("shop", limit=2, _continue=token)
        pages.append([s.metadata.name for s in page.items])
        if pages == [["a", "b"]]:
            assert page.metadata.remaining_item_count == 3
        token = page.metadata._continue
        if not token:
            break

    assert pages == [["a", "b"], ["c", "d"], ["e"]]
    assert [r.query.get("limit") for r in kube.requests] == ["2", "2", "2"]
    assert "continue" in kube.requests[1].query


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


def test_an_injected_500_fails_once_then_the_request_succeeds(kube, core):
    kube.fail_next(1, 500)

    with pytest.raises(ApiException) as error:
        core.list_namespaced_service("shop")
    assert error.value.status == 500
    assert status_of(error.value)["reason"] == "InternalError"

    assert core.list_namespaced_service("shop").items == []
    assert [r.status for r in kube.requests] == [500, 200]


def test_an_injected_429_shows_retry_after_to_the_client(kube, networking):
    kube.fail_next(1, 429, methods=["PATCH"])

    with pytest.raises(ApiException) as error:
        apply_ingress(networking, ingress())

    assert error.value.status == 429
    assert error.value.headers["Retry-After"] == "1"
    assert status_of(error.value)["details"] == {"retryAfterSeconds": 1}
    assert apply_ingress(networking, ingress())[0] == 201


def test_urllib3_retries_a_get_answered_429_with_retry_after_unless_retries_are_off(kube, kube_kubeconfig):
    # The client's default urllib3 Retry honours Retry-After on 429/503 for GET, PUT and DELETE, so
    # such a fault is invisible to default-configured code; Portico turns retries off (clusters/kube.py).
    client = kubernetes.config.new_client_from_config_dict(kube_kubeconfig)
    kube.fail_next(1, 429, headers={"Retry-After": "0"})
    assert kubernetes.client.CoreV1Api(client).list_namespaced_service("shop").items == []
    assert [r.status for r in kube.requests] == [429, 200]

    client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    client.rest_client.pool_manager.clear()
    kube.fail_next(1, 429, headers={"Retry-After": "0"})
    with pytest.raises(ApiException) as error:
        kubernetes.client.CoreV1Api(client).list_namespaced_service("shop")
    assert error.value.status == 429
    client.close()


def test_an_injected_422_carries_a_realistic_invalid_status(kube, networking):
    kube.fail_next(1, 422, path_contains="/ingresses/")
    kube.fail_next(1, 422, message="spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified")

    with pytest.raises(ApiException) as first:
        apply_ingress(networking, ingress())
    with pytest.raises(ApiException) as second:
        apply_ingress(networking, ingress())

    status = status_of(first.value)
    assert (status["reason"], status["code"]) == ("Invalid", 422)
    assert (
        status["message"]
        == 'Ingress.networking.k8s.io "cart" is invalid: metadata.annotations: Too long: must have at most 262144 bytes'
    )
    assert status_of(second.value)["message"] == (
        'Ingress.networking.k8s.io "cart" is invalid: '
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    )
    assert status_of(second.value)["details"]["causes"][0]["field"] == "spec.rules[0].http.paths[0].pathType"
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is None


def test_faults_only_hit_the_methods_and_paths_they_name(kube, core, networking):
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"ports": [{"port": 80}]},
        }
    )
    kube.fail_next(1, 503, methods=["PATCH"], path_contains="/ingresses/")

    core.list_namespaced_service("shop")
    core.patch_namespaced_service("cart", "shop", {"metadata": {"labels": {"a": "1"}}})
    with pytest.raises(ApiException) as error:
        apply_ingress(networking, ingress())

    assert error.value.status == 503
    assert [r.status for r in kube.requests] == [200, 200, 503]
    assert apply_ingress(networking, ingress())[0] == 201


def test_refused_connections_raise_urllib3_errors_until_restored(kube, core):
    core.list_namespaced_service("shop")  # leaves a keep-alive connection open, which refusing closes

    kube.refuse_connections()
    with pytest.raises(urllib3.exceptions.MaxRetryError) as error:
        core.list_namespaced_service("shop")
    assert isinstance(error.value.reason, urllib3.exceptions.NewConnectionError)

    kube.restore()
    assert core.list_namespaced_service("shop").items == []


def test_refusing_for_some_seconds_ends_by_itself(kube, core):
    kube.refuse_connections(seconds=0.3)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        core.list_namespaced_service("shop")

    deadline = time.monotonic() + 5
    while True:
        try:
            assert core.list_namespaced_service("shop").items == []
            break
        except urllib3.exceptions.MaxRetryError:
            assert time.monotonic() < deadline, "the emulator did not listen again"
            time.sleep(0.05)


def test_a_dropped_connection_fails_a_patch_mid_request(kube, networking):
    kube.drop_next(1, methods=["PATCH"])

    with pytest.raises(urllib3.exceptions.ProtocolError):
        apply_ingress(networking, ingress())

    assert kube.requests[0].dropped and kube.requests[0].status is None
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is None


def test_the_request_log_keeps_reads_and_writes_until_cleared(kube, core, networking):
    core.list_namespaced_service("shop", label_selector="app.kubernetes.io/managed-by=portico", limit=500)
    apply_ingress(networking, ingress())
    networking.delete_namespaced_ingress("cart", "shop")

    assert [(r.method, r.status) for r in kube.requests] == [("GET", 200), ("PATCH", 201), ("DELETE", 200)]
    assert kube.requests[0].query == {"labelSelector": "app.kubernetes.io/managed-by=portico", "limit": "500"}
    assert kube.requests[0].headers["Authorization"] == f"Bearer {kube.token}"
    assert [r.method for r in kube.writes()] == ["PATCH", "DELETE"]
    kube.clear_requests()
    assert kube.requests == []


def test_out_of_band_helpers_seed_and_edit_objects_like_other_actors(kube, networking, api):
    kube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "nginx"},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        }
    )
    kube.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "cart-x1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "cart"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.1.0.5"], "conditions": {"ready": True}}],
        }
    )
    kube.create(ingress("legacy", labels={"team": "old"}))

    assert [c.metadata.name for c in networking.list_ingress_class().items] == ["nginx"]
    slices = kubernetes.client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        "shop", label_selector="kubernetes.io/service-name=cart"
    )
    assert slices.items[0].endpoints[0].conditions.ready is True
    assert kube.requests == [kube.requests[0], kube.requests[1]]  # seeds are not HTTP requests

    replaced = kube.replace_out_of_band(ingress("legacy", labels={"team": "new"}))
    assert replaced["metadata"]["labels"] == {"team": "new"}
    assert kube.delete("networking.k8s.io/v1", "Ingress", "shop", "legacy") is True
    assert kube.delete("networking.k8s.io/v1", "Ingress", "shop", "legacy") is False
    assert [
        v and v["metadata"]["labels"] for v in kube.history("networking.k8s.io/v1", "Ingress", "shop", "legacy")
    ] == [
        {"team": "old"},
        {"team": "new"},
        None,
    ]
    assert [i["metadata"]["name"] for i in kube.list_objects("discovery.k8s.io/v1", "endpointslices", "shop")] == [
        "cart-x1"
    ]


def test_watch_replays_changes_through_the_label_selector(kube, networking):
    since = networking.list_namespaced_ingress("shop").metadata.resource_version
    apply_ingress(networking, ingress(labels={"app.kubernetes.io/managed-by": "portico"}))
    kube.create(ingress("foreign", labels={"app": "legacy"}))
    kube.patch_out_of_band(
        "networking.k8s.io/v1",
        "Ingress",
        "shop",
        "cart",
        {"metadata": {"labels": {"app.kubernetes.io/managed-by": None}}},
    )

    events = list(
        kubernetes.watch.Watch().stream(
            networking.list_namespaced_ingress,
            "shop",
            label_selector="app.kubernetes.io/managed-by=portico",
            resource_version=since,
            timeout_seconds=1,
        )
    )

    assert [(e["type"], e["object"].metadata.name) for e in events] == [("ADDED", "cart"), ("DELETED", "cart")]


def test_a_watch_sees_live_changes(kube, networking):
    seen: list[tuple[str, str]] = []
    watch = kubernetes.watch.Watch()

    def consume():
        for event in watch.stream(networking.list_namespaced_ingress, "shop", timeout_seconds=2):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                watch.stop()

    consumer = threading.Thread(target=consume)
    consumer.start()
    deadline = time.monotonic() + 5
    while kube.open_watches == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    kube.create(ingress())
    kube.delete("networking.k8s.io/v1", "Ingress", "shop", "cart")
    consumer.join(timeout=5)

    assert seen == [("ADDED", "cart"), ("DELETED", "cart")]


def test_the_emulator_runs_standalone_as_a_context_manager():
    with KubeEmulator() as emulator:
        client = kubernetes.config.new_client_from_config_dict(emulator.kubeconfig())
        assert kubernetes.client.CoreV1Api(client).list_namespace().items == []
        client.close()
