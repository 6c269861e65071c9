"""The Ingress chain: cluster -> IngressClass (an ingress controller is installed) -> Ingress with an address ->
Service with the port -> ready endpoints -> certificate -> host claim."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from routes.domain.diagnostics import texts
from routes.domain.diagnostics.backend import backend_service_step, target_port_step
from routes.domain.diagnostics.controller import controller_step
from routes.domain.diagnostics.network import network_policy_step
from routes.domain.diagnostics.shared import (
    FAIL,
    NOT_OBSERVED,
    OK,
    SKIP,
    WARN,
    Context,
    Finding,
    apply_failed_step,
    camel,
    claim_step,
    cluster_step,
    condition,
    endpoints_step,
    exported_step,
    front_missing_step,
    get,
    parse_time,
    tls_off_step,
)
from routes.domain.diagnostics.tls_secret import tls_secret_step
from routes.domain.status import Health

# Which finding decides health when several things are wrong: a missing Ingress first, then the layers in
# the order traffic needs them, and an Ingress still waiting for its address last (it is usually just slow).
HEALTH_PRECEDENCE: tuple[tuple[str, set[str]], ...] = (
    ("ingress", {Health.MISSING}),
    ("claim", {Health.DEGRADED}),
    ("ingress-class", {Health.DEGRADED}),
    ("controller", {Health.DEGRADED}),
    ("service", {Health.DEGRADED}),
    ("endpoints", {Health.DEGRADED}),
    ("target-port", {Health.DEGRADED}),
    ("network-policy", {Health.DEGRADED}),
    ("certificate", {Health.DEGRADED, Health.PROGRESSING}),
    ("ingress", {Health.PROGRESSING}),
    ("service", {Health.PROGRESSING}),
)

# The steps that read live objects; their conditions become Unknown when the cluster cannot be reached.
CONDITION_OF_STEP = {
    "ingress": "IngressReady",
    "service": "ServiceReady",
    "endpoints": "EndpointsReady",
    "certificate": "CertificateReady",
}

FRONT_STEP = "ingress"

# A certificate that is not renewed two weeks before it expires is in trouble: cert-manager renews at two
# thirds of the lifetime (30 days before expiry for the usual 90-day ACME certificates).
CERT_EXPIRY_WARNING = timedelta(days=14)

# A Ready=False reason naming one of these is a failure; any other (Issuing, Pending, InProgress, and
# DoesNotExist while the first Secret is written) is cert-manager still at work.
_CERT_FAILURE_WORDS = ("fail", "error", "denied", "invalid", "expired")


def ingress_address(ingress: dict[str, Any] | None) -> str:
    """The load balancer IP or hostname the ingress controller published on the Ingress, "" when none yet."""
    entries = get(ingress, "status", "loadBalancer", "ingress") or []
    if not entries:
        return ""
    return str(entries[0].get("ip") or entries[0].get("hostname") or "")


def steps(ctx: Context) -> dict[str, Callable[[Context], Finding]]:
    """The chain's steps in order. A rejected apply is what the developer must fix first, and it is about the
    objects Portico writes, so it takes the Ingress step's place (IngressReady still reports what is live)."""
    return {
        "cluster": cluster_step,
        "ingress-class": ingress_class_step,
        "ingress": apply_failed_step if ctx.observed.apply_error else ingress_step,
        "controller": controller_step,
        "service": backend_service_step,
        "endpoints": endpoints_step,
        "target-port": target_port_step,
        "network-policy": network_policy_step,
        "certificate": certificate_step,
        "claim": claim_step,
    }


def ingress_class_step(ctx: Context) -> Finding:
    o = ctx.observed
    name = o.ingress_class or get(o.ingress, "spec", "ingressClassName") or ""
    label = texts.INGRESS_CLASS_NAMED.format(name=name) if name else texts.INGRESS_CLASS_UNNAMED
    if o.directory:
        return NOT_OBSERVED
    if o.ingress_class_present is False:
        return Finding(
            FAIL,
            texts.INGRESS_CLASS_MISSING.format(label=label),
            texts.INGRESS_CLASS_MISSING_FIX,
            health=Health.DEGRADED,
        )
    if o.ingress_class_present is None:
        return Finding(SKIP, texts.INGRESS_CLASS_NOT_CHECKED)
    return Finding(OK, texts.INGRESS_CLASS_FOUND.format(label=label))


def ingress_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return exported_step(ctx)
    if o.ingress is None:
        return front_missing_step(ctx, "IngressMissing")
    name = get(o.ingress, "metadata", "name") or "<route name>"
    if not ctx.address:
        return Finding(
            WARN,
            texts.INGRESS_ADDRESS_PENDING.format(ns=ctx.namespace, name=name),
            texts.INGRESS_ADDRESS_PENDING_FIX.format(ns=ctx.namespace, name=name),
            health=Health.PROGRESSING,
            condition="False",
            reason="AddressPending",
        )
    return Finding(
        OK,
        texts.INGRESS_SERVED.format(ns=ctx.namespace, name=name, address=ctx.address, host=o.host or texts.YOUR_HOST),
        condition="True",
        reason="AddressAssigned",
    )


def certificate_step(ctx: Context) -> Finding:
    o = ctx.observed
    ns = ctx.namespace
    if o.tls_mode == "none":
        return tls_off_step(texts.TLS_OFF.format(host=o.host or texts.YOUR_HOST))
    if o.directory:
        return NOT_OBSERVED
    if o.tls_mode == "secret":
        return tls_secret_step(ctx, _first_tls_secret(o.ingress))
    issuer = o.issuer or texts.CLUSTER_DEFAULT_ISSUER
    if o.cert_manager_present is False:
        return Finding(
            FAIL,
            texts.CERT_MANAGER_MISSING,
            texts.CERT_MANAGER_MISSING_FIX,
            health=Health.DEGRADED,
            condition="False",
            reason="CertManagerMissing",
        )
    cert = o.certificate
    ready = condition(cert, "Ready")
    describe = texts.CERTIFICATE_DESCRIBE.format(ns=ns, name=get(cert, "metadata", "name") or "<certificate>")
    if o.issuer_present is False and (ready or {}).get("status") != "True":
        return Finding(
            FAIL,
            texts.ISSUER_MISSING.format(issuer=issuer),
            texts.ISSUER_MISSING_FIX,
            health=Health.DEGRADED,
            condition="False",
            reason="IssuerMissing",
        )
    if cert is None:
        return Finding(
            WARN,
            texts.CERTIFICATE_MISSING,
            texts.CERTIFICATE_MISSING_FIX.format(ns=ns),
            health=Health.PROGRESSING,
            condition="False",
            reason="CertificateMissing",
        )
    if ready is None or ready.get("status") != "True":
        return _unready_certificate(ctx, cert, ready, describe)
    return _ready_certificate(ctx, issuer, describe)


def _unready_certificate(ctx: Context, cert: dict[str, Any], ready: dict[str, Any] | None, describe: str) -> Finding:
    chase = texts.CERTIFICATE_CHASE.format(describe=describe, ns=ctx.namespace)
    failure = certificate_failure(cert)
    if failure is not None:
        reason, message = failure
        return Finding(
            FAIL,
            texts.CERTIFICATE_FAILED.format(reason=reason, message=message or texts.NO_MESSAGE),
            chase,
            health=Health.DEGRADED,
            condition="False",
            reason=camel(reason) or "Failed",
        )
    if ready is None:
        detail, reason = texts.CERTIFICATE_NOT_PROCESSED, "Pending"
    else:
        reason = ready.get("reason") or "Pending"
        message = ready.get("message") or ""
        detail = texts.CERTIFICATE_ISSUING.format(reason=reason, message=": " + message if message else "")
    return Finding(
        WARN,
        detail,
        texts.CERTIFICATE_ISSUING_FIX.format(chase=chase),
        health=Health.PROGRESSING,
        condition="False",
        reason=camel(reason) or "Pending",
    )


def _ready_certificate(ctx: Context, issuer: str, describe: str) -> Finding:
    o = ctx.observed
    expires = parse_time(ctx.not_after)
    if expires is not None and expires <= ctx.now:
        return Finding(
            FAIL,
            texts.CERTIFICATE_EXPIRED.format(not_after=ctx.not_after),
            texts.CERTIFICATE_EXPIRED_FIX.format(describe=describe),
            health=Health.DEGRADED,
            condition="False",
            reason="Expired",
        )
    if expires is not None and expires - ctx.now <= CERT_EXPIRY_WARNING:
        days = (expires - ctx.now).days
        return Finding(
            WARN,
            texts.CERTIFICATE_EXPIRING.format(not_after=ctx.not_after, days=days, plural="s" if days != 1 else ""),
            texts.CERTIFICATE_EXPIRING_FIX.format(describe=describe, ns=ctx.namespace),
            condition="True",
            reason="ExpiringSoon",
        )
    if o.issuer_present is False:
        return Finding(
            WARN,
            texts.CERTIFICATE_ISSUER_GONE.format(issuer=issuer),
            texts.CERTIFICATE_ISSUER_GONE_FIX,
            condition="True",
            reason="IssuerMissing",
        )
    until = f" until {ctx.not_after}" if ctx.not_after else ""
    return Finding(
        OK,
        texts.CERTIFICATE_READY.format(host=o.host or texts.YOUR_HOST, until=until),
        condition="True",
        reason="Ready",
    )


def certificate_failure(cert: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when cert-manager reports a failed issuance, None while it is still working."""
    issuing = condition(cert, "Issuing")
    if issuing and issuing.get("status") == "False" and _is_failure(issuing.get("reason")):
        return issuing.get("reason") or "Failed", issuing.get("message") or ""
    ready = condition(cert, "Ready") or {}
    if _is_failure(ready.get("reason")):
        return str(ready.get("reason")), ready.get("message") or ""
    status = cert.get("status") or {}
    if status.get("lastFailureTime") and not (issuing and issuing.get("status") == "True"):
        # cert-manager clears lastFailureTime on success; while it is set and no retry runs, issuance failed.
        return "Failed", (issuing or {}).get("message") or ready.get("message") or ""
    return None


def _is_failure(reason: str | None) -> bool:
    return bool(reason) and any(word in (reason or "").lower() for word in _CERT_FAILURE_WORDS)


def _first_tls_secret(ingress: dict[str, Any] | None) -> str:
    for entry in get(ingress, "spec", "tls") or []:
        if entry.get("secretName"):
            return str(entry["secretName"])
    return ""
