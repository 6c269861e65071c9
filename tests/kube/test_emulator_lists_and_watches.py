"""The emulator's lists (label and field selectors, pagination, list shape) and watches (replay, live changes)."""

import json
import threading
import time

import kubernetes
import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator_support import apply_ingress, certificate, ingress, status_of

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
