"""Diagnostics of the Gateway API chain: Gateway, HTTPRoute accepted, refs resolved, Service, endpoints, TLS, claim."""

from __future__ import annotations

import pytest

from tests.routes.domain.diagnostics_support import (
    ACCEPTED,
    GATEWAY_PARENT,
    RESOLVED,
    condition,
    gateway_object,
    http_route_object,
    judge,
    on_gateway,
    route_condition,
    steps,
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
        "target-port",
        "network-policy",
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
