"""What the pitfall steps of the diagnostics read around a route, besides its own objects: where the ingress
controller runs and whether it has ready pods, the NetworkPolicies of the route's namespace, and the Secret a
TLS mode secret route names (its metadata and type only, and only where the opt-in
deploy/target-rbac-tls-secrets.yaml grants it: ``may``).

Reads are namespace by namespace (one NetworkPolicy list per namespace with routes, one GET per Secret), never a
whole-cluster list; the controller's Service and EndpointSlices come from the sync's lists when there are some.
deploy/target-rbac.yaml grants exactly these reads. A refused or failed read leaves that fact unknown (the step
says it was not checked) rather than failing the sync: a cluster whose role predates them keeps syncing.

Where the controller runs (``controller_of``): the IngressClass may say, with the annotation
``portico.dev/controller-service: <namespace>/<service>`` (or ``outside`` for a controller that runs outside the
cluster, as the local Traefik of the tests and the demo does); otherwise Portico looks for the Service the
controller's usual installation makes (``USUAL_SERVICES``, by the IngressClass's ``spec.controller``). Its pods'
labels are that Service's selector; its ready pods, that Service's ready endpoints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from clusters.kube import ENDPOINT_SLICE, INGRESS_CLASS, NETWORK_POLICY, SECRET, SERVICE, KubeError
from clusters.models import Cluster
from routes.domain.diagnostics.facts import IN_CLUSTER, OUTSIDE, UNKNOWN, Controller, safe_secret
from routes.domain.diagnostics.shared import count_endpoints
from routes.domain.values import RouteSpec

from .fanout import gather

logger = logging.getLogger(__name__)

CONTROLLER_ANNOTATION = "portico.dev/controller-service"

# spec.controller of an IngressClass -> (namespace, Service) of that controller's usual installation
# (its Helm chart or manifests with default values).
USUAL_SERVICES = {
    "k8s.io/ingress-nginx": ("ingress-nginx", "ingress-nginx-controller"),
    "traefik.io/ingress-controller": ("traefik", "traefik"),
    "haproxy.org/ingress-controller/haproxy": ("haproxy-controller", "haproxy-kubernetes-ingress"),
    "nginx.org/ingress-controller": ("nginx-ingress", "nginx-ingress-controller"),
}


@dataclass
class Surroundings:
    """The facts around a cluster's routes, read once per sync (or once for one route's reconcile)."""

    controller: Controller | None = None
    policies: dict[str, tuple[dict, ...] | None] = field(default_factory=dict)  # by namespace (None: not read)
    secrets: dict[tuple[str, str], dict | None] = field(default_factory=dict)  # (namespace, name) -> safe_secret

    def for_route(self, namespace: str, spec: RouteSpec) -> dict:
        """Observed fields for one route."""
        values: dict = {"controller": self.controller, "network_policies": self.policies.get(namespace)}
        if spec.tls.mode == "secret" and spec.tls.secret_name:
            key = (namespace, spec.tls.secret_name)
            values.update(
                tls_secret_name=spec.tls.secret_name,
                tls_secret=self.secrets.get(key),
                tls_secret_read=key in self.secrets,
            )
        return values


def read_surroundings(
    cluster: Cluster,
    target,
    routes: Iterable[tuple[str, RouteSpec]],
    *,
    service: Callable[[str, str], dict | None] | None = None,
    slices: dict | None = None,
) -> Surroundings:
    """Read what the pitfall steps need for ``routes`` ((namespace, spec) pairs). ``service`` and ``slices`` give
    Services and EndpointSlices a sync has listed already; without them the controller's are read here."""
    found = Surroundings()
    if cluster.is_directory:
        return found
    routes = list(routes)
    if not cluster.is_gateway:
        found.controller = controller_of(cluster, target, service=service, slices=slices)
    namespaces = sorted({ns for ns, _ in routes})
    for namespace, policies in zip(
        namespaces, gather([partial(_policies, target, namespace) for namespace in namespaces]), strict=True
    ):
        if isinstance(policies, Exception):
            raise policies
        found.policies[namespace] = policies
    allowed: dict[str, bool] = {}
    for namespace, spec in routes:
        key = (namespace, spec.tls.secret_name or "")
        if spec.tls.mode != "secret" or not spec.tls.secret_name or key in found.secrets:
            continue
        if namespace not in allowed:
            allowed[namespace] = may(target, "get", "secrets", namespace)
        if not allowed[namespace]:
            continue
        try:
            found.secrets[key] = safe_secret(target.get(SECRET, key[1], namespace))
        except KubeError as exc:
            logger.info("cluster=%s Secret %s/%s not read: %s", cluster.name, namespace, key[1], exc)
    return found


def for_sync(cluster: Cluster, target, routes, specs: dict, seen: dict, slices: dict) -> Surroundings:
    """``read_surroundings`` for a sync's approved routes, from the Services and EndpointSlices it listed."""
    return read_surroundings(
        cluster,
        target,
        [(r.namespace, specs[(r.pk, r.approved_revision)]) for r in routes],
    )  # the controller's Service is outside what the sync lists (its routes' namespaces): read it here


def controller_of(
    cluster: Cluster,
    target,
    *,
    service: Callable[[str, str], dict | None] | None = None,
    slices: dict | None = None,
) -> Controller | None:
    """Where the cluster's ingress controller runs and how many ready pods it has; None when the IngressClass
    could not be read."""
    try:
        ingress_class = target.get(INGRESS_CLASS, cluster.ingress_class)
    except KubeError as exc:
        logger.info("cluster=%s IngressClass not read: %s", cluster.name, exc)
        return None
    if ingress_class is None:
        return None  # the ingress-class step says no controller is installed
    kind = (ingress_class.get("spec") or {}).get("controller") or ""
    named = ((ingress_class.get("metadata") or {}).get("annotations") or {}).get(CONTROLLER_ANNOTATION, "").strip()
    base = {"ingress_class": cluster.ingress_class, "kind": kind, **_cni(cluster)}
    if named.lower() == OUTSIDE:
        return Controller(location=OUTSIDE, named=True, **base)
    if "/" in named:
        namespace, name = (part.strip() for part in named.split("/", 1))
    elif kind in USUAL_SERVICES:
        namespace, name = USUAL_SERVICES[kind]
    else:
        return Controller(location=UNKNOWN, **base)
    where = {"namespace": namespace, "service": name, "named": bool(named)}
    try:
        found = service(namespace, name) if service is not None else target.get(SERVICE, name, namespace)
        if found is None:
            return Controller(location=UNKNOWN, **where, **base)
        endpoint_slices = (
            slices.get((namespace, name), [])
            if slices is not None
            else target.list(ENDPOINT_SLICE, namespace=namespace, label_selector=f"kubernetes.io/service-name={name}")
        )
    except KubeError as exc:
        logger.info("cluster=%s controller Service %s/%s not read: %s", cluster.name, namespace, name, exc)
        return Controller(location=UNKNOWN, **where, **base)
    return Controller(
        location=IN_CLUSTER,
        pod_labels=dict((found.get("spec") or {}).get("selector") or {}),
        ready=count_endpoints(endpoint_slices).ready,
        **where,
        **base,
    )


def may(target, verb: str, resource: str, namespace: str) -> bool:
    """Whether Portico's identity may ``verb`` ``resource`` (core group) in ``namespace``, asked with a
    SelfSubjectAccessReview, which every authenticated user may create. Secrets are granted only by the
    opt-in deploy/target-rbac-tls-secrets.yaml, so Portico asks before reading one rather than
    collecting 403s."""
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": verb, "resource": resource, "namespace": namespace}},
    }
    try:
        review = target.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=body)
    except KubeError as exc:
        logger.info("access review for %s %s in %s failed: %s", verb, resource, namespace, exc)
        return False
    return bool(((review or {}).get("status") or {}).get("allowed"))


def _cni(cluster: Cluster) -> dict:
    """The cluster's CNI, when the cluster probe has detected it."""
    cni = getattr(cluster, "cni_label", "") or getattr(cluster, "cni", "") or ""
    enforces = getattr(cluster, "network_policy_enforced", None)
    return {"cni": str(cni), "cni_enforces_policy": enforces if isinstance(enforces, bool) else None}


def _policies(target, namespace: str) -> tuple[dict, ...] | None:
    try:
        return tuple(target.list(NETWORK_POLICY, namespace=namespace))
    except KubeError as exc:
        logger.info("NetworkPolicies of %s not read: %s", namespace, exc)
        return None
