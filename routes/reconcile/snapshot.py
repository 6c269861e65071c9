"""What a cluster sync lists first: every object Portico manages, one list per kind (plus the foreign Ingresses
and the EndpointSlices), lent to each route's reconcile as ``Listed`` so nothing is read twice."""

from dataclasses import dataclass

from clusters import services as cluster_services
from clusters.kube import CERTIFICATE, ENDPOINT_SLICE, HTTP_ROUTE, INGRESS, MANAGED_KINDS_BY_OUTPUT, PermanentKubeError
from clusters.models import Cluster
from routes.domain import render

from .objects import is_ours, kind_key, not_served


@dataclass
class Listed:
    """What a cluster sync already listed, lent to `reconcile_route` so it reads objects from the lists
    instead of one GET per object and one EndpointSlice list per route.

    ``objects`` holds every listed object by key (kept current with what is applied meanwhile); for the
    kinds in ``whole`` every object was listed, so a missing key means the object does not exist. Kinds
    listed by our label only are read with a GET when missing (a foreign object of that name must not be
    overwritten). ``desired`` is the cluster's desired state, for shared Certificates.
    """

    objects: dict
    whole: frozenset
    slices: dict
    desired: dict
    gateway: dict | None = None  # the parent Gateway of a Gateway API cluster, read once per sync

    def get(self, target, kind, name: str, namespace: str | None) -> dict | None:
        key = kind_key(kind, name, namespace)
        if key in self.objects or kind in self.whole:
            return self.objects.get(key)
        return target.get(kind, name, namespace)

    def endpoint_slices(self, namespace: str, service: str) -> list[dict]:
        return self.slices.get((namespace, service), [])


def list_live(cluster: Cluster, target) -> tuple[dict, dict, list[dict]]:
    """One list per kind. Returns (our objects by key, every Service and Ingress by key, foreign Ingress paths)."""
    ours: dict[tuple, dict] = {}
    seen: dict[tuple, dict] = {}
    foreign: list[dict] = []
    for kind in MANAGED_KINDS_BY_OUTPUT[cluster.output]:
        # Services and Ingresses are listed whole: status needs existing (unmanaged) Services, and
        # conflict checks need foreign Ingresses. Certificates and HTTPRoutes are listed by our label.
        selector = render.MANAGED_SELECTOR if kind in (CERTIFICATE, HTTP_ROUTE) else None
        try:
            listed = target.list(kind, label_selector=selector)
        except PermanentKubeError as exc:
            if kind is CERTIFICATE and not_served(exc):
                # cert-manager is not installed: everything else syncs, its routes say so (certificate step).
                cluster_services.record_cert_manager(cluster, present=False)
                continue
            raise
        if kind is CERTIFICATE:
            cluster_services.record_cert_manager(cluster, present=True)
        for obj in listed:
            key = render.object_key(obj)
            seen[key] = obj
            if is_ours(obj):
                ours[key] = obj
            elif kind is INGRESS:
                foreign.extend(_ingress_paths(obj))
    return ours, seen, foreign


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


def list_slices(cluster: Cluster, target) -> dict[tuple, list]:
    """Every EndpointSlice of the cluster, in one list, by (namespace, Service name)."""
    slices_by_service: dict[tuple, list] = {}
    if not cluster.is_directory:
        for obj in target.list(ENDPOINT_SLICE):
            meta = obj.get("metadata") or {}
            service = (meta.get("labels") or {}).get("kubernetes.io/service-name")
            if service:
                slices_by_service.setdefault((meta.get("namespace", ""), service), []).append(obj)
    return slices_by_service
