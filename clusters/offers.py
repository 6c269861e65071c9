"""What a cluster offers the route form's pickers: the Services of a namespace with their ports, and the
ClusterIssuers, as the cluster's API server lists them (cached briefly, with a short timeout: a page waits for
it). A cluster Portico cannot list says why, and the form asks for names to be typed instead."""

import logging
from typing import Any

from django.core.cache import cache

from . import kube
from .models import Cluster

logger = logging.getLogger(__name__)

OFFERS_TIMEOUT = 3.0
OFFERS_CACHE_SECONDS = 30


def offers(cluster: Cluster, namespace: str) -> dict[str, Any]:
    """Services and ClusterIssuers as the cluster lists them (cached briefly), or why there are none."""
    if cluster.is_directory:
        return {
            "services": [],
            "issuers": [cluster.default_issuer],
            "listed": False,
            "note": f"{cluster.label} is a GitOps export: Portico cannot see its Services, so type the name.",
        }
    if not cluster.has_credentials:
        return {
            "services": [],
            "issuers": [cluster.default_issuer],
            "listed": False,
            "note": f"Portico has no credentials for {cluster.label} yet, so type the Service name.",
        }
    key = f"portico:offers:{cluster.pk}:{cluster.updated_at.timestamp()}:{namespace}"
    found: dict[str, Any] | None = cache.get(key)
    if found is None:
        found = _list_offers(cluster, namespace)
        cache.set(key, found, OFFERS_CACHE_SECONDS)
    return found


def _list_offers(cluster: Cluster, namespace: str) -> dict[str, Any]:
    try:
        with kube.KubeClient.for_cluster(cluster, timeout=OFFERS_TIMEOUT) as client:
            services = client.list(kube.SERVICE, namespace=namespace)
            try:
                issuers = sorted(i["metadata"]["name"] for i in client.list(kube.CLUSTER_ISSUER))
            except kube.PermanentKubeError:  # cert-manager not installed: no ClusterIssuer kind
                issuers = []
    except kube.KubeError as exc:
        logger.info("could not list Services of %s/%s for the form: %s", cluster.name, namespace, exc)
        return {
            "services": [],
            "issuers": [cluster.default_issuer],
            "listed": False,
            "note": f"{cluster.label} did not answer ({exc.message}), so type the Service name.",
        }
    found = []
    for service in sorted(services, key=lambda s: s["metadata"]["name"]):
        spec = service.get("spec") or {}
        ports = [
            {"port": p.get("port"), "name": p.get("name") or "", "protocol": p.get("protocol") or "TCP"}
            for p in spec.get("ports") or []
        ]
        found.append({"name": service["metadata"]["name"], "type": spec.get("type") or "ClusterIP", "ports": ports})
    count = len(found)
    note = (
        f"{cluster.label} reports {count} Service{'s' if count != 1 else ''} in namespace {namespace}: "
        "pick one from the list, or type a name."
        if count
        else f"{cluster.label} reports no Services in namespace {namespace} yet; "
        "type the name, or let Portico create one for your pods."
    )
    return {"services": found, "issuers": issuers or [cluster.default_issuer], "listed": True, "note": note}
