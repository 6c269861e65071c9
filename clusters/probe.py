"""The cluster probe: is the API server reachable, which version is it, and is what the cluster's output needs
there (IngressClass, cert-manager and the default ClusterIssuer for Ingress output; the parent Gateway for
Gateway API output). The answer is stored on the cluster's row, for pages, the API, metrics and diagnostics."""

from typing import Any

from django.utils import timezone

from .kube import CLUSTER_ISSUER, CRD, GATEWAY, INGRESS_CLASS, KubeClient, PermanentKubeError, TransientKubeError
from .models import Cluster
from .targets import Target


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
                values["ingress_class_present"] = client.get(INGRESS_CLASS, cluster.ingress_class) is not None
                values["cert_manager_present"] = client.get(CRD, "certificates.cert-manager.io") is not None
                values["issuer_present"] = (
                    client.get(CLUSTER_ISSUER, cluster.default_issuer) is not None
                    if values["cert_manager_present"]
                    else False
                )
        values["health_message"] = _probe_message(cluster, values)
    except (TransientKubeError, PermanentKubeError) as exc:
        values.update(reachable=False, health_message=f"The API server did not answer: {exc.message}")
    Cluster.objects.filter(pk=cluster.pk).update(**values)
    cluster.refresh_from_db()
    return cluster


def _probe_message(cluster: Cluster, values: dict) -> str:
    if cluster.is_gateway:
        if values["gateway_present"]:
            return "All checks passed."
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
    return " ".join(problems) or "All checks passed."
