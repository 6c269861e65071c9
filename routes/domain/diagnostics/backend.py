"""Backend pitfalls that used to read Healthy: the Service's target port missing in the pods (named, or numeric
and not what the EndpointSlices give), and a LoadBalancer Service Portico manages that has no address."""

from __future__ import annotations

from typing import Any

from routes.domain.decimals import parse_decimal
from routes.domain.diagnostics import texts_pitfalls as texts
from routes.domain.diagnostics.shared import (
    FAIL,
    NOT_OBSERVED,
    OK,
    SKIP,
    WARN,
    Context,
    Finding,
    count_endpoints,
    get,
    service_name,
    service_step,
)
from routes.domain.status import Health

MANAGED_BY = ("app.kubernetes.io/managed-by", "portico")


def as_number(value: object) -> int | None:
    """A port given as a number or as decimal text, or None for a port name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return parse_decimal(value)


def service_port_entry(service: dict[str, Any] | None, wanted: int | str | None) -> dict[str, Any] | None:
    """The port of the Service the route sends traffic to (by number, or by the port's name), or None."""
    if wanted is None or wanted == "":
        return None
    ports = get(service, "spec", "ports") or []
    number = as_number(wanted)
    for port in ports:
        if (number is not None and port.get("port") == number) or (number is None and port.get("name") == wanted):
            return dict(port)
    return None


def backend_service_step(ctx: Context) -> Finding:
    """The shared Service step, and for a LoadBalancer Service Portico manages: its external address."""
    finding = service_step(ctx)
    o = ctx.observed
    if finding.status == FAIL or o.service is None:
        return finding
    labels = get(o.service, "metadata", "labels") or {}
    if get(o.service, "spec", "type") != "LoadBalancer" or labels.get(MANAGED_BY[0]) != MANAGED_BY[1]:
        return finding
    if get(o.service, "status", "loadBalancer", "ingress"):
        return finding
    name = service_name(o)
    return Finding(
        WARN,
        texts.LOAD_BALANCER_PENDING.format(name=name),
        texts.LOAD_BALANCER_PENDING_FIX.format(ns=ctx.namespace, name=name),
        health=Health.PROGRESSING,
        condition=finding.condition,
        reason="LoadBalancerPending",
    )


def target_port_step(ctx: Context) -> Finding:
    """The pods behind the Service expose the port the route's Service port sends to.

    The EndpointSlice controller gives each pod the Service's ports it resolves in that pod, by the Service
    port's name: a named targetPort that no container port carries is left out (the pod is listed with no such
    port), a numeric one is always given as that number. So a ready endpoint in no slice carrying the port means
    the name is missing from the pods; a number other than the targetPort means the slices were written by
    something else than that controller, for a Service that selects pods."""
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    entry = service_port_entry(o.service, o.service_port)
    if entry is None or get(o.service, "spec", "type") == "ExternalName":
        return Finding(SKIP, texts.TARGET_PORT_NOT_JUDGED)
    if ctx.endpoints.ready == 0:
        return Finding(SKIP, texts.TARGET_PORT_NOT_JUDGED)
    port_name = entry.get("name") or ""
    target = entry.get("targetPort", entry.get("port"))
    carrying = [s for s in o.endpoint_slices if any((p.get("name") or "") == port_name for p in s.get("ports") or [])]
    numbers = sorted(
        {p.get("port") for s in carrying for p in s.get("ports") or [] if (p.get("name") or "") == port_name} - {None}
    )
    ready = count_endpoints(carrying).ready
    figures = {
        "service": service_name(o),
        "port": entry.get("port"),
        "target": target,
        "ready": ctx.endpoints.ready,
        "pods": "pod" if ctx.endpoints.ready == 1 else "pods",
        "proxy": ctx.proxy,
        "ns": ctx.namespace,
        "found": ", ".join(str(n) for n in numbers),
    }
    if ready == 0:
        named = as_number(target) is None
        detail = texts.TARGET_PORT_NAMED_MISSING if named else texts.TARGET_PORT_NUMBER_MISSING
        fix = texts.TARGET_PORT_NAMED_MISSING_FIX if named else texts.TARGET_PORT_NUMBER_FIX
        return _failed(detail.format(**figures), fix.format(**figures))
    selects = bool(get(o.service, "spec", "selector"))
    number = as_number(target)
    if selects and number is not None and numbers and number not in numbers:
        return _failed(
            texts.TARGET_PORT_NUMBER_MISMATCH.format(**figures), texts.TARGET_PORT_NUMBER_FIX.format(**figures)
        )
    return Finding(OK, texts.TARGET_PORT_FOUND.format(**figures), condition="True", reason="TargetPortFound")


def _failed(detail: str, fix: str) -> Finding:
    return Finding(FAIL, detail, fix, health=Health.DEGRADED, condition="False", reason="TargetPortMissing")
