"""Turn approved route revisions into the Kubernetes objects that serve them, and write them as YAML.

Pure: plain values from ``routes.domain.values`` in, plain dicts out; no ORM, no network, no Django. The API
(dry runs, manifests, diffs), the form's YAML preview, the worker and the GitOps export all render here,
so what a reviewer sees is byte for byte what gets applied. ``routes.domain.validation`` checks the result
as the API server would.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from clusters.facts import TRAEFIK
from core.names import is_label_value
from routes.domain import yaml_text
from routes.domain.decimals import parse_decimal
from routes.domain.render_options import (
    MIDDLEWARE_API_VERSION,
    http_route_timeouts,
    ingress_annotations,
    traefik_middlewares,
)
from routes.domain.values import (
    BACKEND_EXTERNAL,
    OUTPUT_GATEWAY,
    OUTPUT_INGRESS,
    Backend,
    ClusterSettings,
    RouteSpec,
    RouteTarget,
)

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "portico"
ROUTE_LABEL = "portico.dev/route"
HOST_LABEL = "portico.dev/host"
TEAM_LABEL = "portico.dev/team"
REVISION_ANNOTATION = "portico.dev/revision"
SPEC_HASH_ANNOTATION = "portico.dev/spec-hash"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"

CERTIFICATE_API_VERSION = "cert-manager.io/v1"
INGRESS_API_VERSION = "networking.k8s.io/v1"
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
GATEWAY_GROUP = "gateway.networking.k8s.io"

# Ingress path types and their Gateway API equivalents; both match Prefix by whole path elements.
GATEWAY_PATH_TYPES = {"Prefix": "PathPrefix", "Exact": "Exact"}

# Both certificate_name (the slug) and tls_secret_name (slug + "-tls") stay within 63 characters, so they are
# also valid label values and DNS labels: cert-manager and other tooling copy such names into labels and
# generated names, where a 63-character limit applies.
_TLS_SUFFIX = "-tls"
_SLUG_MAX_LENGTH = 63 - len(_TLS_SUFFIX)
_NAME_HASH_LENGTH = 10
_HASH_SEGMENT = re.compile(rf"[0-9a-f]{{{_NAME_HASH_LENGTH}}}")
_LABEL_HASH_LENGTH = 32
_SPEC_HASH_LENGTH = 16

# An ExternalName Service may declare no ports, but an Ingress backend needs one; plain HTTP's is the
# least surprising choice.
_EXTERNAL_DEFAULT_PORT = 80


# to_yaml puts these keys first, in this order, at the top of an object and in its metadata; every other
# key is sorted, so the same object always reads the same whatever order its dicts were built in.
_LEADING_KEYS = {
    None: ("apiVersion", "kind", "metadata", "spec"),
    "metadata": ("name", "namespace", "labels", "annotations"),
}


def render_route(target: RouteTarget, spec: RouteSpec, cluster: ClusterSettings) -> list[dict[str, Any]]:
    """The objects one route owns, in apply order: its Service (managed or external backends only), the Traefik
    Middlewares its options need (Traefik clusters), then its Ingress, or its HTTPRoute on a cluster with Gateway
    API output. The Certificate is shared per host: ``route_objects`` adds it."""
    if cluster.output not in (OUTPUT_INGRESS, OUTPUT_GATEWAY):
        raise ValueError(
            f"cluster {cluster.name!r} asks for output {cluster.output!r}; only 'ingress' and 'gateway' can be rendered"
        )
    objects = []
    if spec.backend.manages_service:
        objects.append(_service(target, spec.backend))
    if cluster.output == OUTPUT_GATEWAY:
        objects.append(_http_route(target, spec, cluster))
    else:
        if cluster.controller == TRAEFIK:
            objects += [
                _route_object(MIDDLEWARE_API_VERSION, "Middleware", target, name, middleware)
                for name, middleware in traefik_middlewares(spec.options, target.name)
            ]
        objects.append(_ingress(target, spec, cluster))
    return objects


def render_certificate(*, namespace: str, host: str, issuer: str, team: str) -> dict[str, Any]:
    """The cert-manager Certificate shared by every route on ``host`` in ``namespace``.

    It carries no route label and no revision annotation: it belongs to no single route, and a per-route
    value would make it flip back and forth as the routes sharing it are applied.
    """
    certificate = {
        "apiVersion": CERTIFICATE_API_VERSION,
        "kind": "Certificate",
        "metadata": {
            "name": certificate_name(host),
            "namespace": namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: team, HOST_LABEL: host_label_value(host)},
            "annotations": {},
        },
        # No commonName: dnsNames is what clients check, and cert-manager rejects a commonName over 64 bytes,
        # which a long host would exceed.
        "spec": {
            "secretName": tls_secret_name(host),
            "dnsNames": [host],
            "issuerRef": {"kind": "ClusterIssuer", "name": issuer, "group": "cert-manager.io"},
        },
    }
    return _with_spec_hash(certificate)


def uses_certificate(spec: RouteSpec, cluster: ClusterSettings) -> bool:
    """Whether Portico issues a Certificate for this route: TLS mode ``cert-manager`` on an Ingress cluster.

    On a Gateway API cluster the Gateway's listener terminates TLS, and cert-manager's Gateway support issues
    the listener's certificate from the Gateway's own annotations; a Certificate per host in the route's
    namespace would be issued (and count against ACME limits) for a Secret nothing reads.
    """
    return spec.tls.mode == "cert-manager" and cluster.output != OUTPUT_GATEWAY


def certificate_for(target: RouteTarget, spec: RouteSpec, cluster: ClusterSettings) -> dict[str, Any] | None:
    """The Certificate this route needs on its own, or None unless ``uses_certificate``."""
    if not uses_certificate(spec, cluster):
        return None
    return render_certificate(
        namespace=target.namespace,
        host=spec.host,
        issuer=spec.tls.issuer or cluster.default_issuer,
        team=target.team,
    )


def route_objects(target: RouteTarget, spec: RouteSpec, cluster: ClusterSettings) -> list[dict[str, Any]]:
    """A route's objects and the Certificate for its host, in apply order: what one revision puts on the cluster.

    The one place that pairs ``render_route`` with ``certificate_for``: the worker (apply, prune, remove), the
    pages, the API's manifests, dry runs and diffs, and ``desired_objects`` all build a route this way.
    """
    certificate = certificate_for(target, spec, cluster)
    return render_route(target, spec, cluster) + ([certificate] if certificate is not None else [])


def desired_objects(routes: Iterable[tuple[RouteTarget, RouteSpec]], cluster: ClusterSettings) -> list[dict[str, Any]]:
    """Everything that should exist on ``cluster`` for these approved routes, sorted by ``object_key``.

    Each route's Service and Ingress (or HTTPRoute), plus one Certificate per (namespace, host) among
    cert-manager routes on Ingress clusters.
    When two routes render an object with the same key (routes sharing a host, or naming the same managed
    Service) the route with the smallest id decides its content, so the result does not depend on the order
    of ``routes`` and the object does not flap between the routes' versions.
    """
    desired: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for target, spec in sorted(routes, key=lambda route: route[0].id):
        for obj in route_objects(target, spec, cluster):
            desired.setdefault(object_key(obj), obj)
    return [desired[key] for key in sorted(desired)]


def object_key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    """Identity of an object on a cluster: (apiVersion, kind, namespace, name)."""
    metadata = obj.get("metadata") or {}
    return (obj.get("apiVersion", ""), obj.get("kind", ""), metadata.get("namespace") or "", metadata.get("name", ""))


def spec_hash(obj: dict[str, Any]) -> str:
    """Stable fingerprint of everything in ``obj`` except its own spec-hash annotation (sha256 hex, 16 chars).

    Independent of dict key order. An object without annotations hashes like one with an empty annotation
    map, so ``spec_hash(obj)`` equals the annotation that rendering stored on ``obj``.
    """
    body = dict(obj)
    metadata = dict(body.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != SPEC_HASH_ANNOTATION}
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    if "metadata" in body:
        body["metadata"] = metadata
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _digest(canonical, _SPEC_HASH_LENGTH)


def tls_secret_name(host: str) -> str:
    """Name of the Secret holding ``host``'s certificate: ``<host-slug>-tls``; no two hosts share one."""
    return _host_slug(host) + _TLS_SUFFIX


def certificate_name(host: str) -> str:
    """Name of the Certificate shared by the routes on ``host``: the host slug; no two hosts share one."""
    return _host_slug(host)


def host_label_value(host: str) -> str:
    """Value of the ``portico.dev/host`` label: the host itself when it is a valid label value, otherwise
    ``h-`` and a stable hash (hosts over 63 characters, wildcard hosts)."""
    if host and is_label_value(host):
        return host
    return "h-" + _digest(host, _LABEL_HASH_LENGTH)


def to_yaml(objects: Iterable[dict[str, Any]]) -> str:
    """Multi-document YAML, each document opened by ``---``: apiVersion, kind, metadata, spec first, every
    other key sorted, so the same objects always give the same bytes."""
    documents = [_readable(obj) for obj in objects]
    return yaml_text.dump_all(
        documents, explicit_start=True, sort_keys=False, default_flow_style=False, allow_unicode=True, width=2**16
    )


def _service(target: RouteTarget, backend: Backend) -> dict[str, Any]:
    port: dict[str, Any] = {"name": "http", "port": _port_value(backend.service_port), "protocol": "TCP"}
    if backend.kind == BACKEND_EXTERNAL:
        spec: dict[str, Any] = {"type": "ExternalName", "externalName": backend.external_name}
        if backend.service_port is not None:
            spec["ports"] = [port]
    else:
        if backend.target_port is not None:
            port["targetPort"] = _port_value(backend.target_port)
        spec = {"type": backend.service_type or "ClusterIP", "ports": [port]}
        if backend.selector:
            spec["selector"] = dict(sorted(backend.selector.items()))
    return _route_object("v1", "Service", target, backend.service_name_for(target.name) or target.name, spec)


def _ingress(target: RouteTarget, spec: RouteSpec, cluster: ClusterSettings) -> dict[str, Any]:
    path = {
        "path": spec.path,
        "pathType": spec.path_type,
        "backend": {
            "service": {"name": spec.backend.service_name_for(target.name), "port": _ingress_backend_port(spec.backend)}
        },
    }
    ingress_spec: dict[str, Any] = {
        "ingressClassName": cluster.ingress_class,
        "rules": [{"host": spec.host, "http": {"paths": [path]}}],
    }
    secret_name = _ingress_tls_secret(spec)
    if secret_name is not None:
        ingress_spec["tls"] = [{"hosts": [spec.host], "secretName": secret_name}]
    annotations = ingress_annotations(spec.options, cluster.controller, target.namespace, target.name)
    return _route_object(INGRESS_API_VERSION, "Ingress", target, target.name, ingress_spec, annotations)


def _http_route(target: RouteTarget, spec: RouteSpec, cluster: ClusterSettings) -> dict[str, Any]:
    # No TLS here: an HTTPRoute has none; the parent Gateway's HTTPS listener terminates it.
    parent: dict[str, Any] = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": cluster.gateway_name}
    if cluster.gateway_namespace:
        parent["namespace"] = cluster.gateway_namespace
    if cluster.gateway_section_name:
        parent["sectionName"] = cluster.gateway_section_name
    backend_ref = {
        "group": "",
        "kind": "Service",
        "name": spec.backend.service_name_for(target.name),
        "port": _gateway_backend_port(spec.backend),
    }
    rule: dict[str, Any] = {
        "matches": [{"path": {"type": GATEWAY_PATH_TYPES.get(spec.path_type, spec.path_type), "value": spec.path}}],
        "backendRefs": [backend_ref],
    }
    timeouts = http_route_timeouts(spec.options)
    if timeouts is not None:
        rule["timeouts"] = timeouts
    route_spec = {"parentRefs": [parent], "hostnames": [spec.host], "rules": [rule]}
    return _route_object(GATEWAY_API_VERSION, "HTTPRoute", target, target.name, route_spec)


def _route_object(
    api_version: str,
    kind: str,
    target: RouteTarget,
    name: str,
    spec: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An object one route owns: its labels say whose it is, its annotations which revision wrote it (and, on an
    Ingress, the route's options in its controller's words)."""
    return _with_spec_hash(
        {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": target.namespace,
                "labels": {MANAGED_BY_LABEL: MANAGED_BY, TEAM_LABEL: target.team, ROUTE_LABEL: target.id},
                "annotations": {**(annotations or {}), REVISION_ANNOTATION: str(target.revision)},
            },
            "spec": spec,
        }
    )


def _with_spec_hash(obj: dict[str, Any]) -> dict[str, Any]:
    # Last step of rendering, so the hash covers every other field, the revision annotation included.
    obj["metadata"]["annotations"][SPEC_HASH_ANNOTATION] = spec_hash(obj)
    return obj


def _port_value(value: int | str | None) -> int | str | None:
    # Forms and JSON can deliver "8080" for a number; only a non-numeric string is a named port.
    number = parse_decimal(value)
    return value if number is None else number


def _ingress_backend_port(backend: Backend) -> dict[str, Any]:
    port = _port_value(backend.service_port)
    if port is None and backend.kind == BACKEND_EXTERNAL:
        port = _EXTERNAL_DEFAULT_PORT
    return {"number": port} if isinstance(port, int) else {"name": port}


def _gateway_backend_port(backend: Backend) -> int | str | None:
    # A backendRef names the Service port by number only; a named port is left as it is for validation to
    # report (policy should refuse it for Gateway clusters before rendering).
    port = _port_value(backend.service_port)
    if port is None and backend.kind == BACKEND_EXTERNAL:
        port = _EXTERNAL_DEFAULT_PORT
    return port


def _ingress_tls_secret(spec: RouteSpec) -> str | None:
    if spec.tls.mode == "cert-manager":
        return tls_secret_name(spec.host)
    if spec.tls.mode == "secret":
        return spec.tls.secret_name
    if spec.tls.mode == "none":
        return None
    raise ValueError(f"unknown TLS mode {spec.tls.mode!r}")


@functools.lru_cache(maxsize=65536)  # pure, and a sync asks it for every route (Certificate names)
def _host_slug(host: str) -> str:
    """A readable name for ``host``, different for every host (docs/security.md, "One owner per object").

    The host with its dots written as "-" ("cart.shop.example.com" -> "cart-shop-example-com"), or for
    "*.d" "wildcard-d", when that spelling can come from no other host. Otherwise (the host has a "-" of its
    own, so "x-y.d" and "x.y.d" would meet; a plain host "wildcard.d" would meet "*.d"; too long) a readable
    head and a hash of the whole host. A plain slug never ends in a segment shaped like that hash, so the
    two forms never meet either.
    """
    wildcard = host.startswith("*.")
    rest = host[2:] if wildcard else host
    slug = ("wildcard-" if wildcard else "") + rest.replace(".", "-")
    plain = (
        "-" not in rest
        and (wildcard or rest.split(".", 1)[0] != "wildcard")
        and not _HASH_SEGMENT.fullmatch(slug.rsplit("-", 1)[-1])
        and len(slug) <= _SLUG_MAX_LENGTH
    )
    if plain:
        return slug
    head = slug[: _SLUG_MAX_LENGTH - _NAME_HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{_digest(host, _NAME_HASH_LENGTH)}"


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _readable(value: Any, parent: str | None = None) -> Any:
    if isinstance(value, dict):
        leading = [key for key in _LEADING_KEYS.get(parent, ()) if key in value]
        keys = leading + sorted(key for key in value if key not in leading)
        return {key: _readable(value[key], key) for key in keys}
    if isinstance(value, list):
        return [_readable(item, "") for item in value]
    return value
