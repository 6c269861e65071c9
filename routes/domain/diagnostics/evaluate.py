"""What the worker saw on a cluster for one route, turned into health, conditions and a diagnostics chain.

Pure: takes an ``Observed`` snapshot (plain values and the live objects as JSON dicts) and returns an
``Evaluation``; no ORM, no network. The reconciler gathers the snapshot, calls ``evaluate`` and stores the
result on the route; the pages and the API only present it.

The chain follows the layers traffic passes through (docs/architecture.md, "Diagnostics"): cluster -> IngressClass (an
ingress controller is installed) -> Ingress with an address -> Service with the port -> ready endpoints ->
certificate -> host claim. On a cluster with Gateway API output the chain is cluster -> parent Gateway ->
HTTPRoute accepted by the Gateway -> its references resolved -> Service -> ready endpoints -> TLS at the
Gateway's listener -> host claim. Each step says, in plain words, what it found and what to do about it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from routes.domain.decimals import parse_decimal
from routes.domain.status import Health
from routes.domain.values import OUTPUT_GATEWAY, ForeignIngressPath

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"

STEP_TITLES = {
    "cluster": "Cluster reachable",
    "ingress-class": "Ingress controller installed (IngressClass exists)",
    "ingress": "Ingress present with an address",
    "service": "Service exposes the port",
    "endpoints": "Ready pods behind the Service",
    "certificate": "TLS certificate ready",
    "claim": "Host claim held",
}
GATEWAY_STEP_TITLES = {
    "cluster": "Cluster reachable",
    "gateway": "Gateway exists and has an address",
    "http-route": "HTTPRoute accepted by the Gateway",
    "refs": "HTTPRoute references resolved",
    "service": "Service exposes the port",
    "endpoints": "Ready pods behind the Service",
    "tls": "TLS terminated by the Gateway listener",
    "claim": "Host claim held",
}

# A certificate that is not renewed two weeks before it expires is in trouble: cert-manager renews at two
# thirds of the lifetime (30 days before expiry for the usual 90-day ACME certificates).
CERT_EXPIRY_WARNING = timedelta(days=14)

DIRECTORY_DETAIL = "exported to a folder; Portico does not observe this cluster"
UNREACHABLE_DETAIL = "Skipped: the cluster could not be reached, so this cannot be checked."

# A Ready=False reason naming one of these is a failure; any other (Issuing, Pending, InProgress, and
# DoesNotExist while the first Secret is written) is cert-manager still at work.
_CERT_FAILURE_WORDS = ("fail", "error", "denied", "invalid", "expired")

# Which finding decides health when several things are wrong: a missing Ingress first, then the layers in
# the order traffic needs them, and an Ingress still waiting for its address last (it is usually just slow).
_HEALTH_PRECEDENCE = (
    ("ingress", {Health.MISSING}),
    ("claim", {Health.DEGRADED}),
    ("ingress-class", {Health.DEGRADED}),
    ("service", {Health.DEGRADED}),
    ("endpoints", {Health.DEGRADED}),
    ("certificate", {Health.DEGRADED, Health.PROGRESSING}),
    ("ingress", {Health.PROGRESSING}),
)
_GATEWAY_HEALTH_PRECEDENCE = (
    ("http-route", {Health.MISSING}),
    ("claim", {Health.DEGRADED}),
    ("gateway", {Health.DEGRADED}),
    ("http-route", {Health.DEGRADED}),
    ("refs", {Health.DEGRADED}),
    ("service", {Health.DEGRADED}),
    ("endpoints", {Health.DEGRADED}),
    ("tls", {Health.DEGRADED, Health.PROGRESSING}),
    ("http-route", {Health.PROGRESSING}),
    ("gateway", {Health.PROGRESSING}),
)

# The steps that read live objects; their conditions become Unknown when the cluster cannot be reached.
_CONDITION_OF_STEP = {
    "ingress": "IngressReady",
    "service": "ServiceReady",
    "endpoints": "EndpointsReady",
    "certificate": "CertificateReady",
}
# Accepted and ResolvedRefs carry the Gateway's own reasons (NotAllowedByListeners, BackendNotFound, ...).
_GATEWAY_CONDITION_OF_STEP = {
    "http-route": "Accepted",
    "refs": "ResolvedRefs",
    "service": "ServiceReady",
    "endpoints": "EndpointsReady",
}

# Plain-language meaning and fix of the reasons Gateway API controllers set on an HTTPRoute's parent status
# (GEP-1364 route conditions). Each value: (what it means, how to fix); {host}, {ns}, {gateway}, {service}
# and {listener} are filled in.
_ACCEPTED_REASONS = {
    "NotAllowedByListeners": (
        ("none of Gateway {gateway}'s listeners allows routes from namespace {ns} (their allowedRoutes), so the "
        "Gateway ignores your HTTPRoute and serves nothing for {host}"),
        ("A platform engineer should allow namespace {ns} on the listener (`allowedRoutes.namespaces.from: All`, "
        "or a Selector matching the namespace's labels): `kubectl get gateway {gateway_arg} -o yaml`."),
    ),
    "NoMatchingListenerHostname": (
        "no listener of Gateway {gateway} has a hostname matching {host}, so the Gateway does not serve it",
        ("A platform engineer should add a listener for {host} (or a wildcard covering it) to Gateway {gateway}, "
        "or move the route to a host the Gateway's listeners cover (`kubectl get gateway {gateway_arg} -o yaml`)."),
    ),
    "NoMatchingParent": (
        "Gateway {gateway} has no listener named {listener} (or on the port) the HTTPRoute's parentRef asks for",
        ("A platform engineer should fix the cluster's Gateway listener (sectionName) in Portico to one of the "
        "listeners in `kubectl get gateway {gateway_arg} -o yaml`."),
    ),
    "UnsupportedValue": (
        "the Gateway's controller does not support a value in the HTTPRoute",
        "Read the controller's message below and change the route in Portico accordingly.",
    ),
}
_RESOLVED_REFS_REASONS = {
    "BackendNotFound": (
        ("Service {service}, the HTTPRoute's backend, does not exist in namespace {ns}, so the Gateway answers 500 "
        "for {host}"),
        ("Create the Service, or change the route's service name in Portico to an existing one "
        "(`kubectl -n {ns} get services`)."),
    ),
    "RefNotPermitted": (
        "the HTTPRoute refers to a backend in another namespace, and no ReferenceGrant there allows it",
        ("Create a ReferenceGrant in the backend's namespace allowing HTTPRoutes from namespace {ns}, or use a "
        "Service in namespace {ns}."),
    ),
    "InvalidKind": (
        "the HTTPRoute refers to a backend of a kind the Gateway's controller does not support",
        "Point the route at a Service.",
    ),
    "UnsupportedProtocol": (
        "the Gateway cannot speak the protocol (appProtocol) of Service {service}'s port",
        "Check the port's appProtocol: `kubectl -n {ns} get service {service} -o yaml`.",
    ),
}


@dataclass(frozen=True)
class Observed:
    """Everything the worker knows about one route on its cluster, gathered before calling ``evaluate``."""

    directory: bool = False  # GitOps export target: nothing is observed, manifests are written to a folder
    cluster_reachable: bool | None = None  # from the last probe (None = never probed)
    ingress_class: str = ""
    ingress_class_present: bool | None = None
    cert_manager_present: bool | None = None
    issuer: str = ""
    issuer_present: bool | None = None
    tls_mode: str = "cert-manager"  # cert-manager | secret | none
    host: str = ""
    path: str = "/"
    service_name: str = ""
    service_port: int | str | None = None
    ingress: dict | None = None  # live Ingress object (as JSON dict) or None when missing
    output: str = "ingress"  # the cluster's output: "ingress", or "gateway" (HTTPRoute, the fields below)
    gateway_name: str = ""
    gateway_namespace: str = ""
    gateway_section_name: str = ""
    gateway_present: bool | None = None  # the parent Gateway exists (None = not checked)
    gateway: dict | None = None  # live parent Gateway, when read
    http_route: dict | None = None  # live HTTPRoute or None when missing
    service: dict | None = None  # live Service object or None
    endpoint_slices: tuple[dict, ...] = ()  # live discovery.k8s.io/v1 EndpointSlices of that Service
    certificate: dict | None = None  # live cert-manager Certificate (only meaningful for tls_mode cert-manager)
    claim_ok: bool = True  # host claim held by the route's team
    foreign_conflicts: tuple[ForeignIngressPath, ...] = ()  # unmanaged Ingresses serving the same host+path
    apply_error: str | None = None  # API server's message when the last apply failed permanently (e.g. 422)
    synced: bool = False  # cluster at the approved revision
    deleting: bool = False


@dataclass(frozen=True)
class Evaluation:
    """A route's status as stored on it and shown by the pages and the API."""

    health: str  # a Health value
    conditions: list[dict]  # [{type, status, reason, message, last_transition_time}]
    diagnostics: list[dict]  # [{step, title, status, detail, fix}] in chain order
    address: str  # LB IP or hostname of the Ingress, "" if none
    certificate: dict  # {"ready": bool | None, "not_after": str | None}
    endpoints: dict  # {"ready": int, "total": int}


@dataclass(frozen=True)
class _Finding:
    """One step's result, plus what it means for health and for the step's condition."""

    status: str
    detail: str
    fix: str = ""
    health: str | None = None  # the health this finding implies, when it is the deciding one
    condition: str = "Unknown"  # "True" | "False" | "Unknown"
    reason: str = ""


@dataclass(frozen=True)
class EndpointCount:
    """Endpoints of a Service across its EndpointSlices, each pod counted once."""

    ready: int = 0
    total: int = 0  # endpoints that are not terminating
    terminating: int = 0


@dataclass
class _Context:
    """Values several steps need, derived once from the snapshot."""

    observed: Observed
    now: datetime
    namespace: str
    address: str
    endpoints: EndpointCount
    not_after: str | None
    front: str = "Ingress"  # the object that receives traffic for the route: Ingress or HTTPRoute
    proxy: str = "the ingress controller"  # what forwards the traffic


def evaluate(
    observed: Observed,
    *,
    previous_conditions: list[dict] | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Judge one route from what was observed: health, conditions, the diagnostics chain and the live figures.

    ``previous_conditions`` are the route's stored conditions; a condition whose status did not change keeps
    its ``last_transition_time``, so pages can say "Degraded since 10:42" rather than "since the last sync".
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    gateway = observed.output == OUTPUT_GATEWAY
    ctx = _Context(
        observed=observed,
        now=now,
        namespace=_namespace(observed),
        address=gateway_address(observed.gateway) if gateway else ingress_address(observed.ingress),
        endpoints=count_endpoints(observed.endpoint_slices),
        not_after=_certificate_not_after(observed),
        front="HTTPRoute" if gateway else "Ingress",
        proxy="the Gateway" if gateway else "the ingress controller",
    )
    if gateway:
        titles, front_step, live_front = GATEWAY_STEP_TITLES, "http-route", _http_route_step(ctx)
        findings = {
            "cluster": _cluster_step(ctx),
            "gateway": _gateway_step(ctx),
            "http-route": _apply_failed_step(ctx) if observed.apply_error else live_front,
            "refs": _refs_step(ctx),
            "service": _service_step(ctx),
            "endpoints": _endpoints_step(ctx),
            "tls": _gateway_tls_step(ctx),
            "claim": _claim_step(ctx),
        }
    else:
        titles, front_step, live_front = STEP_TITLES, "ingress", _ingress_step(ctx)
        findings = {
            "cluster": _cluster_step(ctx),
            "ingress-class": _ingress_class_step(ctx),
            # A rejected apply is what the developer must fix first, and it is about the objects Portico writes,
            # so it takes the Ingress step's place; IngressReady still reports what is live.
            "ingress": _apply_failed_step(ctx) if observed.apply_error else live_front,
            "service": _service_step(ctx),
            "endpoints": _endpoints_step(ctx),
            "certificate": _certificate_step(ctx),
            "claim": _claim_step(ctx),
        }
    cluster_failed = findings["cluster"].status == FAIL
    diagnostics = []
    for step, title in titles.items():
        finding = findings[step]
        if cluster_failed and step != "cluster":
            # Whatever the last sync saw may be stale; showing it as current would mislead.
            finding = _Finding(SKIP, UNREACHABLE_DETAIL)
        diagnostics.append(
            {"step": step, "title": title, "status": finding.status, "detail": finding.detail, "fix": finding.fix}
        )
    return Evaluation(
        health=str(_health(observed, findings)),
        conditions=_conditions(ctx, {**findings, front_step: live_front}, cluster_failed, previous_conditions or []),
        diagnostics=diagnostics,
        address=ctx.address,
        certificate={"ready": _certificate_ready(observed), "not_after": ctx.not_after},
        endpoints={"ready": ctx.endpoints.ready, "total": ctx.endpoints.total},
    )


def ingress_address(ingress: dict | None) -> str:
    """The load balancer IP or hostname the ingress controller published on the Ingress, "" when none yet."""
    entries = _get(ingress, "status", "loadBalancer", "ingress") or []
    if not entries:
        return ""
    return entries[0].get("ip") or entries[0].get("hostname") or ""


def gateway_address(gateway: dict | None) -> str:
    """The first address the Gateway's controller published on the Gateway, "" when none yet."""
    for entry in _get(gateway, "status", "addresses") or []:
        if entry.get("value"):
            return entry["value"]
    return ""


def count_endpoints(endpoint_slices: tuple[dict, ...] | list[dict]) -> EndpointCount:
    """Count a Service's endpoints the way kube-proxy and ingress controllers see them.

    ``conditions.ready`` absent means ready (Kubernetes API semantics). Terminating endpoints are counted
    apart, not in ``total``: those pods are going away and never become ready again, so counting them would
    make every rolling update look like a failure. A pod listed in several slices (dual-stack IPv4 and IPv6
    slices, or briefly during slice rebalancing) counts once.
    """
    seen: dict[Any, tuple[bool, bool]] = {}
    for endpoint_slice in endpoint_slices:
        for endpoint in endpoint_slice.get("endpoints") or []:
            key = _endpoint_key(endpoint)
            conditions = endpoint.get("conditions") or {}
            terminating = conditions.get("terminating") is True
            ready = conditions.get("ready") is not False and not terminating
            if key in seen:
                was_ready, was_terminating = seen[key]
                ready, terminating = ready or was_ready, terminating and was_terminating
            seen[key] = (ready, terminating)
    terminating = sum(1 for _, is_terminating in seen.values() if is_terminating)
    ready = sum(1 for is_ready, is_terminating in seen.values() if is_ready and not is_terminating)
    return EndpointCount(ready=ready, total=len(seen) - terminating, terminating=terminating)


def _endpoint_key(endpoint: dict) -> Any:
    ref = endpoint.get("targetRef") or {}
    if ref.get("uid"):
        return ("uid", ref["uid"])
    if ref.get("name"):
        return ("ref", ref.get("kind"), ref.get("namespace"), ref["name"])
    return ("addresses", tuple(sorted(endpoint.get("addresses") or [])))


def _health(o: Observed, findings: dict[str, _Finding]) -> str:
    if o.deleting:
        return Health.PROGRESSING
    if o.apply_error:
        return Health.DEGRADED
    if not o.synced:
        return Health.PROGRESSING
    if o.directory:
        return Health.HEALTHY
    if o.cluster_reachable is False:
        return Health.UNKNOWN
    precedence = _GATEWAY_HEALTH_PRECEDENCE if o.output == OUTPUT_GATEWAY else _HEALTH_PRECEDENCE
    for step, outcomes in precedence:
        if findings[step].health in outcomes:
            return findings[step].health
    return Health.HEALTHY


def _cluster_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    if o.cluster_reachable is False:
        return _Finding(
            FAIL,
            "Portico could not reach this cluster's API server at its last check, so it cannot tell whether "
            "traffic to your route works. Your route may still be serving; it is just not observed.",
            "A platform engineer should check the cluster on Portico's Clusters page (its health message says "
            "why), that the API server is up and reachable from the Portico worker, and that the stored "
            "kubeconfig credentials have not expired (replace them with `manage.py add_cluster`).",
        )
    if o.cluster_reachable is None:
        return _Finding(SKIP, "Portico has not checked this cluster yet; the first check runs within a minute.")
    return _Finding(OK, "Portico reached the cluster's API server at its last check.")


def _ingress_class_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    name = o.ingress_class or _get(o.ingress, "spec", "ingressClassName") or ""
    label = f"IngressClass {name}" if name else "The cluster's IngressClass"
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    if o.ingress_class_present is False:
        return _Finding(
            FAIL,
            f"{label} does not exist on this cluster, so no ingress controller is installed for it: your "
            "Ingress is stored but nothing reads it, and no traffic reaches your Service.",
            "A platform engineer should install an ingress controller that provides this class (for example "
            "ingress-nginx), or set the cluster's ingress class in Portico to one listed by "
            "`kubectl get ingressclass`.",
            health=Health.DEGRADED,
        )
    if o.ingress_class_present is None:
        return _Finding(SKIP, "Portico has not checked this cluster's IngressClasses yet.")
    return _Finding(OK, f"{label} exists: an ingress controller is installed to serve your Ingress.")


def _apply_failed_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    live_front = o.http_route if o.output == OUTPUT_GATEWAY else o.ingress
    live = (
        f"The previously applied {ctx.front} is still live on the cluster."
        if live_front is not None
        else "Nothing is live on the cluster for this route."
    )
    return _Finding(
        FAIL,
        f"The cluster's API server rejected Portico's last apply: {o.apply_error.rstrip('.')}. {live}",
        "Edit the route in Portico so it passes the API server's validation (the message names the field at "
        "fault) and save a new revision; Portico applies it once it is approved.",
    )


def _ingress_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    name = _get(o.ingress, "metadata", "name") or "<route name>"
    if o.directory:
        if o.synced:
            return _Finding(
                OK,
                "The manifests of the approved revision are written to the cluster's folder; your GitOps tool "
                "(Argo CD, Flux) applies them from there.",
                condition="True",
                reason="Exported",
            )
        return _Finding(
            WARN,
            "The approved revision is not written to the cluster's folder yet; Portico writes it shortly.",
            condition="False",
            reason="NotExported",
        )
    if o.ingress is None:
        if o.deleting:
            return _Finding(
                OK,
                "The Ingress has been removed from the cluster, as the deletion requested.",
                condition="False",
                reason="Deleted",
            )
        if not o.synced:
            return _Finding(
                WARN,
                "The Ingress is not on the cluster yet: Portico creates it when it applies the approved revision.",
                condition="False",
                reason="NotApplied",
            )
        return _Finding(
            FAIL,
            "The Ingress Portico applied is gone from the cluster (deleted by hand or by another tool), so the "
            "ingress controller has no rule for your host and answers 404. Portico re-creates it at the next "
            "sync (about every 30 s).",
            f"If it keeps disappearing, find what deletes it: `kubectl -n {ctx.namespace} get events "
            "--field-selector involvedObject.kind=Ingress`, and make sure no GitOps tool or cleanup job prunes "
            "objects labelled `app.kubernetes.io/managed-by=portico`.",
            health=Health.MISSING,
            condition="False",
            reason="IngressMissing",
        )
    if not ctx.address:
        return _Finding(
            WARN,
            f"Ingress {ctx.namespace}/{name} exists, but the ingress controller has not published an address for "
            "it yet, so DNS for your host has nothing to point at. This usually takes a few seconds to a minute.",
            f"If it stays without an address, check the controller picked it up: `kubectl -n {ctx.namespace} "
            f"describe ingress {name}` (look at Events), and that the controller's own Service of type "
            "LoadBalancer has an external IP (`kubectl get svc -A | grep -i ingress`).",
            health=Health.PROGRESSING,
            condition="False",
            reason="AddressPending",
        )
    return _Finding(
        OK,
        f"Ingress {ctx.namespace}/{name} is served at {ctx.address}. Point the DNS record for "
        f"{o.host or 'your host'} at this address.",
        condition="True",
        reason="AddressAssigned",
    )


def _service_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    name = o.service_name or _get(o.service, "metadata", "name") or "<service>"
    ns = ctx.namespace
    if o.service is None:
        return _Finding(
            FAIL,
            f"Your {ctx.front} sends traffic to Service {name}, which does not exist in namespace {ns}: "
            f"{ctx.proxy} has nowhere to send requests and answers 503.",
            f"Create the Service, or change the route's service name in Portico to an existing one "
            f"(`kubectl -n {ns} get services`).",
            health=Health.DEGRADED,
            condition="False",
            reason="ServiceMissing",
        )
    spec = o.service.get("spec") or {}
    service_type = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") or []
    if service_type == "ExternalName" and not ports:
        # An ExternalName Service is a DNS alias; without declared ports the controller uses the route's port.
        port_found = True
    else:
        port_found = _port_matches(ports, o.service_port)
    if not port_found:
        offered = ", ".join(_describe_port(p) for p in ports) or "no ports at all"
        return _Finding(
            FAIL,
            f"The route sends traffic to port {o.service_port} of Service {name}, but the Service exposes "
            f"{offered}: {ctx.proxy} cannot connect and answers 503.",
            f"Change the route's service port in Portico to one the Service exposes, by number or by name, or "
            f"add the port to the Service (`kubectl -n {ns} get service {name} -o yaml`).",
            health=Health.DEGRADED,
            condition="False",
            reason="PortNotFound",
        )
    if service_type == "ExternalName":
        target = spec.get("externalName") or "an external name"
        return _Finding(
            OK,
            f"Service {name} is an ExternalName alias for {target}: traffic is forwarded to that DNS name, "
            "outside the cluster.",
            condition="True",
            reason="ServiceFound",
        )
    if service_type in ("NodePort", "LoadBalancer"):
        node_ports = sorted({str(p["nodePort"]) for p in ports if p.get("nodePort")})
        if service_type == "NodePort":
            exposure = "it also opens " + (
                f"port {', '.join(node_ports)}" if node_ports else "a port"
            ) + " on every node of the cluster"
        else:
            exposure = "it also gets a cloud load balancer of its own, with its own cost and public IP"
        return _Finding(
            WARN,
            f"Service {name} is of type {service_type}: {exposure}, reachable without going through the "
            f"{ctx.front} (and its TLS). The {ctx.front} already exposes the Service, so ClusterIP suffices.",
            "For a Service Portico manages, set the route's service type to ClusterIP; for your own Service, "
            f"`kubectl -n {ns} patch service {name} -p '{{\"spec\":{{\"type\":\"ClusterIP\"}}}}'`.",
            condition="True",
            reason="ServiceFound",
        )
    return _Finding(
        OK,
        f"Service {name} exists and exposes port {o.service_port}.",
        condition="True",
        reason="ServiceFound",
    )


def _port_matches(ports: list[dict], wanted: int | str | None) -> bool:
    """Whether a Service port matches the route's port: by number, or by the port's name."""
    if wanted is None or wanted == "":
        return False
    if parse_decimal(wanted) is not None:
        wanted = parse_decimal(wanted)
    if isinstance(wanted, int):
        return any(p.get("port") == wanted for p in ports)
    return any(p.get("name") == wanted for p in ports)


def _describe_port(port: dict) -> str:
    return f"{port.get('port')} ({port['name']})" if port.get("name") else str(port.get("port"))


def _endpoints_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    name = o.service_name or _get(o.service, "metadata", "name") or "<service>"
    ns = ctx.namespace
    if o.service is None:
        return _Finding(SKIP, f"There is no Service {name} whose endpoints could be checked.", reason="ServiceMissing")
    spec = o.service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return _Finding(
            SKIP,
            "ExternalName Services have no endpoints: traffic goes to the external DNS name, whose health "
            "Portico does not check.",
            condition="True",
            reason="ExternalName",
        )
    count = ctx.endpoints
    selector = spec.get("selector") or {}
    label_query = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    leaving = (
        f" ({count.terminating} more {'is' if count.terminating == 1 else 'are'} shutting down and not counted.)"
        if count.terminating
        else ""
    )
    if count.total == 0:
        if not selector:
            return _Finding(
                FAIL,
                f"Service {name} has no selector, so Kubernetes does not find pods for it, and nobody has added "
                f"endpoints by hand: requests have nowhere to go.{leaving}",
                f"Give the Service a selector matching your pods' labels (`kubectl -n {ns} get pods "
                "--show-labels`), or route to a Service that has one.",
                health=Health.DEGRADED,
                condition="False",
                reason="NoEndpoints",
            )
        return _Finding(
            FAIL,
            f"The Service selects no pods: check the selector labels match your pod labels. Service {name} looks "
            f"for pods labelled {label_query} in namespace {ns}, and no running pod has them, so requests "
            f"have nowhere to go.{leaving}",
            f"Compare `kubectl -n {ns} get pods --show-labels` with the selector ({label_query}); fix the labels "
            "in your Deployment's pod template, or the route's selector in Portico for a Service Portico "
            f"manages. If there simply are no pods, scale up: `kubectl -n {ns} get deployments`.",
            health=Health.DEGRADED,
            condition="False",
            reason="NoEndpoints",
        )
    pods = "pod" if count.total == 1 else "pods"
    list_pods = f"kubectl -n {ns} get pods" + (f" -l {label_query}" if label_query else "")
    if count.ready == 0:
        return _Finding(
            FAIL,
            f"Service {name} selects {count.total} {pods}, but none is ready: they are still starting, crashing, "
            f"or failing their readiness probe, so the Service sends them no traffic.{leaving}",
            f"See why: `{list_pods}` then `kubectl -n {ns} describe pod <pod>` (readiness "
            f"probe failures show under Events) and `kubectl -n {ns} logs <pod>`.",
            health=Health.DEGRADED,
            condition="False",
            reason="NoReadyEndpoints",
        )
    if count.ready < count.total:
        return _Finding(
            WARN,
            f"{count.ready} of {count.total} {pods} behind Service {name} are ready; traffic goes only to the "
            f"ready ones.{leaving}",
            f"Look at the pods that are not ready: `{list_pods}`.",
            condition="True",
            reason="EndpointsReady",
        )
    return _Finding(
        OK,
        f"All {count.total} {pods} behind Service {name} are ready to receive traffic.{leaving}",
        condition="True",
        reason="EndpointsReady",
    )


def _certificate_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    ns = ctx.namespace
    if o.tls_mode == "none":
        return _Finding(
            WARN,
            f"TLS is off for this route: traffic to {o.host or 'your host'} is plain HTTP, readable and "
            "changeable by anyone on the network path.",
            "Unless this is deliberate, edit the route in Portico and choose TLS mode cert-manager.",
        )
    if o.tls_mode == "secret":
        secret = _first_tls_secret(o.ingress)
        named = f" ({secret})" if secret else ""
        return _Finding(
            SKIP,
            f"TLS uses an existing Secret{named} that your team provides; Portico neither issues nor checks it. "
            "Keep it valid for your host and renew it before it expires.",
            f"Check its expiry: `kubectl -n {ns} get secret {secret or '<secret>'} -o jsonpath='{{.data.tls\\.crt}}' "
            "| base64 -d | openssl x509 -noout -enddate`.",
        )
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    issuer = o.issuer or "(the cluster's default)"
    if o.cert_manager_present is False:
        return _Finding(
            FAIL,
            "cert-manager is not installed on this cluster (its Certificate resource type is missing), so no "
            "certificate is issued for your host and HTTPS does not work.",
            "A platform engineer should install cert-manager on the cluster, or edit the route in Portico to use "
            "TLS mode secret with a Secret you provide.",
            health=Health.DEGRADED,
            condition="False",
            reason="CertManagerMissing",
        )
    cert = o.certificate
    ready = _condition(cert, "Ready")
    cert_name = _get(cert, "metadata", "name") or "<certificate>"
    describe = f"`kubectl -n {ns} describe certificate {cert_name}`"
    if o.issuer_present is False and (ready or {}).get("status") != "True":
        return _Finding(
            FAIL,
            f"ClusterIssuer {issuer} does not exist on this cluster, so cert-manager cannot issue the certificate "
            "and HTTPS does not work.",
            "Edit the route in Portico to use an issuer listed by `kubectl get clusterissuer`, or ask a platform "
            "engineer to create this one.",
            health=Health.DEGRADED,
            condition="False",
            reason="IssuerMissing",
        )
    if cert is None:
        return _Finding(
            WARN,
            "The cert-manager Certificate for your host is not on the cluster yet; Portico creates it when it "
            "applies the route, and re-creates it at the next sync if it was deleted.",
            f"If this persists, look for it: `kubectl -n {ns} get certificates`.",
            health=Health.PROGRESSING,
            condition="False",
            reason="CertificateMissing",
        )
    if ready is None or ready.get("status") != "True":
        return _unready_certificate(ctx, cert, ready, describe)
    return _ready_certificate(ctx, issuer, describe)


def _unready_certificate(ctx: _Context, cert: dict, ready: dict | None, describe: str) -> _Finding:
    ns = ctx.namespace
    chase = (
        f"{describe}, then follow the chain it names: `kubectl -n {ns} get certificaterequests,orders,challenges`. "
        "For ACME HTTP-01 the host's DNS must point at the Ingress address and `/.well-known/acme-challenge/` "
        "must be reachable over plain HTTP."
    )
    failure = _certificate_failure(cert)
    if failure is not None:
        reason, message = failure
        return _Finding(
            FAIL,
            f"cert-manager failed to issue the certificate ({reason}): {message or 'no message given'}. Until it "
            "succeeds, browsers reject HTTPS to your host.",
            chase,
            health=Health.DEGRADED,
            condition="False",
            reason=_camel(reason) or "Failed",
        )
    if ready is None:
        detail = "cert-manager has not processed the Certificate yet; issuance starts shortly."
        reason = "Pending"
    else:
        reason = ready.get("reason") or "Pending"
        message = ready.get("message") or ""
        detail = (f"cert-manager is issuing the certificate ({reason}){': ' + message if message else ''}. "
                  "This usually takes under a few minutes.")
    return _Finding(
        WARN,
        detail,
        f"If it takes longer than ten minutes: {chase}",
        health=Health.PROGRESSING,
        condition="False",
        reason=_camel(reason) or "Pending",
    )


def _ready_certificate(ctx: _Context, issuer: str, describe: str) -> _Finding:
    o = ctx.observed
    expires = _parse_time(ctx.not_after)
    if expires is not None and expires <= ctx.now:
        return _Finding(
            FAIL,
            f"The certificate expired on {ctx.not_after}; browsers reject HTTPS to your host.",
            f"Find out why cert-manager did not renew it: {describe}.",
            health=Health.DEGRADED,
            condition="False",
            reason="Expired",
        )
    if expires is not None and expires - ctx.now <= CERT_EXPIRY_WARNING:
        days = (expires - ctx.now).days
        return _Finding(
            WARN,
            f"The certificate is valid but expires on {ctx.not_after} (in {days} day{'s' if days != 1 else ''}). "
            "cert-manager normally renews well before that, so renewal is probably failing.",
            f"Find out why it is not renewing: {describe}, and "
            f"`kubectl -n {ctx.namespace} get certificaterequests,orders,challenges`.",
            condition="True",
            reason="ExpiringSoon",
        )
    if o.issuer_present is False:
        return _Finding(
            WARN,
            f"The certificate is valid, but ClusterIssuer {issuer} no longer exists, so renewal will fail.",
            "Edit the route in Portico to use an issuer listed by `kubectl get clusterissuer`.",
            condition="True",
            reason="IssuerMissing",
        )
    until = f" until {ctx.not_after}" if ctx.not_after else ""
    return _Finding(
        OK,
        f"The certificate for {o.host or 'your host'} is issued and valid{until}; cert-manager renews it.",
        condition="True",
        reason="Ready",
    )


def _certificate_failure(cert: dict) -> tuple[str, str] | None:
    """(reason, message) when cert-manager reports a failed issuance, None while it is still working."""
    issuing = _condition(cert, "Issuing")
    if issuing and issuing.get("status") == "False" and _is_failure(issuing.get("reason")):
        return issuing.get("reason") or "Failed", issuing.get("message") or ""
    ready = _condition(cert, "Ready") or {}
    if _is_failure(ready.get("reason")):
        return ready.get("reason"), ready.get("message") or ""
    status = cert.get("status") or {}
    if status.get("lastFailureTime") and not (issuing and issuing.get("status") == "True"):
        # cert-manager clears lastFailureTime on success; while it is set and no retry runs, issuance failed.
        return "Failed", (issuing or {}).get("message") or ready.get("message") or ""
    return None


def _is_failure(reason: str | None) -> bool:
    return bool(reason) and any(word in reason.lower() for word in _CERT_FAILURE_WORDS)


# Gateway API output


def _gateway_ref(o: Observed) -> str:
    return f"{o.gateway_namespace}/{o.gateway_name}" if o.gateway_namespace else o.gateway_name or "<gateway>"


def _gateway_arg(o: Observed) -> str:
    """The Gateway as kubectl arguments: ``-n <namespace> <name>``."""
    return f"-n {o.gateway_namespace} {o.gateway_name}" if o.gateway_namespace else o.gateway_name or "<gateway>"


def _gateway_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    ref = _gateway_ref(o)
    if o.gateway_present is False:
        return _Finding(
            FAIL,
            f"Gateway {ref}, which this cluster's HTTPRoutes attach to, does not exist: nothing serves your "
            "HTTPRoute, and no traffic reaches your Service.",
            "A platform engineer should create the Gateway (with a GatewayClass whose controller is installed: "
            "`kubectl get gatewayclass`), or set the cluster's Gateway in Portico to one listed by "
            "`kubectl get gateways -A`.",
            health=Health.DEGRADED,
        )
    if o.gateway_present is None:
        return _Finding(SKIP, "Portico has not checked this cluster's Gateway yet.")
    programmed = _condition(o.gateway, "Programmed")
    if programmed is not None and programmed.get("status") == "False":
        reason = programmed.get("reason") or "NotProgrammed"
        message = programmed.get("message") or "no message given"
        return _Finding(
            FAIL,
            f"Gateway {ref} exists, but its controller has not programmed it ({reason}): {message}. Until it is, "
            "the Gateway serves no traffic.",
            f"A platform engineer should look at `kubectl describe gateway {_gateway_arg(o)}` (Events and listener "
            "status) and at the Gateway controller's logs.",
            health=Health.DEGRADED,
        )
    if not ctx.address:
        return _Finding(
            WARN,
            f"Gateway {ref} exists, but its controller has not published an address for it yet, so DNS for your "
            "host has nothing to point at. This usually takes a few seconds to a minute.",
            f"If it stays without an address, check the Gateway's status: `kubectl describe gateway "
            f"{_gateway_arg(o)}`, and that its GatewayClass has a running controller (`kubectl get gatewayclass`).",
            health=Health.PROGRESSING,
        )
    return _Finding(
        OK,
        f"Gateway {ref} is served at {ctx.address}. Point the DNS record for {o.host or 'your host'} at this "
        "address.",
    )


def _parent_status(o: Observed) -> dict | None:
    """The HTTPRoute's status entry for our parentRef (the cluster's Gateway), None until a controller wrote one."""
    route_namespace = _get(o.http_route, "metadata", "namespace")
    for parent in _get(o.http_route, "status", "parents") or []:
        ref = parent.get("parentRef") or {}
        if ref.get("kind", "Gateway") != "Gateway" or ref.get("name") != o.gateway_name:
            continue
        if (ref.get("namespace") or route_namespace) != (o.gateway_namespace or route_namespace):
            continue
        if o.gateway_section_name and ref.get("sectionName") not in (None, o.gateway_section_name):
            continue
        return parent
    return None


def _parent_condition(o: Observed, condition_type: str) -> dict | None:
    for condition in (_parent_status(o) or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def _explain(reasons: dict, ctx: _Context, condition: dict, fallback: str) -> tuple[str, str]:
    """(meaning, fix) of a Gateway condition reason, with the controller's own message appended."""
    o = ctx.observed
    reason = condition.get("reason") or ""
    values = {"host": o.host or "your host", "ns": ctx.namespace, "gateway": _gateway_ref(o),
              "gateway_arg": _gateway_arg(o), "service": o.service_name or "<service>",
              "listener": o.gateway_section_name or "(any)"}
    meaning, fix = reasons.get(reason, (fallback, (f"Read the message, then `kubectl -n {ctx.namespace} describe "
                                                  f"httproute {_get(o.http_route, 'metadata', 'name') or '<name>'}`.")))
    message = condition.get("message")
    detail = meaning.format(**values) + (f" (the Gateway says: {message.rstrip('.')})" if message else "")
    return detail, fix.format(**values)


def _http_route_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    name = _get(o.http_route, "metadata", "name") or "<route name>"
    ref = _gateway_ref(o)
    if o.directory:
        return _ingress_step(ctx)  # exported or not: the same for every kind of manifest
    if o.http_route is None:
        if o.deleting:
            return _Finding(OK, "The HTTPRoute has been removed from the cluster, as the deletion requested.",
                            condition="False", reason="Deleted")
        if not o.synced:
            return _Finding(
                WARN, "The HTTPRoute is not on the cluster yet: Portico creates it when it applies the approved revision.",
                condition="False", reason="NotApplied",
            )
        return _Finding(
            FAIL,
            "The HTTPRoute Portico applied is gone from the cluster (deleted by hand or by another tool), so the "
            "Gateway has no rule for your host and answers 404. Portico re-creates it at the next sync (about every "
            "30 s).",
            f"If it keeps disappearing, find what deletes it: `kubectl -n {ctx.namespace} get events "
            "--field-selector involvedObject.kind=HTTPRoute`, and make sure no GitOps tool or cleanup job prunes "
            "objects labelled `app.kubernetes.io/managed-by=portico`.",
            health=Health.MISSING,
            condition="False",
            reason="HTTPRouteMissing",
        )
    accepted = _parent_condition(o, "Accepted")
    describe = f"`kubectl -n {ctx.namespace} describe httproute {name}`"
    if accepted is None or accepted.get("status") == "Unknown" or accepted.get("reason") == "Pending":
        return _Finding(
            WARN,
            f"HTTPRoute {ctx.namespace}/{name} exists, but Gateway {ref}'s controller has not reported on it yet "
            "(no Accepted condition for this Gateway in its status). This usually takes seconds.",
            f"If it stays like this, check that Gateway {ref} exists and has a running controller, then {describe}.",
            health=Health.PROGRESSING,
            condition="Unknown",
            reason=(accepted or {}).get("reason") or "Pending",
        )
    if accepted.get("status") != "True":
        reason = accepted.get("reason") or "NotAccepted"
        detail, fix = _explain(_ACCEPTED_REASONS, ctx, accepted,
                               f"Gateway {ref} did not accept the HTTPRoute ({reason})")
        return _Finding(
            FAIL,
            f"Gateway {ref} did not accept your HTTPRoute ({reason}): {detail}.",
            fix,
            health=Health.DEGRADED,
            condition="False",
            reason=reason,
        )
    return _Finding(
        OK,
        f"Gateway {ref} accepted HTTPRoute {ctx.namespace}/{name}: it serves {o.host or 'your host'}{o.path}.",
        condition="True",
        reason=accepted.get("reason") or "Accepted",
    )


def _refs_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    if o.directory:
        return _Finding(SKIP, DIRECTORY_DETAIL, reason="NotObserved")
    if o.http_route is None:
        return _Finding(SKIP, "There is no HTTPRoute whose references could be checked.", reason="HTTPRouteMissing")
    resolved = _parent_condition(o, "ResolvedRefs")
    if resolved is None or resolved.get("status") == "Unknown":
        return _Finding(SKIP, "The Gateway's controller has not reported on the HTTPRoute's references yet.",
                        reason=(resolved or {}).get("reason") or "Pending")
    if resolved.get("status") != "True":
        reason = resolved.get("reason") or "Unresolved"
        detail, fix = _explain(_RESOLVED_REFS_REASONS, ctx, resolved,
                               "the Gateway could not resolve a reference of the HTTPRoute")
        return _Finding(
            FAIL,
            f"The Gateway could not resolve your HTTPRoute's references ({reason}): {detail}.",
            fix,
            health=Health.DEGRADED,
            condition="False",
            reason=reason,
        )
    return _Finding(
        OK,
        f"The Gateway resolved the HTTPRoute's backend, Service {o.service_name or '<service>'}.",
        condition="True",
        reason=resolved.get("reason") or "ResolvedRefs",
    )


def _https_listeners(o: Observed) -> list[dict]:
    """The Gateway's HTTPS listeners that can serve the route's host (and its listener, when the cluster names one)."""
    found = []
    for listener in _get(o.gateway, "spec", "listeners") or []:
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


def _gateway_tls_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    host = o.host or "your host"
    ref = _gateway_ref(o)
    if o.tls_mode == "none":
        return _Finding(
            WARN,
            f"TLS is off for this route: traffic to {host} is plain HTTP, readable and changeable by anyone on the "
            "network path (on this cluster the Gateway's listeners decide whether HTTPS is offered at all).",
            "Unless this is deliberate, edit the route in Portico and choose TLS mode cert-manager.",
        )
    if o.directory:
        return _Finding(SKIP, f"TLS is terminated by the listener of Gateway {ref}; {DIRECTORY_DETAIL}.",
                        reason="NotObserved")
    terminated = (
        f"TLS for {host} is terminated by the HTTPS listener of Gateway {ref}, not by the route: an HTTPRoute "
        "carries no certificate, and Portico creates none for it."
    )
    if o.tls_mode == "secret":
        terminated += " The route's own Secret is not used on this cluster; the listener's certificateRefs are."
    if o.gateway is None:
        return _Finding(SKIP, f"{terminated} Portico could not read the Gateway to check its listeners.")
    listeners = _https_listeners(o)
    describe = f"`kubectl get gateway {_gateway_arg(o)} -o yaml`"
    if not listeners:
        return _Finding(
            FAIL,
            f"{terminated} Gateway {ref} has no HTTPS listener for {host}, so HTTPS to your host does not work.",
            f"A platform engineer should add an HTTPS listener for {host} (or a wildcard covering it) with a "
            f"certificate to the Gateway ({describe}); with cert-manager, annotate the Gateway with "
            "`cert-manager.io/cluster-issuer` so cert-manager issues the listener's certificate.",
            health=Health.DEGRADED,
        )
    listener = listeners[0]
    secrets = ", ".join(ref_.get("name", "") for ref_ in (listener.get("tls") or {}).get("certificateRefs") or [])
    annotations = _get(o.gateway, "metadata", "annotations") or {}
    issuer = annotations.get("cert-manager.io/cluster-issuer") or annotations.get("cert-manager.io/issuer")
    listener_status = next((ls for ls in _get(o.gateway, "status", "listeners") or []
                            if ls.get("name") == listener.get("name")), None)
    refs_ok = next((c for c in (listener_status or {}).get("conditions") or [] if c.get("type") == "ResolvedRefs"),
                   None)
    where = f"Listener {listener.get('name')} of Gateway {ref}"
    if refs_ok is not None and refs_ok.get("status") == "False":
        waiting = bool(issuer)
        return _Finding(
            WARN if waiting else FAIL,
            f"{terminated} {where} cannot use its certificate Secret {secrets or '(none named)'} "
            f"({refs_ok.get('reason') or 'InvalidCertificateRef'}): "
            + ("cert-manager is probably still issuing it." if waiting else "HTTPS to your host does not work."),
            f"Look at the Secret and the listener's status ({describe})"
            + (f" and at cert-manager: `kubectl -n {o.gateway_namespace or ctx.namespace} get certificates`." if waiting
               else "; a platform engineer should provide a valid TLS Secret for the listener."),
            health=Health.PROGRESSING if waiting else Health.DEGRADED,
        )
    if o.tls_mode == "cert-manager" and not issuer:
        return _Finding(
            WARN,
            f"{terminated} {where} serves {host} with Secret {secrets or '(none named)'}, but the Gateway has no "
            "cert-manager.io/cluster-issuer annotation, so cert-manager does not issue or renew that certificate.",
            "Ask a platform engineer to annotate the Gateway for cert-manager's Gateway support, or to keep that "
            "Secret valid for your host.",
        )
    issued = f" cert-manager issues it from the Gateway's annotation ({issuer})." if issuer else ""
    return _Finding(OK, f"{terminated} {where} serves {host} with Secret {secrets or '(none named)'}.{issued}")


def _claim_step(ctx: _Context) -> _Finding:
    o = ctx.observed
    host = o.host or "this host"
    problems, fixes = [], []
    if not o.claim_ok:
        problems.append(
            f"Your team no longer holds the claim on {host}: it was released or another team holds it, so "
            "Portico will not keep serving it for you."
        )
        fixes.append(
            f"Ask the owning team or a platform engineer about the claim on {host} (Portico's Host claims page), "
            "or move the route to a host under your team's domains."
        )
    if o.foreign_conflicts:
        others = ", ".join(f"{c.namespace}/{c.name}" for c in o.foreign_conflicts)
        problems.append(
            f"Ingress {others}, not managed by Portico, also serves {host}{o.path}: the ingress controller picks "
            "one of them, so your traffic may go to the other one's backend."
        )
        first = o.foreign_conflicts[0]
        fixes.append(
            f"Remove or change the other Ingress (`kubectl -n {first.namespace} get ingress {first.name} -o yaml`), "
            "or bring it under Portico with `manage.py import_ingresses --cluster <cluster>`."
        )
    if problems:
        return _Finding(FAIL, " ".join(problems), " ".join(fixes), health=Health.DEGRADED)
    if o.output == OUTPUT_GATEWAY:
        return _Finding(OK, f"Your team holds the claim on {host}.")
    return _Finding(OK, f"Your team holds the claim on {host}, and no other Ingress serves this path.")


def _conditions(
    ctx: _Context,
    findings: dict[str, _Finding],
    cluster_failed: bool,
    previous: list[dict],
) -> list[dict]:
    """The route's conditions; each keeps its previous ``last_transition_time`` while its status holds."""
    o = ctx.observed
    rows: list[tuple[str, str, str, str]] = []
    if o.deleting:
        rows.append(("Synced", "False", "Deleting", "The route's objects are being removed from the cluster."))
    elif o.synced:
        rows.append(("Synced", "True", "Synced", "The cluster is at the approved revision."))
    else:
        rows.append(("Synced", "False", "OutOfSync", "The cluster is not at the approved revision yet."))
    if o.apply_error:
        rows.append(("Applied", "False", "ApplyFailed", o.apply_error))
    condition_of_step = _GATEWAY_CONDITION_OF_STEP if o.output == OUTPUT_GATEWAY else _CONDITION_OF_STEP
    for step, condition_type in condition_of_step.items():
        if step == "certificate" and o.tls_mode != "cert-manager":
            continue
        finding = findings[step]
        if cluster_failed:
            rows.append((condition_type, "Unknown", "ClusterUnreachable", UNREACHABLE_DETAIL))
        else:
            rows.append((condition_type, finding.condition, finding.reason or "Unknown", finding.detail))
    if o.claim_ok:
        rows.append(("HostClaimed", "True", "Claimed", f"The route's team holds the claim on {o.host}."))
    else:
        rows.append(("HostClaimed", "False", "ClaimLost", f"The route's team no longer holds the claim on {o.host}."))
    if o.foreign_conflicts:
        others = ", ".join(f"{c.namespace}/{c.name}" for c in o.foreign_conflicts)
        message = f"Unmanaged Ingress {others} serves the same host and path."
        rows.append(("Conflict", "True", "ForeignIngress", message))
    else:
        rows.append(("Conflict", "False", "NoConflict", "No unmanaged Ingress serves the same host and path."))

    before = {c.get("type"): c for c in previous if isinstance(c, dict)}
    conditions = []
    for condition_type, status, reason, message in rows:
        old = before.get(condition_type) or {}
        kept = old.get("status") == status and old.get("last_transition_time")
        conditions.append(
            {
                "type": condition_type,
                "status": status,
                "reason": reason,
                "message": message,
                "last_transition_time": old["last_transition_time"] if kept else ctx.now.isoformat(),
            }
        )
    return conditions


def _namespace(o: Observed) -> str:
    """The route's namespace, read from whichever live object was seen (the snapshot does not carry it)."""
    for obj in (o.ingress, o.http_route, o.service, o.certificate, *o.endpoint_slices):
        namespace = _get(obj, "metadata", "namespace")
        if namespace:
            return namespace
    return "<namespace>"


def _certificate_not_after(o: Observed) -> str | None:
    if o.tls_mode != "cert-manager" or o.output == OUTPUT_GATEWAY:
        return None
    return _get(o.certificate, "status", "notAfter") or None


def _certificate_ready(o: Observed) -> bool | None:
    if o.tls_mode != "cert-manager" or o.output == OUTPUT_GATEWAY or o.certificate is None:
        return None
    ready = _condition(o.certificate, "Ready")
    return bool(ready) and ready.get("status") == "True"


def _first_tls_secret(ingress: dict | None) -> str:
    for entry in _get(ingress, "spec", "tls") or []:
        if entry.get("secretName"):
            return entry["secretName"]
    return ""


def _condition(obj: dict | None, condition_type: str) -> dict | None:
    for condition in _get(obj, "status", "conditions") or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def _get(obj: dict | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _camel(reason: str | None) -> str:
    """A condition reason in CamelCase, as Kubernetes conventions ask (cert-manager's already are)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\s_-]+", reason or ""))
