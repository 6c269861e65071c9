"""Plain value types shared by policy, rendering, diagnostics, the form, the API and the worker.

Nothing here touches the ORM or the network: a route revision is stored as ``RouteSpec.to_dict()``
in a JSON column and read back with ``RouteSpec.from_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

PATH_TYPES = ("Prefix", "Exact")
OUTPUT_INGRESS = "ingress"
OUTPUT_GATEWAY = "gateway"
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
TLS_MODES = ("cert-manager", "secret", "none")

BACKEND_EXISTING = "existing"
BACKEND_MANAGED = "managed"
BACKEND_EXTERNAL = "external"

# Violation codes: the API answers 400 for invalid and forbidden, 409 for conflict.
INVALID = "invalid"
FORBIDDEN = "forbidden"
CONFLICT = "conflict"


@dataclass(frozen=True)
class Backend:
    """Where traffic goes: an existing Service, a Service Portico manages, or an ExternalName Service."""

    service_name: str | None = None
    service_port: int | str | None = None
    target_port: int | str | None = None
    selector: Mapping[str, str] | None = None
    service_type: str | None = None
    external_name: str | None = None

    @property
    def kind(self) -> str:
        if self.external_name:
            return BACKEND_EXTERNAL
        if self.selector or self.target_port is not None or self.service_type:
            return BACKEND_MANAGED
        return BACKEND_EXISTING

    @property
    def manages_service(self) -> bool:
        return self.kind in (BACKEND_MANAGED, BACKEND_EXTERNAL)

    def service_name_for(self, route_name: str) -> str | None:
        """The Service traffic goes to. One Portico creates may be left unnamed; it then takes the route's name."""
        if self.manages_service and not self.service_name:
            return route_name
        return self.service_name


@dataclass(frozen=True)
class TLS:
    mode: str = "cert-manager"
    issuer: str | None = None
    secret_name: str | None = None


@dataclass(frozen=True)
class RouteOptions:
    """What a developer may ask of the ingress controller for one route, rendered as that controller's own
    annotations (or Traefik Middlewares, or HTTPRoute fields); docs/route-options.md maps each to each controller.
    Unset (False, None, empty) is the controller's default."""

    force_https: bool = False  # redirect plain HTTP requests to HTTPS
    timeout_seconds: int | None = None  # how long the backend may take to answer
    max_body_size_mb: int | None = None  # the largest request body accepted, in MiB
    source_ranges: tuple[str, ...] = ()  # only clients from these CIDRs are served

    @property
    def is_default(self) -> bool:
        return self == RouteOptions()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RouteOptions:
        data = data or {}
        return cls(
            force_https=data.get("force_https", False),
            timeout_seconds=data.get("timeout_seconds"),
            max_body_size_mb=data.get("max_body_size_mb"),
            source_ranges=tuple(data.get("source_ranges") or ()),
        )


@dataclass(frozen=True)
class RouteSpec:
    """The part of a route that revisions version: everything a reviewer approves."""

    host: str
    path: str = "/"
    path_type: str = "Prefix"
    backend: Backend = field(default_factory=Backend)
    tls: TLS = field(default_factory=TLS)
    options: RouteOptions = field(default_factory=RouteOptions)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["backend"]["selector"] is not None:
            data["backend"]["selector"] = dict(sorted(data["backend"]["selector"].items()))
        # Left out while unset, so revisions stored before options existed and those that set none read alike.
        if self.options.is_default:
            del data["options"]
        else:
            data["options"]["source_ranges"] = list(self.options.source_ranges)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouteSpec:
        backend = dict(data.get("backend") or {})
        if backend.get("selector") is not None:
            backend["selector"] = dict(backend["selector"])
        return cls(
            host=data["host"],
            path=data.get("path") or "/",
            path_type=data.get("path_type") or "Prefix",
            backend=Backend(**{k: backend.get(k) for k in Backend.__dataclass_fields__}),
            tls=TLS(**{k: v for k, v in (data.get("tls") or {}).items() if k in TLS.__dataclass_fields__}),
            options=RouteOptions.from_dict(data.get("options")),
        )


@dataclass(frozen=True)
class RouteTarget:
    """Identity of a route on a cluster: what does not change between revisions."""

    id: str  # route uuid as a string
    name: str
    team: str  # team slug
    namespace: str
    revision: int


@dataclass(frozen=True)
class ClusterSettings:
    """What rendering needs to know about the target cluster."""

    name: str
    ingress_class: str = "nginx"
    default_issuer: str = "letsencrypt"
    output: str = OUTPUT_INGRESS  # "ingress" | "gateway" (HTTPRoute attached to the Gateway below)
    gateway_name: str = ""
    gateway_namespace: str = ""
    gateway_section_name: str = ""  # one listener of that Gateway; "" attaches to every listener that allows it
    # The ingress controller's family (clusters.facts: "ingress-nginx", "traefik", "haproxy"; "" unknown): which
    # route options render as what, and which paths its admission refuses.
    controller: str = ""


@dataclass(frozen=True)
class TeamPolicy:
    """A team's permissions as plain values, for policy checks."""

    slug: str
    domains: tuple[str, ...] = ()
    namespaces: frozenset[tuple[str, str]] = frozenset()  # (cluster name, namespace)
    # Where ExternalName backends may point; empty: any public name (routes.domain.policy.external.check_external_name).
    external_domains: tuple[str, ...] = ()
    allow_node_port: bool = False
    allow_load_balancer: bool = False
    allow_plain_http: bool = False
    auto_approve: bool = False
    # Route options (RouteOptions): the team's ceilings (None: Portico's own) and whether it may limit sources.
    max_timeout_seconds: int | None = None
    max_body_size_mb: int | None = None
    allow_source_ranges: bool = True


@dataclass(frozen=True)
class ExistingRoute:
    """Another live route on the same cluster, as seen by conflict checks."""

    id: str
    name: str
    team: str
    namespace: str
    host: str
    path: str
    path_type: str


@dataclass(frozen=True)
class OwnedObject:
    """An object on a cluster that a live route owns: written by its approved or applied revision, or asked for
    by its pending one (``pending``); or, with ``used``, an existing Service the route sends traffic to without
    owning it. Conflict checks refuse a second owner, and an owner for a Service another route uses
    (docs/security.md)."""

    kind: str
    namespace: str
    name: str
    route_id: str
    route_name: str
    team: str
    pending: bool = False
    used: bool = False


@dataclass(frozen=True)
class ForeignIngressPath:
    """A host+path served by an Ingress on the cluster that Portico does not manage (seen at the last sync)."""

    namespace: str
    name: str
    host: str
    path: str


@dataclass(frozen=True)
class Violation:
    """One rule broken. ``field`` is a dotted path (``backend.service_port``); ``code`` is
    ``invalid`` (400), ``forbidden`` (400, the team may not do this) or ``conflict`` (409)."""

    field: str
    message: str
    code: str = INVALID
