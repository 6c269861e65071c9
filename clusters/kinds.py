"""The kinds Portico reads and writes, each with its API path, and which of them a cluster's output manages.
Plain values (no client): ``clusters.kube`` re-exports them for its callers."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def base(self) -> str:
        return "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        path = self.base
        if self.namespaced and namespace:
            path += f"/namespaces/{namespace}"
        path += f"/{self.plural}"
        return f"{path}/{name}" if name else path


SERVICE = Kind("v1", "Service", "services")
INGRESS = Kind("networking.k8s.io/v1", "Ingress", "ingresses")
CERTIFICATE = Kind("cert-manager.io/v1", "Certificate", "certificates")
ENDPOINT_SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice", "endpointslices")
INGRESS_CLASS = Kind("networking.k8s.io/v1", "IngressClass", "ingressclasses", namespaced=False)
CLUSTER_ISSUER = Kind("cert-manager.io/v1", "ClusterIssuer", "clusterissuers", namespaced=False)
CRD = Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", namespaced=False)
HTTP_ROUTE = Kind("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes")
GATEWAY = Kind("gateway.networking.k8s.io/v1", "Gateway", "gateways")
DAEMON_SET = Kind("apps/v1", "DaemonSet", "daemonsets")  # the probe reads kube-system's, to tell the CNI
# Route options on Traefik clusters. Not among MANAGED_KINDS: a sync lists none (clusters without Traefik's CRDs
# would answer 404); the route's own reconcile applies, reads back and removes them.
MIDDLEWARE = Kind("traefik.io/v1alpha1", "Middleware", "middlewares")
# Read by the diagnostics only (routes.reconcile.surroundings), namespace by namespace.
NETWORK_POLICY = Kind("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies")
SECRET = Kind("v1", "Secret", "secrets")
KINDS = {
    (k.api_version, k.kind): k
    for k in (
        SERVICE,
        INGRESS,
        CERTIFICATE,
        ENDPOINT_SLICE,
        INGRESS_CLASS,
        CLUSTER_ISSUER,
        CRD,
        HTTP_ROUTE,
        GATEWAY,
        DAEMON_SET,
        MIDDLEWARE,
        NETWORK_POLICY,
        SECRET,
    )
}
# The kinds Portico writes, in the order they are applied (a Service before the Ingress that points at it).
MANAGED_KINDS = (SERVICE, INGRESS, CERTIFICATE)
# Per cluster output: Gateway API clusters get an HTTPRoute instead of an Ingress, and no Certificate (the
# Gateway's listener terminates TLS).
MANAGED_KINDS_BY_OUTPUT = {"ingress": MANAGED_KINDS, "gateway": (SERVICE, HTTP_ROUTE)}


def kind_of(obj: dict) -> Kind:
    return KINDS[(obj["apiVersion"], obj["kind"])]
