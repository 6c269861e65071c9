"""The emulator as a client meets it: kubeconfig, version, discovery, CRDs, token, standalone, out-of-band helpers."""

import kubernetes
import pytest
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator import KubeEmulator
from tests.kube.emulator_support import ingress, status_of


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


def test_the_emulator_runs_standalone_as_a_context_manager():
    with KubeEmulator() as emulator:
        client = kubernetes.config.new_client_from_config_dict(emulator.kubeconfig())
        assert kubernetes.client.CoreV1Api(client).list_namespace().items == []
        client.close()
