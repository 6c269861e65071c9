"""What both diagnostics chains are made of: the snapshot (``Observed``), one step's result (``Finding``), the
values several steps derive, and the steps the Ingress and the Gateway chains share (cluster, the last apply,
Service, endpoints, host claim).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from routes.domain.decimals import parse_decimal
from routes.domain.diagnostics import texts
from routes.domain.diagnostics.facts import Controller
from routes.domain.status import Health
from routes.domain.values import OUTPUT_GATEWAY, ForeignIngressPath

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True)
class Observed:
    """Everything the worker knows about one route on its cluster, gathered before calling ``evaluate``."""

    directory: bool = False  # GitOps export target: nothing is observed, manifests are written to a folder
    cluster_reachable: bool | None = None  # from the last probe (None = never probed)
    schema_warning: str = ""  # the cluster is newer than the schemas objects were checked against (core.kube_schemas)
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
    ingress: dict[str, Any] | None = None  # live Ingress object (as JSON dict) or None when missing
    output: str = "ingress"  # the cluster's output: "ingress", or "gateway" (HTTPRoute, the fields below)
    gateway_name: str = ""
    gateway_namespace: str = ""
    gateway_section_name: str = ""
    gateway_present: bool | None = None  # the parent Gateway exists (None = not checked)
    gateway: dict[str, Any] | None = None  # live parent Gateway, when read
    http_route: dict[str, Any] | None = None  # live HTTPRoute or None when missing
    service: dict[str, Any] | None = None  # live Service object or None
    endpoint_slices: tuple[dict[str, Any], ...] = ()  # live discovery.k8s.io/v1 EndpointSlices of that Service
    certificate: dict[str, Any] | None = (
        None  # live cert-manager Certificate (only meaningful for tls_mode cert-manager)
    )
    claim_ok: bool = True  # host claim held by the route's team
    foreign_conflicts: tuple[ForeignIngressPath, ...] = ()  # unmanaged Ingresses serving the same host+path
    network_policies: tuple[dict[str, Any], ...] | None = None  # the namespace's NetworkPolicies (None: not read)
    controller: Controller | None = None  # where the ingress controller runs (None: not looked for)
    tls_secret_name: str = ""  # TLS mode secret: the Secret the team provides
    tls_secret: dict[str, Any] | None = None  # its metadata and type (``facts.safe_secret``), None when missing
    tls_secret_read: bool = False  # whether the worker looked for it
    apply_error: str | None = None  # API server's message when the last apply failed permanently (e.g. 422)
    synced: bool = False  # cluster at the approved revision
    deleting: bool = False


@dataclass(frozen=True)
class Finding:
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
class Context:
    """Values several steps need, derived once from the snapshot."""

    observed: Observed
    now: datetime
    namespace: str
    address: str
    endpoints: EndpointCount
    not_after: str | None
    front: str = "Ingress"  # the object that receives traffic for the route: Ingress or HTTPRoute
    proxy: str = "the ingress controller"  # what forwards the traffic


NOT_OBSERVED = Finding(SKIP, texts.DIRECTORY_DETAIL, reason="NotObserved")


def count_endpoints(endpoint_slices: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> EndpointCount:
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
    terminating_count = sum(1 for _, is_terminating in seen.values() if is_terminating)
    ready_count = sum(1 for is_ready, is_terminating in seen.values() if is_ready and not is_terminating)
    return EndpointCount(ready=ready_count, total=len(seen) - terminating_count, terminating=terminating_count)


def _endpoint_key(endpoint: dict[str, Any]) -> Any:
    ref = endpoint.get("targetRef") or {}
    if ref.get("uid"):
        return ("uid", ref["uid"])
    if ref.get("name"):
        return ("ref", ref.get("kind"), ref.get("namespace"), ref["name"])
    return ("addresses", tuple(sorted(endpoint.get("addresses") or [])))


# Steps both chains take


def cluster_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    if o.cluster_reachable is False:
        return Finding(FAIL, texts.CLUSTER_UNREACHABLE, texts.CLUSTER_UNREACHABLE_FIX)
    if o.cluster_reachable is None:
        return Finding(SKIP, texts.CLUSTER_NOT_CHECKED)
    if o.schema_warning:
        return Finding(WARN, f"{texts.CLUSTER_REACHED} {o.schema_warning}", texts.CLUSTER_SCHEMA_FIX)
    return Finding(OK, texts.CLUSTER_REACHED)


def apply_failed_step(ctx: Context) -> Finding:
    o = ctx.observed
    live_front = o.http_route if o.output == OUTPUT_GATEWAY else o.ingress
    live = (
        texts.APPLY_FAILED_STILL_LIVE.format(front=ctx.front)
        if live_front is not None
        else texts.APPLY_FAILED_NOTHING_LIVE
    )
    return Finding(
        FAIL, texts.APPLY_FAILED.format(error=(o.apply_error or "").rstrip("."), live=live), texts.APPLY_FAILED_FIX
    )


def front_missing_step(ctx: Context, missing_reason: str) -> Finding:
    """The Ingress or HTTPRoute that receives the route's traffic is not on the cluster: being deleted, not
    applied yet, or gone (``missing_reason``)."""
    o = ctx.observed
    if o.deleting:
        return Finding(OK, texts.FRONT_DELETED.format(front=ctx.front), condition="False", reason="Deleted")
    if not o.synced:
        return Finding(WARN, texts.FRONT_NOT_APPLIED.format(front=ctx.front), condition="False", reason="NotApplied")
    return Finding(
        FAIL,
        texts.FRONT_GONE.format(front=ctx.front, proxy=ctx.proxy),
        texts.FRONT_GONE_FIX.format(ns=ctx.namespace, front=ctx.front),
        health=Health.MISSING,
        condition="False",
        reason=missing_reason,
    )


def exported_step(ctx: Context) -> Finding:
    """A directory cluster's front step: the manifests are written to its folder, or not yet."""
    if ctx.observed.synced:
        return Finding(OK, texts.EXPORTED, condition="True", reason="Exported")
    return Finding(WARN, texts.NOT_EXPORTED, condition="False", reason="NotExported")


def service_name(o: Observed) -> str:
    """The Service the route sends traffic to, as messages name it."""
    return str(o.service_name or get(o.service, "metadata", "name") or "<service>")


def service_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    name, ns = service_name(o), ctx.namespace
    if o.service is None:
        return Finding(
            FAIL,
            texts.SERVICE_MISSING.format(front=ctx.front, name=name, ns=ns, proxy=ctx.proxy),
            texts.SERVICE_MISSING_FIX.format(ns=ns),
            health=Health.DEGRADED,
            condition="False",
            reason="ServiceMissing",
        )
    spec = o.service.get("spec") or {}
    service_type = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") or []
    # An ExternalName Service is a DNS alias; without declared ports the controller uses the route's port.
    if not (service_type == "ExternalName" and not ports) and not _port_matches(ports, o.service_port):
        offered = ", ".join(_describe_port(p) for p in ports) or texts.SERVICE_NO_PORTS
        return Finding(
            FAIL,
            texts.SERVICE_PORT_NOT_FOUND.format(port=o.service_port, name=name, offered=offered, proxy=ctx.proxy),
            texts.SERVICE_PORT_NOT_FOUND_FIX.format(ns=ns, name=name),
            health=Health.DEGRADED,
            condition="False",
            reason="PortNotFound",
        )
    if service_type == "ExternalName":
        target = spec.get("externalName") or texts.SERVICE_EXTERNAL_TARGET_UNNAMED
        return Finding(
            OK, texts.SERVICE_EXTERNAL_NAME.format(name=name, target=target), condition="True", reason="ServiceFound"
        )
    if service_type in ("NodePort", "LoadBalancer"):
        return Finding(
            WARN,
            texts.SERVICE_EXPOSED_ELSEWHERE.format(
                name=name, type=service_type, exposure=_exposure(service_type, ports), front=ctx.front
            ),
            texts.SERVICE_EXPOSED_ELSEWHERE_FIX.format(ns=ns, name=name),
            condition="True",
            reason="ServiceFound",
        )
    return Finding(
        OK, texts.SERVICE_FOUND.format(name=name, port=o.service_port), condition="True", reason="ServiceFound"
    )


def _exposure(service_type: str, ports: list[dict[str, Any]]) -> str:
    """How a NodePort or LoadBalancer Service is reachable besides the route, to follow "type X: "."""
    if service_type != "NodePort":
        return texts.SERVICE_LOAD_BALANCER
    node_ports = sorted({str(p["nodePort"]) for p in ports if p.get("nodePort")})
    opened = (
        texts.SERVICE_NODE_PORTS.format(ports=", ".join(node_ports)) if node_ports else texts.SERVICE_NODE_PORT_UNNAMED
    )
    return texts.SERVICE_NODE_PORT_OPENS.format(ports=opened)


def _port_matches(ports: list[dict[str, Any]], wanted: int | str | None) -> bool:
    """Whether a Service port matches the route's port: by number, or by the port's name."""
    if wanted is None or wanted == "":
        return False
    number = parse_decimal(wanted)
    if number is not None:
        wanted = number
    if isinstance(wanted, int):
        return any(p.get("port") == wanted for p in ports)
    return any(p.get("name") == wanted for p in ports)


def _describe_port(port: dict[str, Any]) -> str:
    return f"{port.get('port')} ({port['name']})" if port.get("name") else str(port.get("port"))


def endpoints_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    name, ns = service_name(o), ctx.namespace
    if o.service is None:
        return Finding(SKIP, texts.ENDPOINTS_NO_SERVICE.format(name=name), reason="ServiceMissing")
    spec = o.service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return Finding(SKIP, texts.ENDPOINTS_EXTERNAL_NAME, condition="True", reason="ExternalName")
    count = ctx.endpoints
    selector = spec.get("selector") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    leaving = (
        texts.ENDPOINTS_LEAVING.format(count=count.terminating, verb="is" if count.terminating == 1 else "are")
        if count.terminating
        else ""
    )
    if count.total == 0:
        if not selector:
            return Finding(
                FAIL,
                texts.ENDPOINTS_NO_SELECTOR.format(name=name, leaving=leaving),
                texts.ENDPOINTS_NO_SELECTOR_FIX.format(ns=ns),
                health=Health.DEGRADED,
                condition="False",
                reason="NoEndpoints",
            )
        return Finding(
            FAIL,
            texts.ENDPOINTS_NONE_SELECTED.format(name=name, labels=labels, ns=ns, leaving=leaving),
            texts.ENDPOINTS_NONE_SELECTED_FIX.format(ns=ns, labels=labels),
            health=Health.DEGRADED,
            condition="False",
            reason="NoEndpoints",
        )
    figures = {
        "name": name,
        "ready": count.ready,
        "total": count.total,
        "leaving": leaving,
        "pods": "pod" if count.total == 1 else "pods",
        "list_pods": f"kubectl -n {ns} get pods" + (f" -l {labels}" if labels else ""),
        "ns": ns,
    }
    if count.ready == 0:
        return Finding(
            FAIL,
            texts.ENDPOINTS_NONE_READY.format(**figures),
            texts.ENDPOINTS_NONE_READY_FIX.format(**figures),
            health=Health.DEGRADED,
            condition="False",
            reason="NoReadyEndpoints",
        )
    if count.ready < count.total:
        return Finding(
            WARN,
            texts.ENDPOINTS_SOME_READY.format(**figures),
            texts.ENDPOINTS_SOME_READY_FIX.format(**figures),
            condition="True",
            reason="EndpointsReady",
        )
    return Finding(OK, texts.ENDPOINTS_ALL_READY.format(**figures), condition="True", reason="EndpointsReady")


def claim_step(ctx: Context) -> Finding:
    o = ctx.observed
    host = o.host or texts.THIS_HOST
    problems, fixes = [], []
    if not o.claim_ok:
        problems.append(texts.CLAIM_LOST.format(host=host))
        fixes.append(texts.CLAIM_LOST_FIX.format(host=host))
    if o.foreign_conflicts:
        problems.append(texts.FOREIGN_INGRESS.format(others=foreign_names(o), host=host, path=o.path))
        first = o.foreign_conflicts[0]
        fixes.append(texts.FOREIGN_INGRESS_FIX.format(ns=first.namespace, name=first.name))
    if problems:
        return Finding(FAIL, " ".join(problems), " ".join(fixes), health=Health.DEGRADED)
    if o.output == OUTPUT_GATEWAY:
        return Finding(OK, texts.CLAIM_HELD.format(host=host))
    return Finding(OK, texts.CLAIM_HELD_NO_FOREIGN.format(host=host))


def tls_off_step(detail: str) -> Finding:
    return Finding(WARN, detail, texts.TLS_OFF_FIX)


# Reading the snapshot


def foreign_names(o: Observed) -> str:
    return ", ".join(f"{c.namespace}/{c.name}" for c in o.foreign_conflicts)


def namespace_of(o: Observed) -> str:
    """The route's namespace, read from whichever live object was seen (the snapshot does not carry it)."""
    for obj in (o.ingress, o.http_route, o.service, o.certificate, *o.endpoint_slices):
        namespace = get(obj, "metadata", "namespace")
        if namespace:
            return str(namespace)
    return "<namespace>"


def condition(obj: dict[str, Any] | None, condition_type: str) -> dict[str, Any] | None:
    """The status condition of that type on a live object, or None."""
    for found in get(obj, "status", "conditions") or []:
        if found.get("type") == condition_type:
            return dict(found)
    return None


def get(obj: dict[str, Any] | None, *keys: str) -> Any:
    """``obj[k1][k2]...``, or None where any level is missing or not a mapping."""
    value: Any = obj
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def camel(reason: str | None) -> str:
    """A condition reason in CamelCase, as Kubernetes conventions ask (cert-manager's already are)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\s_-]+", reason or ""))
