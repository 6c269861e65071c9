"""Diagnostics: what the worker observed for one route, judged into health, conditions and the chain a
developer reads on the route page.

The live objects below are shaped like what the API server returns (Ingress with a load balancer status,
Services, discovery.k8s.io/v1 EndpointSlices, cert-manager Certificates), so the tests pin what the
reconciler will really hand over.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routes.choices import HealthChoices
from routes.domain.diagnostics.evaluate import evaluate
from routes.domain.diagnostics.ingress import ingress_address
from routes.domain.diagnostics.shared import Observed, count_endpoints
from routes.domain.values import ForeignIngressPath

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


# Health outcomes


def test_working_route_is_healthy_with_every_step_ok():
    evaluation = judge(healthy())

    assert evaluation.health == HealthChoices.HEALTHY
    assert [s["step"] for s in evaluation.diagnostics] == [
        "cluster",
        "ingress-class",
        "ingress",
        "service",
        "endpoints",
        "certificate",
        "claim",
    ]
    assert {s["step"]: s["status"] for s in evaluation.diagnostics} == dict.fromkeys(steps(evaluation), "ok")
    assert evaluation.address == "203.0.113.10"
    assert evaluation.endpoints == {"ready": 2, "total": 2}
    assert evaluation.certificate == {"ready": True, "not_after": "2025-08-20T10:00:00Z"}
    assert {c["type"]: c["status"] for c in evaluation.conditions} == {
        "Synced": "True",
        "IngressReady": "True",
        "ServiceReady": "True",
        "EndpointsReady": "True",
        "CertificateReady": "True",
        "HostClaimed": "True",
        "Conflict": "False",
    }


def test_every_step_and_condition_has_the_documented_shape():
    evaluation = judge(healthy(apply_error='Ingress.networking.k8s.io "cart" is invalid'))

    for step in evaluation.diagnostics:
        assert set(step) == {"step", "title", "status", "detail", "fix"}
        assert step["status"] in {"ok", "warn", "fail", "skip"}
        assert step["title"] and step["detail"]
    for c in evaluation.conditions:
        assert set(c) == {"type", "status", "reason", "message", "last_transition_time"}
        assert c["status"] in {"True", "False", "Unknown"}
        assert c["reason"][0].isupper() and " " not in c["reason"]
        datetime.fromisoformat(c["last_transition_time"])


def test_route_being_deleted_is_progressing_even_with_its_ingress_gone():
    evaluation = judge(healthy(deleting=True, ingress=None))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert steps(evaluation)["ingress"]["status"] == "ok"
    assert "removed" in steps(evaluation)["ingress"]["detail"]
    assert condition(evaluation, "Synced")["reason"] == "Deleting"


def test_rejected_apply_is_degraded_with_the_api_servers_message():
    message = 'Ingress.networking.k8s.io "cart" is invalid: spec.rules[0].host: Invalid value: "Cart.example.com"'
    evaluation = judge(healthy(apply_error=message))

    assert evaluation.health == HealthChoices.DEGRADED
    applied = condition(evaluation, "Applied")
    assert (applied["status"], applied["reason"], applied["message"]) == ("False", "ApplyFailed", message)
    ingress = steps(evaluation)["ingress"]
    assert ingress["status"] == "fail"
    assert "spec.rules[0].host" in ingress["detail"]
    assert "still live" in ingress["detail"]
    assert "new revision" in ingress["fix"]
    # The previous revision still serves, and IngressReady says so.
    assert condition(evaluation, "IngressReady")["status"] == "True"


def test_applied_condition_is_absent_without_an_apply_error():
    assert "Applied" not in {c["type"] for c in judge(healthy()).conditions}


def test_route_not_yet_at_approved_revision_is_progressing():
    evaluation = judge(healthy(synced=False, ingress=None, service=None, endpoint_slices=(), certificate=None))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert steps(evaluation)["ingress"]["status"] == "warn"
    assert "not on the cluster yet" in steps(evaluation)["ingress"]["detail"]
    assert condition(evaluation, "Synced")["status"] == "False"


def test_directory_cluster_is_healthy_once_exported_and_observes_nothing():
    evaluation = judge(Observed(directory=True, synced=True, host=HOST, service_name="cart", service_port=8080))

    assert evaluation.health == HealthChoices.HEALTHY
    chain = steps(evaluation)
    for step in ("cluster", "ingress-class", "endpoints"):
        assert chain[step]["status"] == "skip"
        assert chain[step]["detail"] == "exported to a folder; Portico does not observe this cluster"
    assert chain["ingress"]["status"] == "ok"
    assert "folder" in chain["ingress"]["detail"]
    assert chain["claim"]["status"] == "ok"
    assert condition(evaluation, "EndpointsReady")["status"] == "Unknown"
    assert condition(evaluation, "EndpointsReady")["reason"] == "NotObserved"
    assert evaluation.address == ""
    assert evaluation.endpoints == {"ready": 0, "total": 0}


def test_directory_cluster_not_yet_exported_is_progressing():
    evaluation = judge(Observed(directory=True, synced=False, host=HOST))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert steps(evaluation)["ingress"]["status"] == "warn"


def test_unreachable_cluster_is_unknown_and_skips_every_later_step():
    evaluation = judge(healthy(cluster_reachable=False))

    assert evaluation.health == HealthChoices.UNKNOWN
    chain = steps(evaluation)
    assert chain["cluster"]["status"] == "fail"
    assert "could not reach" in chain["cluster"]["detail"]
    assert "kubeconfig" in chain["cluster"]["fix"]
    assert [s["status"] for s in evaluation.diagnostics[1:]] == ["skip"] * 6
    assert condition(evaluation, "IngressReady")["status"] == "Unknown"
    assert condition(evaluation, "IngressReady")["reason"] == "ClusterUnreachable"


def test_cluster_never_probed_skips_its_step_and_judges_the_rest():
    evaluation = judge(healthy(cluster_reachable=None, ingress_class_present=None))

    chain = steps(evaluation)
    assert chain["cluster"]["status"] == "skip"
    assert chain["ingress-class"]["status"] == "skip"
    assert chain["service"]["status"] == "ok"
    assert evaluation.health == HealthChoices.HEALTHY


def test_ingress_deleted_from_a_synced_cluster_is_missing():
    evaluation = judge(healthy(ingress=None))

    assert evaluation.health == HealthChoices.MISSING
    ingress = steps(evaluation)["ingress"]
    assert ingress["status"] == "fail"
    assert "gone" in ingress["detail"] and "re-creates" in ingress["detail"]
    assert "kubectl -n shop get events" in ingress["fix"]
    assert condition(evaluation, "IngressReady")["reason"] == "IngressMissing"


def test_missing_ingress_outranks_other_failures():
    assert judge(healthy(ingress=None, service=None, claim_ok=False)).health == HealthChoices.MISSING


def test_unmanaged_ingress_on_the_same_host_and_path_is_degraded_and_named():
    conflict = ForeignIngressPath(namespace="legacy", name="old-cart", host=HOST, path="/")
    evaluation = judge(healthy(foreign_conflicts=(conflict,)))

    assert evaluation.health == HealthChoices.DEGRADED
    claim = steps(evaluation)["claim"]
    assert claim["status"] == "fail"
    assert "legacy/old-cart" in claim["detail"]
    assert "kubectl -n legacy get ingress old-cart" in claim["fix"]
    assert condition(evaluation, "Conflict")["status"] == "True"
    assert "legacy/old-cart" in condition(evaluation, "Conflict")["message"]


def test_lost_host_claim_is_degraded():
    evaluation = judge(healthy(claim_ok=False))

    assert evaluation.health == HealthChoices.DEGRADED
    claim = steps(evaluation)["claim"]
    assert claim["status"] == "fail"
    assert "no longer holds the claim" in claim["detail"]
    assert "claim" in claim["fix"]
    assert condition(evaluation, "HostClaimed")["status"] == "False"
    assert condition(evaluation, "HostClaimed")["reason"] == "ClaimLost"


def test_missing_ingress_class_means_no_controller_and_is_degraded():
    evaluation = judge(healthy(ingress_class_present=False, ingress=ingress_object()))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["ingress-class"]
    assert step["status"] == "fail"
    assert "IngressClass nginx does not exist" in step["detail"]
    assert "no ingress controller" in step["detail"]
    assert "kubectl get ingressclass" in step["fix"]


def test_missing_service_is_degraded_and_endpoints_are_not_checked():
    evaluation = judge(healthy(service=None, endpoint_slices=()))

    assert evaluation.health == HealthChoices.DEGRADED
    chain = steps(evaluation)
    assert chain["service"]["status"] == "fail"
    assert "does not exist in namespace shop" in chain["service"]["detail"]
    assert "kubectl -n shop get services" in chain["service"]["fix"]
    assert chain["endpoints"]["status"] == "skip"
    assert condition(evaluation, "ServiceReady")["reason"] == "ServiceMissing"


def test_service_without_the_routes_port_is_degraded():
    evaluation = judge(healthy(service_port=9090))

    assert evaluation.health == HealthChoices.DEGRADED
    service = steps(evaluation)["service"]
    assert service["status"] == "fail"
    assert "port 9090" in service["detail"] and "8080 (http)" in service["detail"]
    assert "service port" in service["fix"]
    assert condition(evaluation, "ServiceReady")["reason"] == "PortNotFound"


@pytest.mark.parametrize("port", ["http", 8080, "8080"])
def test_service_port_matches_by_number_or_by_name(port):
    evaluation = judge(healthy(service_port=port))

    assert steps(evaluation)["service"]["status"] == "ok"
    assert evaluation.health == HealthChoices.HEALTHY


def test_node_port_service_behind_an_ingress_warns_that_cluster_ip_suffices():
    ports = [{"name": "http", "port": 8080, "targetPort": 8080, "nodePort": 31380, "protocol": "TCP"}]
    evaluation = judge(healthy(service=service_object("NodePort", ports)))

    service = steps(evaluation)["service"]
    assert service["status"] == "warn"
    assert "NodePort" in service["detail"] and "31380" in service["detail"] and "every node" in service["detail"]
    assert "ClusterIP suffices" in service["detail"]
    assert "ClusterIP" in service["fix"]
    assert evaluation.health == HealthChoices.HEALTHY


def test_load_balancer_service_behind_an_ingress_warns_about_its_own_load_balancer():
    evaluation = judge(healthy(service=service_object("LoadBalancer")))

    service = steps(evaluation)["service"]
    assert service["status"] == "warn"
    assert "load balancer of its own" in service["detail"] and "ClusterIP suffices" in service["detail"]


def test_external_name_service_has_no_endpoints_to_check():
    service = service_object("ExternalName", ports=[], externalName="api.partner.example.net")
    del service["spec"]["selector"]
    evaluation = judge(healthy(service=service, endpoint_slices=()))

    assert evaluation.health == HealthChoices.HEALTHY
    chain = steps(evaluation)
    assert chain["service"]["status"] == "ok"
    assert "api.partner.example.net" in chain["service"]["detail"]
    assert chain["endpoints"]["status"] == "skip"
    assert "ExternalName" in chain["endpoints"]["detail"]


def test_service_selecting_no_pods_is_degraded_and_points_at_the_labels():
    evaluation = judge(healthy(endpoint_slices=(endpoint_slice(),)))

    assert evaluation.health == HealthChoices.DEGRADED
    assert evaluation.endpoints == {"ready": 0, "total": 0}
    step = steps(evaluation)["endpoints"]
    assert step["status"] == "fail"
    assert "selects no pods: check the selector labels match your pod labels" in step["detail"]
    assert "app=cart" in step["detail"]
    assert "--show-labels" in step["fix"]
    assert condition(evaluation, "EndpointsReady")["reason"] == "NoEndpoints"


def test_selected_pods_that_are_not_ready_are_degraded():
    slices = (
        endpoint_slice(
            endpoint("10.0.1.4", "cart-6d9f-a", ready=False), endpoint("10.0.2.7", "cart-6d9f-b", ready=False)
        ),
    )
    evaluation = judge(healthy(endpoint_slices=slices))

    assert evaluation.health == HealthChoices.DEGRADED
    assert evaluation.endpoints == {"ready": 0, "total": 2}
    step = steps(evaluation)["endpoints"]
    assert step["status"] == "fail"
    assert "selects 2 pods, but none is ready" in step["detail"]
    assert "readiness" in step["detail"]
    assert "kubectl -n shop get pods -l app=cart" in step["fix"]
    assert "describe pod" in step["fix"]


def test_some_pods_not_ready_warns_but_stays_healthy():
    slices = (endpoint_slice(endpoint("10.0.1.4", "cart-6d9f-a"), endpoint("10.0.2.7", "cart-6d9f-b", ready=False)),)
    evaluation = judge(healthy(endpoint_slices=slices))

    assert evaluation.health == HealthChoices.HEALTHY
    assert steps(evaluation)["endpoints"]["status"] == "warn"
    assert "1 of 2" in steps(evaluation)["endpoints"]["detail"]


def test_certificate_being_issued_is_progressing():
    cert = certificate_object(
        ready_condition("False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        {"type": "Issuing", "status": "True", "reason": "DoesNotExist", "message": "Issuing certificate"},
        not_after=None,
    )
    evaluation = judge(healthy(certificate=cert))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert evaluation.certificate == {"ready": False, "not_after": None}
    step = steps(evaluation)["certificate"]
    assert step["status"] == "warn"
    assert "issuing" in step["detail"]
    assert condition(evaluation, "CertificateReady")["status"] == "False"


@pytest.mark.parametrize("reason", ["Issuing", "Pending", "InProgress"])
def test_certificate_with_an_in_progress_reason_is_progressing(reason):
    cert = certificate_object(ready_condition("False", reason, "Waiting on certificate issuance"), not_after=None)

    assert judge(healthy(certificate=cert)).health == HealthChoices.PROGRESSING


def test_certificate_without_any_condition_yet_is_progressing():
    evaluation = judge(healthy(certificate=certificate_object(not_after=None)))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert "not processed" in steps(evaluation)["certificate"]["detail"]


def test_failed_issuance_is_degraded_with_cert_managers_message():
    message = (
        "The certificate request has failed to complete and will be retried: Failed to wait for order resource "
        '"cart-shop-example-com-1-3671" to become ready: order is in "errored" state'
    )
    cert = certificate_object(
        ready_condition("False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        {"type": "Issuing", "status": "False", "reason": "Failed", "message": message},
        not_after=None,
        lastFailureTime="2025-06-01T11:50:00Z",
        failedIssuanceAttempts=1,
    )
    evaluation = judge(healthy(certificate=cert))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["certificate"]
    assert step["status"] == "fail"
    assert 'order is in "errored" state' in step["detail"]
    assert "kubectl -n shop describe certificate cart-shop-example-com" in step["fix"]
    assert "challenges" in step["fix"]
    assert condition(evaluation, "CertificateReady")["reason"] == "Failed"


def test_failed_issuance_reported_only_by_the_issuing_condition_is_degraded():
    cert = certificate_object(
        ready_condition("False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        {"type": "Issuing", "status": "False", "reason": "Failed", "message": "ACME account not registered"},
        not_after=None,
    )
    evaluation = judge(healthy(certificate=cert))

    assert evaluation.health == HealthChoices.DEGRADED
    assert "ACME account not registered" in steps(evaluation)["certificate"]["detail"]


def test_retry_after_a_failed_issuance_is_progressing():
    cert = certificate_object(
        ready_condition("False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        {"type": "Issuing", "status": "True", "reason": "DoesNotExist", "message": "Issuing certificate"},
        not_after=None,
        lastFailureTime="2025-06-01T10:50:00Z",
    )

    assert judge(healthy(certificate=cert)).health == HealthChoices.PROGRESSING


def test_ready_reason_naming_a_failure_is_degraded():
    cert = certificate_object(ready_condition("False", "Failed", "issuer rejected the request"), not_after=None)

    assert judge(healthy(certificate=cert)).health == HealthChoices.DEGRADED


def test_cluster_without_cert_manager_is_degraded():
    evaluation = judge(healthy(cert_manager_present=False, certificate=None))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["certificate"]
    assert step["status"] == "fail"
    assert "cert-manager is not installed" in step["detail"]
    assert "secret" in step["fix"]


def test_missing_cluster_issuer_is_degraded():
    evaluation = judge(healthy(issuer_present=False, certificate=certificate_object(not_after=None)))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["certificate"]
    assert step["status"] == "fail"
    assert "ClusterIssuer letsencrypt does not exist" in step["detail"]
    assert "kubectl get clusterissuer" in step["fix"]


def test_certificate_expiring_within_two_weeks_warns():
    not_after = (NOW + timedelta(days=9, hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    evaluation = judge(healthy(certificate=certificate_object(ready_condition(), not_after=not_after)))

    assert evaluation.health == HealthChoices.HEALTHY
    assert evaluation.certificate == {"ready": True, "not_after": not_after}
    step = steps(evaluation)["certificate"]
    assert step["status"] == "warn"
    assert "in 9 days" in step["detail"] and "renewal" in step["detail"]
    assert "describe certificate" in step["fix"]
    assert condition(evaluation, "CertificateReady")["reason"] == "ExpiringSoon"


def test_certificate_expiring_in_a_month_does_not_warn():
    not_after = (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    evaluation = judge(healthy(certificate=certificate_object(ready_condition(), not_after=not_after)))

    assert steps(evaluation)["certificate"]["status"] == "ok"
    assert not_after in steps(evaluation)["certificate"]["detail"]


def test_expired_certificate_is_degraded():
    evaluation = judge(healthy(certificate=certificate_object(ready_condition(), not_after="2025-05-31T00:00:00Z")))

    assert evaluation.health == HealthChoices.DEGRADED
    assert steps(evaluation)["certificate"]["status"] == "fail"
    assert "expired" in steps(evaluation)["certificate"]["detail"]


def test_plain_http_route_warns_and_has_no_certificate_condition():
    evaluation = judge(healthy(tls_mode="none", certificate=None))

    assert evaluation.health == HealthChoices.HEALTHY
    step = steps(evaluation)["certificate"]
    assert step["status"] == "warn"
    assert "plain HTTP" in step["detail"]
    assert "cert-manager" in step["fix"]
    assert "CertificateReady" not in {c["type"] for c in evaluation.conditions}
    assert evaluation.certificate == {"ready": None, "not_after": None}


def test_route_with_its_own_tls_secret_skips_the_certificate_check():
    live = ingress_object({"ip": "203.0.113.10"}, tls_secret="shop-wildcard")
    evaluation = judge(healthy(tls_mode="secret", certificate=None, ingress=live))

    assert evaluation.health == HealthChoices.HEALTHY
    step = steps(evaluation)["certificate"]
    assert step["status"] == "skip"
    assert "existing Secret (shop-wildcard)" in step["detail"]
    assert "openssl x509" in step["fix"]
    assert "CertificateReady" not in {c["type"] for c in evaluation.conditions}


def test_ingress_without_an_address_is_progressing():
    evaluation = judge(healthy(ingress=ingress_object(address=None)))

    assert evaluation.health == HealthChoices.PROGRESSING
    assert evaluation.address == ""
    step = steps(evaluation)["ingress"]
    assert step["status"] == "warn"
    assert "not published an address" in step["detail"]
    assert "kubectl -n shop describe ingress cart" in step["fix"]


def test_a_broken_layer_outranks_a_missing_address():
    evaluation = judge(healthy(ingress=ingress_object(address=None), service=None))

    assert evaluation.health == HealthChoices.DEGRADED


# Address


def test_address_is_the_load_balancers_ip():
    assert ingress_address(ingress_object({"ip": "198.51.100.7", "ports": [{"port": 443, "protocol": "TCP"}]})) == (
        "198.51.100.7"
    )


def test_address_is_the_load_balancers_hostname_when_it_has_no_ip():
    hostname = "a1b2c3-1234567890.eu-west-1.elb.amazonaws.com"
    evaluation = judge(healthy(ingress=ingress_object({"hostname": hostname})))

    assert evaluation.address == hostname
    assert hostname in steps(evaluation)["ingress"]["detail"]


def test_no_address_without_an_ingress():
    assert ingress_address(None) == ""


# Endpoint counting


def test_endpoints_without_a_ready_condition_count_as_ready():
    count = count_endpoints([endpoint_slice(endpoint("10.0.1.4", "cart-a", ready=None))])

    assert (count.ready, count.total) == (1, 1)


def test_terminating_endpoints_are_left_out_of_the_total():
    slices = [
        endpoint_slice(
            endpoint("10.0.1.4", "cart-new-a"),
            endpoint("10.0.1.5", "cart-new-b", ready=False),
            endpoint("10.0.2.9", "cart-old-a", ready=False, terminating=True),
        )
    ]
    count = count_endpoints(slices)

    assert (count.ready, count.total, count.terminating) == (1, 2, 1)


def test_endpoints_are_counted_across_slices_and_once_per_pod():
    slices = [
        endpoint_slice(endpoint("10.0.1.4", "cart-a"), endpoint("10.0.1.5", "cart-b", ready=False), name="cart-v4"),
        endpoint_slice(
            endpoint("fd00::4", "cart-a"),
            endpoint("fd00::5", "cart-b", ready=False),
            name="cart-v6",
            address_type="IPv6",
        ),
        endpoint_slice(endpoint("10.0.3.1", "cart-c"), name="cart-extra"),
        endpoint_slice(name="cart-empty"),
    ]
    count = count_endpoints(slices)

    assert (count.ready, count.total) == (2, 3)


def test_only_terminating_pods_left_means_no_pods_are_selected():
    slices = (endpoint_slice(endpoint("10.0.2.9", "cart-old-a", ready=False, terminating=True)),)
    evaluation = judge(healthy(endpoint_slices=slices))

    assert evaluation.endpoints == {"ready": 0, "total": 0}
    assert evaluation.health == HealthChoices.DEGRADED
    assert "shutting down" in steps(evaluation)["endpoints"]["detail"]


# Transition times


def test_unchanged_condition_keeps_its_last_transition_time():
    previous = evaluate(healthy(), now=datetime.fromisoformat(EARLIER)).conditions
    evaluation = judge(healthy(), previous_conditions=previous)

    assert all(c["last_transition_time"] == EARLIER for c in evaluation.conditions)


def test_changed_condition_takes_the_current_time():
    previous = evaluate(healthy(), now=datetime.fromisoformat(EARLIER)).conditions
    evaluation = judge(healthy(service=None), previous_conditions=previous)

    assert condition(evaluation, "ServiceReady")["last_transition_time"] == NOW.isoformat()
    assert condition(evaluation, "IngressReady")["last_transition_time"] == EARLIER


def test_new_condition_takes_the_current_time():
    previous = evaluate(healthy(), now=datetime.fromisoformat(EARLIER)).conditions
    evaluation = judge(healthy(apply_error="forbidden"), previous_conditions=previous)

    assert condition(evaluation, "Applied")["last_transition_time"] == NOW.isoformat()


# Gateway API output: cluster -> Gateway -> HTTPRoute accepted -> refs resolved -> Service -> endpoints -> TLS -> claim

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


def test_working_gateway_route_is_healthy_at_the_gateways_address_with_the_gateway_chain():
    evaluation = judge(on_gateway())

    assert evaluation.health == "Healthy"
    assert [s["step"] for s in evaluation.diagnostics] == [
        "cluster",
        "gateway",
        "http-route",
        "refs",
        "service",
        "endpoints",
        "tls",
        "claim",
    ]
    assert {s["status"] for s in evaluation.diagnostics} == {"ok"}
    assert evaluation.address == "203.0.113.9"
    assert evaluation.certificate == {"ready": None, "not_after": None}
    assert [c["type"] for c in evaluation.conditions] == [
        "Synced",
        "Accepted",
        "ResolvedRefs",
        "ServiceReady",
        "EndpointsReady",
        "HostClaimed",
        "Conflict",
    ]
    assert "Point the DNS record for cart.shop.example.com at this address" in steps(evaluation)["gateway"]["detail"]


def test_tls_step_explains_the_gateway_listener_terminates_tls_and_cert_manager_issues_its_certificate():
    tls = steps(judge(on_gateway()))["tls"]

    assert tls["status"] == "ok"
    assert "terminated by the HTTPS listener of Gateway gateway-system/public, not by the route" in tls["detail"]
    assert "Portico creates none" in tls["detail"]
    assert "shop-wildcard-tls" in tls["detail"] and "cert-manager issues it" in tls["detail"]


def test_missing_gateway_fails_its_step_and_degrades_the_route():
    evaluation = judge(on_gateway(gateway_present=False, gateway=None))

    gateway = steps(evaluation)["gateway"]
    assert evaluation.health == "Degraded"
    assert gateway["status"] == "fail" and "Gateway gateway-system/public" in gateway["detail"]
    assert "kubectl get gateways -A" in gateway["fix"]


def test_gateway_without_an_address_is_progressing():
    evaluation = judge(on_gateway(gateway=gateway_object(address=None)))

    assert evaluation.health == "Progressing" and steps(evaluation)["gateway"]["status"] == "warn"


def test_gateway_not_programmed_is_degraded_with_the_controllers_reason():
    evaluation = judge(on_gateway(gateway=gateway_object(programmed="False")))

    gateway = steps(evaluation)["gateway"]
    assert evaluation.health == "Degraded"
    assert gateway["status"] == "fail" and "AddressNotAssigned" in gateway["detail"]


def test_http_route_gone_from_the_cluster_is_missing():
    evaluation = judge(on_gateway(http_route=None))

    assert evaluation.health == "Missing"
    assert steps(evaluation)["http-route"]["status"] == "fail" and steps(evaluation)["refs"]["status"] == "skip"
    assert condition(evaluation, "Accepted")["reason"] == "HTTPRouteMissing"


def test_http_route_the_gateway_has_not_reported_on_is_progressing():
    evaluation = judge(on_gateway(http_route=http_route_object()))

    assert evaluation.health == "Progressing"
    assert steps(evaluation)["http-route"]["status"] == "warn"
    assert condition(evaluation, "Accepted")["status"] == "Unknown"


@pytest.mark.parametrize(
    ("reason", "words_in_detail", "words_in_fix"),
    [
        ("NotAllowedByListeners", "allows routes from namespace shop", "allowedRoutes.namespaces"),
        ("NoMatchingListenerHostname", "hostname matching cart.shop.example.com", "add a listener for"),
        ("NoMatchingParent", "has no listener named", "sectionName"),
    ],
)
def test_http_route_not_accepted_is_degraded_with_the_reason_in_plain_words(reason, words_in_detail, words_in_fix):
    evaluation = judge(
        on_gateway(
            http_route=http_route_object(route_condition("Accepted", "False", reason, "controller says no"), RESOLVED)
        )
    )

    step = steps(evaluation)["http-route"]
    assert evaluation.health == "Degraded"
    assert step["status"] == "fail" and words_in_detail in step["detail"] and words_in_fix in step["fix"]
    assert "the Gateway says: controller says no" in step["detail"]
    accepted = condition(evaluation, "Accepted")
    assert (accepted["status"], accepted["reason"], accepted["message"]) == ("False", reason, step["detail"])


def test_unknown_not_accepted_reason_still_degrades_and_passes_the_controllers_message_on():
    evaluation = judge(
        on_gateway(
            http_route=http_route_object(
                route_condition("Accepted", "False", "VendorSpecific", "listener is on fire"), RESOLVED
            )
        )
    )

    step = steps(evaluation)["http-route"]
    assert evaluation.health == "Degraded" and "listener is on fire" in step["detail"]
    assert "describe httproute cart" in step["fix"]


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("BackendNotFound", "Service cart, the HTTPRoute's backend, does not exist in namespace shop"),
        ("RefNotPermitted", "no ReferenceGrant"),
    ],
)
def test_unresolved_references_are_degraded_naming_what_is_wrong(reason, words):
    evaluation = judge(
        on_gateway(http_route=http_route_object(ACCEPTED, route_condition("ResolvedRefs", "False", reason)))
    )

    assert evaluation.health == "Degraded"
    assert steps(evaluation)["refs"]["status"] == "fail" and words in steps(evaluation)["refs"]["detail"]
    assert (condition(evaluation, "ResolvedRefs")["status"], condition(evaluation, "ResolvedRefs")["reason"]) == (
        "False",
        reason,
    )


def test_status_written_for_another_parent_is_ignored():
    other = {**GATEWAY_PARENT, "name": "internal"}
    evaluation = judge(
        on_gateway(
            http_route=http_route_object(route_condition("Accepted", "False", "NotAllowedByListeners"), parent=other)
        )
    )

    assert evaluation.health == "Progressing" and condition(evaluation, "Accepted")["status"] == "Unknown"


def test_no_https_listener_for_the_host_fails_the_tls_step():
    evaluation = judge(on_gateway(gateway=gateway_object(listener_host="*.other.example.com")))

    tls = steps(evaluation)["tls"]
    assert evaluation.health == "Degraded"
    assert tls["status"] == "fail" and "no HTTPS listener for cart.shop.example.com" in tls["detail"]


def test_gateway_without_cert_manager_annotation_warns_that_nobody_renews_the_listeners_certificate():
    tls = steps(judge(on_gateway(gateway=gateway_object(issuer=None))))["tls"]

    assert tls["status"] == "warn" and "cert-manager.io/cluster-issuer" in tls["detail"]


def test_listener_certificate_not_yet_issued_by_cert_manager_is_progressing():
    refs = {"type": "ResolvedRefs", "status": "False", "reason": "InvalidCertificateRef"}
    evaluation = judge(on_gateway(gateway=gateway_object(listener_refs=refs)))

    assert evaluation.health == "Progressing"
    assert steps(evaluation)["tls"]["status"] == "warn" and "still issuing" in steps(evaluation)["tls"]["detail"]


def test_secret_mode_on_a_gateway_cluster_says_the_routes_secret_is_not_used():
    tls = steps(judge(on_gateway(tls_mode="secret")))["tls"]

    assert "The route's own Secret is not used on this cluster" in tls["detail"]


def test_plain_http_on_a_gateway_cluster_warns():
    evaluation = judge(on_gateway(tls_mode="none"))

    assert steps(evaluation)["tls"]["status"] == "warn" and evaluation.health == "Healthy"


def test_missing_service_on_a_gateway_cluster_speaks_of_the_http_route_and_the_gateway():
    service = steps(judge(on_gateway(service=None, endpoint_slices=())))["service"]

    assert service["status"] == "fail"
    assert service["detail"].startswith("Your HTTPRoute sends traffic to Service cart")
    assert "the Gateway has nowhere to send requests" in service["detail"]


def test_rejected_apply_on_a_gateway_cluster_takes_the_http_route_step():
    evaluation = judge(on_gateway(apply_error='HTTPRoute.gateway.networking.k8s.io "cart" is invalid', synced=False))

    step = steps(evaluation)["http-route"]
    assert evaluation.health == "Degraded" and step["status"] == "fail"
    assert "The previously applied HTTPRoute is still live" in step["detail"]


def test_unreachable_gateway_cluster_skips_the_gateway_steps():
    evaluation = judge(on_gateway(cluster_reachable=False))

    assert evaluation.health == "Unknown"
    assert {s["status"] for s in evaluation.diagnostics[1:]} == {"skip"}
    assert condition(evaluation, "Accepted")["reason"] == "ClusterUnreachable"
