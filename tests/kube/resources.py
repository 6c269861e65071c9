"""The resource types the emulator serves, as the discovery endpoints describe them."""

import copy
from dataclasses import dataclass

# The verbs every emulated resource answers to (advertised in discovery, so clients may rely on them).
VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives in the API, what it is called, and how it behaves."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    # Built-in types come from kube-apiserver itself; the others are custom resources (from CRDs).
    # The difference is visible to clients: list items of built-in types carry no apiVersion/kind,
    # and custom resources refuse strategic merge patches (415).
    builtin: bool = True
    # With a status subresource, writes to the main endpoint leave `status` alone and vice versa.
    has_status: bool = True
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_resource(self) -> str:
        """The name used in the API server's messages: `services`, `ingresses.networking.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """The kind as validation messages spell it: `Service`, `Ingress.networking.k8s.io`."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The URL path of the collection, or of one object when `name` is given."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name is not None else base


def _custom(group: str, plural: str, kind: str, **kwargs) -> ResourceType:
    return ResourceType(group, "v1", plural, kind, builtin=False, **kwargs)


DEFAULT_RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",)),
    ResourceType("", "v1", "services", "Service", short_names=("svc",)),
    ResourceType("", "v1", "pods", "Pod", short_names=("po",)),
    ResourceType("", "v1", "endpoints", "Endpoints", has_status=False, short_names=("ep",)),
    ResourceType("", "v1", "secrets", "Secret", has_status=False),
    ResourceType("", "v1", "configmaps", "ConfigMap", has_status=False, short_names=("cm",)),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",)),
    ResourceType("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False, has_status=False),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", has_status=False),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
    ),
    _custom("cert-manager.io", "certificates", "Certificate", short_names=("cert", "certs")),
    _custom("cert-manager.io", "issuers", "Issuer"),
    _custom("cert-manager.io", "clusterissuers", "ClusterIssuer", namespaced=False),
    _custom("gateway.networking.k8s.io", "gateways", "Gateway", short_names=("gtw",)),
    _custom("gateway.networking.k8s.io", "httproutes", "HTTPRoute"),
    _custom("gateway.networking.k8s.io", "gatewayclasses", "GatewayClass", namespaced=False, short_names=("gc",)),
)


def resource_types_from_crd(crd: dict) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    if not spec.get("group") or not names.get("plural") or not names.get("kind"):
        return []
    subresources_of = {v.get("name"): (v.get("subresources") or {}) for v in spec.get("versions") or []}
    return [
        ResourceType(
            spec["group"],
            version["name"],
            names["plural"],
            names["kind"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            builtin=False,
            has_status="status" in subresources_of.get(version["name"], {}),
            short_names=tuple(names.get("shortNames") or ()),
        )
        for version in spec.get("versions") or []
        if version.get("name") and version.get("served", True)
    ]


def present(rtype: ResourceType, obj: dict) -> dict:
    """An object as the API serves it through `rtype` (its group, version and kind)."""
    shown = copy.deepcopy(obj)
    shown["apiVersion"] = rtype.api_version
    shown["kind"] = rtype.kind
    return shown
