"""Diagnostics: the health a whole chain adds up to, the shape of steps and conditions, their transition times."""

from __future__ import annotations

from datetime import datetime

from routes.choices import HealthChoices
from routes.domain.diagnostics.evaluate import evaluate
from routes.domain.diagnostics.shared import Observed
from tests.routes.domain.diagnostics_support import EARLIER, HOST, NOW, condition, healthy, judge, steps


def test_working_route_is_healthy_with_every_step_ok():
    evaluation = judge(healthy())

    assert evaluation.health == HealthChoices.HEALTHY
    assert [s["step"] for s in evaluation.diagnostics] == [
        "cluster",
        "ingress-class",
        "ingress",
        "controller",
        "service",
        "endpoints",
        "target-port",
        "network-policy",
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
    assert [s["status"] for s in evaluation.diagnostics[1:]] == ["skip"] * 9
    assert condition(evaluation, "IngressReady")["status"] == "Unknown"
    assert condition(evaluation, "IngressReady")["reason"] == "ClusterUnreachable"


def test_cluster_never_probed_skips_its_step_and_judges_the_rest():
    evaluation = judge(healthy(cluster_reachable=None, ingress_class_present=None))

    chain = steps(evaluation)
    assert chain["cluster"]["status"] == "skip"
    assert chain["ingress-class"]["status"] == "skip"
    assert chain["service"]["status"] == "ok"
    assert evaluation.health == HealthChoices.HEALTHY


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
