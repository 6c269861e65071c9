"""What a cluster is built from, recognised from what its API server shows: the ingress controller behind its
IngressClass (``spec.controller``) and the CNI plugin from kube-system's DaemonSets.

Pure (plain values in and out): the probe, the Cluster model, the pages and routes.domain (which options a
controller can honour, which paths it admits) share these names. docs/route-options.md lists the controllers.
"""

from __future__ import annotations

from collections.abc import Iterable

# Controller families: the kind of ingress controller, whose annotations and admission rules Portico knows.
INGRESS_NGINX = "ingress-nginx"
TRAEFIK = "traefik"
HAPROXY = "haproxy"
UNKNOWN_CONTROLLER = ""  # any other controller, or not known yet: Portico renders no controller-specific option

CONTROLLER_LABELS = {INGRESS_NGINX: "ingress-nginx", TRAEFIK: "Traefik", HAPROXY: "HAProxy Kubernetes Ingress"}

# IngressClass spec.controller values. ingress-nginx's and HAProxy's are the values their documentation and
# Helm charts set (their sources were not at hand here); Traefik's is the constant
# traefikDefaultIngressClassController in Traefik v3.6's pkg/provider/kubernetes/ingress/kubernetes.go.
_EXACT_CONTROLLERS = {"k8s.io/ingress-nginx": INGRESS_NGINX, "traefik.io/ingress-controller": TRAEFIK}
# HAProxy Technologies' controller appends its ingress class: "haproxy.org/ingress-controller/haproxy".
_PREFIX_CONTROLLERS = (("haproxy.org/ingress-controller", HAPROXY),)

# CNI plugins, recognised by the name of their node DaemonSet in kube-system.
CALICO = "calico"
CILIUM = "cilium"
FLANNEL = "flannel"
CANAL = "canal"  # Calico's policy engine on Flannel's network
UNKNOWN_CNI = ""

CNI_LABELS = {CALICO: "Calico", CILIUM: "Cilium", FLANNEL: "Flannel", CANAL: "Canal (Calico policy on Flannel)"}
# Flannel only connects pods: NetworkPolicy objects are accepted by the API server and then ignored.
ENFORCES_NETWORK_POLICY = {CALICO: True, CILIUM: True, CANAL: True, FLANNEL: False}

_CNI_DAEMONSETS = (("canal", CANAL), ("calico-node", CALICO), ("cilium", CILIUM), ("kube-flannel", FLANNEL))


def controller_family(controller: str) -> str:
    """The family of an IngressClass ``spec.controller`` value; UNKNOWN_CONTROLLER for any other controller."""
    controller = (controller or "").strip()
    if controller in _EXACT_CONTROLLERS:
        return _EXACT_CONTROLLERS[controller]
    for prefix, family in _PREFIX_CONTROLLERS:
        if controller == prefix or controller.startswith(prefix + "/"):
            return family
    return UNKNOWN_CONTROLLER


def controller_label(controller: str) -> str:
    """A controller in words: its family's name, or the raw ``spec.controller`` value of one Portico does not know."""
    family = controller_family(controller)
    return CONTROLLER_LABELS.get(family) or controller


def detect_cni(daemonset_names: Iterable[str]) -> str:
    """The CNI whose node DaemonSet is among ``daemonset_names`` (kube-system), UNKNOWN_CNI when none is.

    Canal's DaemonSet is "canal"; Calico's "calico-node"; Cilium's "cilium"; Flannel's "kube-flannel-ds" (older
    manifests "kube-flannel-ds-amd64" and similar). Calico beside Flannel is Canal installed in two parts.
    """
    found = set()
    for name in daemonset_names:
        for prefix, cni in _CNI_DAEMONSETS:
            if name == prefix or name.startswith(prefix + "-"):
                found.add(cni)
    if CANAL in found or {CALICO, FLANNEL} <= found:
        return CANAL
    for cni in (CALICO, CILIUM, FLANNEL):
        if cni in found:
            return cni
    return UNKNOWN_CNI


def enforces_network_policy(cni: str) -> bool | None:
    """Whether the CNI enforces NetworkPolicy: None when the CNI is not known."""
    return ENFORCES_NETWORK_POLICY.get(cni)
