"""Facts about the cluster around a route that the pitfall steps judge: where the ingress controller runs, and
the cluster's CNI. Read by the worker (routes.reconcile.observe), judged by the steps (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IN_CLUSTER, OUTSIDE, UNKNOWN = "cluster", "outside", "unknown"


@dataclass(frozen=True)
class Controller:
    """The ingress controller serving the route's IngressClass.

    ``location``: ``cluster`` when its Service was found (``namespace``/``service``, its pods' labels from the
    Service's selector, ``ready`` endpoints of that Service); ``outside`` when the IngressClass says it runs
    outside the cluster; ``unknown`` otherwise (``namespace``/``service`` then name where Portico looked).
    ``named``: the IngressClass annotation named the Service (rather than the usual place for ``kind``)."""

    location: str = UNKNOWN
    ingress_class: str = ""
    kind: str = ""  # the IngressClass's spec.controller
    namespace: str = ""
    service: str = ""
    named: bool = False
    pod_labels: dict[str, str] = field(default_factory=dict)
    ready: int | None = None
    cni: str = ""  # the cluster's CNI, when known
    cni_enforces_policy: bool | None = None

    @property
    def in_cluster(self) -> bool:
        return self.location == IN_CLUSTER


def safe_secret(secret: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the diagnostics may keep of a Secret: its name, namespace, annotations and type, never its data."""
    if secret is None:
        return None
    meta = secret.get("metadata") or {}
    return {
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "annotations") if k in meta},
        "type": secret.get("type") or "Opaque",
    }
