"""The Gateway API chain: cluster -> parent Gateway -> HTTPRoute accepted by the Gateway -> its references
resolved -> Service -> ready endpoints -> TLS at the Gateway's listener -> host claim."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from routes.domain.diagnostics import gateway_texts, texts
from routes.domain.diagnostics.backend import backend_service_step, target_port_step
from routes.domain.diagnostics.network import network_policy_step
from routes.domain.diagnostics.shared import (
    FAIL,
    NOT_OBSERVED,
    OK,
    SKIP,
    WARN,
    Context,
    Finding,
    Observed,
    apply_failed_step,
    claim_step,
    cluster_step,
    condition,
    endpoints_step,
    exported_step,
    front_missing_step,
    get,
    tls_off_step,
)
from routes.domain.status import Health

HEALTH_PRECEDENCE: tuple[tuple[str, set[str]], ...] = (
    ("http-route", {Health.MISSING}),
    ("claim", {Health.DEGRADED}),
    ("gateway", {Health.DEGRADED}),
    ("http-route", {Health.DEGRADED}),
    ("refs", {Health.DEGRADED}),
    ("service", {Health.DEGRADED}),
    ("endpoints", {Health.DEGRADED}),
    ("target-port", {Health.DEGRADED}),
    ("network-policy", {Health.DEGRADED}),
    ("tls", {Health.DEGRADED, Health.PROGRESSING}),
    ("http-route", {Health.PROGRESSING}),
    ("gateway", {Health.PROGRESSING}),
    ("service", {Health.PROGRESSING}),
)

# Accepted and ResolvedRefs carry the Gateway's own reasons (NotAllowedByListeners, BackendNotFound, ...).
CONDITION_OF_STEP = {
    "http-route": "Accepted",
    "refs": "ResolvedRefs",
    "service": "ServiceReady",
    "endpoints": "EndpointsReady",
}

FRONT_STEP = "http-route"


def gateway_address(gateway: dict[str, Any] | None) -> str:
    """The first address the Gateway's controller published on the Gateway, "" when none yet."""
    for entry in get(gateway, "status", "addresses") or []:
        if entry.get("value"):
            return str(entry["value"])
    return ""


def steps(ctx: Context) -> dict[str, Callable[[Context], Finding]]:
    """The chain's steps in order; a rejected apply takes the HTTPRoute step's place."""
    return {
        "cluster": cluster_step,
        "gateway": gateway_step,
        "http-route": apply_failed_step if ctx.observed.apply_error else http_route_step,
        "refs": refs_step,
        "service": backend_service_step,
        "endpoints": endpoints_step,
        "target-port": target_port_step,
        "network-policy": network_policy_step,
        "tls": gateway_tls_step,
        "claim": claim_step,
    }


def gateway_ref(o: Observed) -> str:
    return (
        f"{o.gateway_namespace}/{o.gateway_name}"
        if o.gateway_namespace
        else o.gateway_name or gateway_texts.GATEWAY_UNNAMED
    )


def gateway_arg(o: Observed) -> str:
    """The Gateway as kubectl arguments: ``-n <namespace> <name>``."""
    return (
        f"-n {o.gateway_namespace} {o.gateway_name}"
        if o.gateway_namespace
        else o.gateway_name or gateway_texts.GATEWAY_UNNAMED
    )


def gateway_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    ref, arg = gateway_ref(o), gateway_arg(o)
    if o.gateway_present is False:
        return Finding(
            FAIL,
            gateway_texts.GATEWAY_MISSING.format(ref=ref),
            gateway_texts.GATEWAY_MISSING_FIX,
            health=Health.DEGRADED,
        )
    if o.gateway_present is None:
        return Finding(SKIP, gateway_texts.GATEWAY_NOT_CHECKED)
    programmed = condition(o.gateway, "Programmed")
    if programmed is not None and programmed.get("status") == "False":
        reason = programmed.get("reason") or "NotProgrammed"
        message = programmed.get("message") or texts.NO_MESSAGE
        return Finding(
            FAIL,
            gateway_texts.GATEWAY_NOT_PROGRAMMED.format(ref=ref, reason=reason, message=message),
            gateway_texts.GATEWAY_NOT_PROGRAMMED_FIX.format(arg=arg),
            health=Health.DEGRADED,
        )
    if not ctx.address:
        return Finding(
            WARN,
            gateway_texts.GATEWAY_ADDRESS_PENDING.format(ref=ref),
            gateway_texts.GATEWAY_ADDRESS_PENDING_FIX.format(arg=arg),
            health=Health.PROGRESSING,
        )
    return Finding(
        OK, gateway_texts.GATEWAY_SERVED.format(ref=ref, address=ctx.address, host=o.host or texts.YOUR_HOST)
    )


def http_route_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return exported_step(ctx)  # exported or not: the same for every kind of manifest
    if o.http_route is None:
        return front_missing_step(ctx, "HTTPRouteMissing")
    name = get(o.http_route, "metadata", "name") or "<route name>"
    ref = gateway_ref(o)
    accepted = _parent_condition(o, "Accepted")
    if accepted is None or accepted.get("status") == "Unknown" or accepted.get("reason") == "Pending":
        describe = gateway_texts.HTTP_ROUTE_DESCRIBE.format(ns=ctx.namespace, name=name)
        return Finding(
            WARN,
            gateway_texts.HTTP_ROUTE_NOT_REPORTED.format(ns=ctx.namespace, name=name, ref=ref),
            gateway_texts.HTTP_ROUTE_NOT_REPORTED_FIX.format(ref=ref, describe=describe),
            health=Health.PROGRESSING,
            condition="Unknown",
            reason=(accepted or {}).get("reason") or "Pending",
        )
    ok = gateway_texts.HTTP_ROUTE_ACCEPTED.format(
        ref=ref, ns=ctx.namespace, name=name, host=o.host or texts.YOUR_HOST, path=o.path
    )
    return _judged(
        ctx,
        accepted,
        "Accepted",
        "NotAccepted",
        gateway_texts.ACCEPTED_REASONS,
        gateway_texts.HTTP_ROUTE_REFUSED_FALLBACK,
        gateway_texts.HTTP_ROUTE_REFUSED,
        ok,
    )


def refs_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    if o.http_route is None:
        return Finding(SKIP, gateway_texts.REFS_NO_ROUTE, reason="HTTPRouteMissing")
    resolved = _parent_condition(o, "ResolvedRefs")
    if resolved is None or resolved.get("status") == "Unknown":
        return Finding(SKIP, gateway_texts.REFS_NOT_REPORTED, reason=(resolved or {}).get("reason") or "Pending")
    ok = gateway_texts.REFS_RESOLVED.format(service=o.service_name or "<service>")
    return _judged(
        ctx,
        resolved,
        "ResolvedRefs",
        "Unresolved",
        gateway_texts.RESOLVED_REFS_REASONS,
        gateway_texts.REFS_UNRESOLVED_FALLBACK,
        gateway_texts.REFS_UNRESOLVED,
        ok,
    )


def _judged(
    ctx: Context,
    found: dict[str, Any],
    ok_reason: str,
    failed_reason: str,
    reasons: Mapping[str, tuple[str, str]],
    fallback: str,
    failed: str,
    ok: str,
) -> Finding:
    """The finding of a parent condition the Gateway reported (True or False): ``ok`` when it holds, otherwise
    ``failed`` with the reason explained in plain words (``reasons``, or ``fallback`` for an unknown one)."""
    if found.get("status") == "True":
        return Finding(OK, ok, condition="True", reason=found.get("reason") or ok_reason)
    reason = found.get("reason") or failed_reason
    detail, fix = _explain(reasons, ctx, found, fallback.format(ref=gateway_ref(ctx.observed), reason=reason))
    return Finding(
        FAIL,
        failed.format(ref=gateway_ref(ctx.observed), reason=reason, detail=detail),
        fix,
        health=Health.DEGRADED,
        condition="False",
        reason=reason,
    )


def _parent_status(o: Observed) -> dict[str, Any] | None:
    """The HTTPRoute's status entry for our parentRef (the cluster's Gateway), None until a controller wrote one."""
    route_namespace = get(o.http_route, "metadata", "namespace")
    for parent in get(o.http_route, "status", "parents") or []:
        ref = parent.get("parentRef") or {}
        if ref.get("kind", "Gateway") != "Gateway" or ref.get("name") != o.gateway_name:
            continue
        if (ref.get("namespace") or route_namespace) != (o.gateway_namespace or route_namespace):
            continue
        if o.gateway_section_name and ref.get("sectionName") not in (None, o.gateway_section_name):
            continue
        return dict(parent)
    return None


def _parent_condition(o: Observed, condition_type: str) -> dict[str, Any] | None:
    for found in (_parent_status(o) or {}).get("conditions") or []:
        if found.get("type") == condition_type:
            return dict(found)
    return None


def _explain(
    reasons: Mapping[str, tuple[str, str]], ctx: Context, found: dict[str, Any], fallback: str
) -> tuple[str, str]:
    """(meaning, fix) of a Gateway condition reason, with the controller's own message appended."""
    o = ctx.observed
    values = {
        "host": o.host or texts.YOUR_HOST,
        "ns": ctx.namespace,
        "gateway": gateway_ref(o),
        "gateway_arg": gateway_arg(o),
        "service": o.service_name or "<service>",
        "listener": o.gateway_section_name or "(any)",
    }
    unknown_fix = gateway_texts.REASON_FALLBACK_FIX.format(
        ns=ctx.namespace, name=get(o.http_route, "metadata", "name") or "<name>"
    )
    meaning, fix = reasons.get(found.get("reason") or "", (fallback, unknown_fix))
    message = found.get("message")
    detail = meaning.format(**values) + (
        gateway_texts.GATEWAY_SAYS.format(message=message.rstrip(".")) if message else ""
    )
    return detail, fix.format(**values)


def _https_listeners(o: Observed) -> list[dict[str, Any]]:
    """The Gateway's HTTPS listeners that can serve the route's host (and its listener, when the cluster names one)."""
    found = []
    for listener in get(o.gateway, "spec", "listeners") or []:
        if listener.get("protocol") != "HTTPS":
            continue
        if o.gateway_section_name and listener.get("name") != o.gateway_section_name:
            continue
        if _hostname_matches(listener.get("hostname"), o.host):
            found.append(listener)
    return found


def _hostname_matches(listener_host: str | None, host: str) -> bool:
    if not listener_host:
        return True
    if listener_host.startswith("*."):
        return host.endswith(listener_host[1:]) and host != listener_host[2:]
    return listener_host == host


def gateway_tls_step(ctx: Context) -> Finding:
    o = ctx.observed
    host = o.host or texts.YOUR_HOST
    ref = gateway_ref(o)
    if o.tls_mode == "none":
        return tls_off_step(gateway_texts.GATEWAY_TLS_OFF.format(host=host))
    if o.directory:
        return Finding(
            SKIP,
            gateway_texts.GATEWAY_TLS_NOT_OBSERVED.format(ref=ref, directory=texts.DIRECTORY_DETAIL),
            reason="NotObserved",
        )
    terminated = gateway_texts.GATEWAY_TLS_TERMINATED.format(host=host, ref=ref)
    if o.tls_mode == "secret":
        terminated += gateway_texts.GATEWAY_TLS_SECRET_UNUSED
    if o.gateway is None:
        return Finding(SKIP, gateway_texts.GATEWAY_TLS_UNREAD.format(terminated=terminated))
    listeners = _https_listeners(o)
    describe = gateway_texts.GATEWAY_DESCRIBE.format(arg=gateway_arg(o))
    if not listeners:
        return Finding(
            FAIL,
            gateway_texts.GATEWAY_TLS_NO_LISTENER.format(terminated=terminated, ref=ref, host=host),
            gateway_texts.GATEWAY_TLS_NO_LISTENER_FIX.format(host=host, describe=describe),
            health=Health.DEGRADED,
        )
    listener = listeners[0]
    secrets = ", ".join(ref_.get("name", "") for ref_ in (listener.get("tls") or {}).get("certificateRefs") or [])
    secrets = secrets or gateway_texts.NO_SECRET_NAMED
    annotations = get(o.gateway, "metadata", "annotations") or {}
    issuer = annotations.get("cert-manager.io/cluster-issuer") or annotations.get("cert-manager.io/issuer")
    listener_status = next(
        (ls for ls in get(o.gateway, "status", "listeners") or [] if ls.get("name") == listener.get("name")), None
    )
    refs_ok = next(
        (c for c in (listener_status or {}).get("conditions") or [] if c.get("type") == "ResolvedRefs"), None
    )
    where = gateway_texts.GATEWAY_LISTENER.format(listener=listener.get("name"), ref=ref)
    if refs_ok is not None and refs_ok.get("status") == "False":
        waiting = bool(issuer)
        more = (
            gateway_texts.GATEWAY_TLS_ISSUING_FIX.format(ns=o.gateway_namespace or ctx.namespace)
            if waiting
            else gateway_texts.GATEWAY_TLS_BROKEN_FIX
        )
        return Finding(
            WARN if waiting else FAIL,
            gateway_texts.GATEWAY_TLS_BAD_SECRET.format(
                terminated=terminated,
                where=where,
                secrets=secrets,
                reason=refs_ok.get("reason") or "InvalidCertificateRef",
                outcome=gateway_texts.GATEWAY_TLS_ISSUING if waiting else gateway_texts.GATEWAY_TLS_BROKEN,
            ),
            gateway_texts.GATEWAY_TLS_BAD_SECRET_FIX.format(describe=describe, more=more),
            health=Health.PROGRESSING if waiting else Health.DEGRADED,
        )
    if o.tls_mode == "cert-manager" and not issuer:
        return Finding(
            WARN,
            gateway_texts.GATEWAY_TLS_NOT_ISSUED.format(terminated=terminated, where=where, host=host, secrets=secrets),
            gateway_texts.GATEWAY_TLS_NOT_ISSUED_FIX,
        )
    issued = gateway_texts.GATEWAY_TLS_ISSUED_BY.format(issuer=issuer) if issuer else ""
    return Finding(
        OK,
        gateway_texts.GATEWAY_TLS_SERVED.format(
            terminated=terminated, where=where, host=host, secrets=secrets, issued=issued
        ),
    )
