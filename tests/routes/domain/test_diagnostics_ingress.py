"""Diagnostics of the Ingress chain: the IngressClass, the Ingress and its address, and the host claim."""

from __future__ import annotations

from routes.choices import HealthChoices
from routes.domain.diagnostics.ingress import ingress_address
from routes.domain.values import ForeignIngressPath
from tests.routes.domain.diagnostics_support import HOST, condition, healthy, ingress_object, judge, steps


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
