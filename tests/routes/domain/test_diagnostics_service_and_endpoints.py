"""Diagnostics of the backend: the Service, its port and type, and the pods its EndpointSlices count."""

from __future__ import annotations

import pytest

from routes.choices import HealthChoices
from routes.domain.diagnostics.shared import count_endpoints
from tests.routes.domain.diagnostics_support import (
    condition,
    endpoint,
    endpoint_slice,
    healthy,
    judge,
    service_object,
    steps,
)


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
