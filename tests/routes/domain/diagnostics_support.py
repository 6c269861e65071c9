"""Builders of the diagnostics tests: live objects as the API server returns them, a healthy route, and its judgement.

The live objects are shaped like what the API server returns (Ingress with a load balancer status, Services,
discovery.k8s.io/v1 EndpointSlices, cert-manager Certificates, Gateway API Gateways and HTTPRoutes), so the tests
pin what the reconciler will really hand over.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from routes.domain.diagnostics.evaluate import evaluate
from routes.domain.diagnostics.facts import Controller
from routes.domain.diagnostics.shared import Observed

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
EARLIER = "2025-05-30T08:15:00+00:00"
NS = "shop"
HOST = "cart.shop.example.com"


def ingress_object(address: dict | None = None, tls_secret: str = "cart-shop-example-com-tls") -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "cart", "namespace": NS, "labels": {"app.kubernetes.io/managed-by": "portico"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [HOST], "secretName": tls_secret}],
            "rules": [
                {
                    "host": HOST,
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
        "status": {"loadBalancer": {"ingress": [address]} if address else {}},
    }


def service_object(service_type: str = "ClusterIP", ports: list[dict] | None = None, **spec) -> dict:
    ports = ports if ports is not None else [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "cart", "namespace": NS},
        "spec": {"type": service_type, "selector": {"app": "cart"}, "ports": ports, **spec},
    }


def endpoint(ip: str, pod: str, *, ready: bool | None = True, terminating: bool = False, uid: str = "") -> dict:
    conditions = {"serving": ready is not False, "terminating": terminating}
    if ready is not None:
        conditions["ready"] = ready
    return {
        "addresses": [ip],
        "conditions": conditions,
        "nodeName": "node-1",
        "targetRef": {"kind": "Pod", "namespace": NS, "name": pod, "uid": uid or f"uid-{pod}"},
    }


def endpoint_slice(*endpoints: dict, name: str = "cart-7xk2p", address_type: str = "IPv4") -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": NS, "labels": {"kubernetes.io/service-name": "cart"}},
        "addressType": address_type,
        # The API server serialises a slice without endpoints as null, not [].
        "endpoints": list(endpoints) or None,
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }


def certificate_object(*conditions: dict, not_after: str | None = "2025-08-20T10:00:00Z", **status) -> dict:
    body = {"conditions": list(conditions), **status}
    if not_after:
        body["notAfter"] = not_after
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "cart-shop-example-com", "namespace": NS},
        "spec": {"secretName": "cart-shop-example-com-tls", "dnsNames": [HOST]},
        "status": body,
    }


def ready_condition(status: str = "True", reason: str = "Ready", message: str = "Certificate is up to date") -> dict:
    return {"type": "Ready", "status": status, "reason": reason, "message": message}


# ingress-nginx where its usual installation puts it, with ready pods.
CONTROLLER = Controller(
    location="cluster",
    ingress_class="nginx",
    kind="k8s.io/ingress-nginx",
    namespace="ingress-nginx",
    service="ingress-nginx-controller",
    pod_labels={"app.kubernetes.io/name": "ingress-nginx"},
    ready=2,
)


def healthy(**changes) -> Observed:
    """A route that works end to end; each test breaks one thing."""
    observed = Observed(
        cluster_reachable=True,
        ingress_class="nginx",
        ingress_class_present=True,
        cert_manager_present=True,
        issuer="letsencrypt",
        issuer_present=True,
        tls_mode="cert-manager",
        host=HOST,
        path="/",
        service_name="cart",
        service_port=8080,
        ingress=ingress_object({"ip": "203.0.113.10"}),
        service=service_object(),
        endpoint_slices=(endpoint_slice(endpoint("10.0.1.4", "cart-6d9f-a"), endpoint("10.0.2.7", "cart-6d9f-b")),),
        certificate=certificate_object(ready_condition()),
        network_policies=(),
        controller=CONTROLLER,
        synced=True,
    )
    return replace(observed, **changes)


def steps(evaluation) -> dict[str, dict]:
    return {step["step"]: step for step in evaluation.diagnostics}


def condition(evaluation, condition_type: str) -> dict:
    matches = [c for c in evaluation.conditions if c["type"] == condition_type]
    assert len(matches) == 1, f"expected one {condition_type} condition in {evaluation.conditions}"
    return matches[0]


def judge(observed: Observed, **kwargs):
    return evaluate(observed, now=NOW, **kwargs)


# Gateway API output

GATEWAY_PARENT = {
    "group": "gateway.networking.k8s.io",
    "kind": "Gateway",
    "name": "public",
    "namespace": "gateway-system",
}


def gateway_object(
    *,
    address: str | None = "203.0.113.9",
    programmed: str = "True",
    issuer: str | None = "letsencrypt",
    listener_host: str = "*.shop.example.com",
    listener_refs: dict | None = None,
) -> dict:
    listener_status = {
        "name": "https",
        "conditions": [listener_refs or {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs"}],
    }
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": "public",
            "namespace": "gateway-system",
            "annotations": {"cert-manager.io/cluster-issuer": issuer} if issuer else {},
        },
        "spec": {
            "gatewayClassName": "example",
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80},
                {
                    "name": "https",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": listener_host,
                    "tls": {"certificateRefs": [{"kind": "Secret", "name": "shop-wildcard-tls"}]},
                },
            ],
        },
        "status": {
            "addresses": [{"type": "IPAddress", "value": address}] if address else [],
            "conditions": [
                {
                    "type": "Programmed",
                    "status": programmed,
                    "reason": "Programmed" if programmed == "True" else "AddressNotAssigned",
                    "message": "waiting for LB",
                }
            ],
            "listeners": [listener_status],
        },
    }


def http_route_object(*conditions: dict, parent: dict | None = None) -> dict:
    status = (
        {
            "parents": [
                {
                    "parentRef": parent or GATEWAY_PARENT,
                    "controllerName": "example.com/gateway",
                    "conditions": list(conditions),
                }
            ]
        }
        if conditions
        else {}
    )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "cart", "namespace": NS, "labels": {"app.kubernetes.io/managed-by": "portico"}},
        "spec": {"parentRefs": [GATEWAY_PARENT], "hostnames": [HOST]},
        "status": status,
    }


def route_condition(kind: str, status: str = "True", reason: str = "", message: str = "") -> dict:
    return {"type": kind, "status": status, "reason": reason or kind, "message": message}


ACCEPTED = route_condition("Accepted")
RESOLVED = route_condition("ResolvedRefs")


def on_gateway(**changes) -> Observed:
    """A route on a Gateway API cluster that works end to end; each test breaks one thing."""
    return healthy(
        **{
            "output": "gateway",
            "gateway_name": "public",
            "gateway_namespace": "gateway-system",
            "gateway_present": True,
            "gateway": gateway_object(),
            "http_route": http_route_object(ACCEPTED, RESOLVED),
            "ingress": None,
            "certificate": None,
            "ingress_class_present": None,
            "cert_manager_present": None,
            "issuer_present": None,
            **changes,
        }
    )
