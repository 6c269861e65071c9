"""The local API server is the real thing where it matters: TLS verified, RBAC enforced, CRD schemas and CEL rules
validated, status only through the status subresource, and each test starts from a clean server."""

import base64

import kubernetes
import pytest
from kubernetes.client.exceptions import ApiException

from clusters.devcluster import ApiError
from clusters.devcluster.pki import ensure_pki

CERTIFICATE = ("cert-manager.io/v1", "Certificate")
INGRESS = ("networking.k8s.io/v1", "Ingress")


def test_the_client_verifies_the_server_against_the_kubeconfigs_inline_ca(realkube, tmp_path):
    api = kubernetes.config.new_client_from_config_dict(realkube.kubeconfig("portico"))
    assert kubernetes.client.VersionApi(api).get_code().git_version == "v1.37.2"
    api.close()

    other_ca = ensure_pki(tmp_path / "other").ca_pem
    config = realkube.kubeconfig("portico")
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other_ca).decode()
    api = kubernetes.config.new_client_from_config_dict(config)
    api.configuration.retries = 0
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        kubernetes.client.VersionApi(api).get_code()
    api.close()


def test_the_least_privilege_identity_is_held_to_deploy_target_rbac(realkube):
    networking = kubernetes.client.NetworkingV1Api(realkube.api_client("portico"))
    assert networking.list_ingress_for_all_namespaces().items == []
    core = kubernetes.client.CoreV1Api(realkube.api_client("portico"))
    with pytest.raises(ApiException) as refused:
        core.list_namespaced_secret("shop")
    assert refused.value.status == 403
    assert "portico-system:portico-reconciler" in refused.value.body


def test_crd_schemas_are_enforced(realkube):
    with pytest.raises(ApiError) as invalid:
        realkube.create(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": "cart"},
                "spec": {
                    "dnsNames": ["cart.shop.example.com"],
                    "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"},
                },
            }
        )
    assert invalid.value.status == 422
    assert "spec.secretName: Required value" in str(invalid.value)


def test_gateway_api_cel_rules_are_enforced(realkube):
    """An Exact path with a character outside the Gateway API's rule is refused by the CRD's CEL validation."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "cart"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "gateway-system"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "Exact", "value": "/a<b"}}],
                    "backendRefs": [{"name": "cart", "port": 8080}],
                }
            ],
        },
    }
    with pytest.raises(ApiError) as invalid:
        realkube.create(route)
    assert invalid.value.status == 422
    assert "path" in str(invalid.value)

    route["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/cart"
    realkube.create(route)
    assert realkube.get("gateway.networking.k8s.io/v1", "HTTPRoute", "shop", "cart") is not None


def test_status_changes_only_through_the_status_subresource(realkube):
    realkube.serve()
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "cart"},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "cart.shop.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "cart", "port": {"number": 8080}}},
                                }
                            ]
                        },
                    }
                ],
            },
        }
    )
    realkube.patch_out_of_band(
        *INGRESS, "shop", "cart", {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    )
    assert realkube.get(*INGRESS, "shop", "cart")["status"]["loadBalancer"] == {}

    realkube.set_ingress_address("cart", "203.0.113.7")

    assert realkube.get(*INGRESS, "shop", "cart")["status"]["loadBalancer"] == {"ingress": [{"ip": "203.0.113.7"}]}


def test_a_service_gets_a_cluster_ip_and_its_endpoint_slice_is_an_object(realkube):
    service = realkube.service("cart", port=8080)
    assert service["spec"]["clusterIP"].startswith("10.96.")
    realkube.endpoint_slice("cart", addresses=["10.0.0.5", "10.0.0.6"], ready=True)

    slices = realkube.list_objects(
        "discovery.k8s.io/v1", "EndpointSlice", "shop", label_selector="kubernetes.io/service-name=cart"
    )
    assert [len(s["endpoints"]) for s in slices] == [2]


def test_clean_up_removes_a_tests_namespaces_and_what_is_in_them(realkube, realkube_cleaner):
    realkube.serve()
    realkube.add_namespace("gateway-system")
    realkube.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    )
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "traefik"},
            "spec": {"controller": "traefik.io/ingress-controller"},
        }
    )
    realkube.delete("networking.k8s.io/v1", "IngressClass", None, "nginx")

    realkube_cleaner.clean()

    assert realkube.get("v1", "Namespace", None, "shop") is None
    assert realkube.get("v1", "Namespace", None, "gateway-system") is None
    assert realkube.list_objects("v1", "Service", "shop") == []
    assert realkube.list_objects("v1", "ConfigMap", "shop") == []
    assert realkube.get("networking.k8s.io/v1", "IngressClass", None, "traefik") is None
    assert realkube.get("networking.k8s.io/v1", "IngressClass", None, "nginx") is not None
