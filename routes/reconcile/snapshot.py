"""What a cluster sync reads, scoped to what Portico owns there (docs/architecture.md, "What a sync reads"):

- before the database snapshot, Portico's own objects, one list per kind by the managed-by label (``list_live``);
- after it, what the routes' status needs, limited to the routes' namespaces and Services (``list_context``):
  the Services of the namespaces whose routes name a Service, the EndpointSlices of exactly those Services
  (``kubernetes.io/service-name in (...)``), and the host+paths of the Ingresses Portico does not manage
  (``managed-by!=portico``; an Ingress in any namespace can serve a route's host, so that list is cluster-wide, and
  only the Ingresses in the routes' namespaces are kept whole).

Nothing else of the cluster is read, so a sync's requests and memory grow with Portico's routes, not with the
cluster. What was listed is lent to each route's reconcile as ``Listed`` so nothing is read twice."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from clusters import services as cluster_services
from clusters.kube import (
    CERTIFICATE,
    ENDPOINT_SLICE,
    INGRESS,
    MANAGED_KINDS_BY_OUTPUT,
    SERVICE,
    Kind,
    PermanentKubeError,
)
from clusters.models import Cluster
from routes.domain import render
from routes.domain.managed_fields import summarize

from .fanout import gather
from .objects import is_ours, kind_key, not_served

FOREIGN_SELECTOR = f"{render.MANAGED_BY_LABEL}!={render.MANAGED_BY}"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
# Service names per EndpointSlice list: a selector of 100 names of up to 63 characters stays under 8 KB of URL.
NAMES_PER_SELECTOR = 100
ALL_NAMESPACES = "*"


@dataclass
class Listed:
    """What a cluster sync already listed, lent to `reconcile_route` so it reads objects from the lists
    instead of one GET per object and one EndpointSlice list per route.

    ``objects`` holds every listed object by key (kept current with what is applied meanwhile). ``scopes`` holds
    the ``(kind, namespace)`` pairs listed whole (namespace ``ALL_NAMESPACES`` for a whole kind): there a missing
    key means the object does not exist. Elsewhere only Portico's objects were listed, and a missing one is read
    by listing its namespace whole, once (a foreign object of that name must not be overwritten; one list per
    namespace instead of one GET per object). ``desired`` is the cluster's desired state, for shared Certificates.
    """

    objects: dict
    scopes: set
    slices: dict
    desired: dict
    gateway: dict | None = None  # the parent Gateway of a Gateway API cluster, read once per sync
    around: Any = None  # the diagnostics' facts around the routes (surroundings.Surroundings), read once per sync

    def covers(self, kind: Kind, namespace: str | None) -> bool:
        return (kind, ALL_NAMESPACES) in self.scopes or (kind, namespace or "") in self.scopes

    def get(self, target, kind, name: str, namespace: str | None) -> dict | None:
        key = kind_key(kind, name, namespace)
        if key in self.objects or self.covers(kind, namespace):
            return self.objects.get(key)
        if not kind.namespaced or not namespace:
            return target.get(kind, name, namespace)
        try:
            found = target.list(kind, namespace=namespace)
        except PermanentKubeError as exc:
            if not not_served(exc):
                raise
            found = []  # the kind is not served (cert-manager not installed): no such object
        for obj in found:
            self.objects.setdefault(render.object_key(obj), _trimmed(obj))
        self.scopes.add((kind, namespace))
        return self.objects.get(key)

    def endpoint_slices(self, namespace: str, service: str) -> list[dict]:
        return self.slices.get((namespace, service), [])


def _trimmed(obj: dict) -> dict:
    """The object without ``metadata.managedFields``, which nothing of Portico reads and which is often most of
    an object's size."""
    (obj.get("metadata") or {}).pop("managedFields", None)
    return obj


def list_live(cluster: Cluster, target, summarize: Callable[[dict], None] = summarize) -> tuple[dict, dict]:
    """Portico's objects, one list per kind by its label. Returns (ours by key, every listed object by key).
    ``summarize`` replaces each object's managedFields by the summary of other managers' fields (the sync passes
    its memo's, which reuses a summary made at the same resourceVersion).

    A directory cluster holds only what Portico wrote: its files are listed whole."""
    ours: dict[tuple, dict] = {}
    seen: dict[tuple, dict] = {}
    selector = None if cluster.is_directory else render.MANAGED_SELECTOR
    kinds = MANAGED_KINDS_BY_OUTPUT[cluster.output]
    answers = gather([partial(target.list, kind, label_selector=selector) for kind in kinds])
    for kind, listed in zip(kinds, answers, strict=True):
        if isinstance(listed, Exception):
            if kind is CERTIFICATE and isinstance(listed, PermanentKubeError) and not_served(listed):
                # cert-manager is not installed: everything else syncs, its routes say so (certificate step).
                cluster_services.record_cert_manager(cluster, present=False)
                continue
            raise listed
        if kind is CERTIFICATE:
            cluster_services.record_cert_manager(cluster, present=True)
        for obj in listed:
            key = render.object_key(obj)
            # Other managers' fields on Portico's objects are drift its apply cannot repair: kept as a summary.
            summarize(obj)
            seen[key] = obj
            if is_ours(obj):
                ours[key] = obj
    return ours, seen


def live_scopes(cluster: Cluster) -> set:
    """The scopes ``list_live`` listed whole: everything of a directory cluster, nothing elsewhere."""
    kinds = MANAGED_KINDS_BY_OUTPUT[cluster.output]
    return {(kind, ALL_NAMESPACES) for kind in kinds} if cluster.is_directory else set()


@dataclass
class Context:
    """What ``list_context`` read besides Portico's objects."""

    foreign: list[dict]  # host+paths of the Ingresses Portico does not manage, cluster-wide
    scopes: set  # (kind, namespace) listed whole
    slices: dict  # EndpointSlices by (namespace, Service name)


def list_context(
    cluster: Cluster, target, seen: dict, namespaces: Iterable[str], backends: Iterable[tuple[str, str]]
) -> Context:
    """What status and conflict checks need besides Portico's objects, added to ``seen``.

    ``namespaces``: those of the cluster's routes; ``backends``: the (namespace, Service name) of every route
    with a Service backend (managed or existing)."""
    if cluster.is_directory:
        return Context(foreign=[], scopes=set(), slices={})
    by_namespace: dict[str, set[str]] = {}
    for namespace, service in backends:
        by_namespace.setdefault(namespace, set()).add(service)
    # Existing Services are not labelled as ours: a namespace's Services in one list, whatever their number.
    services = [partial(target.list, SERVICE, namespace=namespace) for namespace in sorted(by_namespace)]
    wants_ingresses = INGRESS in MANAGED_KINDS_BY_OUTPUT[cluster.output]
    ingresses = [partial(target.list, INGRESS, label_selector=FOREIGN_SELECTOR)] if wants_ingresses else []
    slices = [
        partial(target.list, ENDPOINT_SLICE, namespace=namespace, label_selector=selector)
        for namespace, selector in _slice_selectors(by_namespace)
    ]
    answers = iter(_raised(gather([*services, *ingresses, *slices])))

    scopes: set = set()
    for namespace in sorted(by_namespace):
        for obj in next(answers):
            seen.setdefault(render.object_key(obj), _trimmed(obj))
        scopes.add((SERVICE, namespace))
    foreign: list[dict] = []
    if wants_ingresses:
        kept = set(namespaces)
        for obj in next(answers):
            if is_ours(obj):
                continue
            foreign.extend(_ingress_paths(obj))
            if (obj.get("metadata") or {}).get("namespace") in kept:
                seen[render.object_key(obj)] = _trimmed(obj)
        # Ours by label and everyone else's by the negated label: every Ingress of the cluster was seen.
        scopes.add((INGRESS, ALL_NAMESPACES))
    slices_by_service: dict[tuple, list] = {}
    for namespace, _ in _slice_selectors(by_namespace):
        for obj in next(answers):
            meta = obj.get("metadata") or {}
            named = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            if named:
                slices_by_service.setdefault((namespace, named), []).append(_trimmed(obj))
    return Context(foreign=foreign, scopes=scopes, slices=slices_by_service)


def _slice_selectors(by_namespace: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The EndpointSlice lists of the named Services: per namespace, one list per ``NAMES_PER_SELECTOR`` Services
    (namespace, label selector)."""
    selectors = []
    for namespace in sorted(by_namespace):
        names = sorted(by_namespace[namespace])
        for start in range(0, len(names), NAMES_PER_SELECTOR):
            chunk = names[start : start + NAMES_PER_SELECTOR]
            selectors.append((namespace, f"{SERVICE_NAME_LABEL} in ({','.join(chunk)})"))
    return selectors


def _raised(answers: list) -> list:
    """``answers`` of ``gather``, the first failure raised."""
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


def _ingress_paths(obj: dict) -> list[dict]:
    meta = obj.get("metadata") or {}
    paths = []
    for rule in (obj.get("spec") or {}).get("rules") or []:
        for p in ((rule.get("http") or {}).get("paths")) or []:
            if rule.get("host"):
                paths.append(
                    {
                        "namespace": meta.get("namespace", ""),
                        "name": meta.get("name", ""),
                        "host": rule["host"],
                        "path": p.get("path") or "/",
                    }
                )
    return paths
