"""Diagnostics of TLS on an Ingress cluster: the Certificate, its issuer and expiry, plain HTTP, an own Secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routes.choices import HealthChoices
from tests.routes.domain.diagnostics_support import (
    NOW,
    certificate_object,
    condition,
    healthy,
    ingress_object,
    judge,
    ready_condition,
    steps,
)


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
