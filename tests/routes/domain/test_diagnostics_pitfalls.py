"""The pitfalls that used to read Healthy, judged by the pure diagnostics: the controller's pods, the target
port in the pods, a pending managed LoadBalancer, a NetworkPolicy keeping the controller out, and an existing
TLS Secret that is missing or not a TLS Secret."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routes.choices import HealthChoices
from routes.domain.diagnostics.facts import Controller, safe_secret
from routes.domain.diagnostics.selectors import matches
from tests.routes.domain.diagnostics_support import (
    CONTROLLER,
    NS,
    endpoint,
    endpoint_slice,
    healthy,
    ingress_object,
    judge,
    service_object,
    steps,
)


def policy(name="deny-all", *, pods=None, ingress=None, types=("Ingress",)) -> dict:
    spec: dict = {"podSelector": pods if pods is not None else {}, "policyTypes": list(types)}
    if ingress is not None:
        spec["ingress"] = ingress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def from_namespace(name: str, **rule) -> dict:
    return {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}], **rule}


# The ingress controller's pods


def test_controller_that_published_an_address_and_lost_its_pods_is_degraded():
    evaluation = judge(healthy(controller=replace(CONTROLLER, ready=0)))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["controller"]
    assert step["status"] == "fail"
    assert "published 203.0.113.10" in step["detail"] and "ingress-nginx/ingress-nginx-controller" in step["detail"]
    assert "kubectl -n ingress-nginx get pods" in step["fix"]


def test_controller_outside_the_cluster_or_unknown_is_not_judged():
    outside = judge(healthy(controller=Controller(location="outside", ingress_class="nginx")))
    unknown = judge(
        healthy(controller=Controller(ingress_class="nginx", kind="x.io/other", namespace="other", service="other"))
    )

    assert outside.health == unknown.health == HealthChoices.HEALTHY
    assert (
        steps(outside)["controller"]["status"] == "skip"
        and "outside the cluster" in steps(outside)["controller"]["detail"]
    )
    assert "portico.dev/controller-service" in steps(unknown)["controller"]["fix"]


def test_controller_service_named_on_the_ingress_class_and_missing_warns():
    named = Controller(ingress_class="nginx", namespace="edge", service="proxy", named=True)
    step = steps(judge(healthy(controller=named)))["controller"]

    assert step["status"] == "warn" and "edge/proxy" in step["detail"]


# The Service's target port in the pods


def test_named_target_port_no_pod_declares_is_degraded():
    service = service_object(ports=[{"name": "http", "port": 8080, "targetPort": "web", "protocol": "TCP"}])
    # The EndpointSlice controller lists the pods without the port it could not resolve in them.
    unresolved = {**endpoint_slice(endpoint("10.0.1.4", "cart-a")), "ports": []}

    evaluation = judge(healthy(service=service, endpoint_slices=(unresolved,)))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["target-port"]
    assert step["status"] == "fail" and "container port named web" in step["detail"]
    assert "containerPort" in step["fix"]
    assert steps(evaluation)["endpoints"]["status"] == "ok"  # the pods are ready: the port is what is missing


def test_named_target_port_some_pods_declare_is_fine():
    service = service_object(ports=[{"name": "http", "port": 8080, "targetPort": "web", "protocol": "TCP"}])
    with_port = endpoint_slice(endpoint("10.0.1.4", "cart-a"))
    without = {**endpoint_slice(endpoint("10.0.1.5", "cart-b"), name="cart-other"), "ports": []}

    evaluation = judge(healthy(service=service, endpoint_slices=(with_port, without)))

    assert steps(evaluation)["target-port"]["status"] == "ok"


def test_numeric_target_port_the_endpoints_do_not_give_is_degraded():
    service = service_object(ports=[{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}])
    elsewhere = {**endpoint_slice(endpoint("10.0.1.4", "cart-a")), "ports": [{"name": "http", "port": 9090}]}

    evaluation = judge(healthy(service=service, service_port=80, endpoint_slices=(elsewhere,)))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["target-port"]
    assert step["status"] == "fail" and "targetPort 8080" in step["detail"] and "port 9090" in step["detail"]


def test_numeric_target_port_missing_from_the_slices_is_degraded():
    other_port = {**endpoint_slice(endpoint("10.0.1.4", "cart-a")), "ports": [{"name": "metrics", "port": 9100}]}

    evaluation = judge(healthy(endpoint_slices=(other_port,)))

    assert steps(evaluation)["target-port"]["status"] == "fail"
    assert "without port 8080" in steps(evaluation)["target-port"]["detail"]


# A LoadBalancer Service Portico manages


def test_managed_load_balancer_without_an_address_is_progressing():
    service = service_object("LoadBalancer")
    service["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "portico"}

    pending = judge(healthy(service=service))
    service_with_address = {**service, "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}}}
    served = judge(healthy(service=service_with_address))

    assert pending.health == HealthChoices.PROGRESSING
    assert (
        steps(pending)["service"]["status"] == "warn" and "no external address" in steps(pending)["service"]["detail"]
    )
    assert served.health == HealthChoices.HEALTHY


def test_the_teams_own_load_balancer_without_an_address_is_not_portico_s_to_wait_for():
    assert judge(healthy(service=service_object("LoadBalancer"))).health == HealthChoices.HEALTHY


# NetworkPolicies


def test_default_deny_policy_selecting_the_pods_blocks_the_controller_and_is_named():
    evaluation = judge(healthy(network_policies=(policy("default-deny"),)))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["network-policy"]
    assert step["status"] == "fail"
    assert "NetworkPolicy default-deny" in step["detail"] and "ingress-nginx/ingress-nginx-controller" in step["detail"]
    assert "kubernetes.io/metadata.name: ingress-nginx" in step["fix"]


def test_policy_admitting_only_the_namespace_itself_blocks_a_controller_elsewhere():
    same_namespace = policy("same-ns", ingress=[{"from": [{"podSelector": {}}]}])

    assert steps(judge(healthy(network_policies=(same_namespace,))))["network-policy"]["status"] == "fail"


def test_policy_admitting_the_controller_namespace_on_the_target_port_lets_it_in():
    allow = policy("allow-ingress", ingress=[from_namespace("ingress-nginx", ports=[{"port": 8080}])])
    deny = policy("default-deny")

    evaluation = judge(healthy(network_policies=(deny, allow)))

    assert evaluation.health == HealthChoices.HEALTHY
    assert "allow-ingress" in steps(evaluation)["network-policy"]["detail"]


def test_policy_admitting_the_controller_on_another_port_blocks_it():
    wrong_port = policy("allow-ingress", ingress=[from_namespace("ingress-nginx", ports=[{"port": 9090}])])

    step = steps(judge(healthy(network_policies=(wrong_port,))))["network-policy"]

    assert step["status"] == "fail" and "on port 8080" in step["detail"]


def test_policy_admitting_the_controller_pods_by_label_lets_them_in():
    rule = {
        "from": [
            {
                "namespaceSelector": {},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
            }
        ]
    }
    assert judge(healthy(network_policies=(policy(ingress=[rule]),))).health == HealthChoices.HEALTHY


def test_policy_for_other_pods_or_for_egress_only_does_not_apply():
    others = policy("db-only", pods={"matchLabels": {"app": "db"}})
    egress = policy("egress", types=("Egress",))

    evaluation = judge(healthy(network_policies=(others, egress)))

    assert evaluation.health == HealthChoices.HEALTHY
    assert "No NetworkPolicy" in steps(evaluation)["network-policy"]["detail"]


def test_policy_on_labels_portico_cannot_see_is_not_judged_a_failure():
    by_tier = policy("tier", pods={"matchLabels": {"tier": "web"}})  # the Service selects by app only
    by_label = policy("by-label", ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "edge"}}}]}])

    assert steps(judge(healthy(network_policies=(by_tier,))))["network-policy"]["status"] == "ok"
    undecided = steps(judge(healthy(network_policies=(by_label,))))["network-policy"]
    assert undecided["status"] == "warn" and "cannot tell" in undecided["detail"]


def test_controller_outside_the_cluster_passes_only_an_ip_block():
    outside = Controller(location="outside", ingress_class="nginx")
    by_namespace = policy("allow-ns", ingress=[from_namespace("ingress-nginx")])
    everywhere = policy("allow-all", ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])

    blocked = steps(judge(healthy(controller=outside, network_policies=(by_namespace,))))["network-policy"]
    assert blocked["status"] == "fail" and "outside the cluster" in blocked["detail"] and "ipBlock" in blocked["fix"]
    assert judge(healthy(controller=outside, network_policies=(everywhere,))).health == HealthChoices.HEALTHY


def test_a_cni_that_does_not_enforce_policy_turns_the_block_into_a_warning():
    flannel = replace(CONTROLLER, cni="flannel", cni_enforces_policy=False)

    evaluation = judge(healthy(controller=flannel, network_policies=(policy("default-deny"),)))

    step = steps(evaluation)["network-policy"]
    assert evaluation.health == HealthChoices.HEALTHY
    assert step["status"] == "warn" and "(flannel) does not enforce" in step["detail"]


def test_policies_not_read_are_skipped():
    assert steps(judge(healthy(network_policies=None)))["network-policy"]["status"] == "skip"


@pytest.mark.parametrize(
    ("selector", "labels", "complete", "expected"),
    [
        ({}, {}, True, True),
        ({"matchLabels": {"app": "cart"}}, {"app": "cart"}, False, True),
        ({"matchLabels": {"app": "cart"}}, {"app": "db"}, False, False),
        ({"matchLabels": {"tier": "web"}}, {"app": "cart"}, False, None),
        ({"matchLabels": {"tier": "web"}}, {"app": "cart"}, True, False),
        (
            {"matchExpressions": [{"key": "app", "operator": "In", "values": ["cart", "api"]}]},
            {"app": "api"},
            False,
            True,
        ),
        (
            {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["cart"]}]},
            {"app": "cart"},
            False,
            False,
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"app": "cart"}, True, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"app": "cart"}, False, None),
    ],
)
def test_label_selectors_answer_only_what_the_known_labels_tell(selector, labels, complete, expected):
    assert matches(selector, labels, complete=complete) is expected


# An existing TLS Secret


def secret_mode(**changes):
    return healthy(
        tls_mode="secret",
        tls_secret_name="cart-tls",
        certificate=None,
        ingress=ingress_object({"ip": "203.0.113.10"}, tls_secret="cart-tls"),
        **changes,
    )


def test_existing_tls_secret_that_is_missing_is_degraded():
    evaluation = judge(secret_mode(tls_secret_read=True, tls_secret=None))

    assert evaluation.health == HealthChoices.DEGRADED
    step = steps(evaluation)["certificate"]
    assert step["status"] == "fail" and "does not exist in namespace shop" in step["detail"]
    assert "kubectl -n shop create secret tls cart-tls" in step["fix"]


def test_existing_secret_that_is_not_a_tls_secret_is_degraded():
    opaque = safe_secret({"metadata": {"name": "cart-tls", "namespace": NS}, "type": "Opaque", "data": {"k": "dg=="}})

    evaluation = judge(secret_mode(tls_secret_read=True, tls_secret=opaque))

    assert evaluation.health == HealthChoices.DEGRADED
    assert "type is Opaque, not kubernetes.io/tls" in steps(evaluation)["certificate"]["detail"]
    assert "data" not in opaque  # the diagnostics never hold key material


def test_existing_tls_secret_is_ok():
    tls = {"metadata": {"name": "cart-tls", "namespace": NS}, "type": "kubernetes.io/tls"}

    evaluation = judge(secret_mode(tls_secret_read=True, tls_secret=tls))

    assert evaluation.health == HealthChoices.HEALTHY and steps(evaluation)["certificate"]["status"] == "ok"


def test_existing_tls_secret_not_looked_for_is_skipped_as_before():
    assert steps(judge(secret_mode()))["certificate"]["status"] == "skip"
