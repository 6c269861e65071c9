"""The benchmark fleet's trimmed API server (bench/fleet.py: only cert-manager's Certificate and ClusterIssuer CRDs,
unused API groups off, GOGC=50) still is what an Ingress cluster of Portico's needs: ready with its ClusterIssuer,
the CRD's schema enforced, deploy/target-rbac.yaml's identity allowed what Portico writes and refused the rest,
and no Gateway API served."""

import pytest

from bench.fleet import FLEET_ARGS, FLEET_CRDS, FLEET_ENV, PrefixedServer, SharedEtcd
from clusters.devcluster import ApiError
from clusters.devcluster.server import binaries

pytestmark = pytest.mark.realkube


@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fleet-server")
    etcd = SharedEtcd(workdir / "etcd", binaries()).start()
    server = PrefixedServer(
        workdir / "c00", etcd=etcd, prefix="/cluster-00", extra_args=FLEET_ARGS, env=FLEET_ENV, crds=FLEET_CRDS
    )
    try:
        yield server.start()
    finally:
        server.stop()
        etcd.stop()


def test_it_serves_the_cert_manager_kinds_portico_writes_and_no_gateway_api(fleet_server):
    served = {r["name"] for r in fleet_server.request_object("GET", "/apis/cert-manager.io/v1")["resources"]}
    assert {"certificates", "clusterissuers"} <= served
    assert "issuers" not in served
    assert fleet_server.request_object("GET", "/apis/cert-manager.io/v1/clusterissuers/letsencrypt")["spec"] == {
        "selfSigned": {}
    }
    groups = {g["name"] for g in fleet_server.request_object("GET", "/apis")["groups"]}
    assert "gateway.networking.k8s.io" not in groups
    assert "batch" not in groups
    assert {"networking.k8s.io", "discovery.k8s.io", "apps", "cert-manager.io"} <= groups


def test_portico_applies_an_ingress_and_a_certificate_and_the_schema_is_enforced(fleet_server):
    token = fleet_server.token("portico")
    fleet_server.request("POST", "/api/v1/namespaces", {"metadata": {"name": "shop"}})
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "cart", "namespace": "shop"},
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
    applied = fleet_server.apply(ingress, manager="portico", token=token)
    assert applied["metadata"]["managedFields"][0]["manager"] == "portico"
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {"dnsNames": ["cart.shop.example.com"], "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"}},
    }
    with pytest.raises(ApiError) as invalid:
        fleet_server.apply(certificate, manager="portico", token=token)
    assert invalid.value.status == 422
    assert "spec.secretName: Required value" in str(invalid.value)
    certificate["spec"]["secretName"] = "cart-tls"
    assert fleet_server.apply(certificate, manager="portico", token=token)["spec"]["secretName"] == "cart-tls"
    with pytest.raises(ApiError) as refused:
        fleet_server.request("GET", "/api/v1/namespaces/shop/secrets", token=token)
    assert refused.value.status == 403
