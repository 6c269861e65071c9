"""An Ingress without Portico's label, read as adoption sees it: the route it would become, or each reason it
cannot become one exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

from clusters.models import Cluster
from routes import checks
from routes.adapters import cluster_settings
from routes.domain import render
from routes.domain.values import TLS, Backend, RouteSpec, RouteTarget
from routes.models import Route
from teams.models import Team

# Annotations that describe how an object was written, not how it is served: adopting drops nothing by ignoring them.
IGNORED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
# Rendering for the comparison needs a route id before there is a route; only labels carry it, never the spec.
_PREVIEW_ID = "adoption-preview"


class AdoptionUnavailable(Exception):
    """This cluster cannot adopt Ingresses (a GitOps export, Gateway API output, no credentials)."""


@dataclass
class Candidate:
    """One Ingress without Portico's label, as adoption sees it."""

    namespace: str
    name: str
    host: str = ""
    path: str = ""
    path_type: str = ""
    spec: RouteSpec | None = None
    team: Team | None = None
    reasons: list[str] = field(default_factory=list)
    conflicts_with: list[str] = field(default_factory=list)  # other Ingresses ("namespace/name") that clash with it
    resource_version: str = ""
    # An approved route of this name that never reached the cluster (an adoption cut short): adopting finishes it.
    route: Route | None = None
    served: list[tuple[str, str]] = field(default_factory=list)  # every (host, path) it serves

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def adoptable(self) -> bool:
        return self.spec is not None and self.team is not None and not self.reasons

    @property
    def where(self) -> str:
        return f"{self.host}{self.path}" if self.host else ", ".join(f"{h or '*'}{p}" for h, p in self.served)


@dataclass
class AdoptionResult:
    candidate: Candidate
    route: Route | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def quoted(values) -> str:
    return ", ".join(f'"{value}"' for value in values)


def reasons_text(candidate: Candidate) -> str:
    return " ".join(candidate.reasons)


def read_ingress(obj: dict, cluster: Cluster) -> Candidate:  # noqa: C901 - one branch per reason an Ingress is refused
    """The candidate for one Ingress: its route spec when it has exactly one, and what stops a faithful adoption."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    candidate = Candidate(
        namespace=meta.get("namespace", ""), name=meta.get("name", ""), resource_version=meta.get("resourceVersion", "")
    )
    reasons = candidate.reasons
    rules = spec.get("rules") or []
    for rule in rules:
        for p in (rule.get("http") or {}).get("paths") or []:
            candidate.served.append((rule.get("host") or "", p.get("path") or "/"))

    if meta.get("deletionTimestamp"):
        reasons.append("It is being deleted.")
    owners = meta.get("ownerReferences") or []
    if owners:
        reasons.append(
            f'It belongs to {owners[0].get("kind", "an object")} "{owners[0].get("name", "")}" '
            "(ownerReferences), whose controller would undo Portico's changes; adopt what creates it instead."
        )
    manager = labels(obj).get(render.MANAGED_BY_LABEL)
    if manager:
        reasons.append(
            f'It is labelled {render.MANAGED_BY_LABEL}="{manager}": {manager} manages it and would fight '
            "Portico over it; remove it from there first."
        )
    foreign = sorted(
        key
        for key in meta.get("annotations") or {}
        if key not in IGNORED_ANNOTATIONS and not key.startswith("portico.dev/")
    )
    if foreign:
        reasons.append(
            f"It has annotations Portico would not keep: {quoted(foreign)}. A route cannot express them, "
            "so a reviewer would never see what they do; remove them or keep the Ingress outside Portico."
        )
    if spec.get("defaultBackend"):
        reasons.append(
            "It has a defaultBackend, which serves requests for any host and path; a route serves one host and path."
        )
    if len(rules) != 1:
        reasons.append(
            f"It has {len(rules)} rules; a route has exactly one host and one path."
            if rules
            else "It has no rules; a route has exactly one host and one path."
        )
        return candidate
    rule = rules[0]
    paths = (rule.get("http") or {}).get("paths") or []
    if not rule.get("host"):
        reasons.append("Its rule has no host, so it serves every host; a route has exactly one host.")
    if len(paths) != 1:
        reasons.append(f"It has {len(paths)} paths; a route has exactly one path.")
        return candidate
    path = paths[0]
    candidate.host, candidate.path, candidate.path_type = (
        rule.get("host") or "",
        path.get("path", ""),
        path.get("pathType", ""),
    )
    backend = path.get("backend") or {}
    service = backend.get("service")
    if not service:
        resource = backend.get("resource") or {}
        reasons.append(
            f'Its path sends traffic to a resource ({resource.get("kind", "?")} "{resource.get("name", "")}"), '
            "not to a Service; a route always goes through a Service."
        )
        return candidate
    port = service.get("port") or {}
    tls = _tls(spec.get("tls") or [], candidate.host, reasons)
    route_spec = candidate.spec = checks.normalized(
        RouteSpec(
            host=candidate.host,
            path=candidate.path,
            path_type=candidate.path_type,
            backend=Backend(service_name=service.get("name"), service_port=port.get("number", port.get("name"))),
            tls=tls,
        )
    )
    class_name = spec.get("ingressClassName")
    if class_name != cluster.ingress_class:
        reasons.append(
            f'Its ingressClassName is "{class_name}" but {cluster.label} uses "{cluster.ingress_class}": Portico would '
            "hand it to another controller."
            if class_name
            else f"It sets no ingressClassName (the cluster's default class, or an annotation, picks its controller); "
            f'Portico would set "{cluster.ingress_class}", which may change who serves it.'
        )
    if not reasons:
        differing = rendering_differs(candidate, route_spec, spec, cluster)
        if differing:
            reasons.append(
                f"Portico would render a different Ingress ({quoted(differing)} differ), so adopting it "
                "would change traffic."
            )
    return candidate


def _tls(entries: list[dict], host: str, reasons: list[str]) -> TLS:
    """TLS mode ``secret`` for one entry naming exactly this host and a Secret; ``none`` without TLS."""
    if not entries:
        return TLS(mode="none")
    if len(entries) > 1:
        reasons.append(f"It has {len(entries)} TLS entries; a route has one, for its own host.")
        return TLS(mode="none")
    entry = entries[0]
    hosts = entry.get("hosts") or []
    if hosts != [host]:
        reasons.append(
            f"Its TLS entry covers {quoted(hosts) if hosts else 'no host'} rather than exactly "
            f'"{host}"; a route\'s TLS covers its own host.'
        )
    if not entry.get("secretName"):
        reasons.append(
            "Its TLS entry names no secretName (the controller's default certificate is served); a route "
            "names its Secret or lets cert-manager issue one."
        )
        return TLS(mode="none")
    return TLS(mode="secret", secret_name=entry["secretName"])


def rendering_differs(candidate: Candidate, route_spec: RouteSpec, live_spec: dict, cluster: Cluster) -> list[str]:
    """The spec fields where the Ingress Portico would render differs from the live one (empty: identical)."""
    target = RouteTarget(id=_PREVIEW_ID, name=candidate.name, team="", namespace=candidate.namespace, revision=1)
    rendered = next(
        obj for obj in render.render_route(target, route_spec, cluster_settings(cluster)) if obj["kind"] == "Ingress"
    )["spec"]
    return [f"spec.{key}" for key in sorted(set(rendered) | set(live_spec)) if rendered.get(key) != live_spec.get(key)]
