"""The cluster probe: is the API server reachable, which version is it, and is what the cluster's output needs
there (IngressClass, cert-manager and the default ClusterIssuer for Ingress output; the parent Gateway for
Gateway API output). It also reads what the cluster is built from (clusters.facts): the ingress controller behind
the IngressClass and the CNI behind kube-system's DaemonSets. The answer is stored on the cluster's row, for pages,
the API, metrics, diagnostics and the route options a controller can honour."""

from typing import Any

from django.utils import timezone

from .facts import detect_cni
from .kube import (
    CLUSTER_ISSUER,
    CRD,
    DAEMON_SET,
    GATEWAY,
    INGRESS_CLASS,
    KubeClient,
    PermanentKubeError,
    TransientKubeError,
)
from .models import Cluster
from .targets import Target

ALL_PASSED = "All checks passed."
CNI_NAMESPACE = "kube-system"
# Said when the DaemonSet list is refused: the probe goes on, the CNI stays unknown.
CNI_REFUSED = (
    "Portico may not list the DaemonSets of kube-system (deploy/target-rbac.yaml's Role portico-probe grants it), "
    "so the cluster's CNI is unknown."
)


def read_gateway(cluster: Cluster, target: Target) -> dict | None:
    """The cluster's parent Gateway (for its address, listeners and conditions), None when it does not exist."""
    return target.get(GATEWAY, cluster.gateway_name, cluster.gateway_namespace or None)


def probe_cluster(cluster_id: int) -> Cluster | None:
    """Check the cluster and store the result on its row; the cluster as stored, None when it is gone.
    Directory clusters have no API server: they are returned unprobed."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None or cluster.is_directory:
        return cluster
    values: dict[str, Any] = {"checked_at": timezone.now()}
    try:
        with KubeClient.for_cluster(cluster) as client:
            values["server_version"] = client.version()
            values["reachable"] = True
            if cluster.is_gateway:
                # The Gateway's listeners terminate TLS (cert-manager's Gateway support issues their certificates
                # from the Gateway's annotations), so Portico needs neither an IngressClass nor cert-manager here.
                values["gateway_present"] = read_gateway(cluster, client) is not None
            else:
                ingress_class = client.get(INGRESS_CLASS, cluster.ingress_class)
                values["ingress_class_present"] = ingress_class is not None
                values["ingress_controller"] = str(((ingress_class or {}).get("spec") or {}).get("controller") or "")
                values["cert_manager_present"] = client.get(CRD, "certificates.cert-manager.io") is not None
                values["issuer_present"] = (
                    client.get(CLUSTER_ISSUER, cluster.default_issuer) is not None
                    if values["cert_manager_present"]
                    else False
                )
            values["cni"], cni_problem = _read_cni(client)
        message = _probe_message(cluster, values)
        if cni_problem:
            message = cni_problem if message == ALL_PASSED else f"{message} {cni_problem}"
        values["health_message"] = message
    except (TransientKubeError, PermanentKubeError) as exc:
        values.update(reachable=False, health_message=f"The API server did not answer: {exc.message}")
    Cluster.objects.filter(pk=cluster.pk).update(**values)
    cluster.refresh_from_db()
    return cluster


def _read_cni(client: KubeClient) -> tuple[str, str]:
    """The CNI recognised from kube-system's DaemonSets, and what stopped the probe from reading them ("" if nothing)."""
    try:
        daemonsets = client.list(DAEMON_SET, namespace=CNI_NAMESPACE)
    except PermanentKubeError as exc:
        if exc.status in (401, 403):
            return "", CNI_REFUSED
        if exc.status == 404:  # apps/v1 not served: not a real API server's answer, nothing to recognise
            return "", ""
        raise
    return detect_cni(str((ds.get("metadata") or {}).get("name") or "") for ds in daemonsets), ""


def _probe_message(cluster: Cluster, values: dict) -> str:
    if cluster.is_gateway:
        if values["gateway_present"]:
            return ALL_PASSED
        return (
            f'Gateway "{cluster.gateway_namespace}/{cluster.gateway_name}" does not exist (or the Gateway API '
            "CRDs are not installed): no HTTPRoute of this cluster is served. Create the Gateway or set the "
            "cluster's Gateway to one listed by `kubectl get gateways -A`."
        )
    problems = []
    if not values["ingress_class_present"]:
        problems.append(
            f'IngressClass "{cluster.ingress_class}" is missing: no ingress controller will serve the '
            "routes. Install one (e.g. ingress-nginx) or set the cluster's ingress class."
        )
    if not values["cert_manager_present"]:
        problems.append(
            "cert-manager is not installed (no certificates.cert-manager.io CRD): TLS certificates will not be issued."
        )
    elif not values["issuer_present"]:
        problems.append(
            f'ClusterIssuer "{cluster.default_issuer}" does not exist: create it or change the '
            "cluster's default issuer."
        )
    return " ".join(problems) or ALL_PASSED
