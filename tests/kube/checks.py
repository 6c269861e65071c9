"""The checks and defaults every write passes: body, namespace, names, labels and annotations, Service defaults."""

import copy
import ipaddress
import re

from tests.kube.api_errors import ApiError
from tests.kube.resources import ResourceType
from tests.kube.selectors import label_key_error, label_value_error

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_RULES = {
    # (group, plural) -> (pattern, max length, the API server's explanation)
    ("", "services"): (
        _DNS1035_LABEL,
        63,
        (
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
            "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
            "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        ),
    ),
    ("", "namespaces"): (
        _DNS1123_LABEL,
        63,
        (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
            "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ),
    ),
}
_SUBDOMAIN_RULE = (
    _DNS1123_SUBDOMAIN,
    253,
    (
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ),
)


class WriteChecks:
    """Checks and defaults shared by `ObjectStore`'s writes."""

    def _existing(self, rtype: ResourceType, namespace: str | None, name: str) -> dict:
        current = self._current(rtype, namespace, name)
        if current is None:
            raise ApiError.not_found(rtype, name)
        return copy.deepcopy(current)

    def _namespace_missing(self, namespace: str | None) -> bool:
        return self._current(self.types[("", "v1", "namespaces")], None, namespace or "") is None

    def _checked_body(self, rtype: ResourceType, body: object) -> dict:
        if not isinstance(body, dict):
            raise ApiError.bad_request(f"the body of the request must be a {rtype.kind} object")
        obj = copy.deepcopy(body)
        if obj.get("apiVersion") not in (None, rtype.api_version):
            raise ApiError.bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match "
                f"the expected API version ({rtype.api_version})"
            )
        if obj.get("kind") not in (None, rtype.kind):
            raise ApiError.bad_request(
                f"the kind in the data ({obj['kind']}) does not match the expected kind ({rtype.kind})"
            )
        if not isinstance(obj.get("metadata", {}), dict):
            raise ApiError.bad_request("metadata must be an object")
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        return obj

    def _checked_namespace(self, rtype: ResourceType, namespace: str | None, meta: dict) -> str | None:
        if not rtype.namespaced:
            meta.pop("namespace", None)
            return None
        if namespace is None:
            namespace = meta.get("namespace")
            if not namespace:
                raise ApiError.bad_request("an empty namespace may not be set during creation")
        elif meta.get("namespace", namespace) != namespace:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace
        return namespace

    def _validate(self, rtype: ResourceType, obj: dict) -> None:
        meta = obj["metadata"]
        name = meta.get("name", "")
        causes: list[tuple[str, str]] = []
        pattern, max_length, explanation = _NAME_RULES.get((rtype.group, rtype.plural), _SUBDOMAIN_RULE)
        if len(name) > max_length:
            causes.append(("metadata.name", f'Invalid value: "{name}": must be no more than {max_length} characters'))
        elif not pattern.fullmatch(name):
            causes.append(("metadata.name", f'Invalid value: "{name}": {explanation}'))
        for key, value in (meta.get("labels") or {}).items():
            if not isinstance(value, str):
                raise ApiError.bad_request(
                    f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                    "ObjectMeta.metadata.labels of type string"
                )
            if (problem := label_key_error(key)) is not None:
                causes.append(("metadata.labels", f'Invalid value: "{key}": {problem}'))
            if (problem := label_value_error(value)) is not None:
                causes.append(("metadata.labels", f'Invalid value: "{value}": {problem}'))
        for key, value in (meta.get("annotations") or {}).items():
            if not isinstance(value, str):
                raise ApiError.bad_request(
                    f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                    "ObjectMeta.metadata.annotations of type string"
                )
            if (problem := label_key_error(key.lower())) is not None:
                causes.append(("metadata.annotations", f'Invalid value: "{key}": {problem}'))
        if causes:
            raise ApiError.invalid(rtype, name, causes)

    def _default(self, rtype: ResourceType, obj: dict, old: dict | None) -> None:
        """The few server-side defaults Portico's tests can observe."""
        if rtype.has_status and "status" not in obj and rtype.plural in {"services", "ingresses"} and rtype.builtin:
            obj["status"] = {"loadBalancer": {}}
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj.setdefault("status", {}).setdefault("phase", "Active")
        if (rtype.group, rtype.plural) == ("", "services"):
            self._default_service(obj.setdefault("spec", {}), ((old or {}).get("spec") or {}))

    def _default_service(self, spec: dict, old_spec: dict) -> None:
        service_type = spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if service_type != "ExternalName":
            if not spec.get("clusterIP"):
                # The clusterIP is allocated once and survives updates that do not mention it.
                spec["clusterIP"] = old_spec.get("clusterIP") or self._allocate_cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        if service_type in {"NodePort", "LoadBalancer"}:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        old_node_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in old_spec.get("ports") or []
            if isinstance(p, dict)
        }
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            port.setdefault("protocol", "TCP")
            if service_type != "ExternalName":
                port.setdefault("targetPort", port.get("port"))
            if service_type in {"NodePort", "LoadBalancer"} and not port.get("nodePort"):
                port["nodePort"] = (
                    old_node_ports.get((port.get("port"), port["protocol"])) or self._allocate_node_port()
                )

    def _allocate_cluster_ip(self) -> str:
        self._next_cluster_ip += 1
        return str(ipaddress.IPv4Address(self._next_cluster_ip))

    def _allocate_node_port(self) -> int:
        self._next_node_port += 1
        return self._next_node_port
