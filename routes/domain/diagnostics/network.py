"""Does a NetworkPolicy of the route's namespace keep the ingress controller away from the backend pods?

NetworkPolicies are additive: once any policy with policy type Ingress selects a pod, only traffic some selecting
policy's ingress rule admits reaches it. The step takes the policies whose pod selector certainly selects the
backend's pods (judged on the Service's selector: the pods carry at least those labels, see ``selectors``) and
asks whether any of their rules admits the controller on the target port:

- a rule without ``from`` admits every source; a peer with only a ``podSelector`` admits pods of the policy's
  own namespace; a ``namespaceSelector`` is judged on the namespace's name label (every namespace has
  ``kubernetes.io/metadata.name``), other labels cannot be told;
- where the controller runs comes from ``facts.Controller``: in the cluster (its namespace, and its pods'
  labels from its Service's selector), outside it (only an ``ipBlock`` can admit it; which addresses it connects
  from is not known, so an ipBlock other than everything cannot be told), or unknown (then only a rule admitting
  some other namespace, or an ipBlock, may admit it: a deny-all or same-namespace-only policy certainly blocks it).

A failure names the policies; undecidable rules give a warning, never a failure. When the cluster's CNI is known
not to enforce NetworkPolicy, a blocking policy is a warning that says so.
"""

from __future__ import annotations

from typing import Any

from routes.domain.diagnostics import texts_pitfalls as texts
from routes.domain.diagnostics.backend import as_number, service_port_entry
from routes.domain.diagnostics.facts import IN_CLUSTER, OUTSIDE, Controller
from routes.domain.diagnostics.selectors import NAMESPACE_NAME_LABEL, all_of, any_of, matches
from routes.domain.diagnostics.shared import (
    FAIL,
    NOT_OBSERVED,
    OK,
    SKIP,
    WARN,
    Context,
    Finding,
    get,
    service_name,
)
from routes.domain.status import Health


def network_policy_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    if o.network_policies is None:
        return Finding(SKIP, texts.NETPOL_NOT_READ)
    if o.service is None or get(o.service, "spec", "type") == "ExternalName":
        return Finding(SKIP, texts.NETPOL_NOT_READ)
    selector = get(o.service, "spec", "selector") or {}
    if not selector:
        return Finding(SKIP, texts.NETPOL_NO_SELECTOR.format(service=service_name(o)))
    ns = ctx.namespace
    selecting = [p for p in o.network_policies if _limits_ingress(p) and _selects(p, selector) is True]
    if not selecting:
        return Finding(OK, texts.NETPOL_NONE.format(ns=ns))
    controller = o.controller or Controller()
    entry = service_port_entry(o.service, o.service_port) or {}
    target = entry.get("targetPort", entry.get("port"))
    verdicts = {_name(p): admits(p, controller, target) for p in selecting}
    words = _controller_words(controller)
    admitting = [name for name, verdict in verdicts.items() if verdict is True]
    if admitting:
        return Finding(OK, texts.NETPOL_ADMITS.format(policies=", ".join(admitting), controller=words))
    undecided = [name for name, verdict in verdicts.items() if verdict is None]
    if undecided:
        return Finding(
            WARN,
            texts.NETPOL_UNDECIDED.format(policies=", ".join(undecided), controller=words),
            texts.NETPOL_UNDECIDED_FIX.format(ns=ns, first=undecided[0]),
        )
    blocking = sorted(verdicts)
    on_port = texts.NETPOL_ON_PORT.format(port=target) if target is not None else ""
    detail = texts.NETPOL_BLOCKS.format(policies=", ".join(blocking), controller=words, on_port=on_port)
    ports = texts.NETPOL_FIX_PORTS.format(port=target) if target is not None else ""
    fix_text = texts.NETPOL_BLOCKS_FIX_OUTSIDE if controller.location == OUTSIDE else texts.NETPOL_BLOCKS_FIX
    fix = fix_text.format(
        first=blocking[0], ns=ns, namespace=controller.namespace or "<controller namespace>", ports=ports
    )
    if controller.cni_enforces_policy is False:
        return Finding(WARN, detail + texts.NETPOL_NOT_ENFORCED.format(cni=controller.cni or "unknown"), fix)
    return Finding(FAIL, detail, fix, health=Health.DEGRADED, reason="NetworkPolicyBlocks")


def admits(policy: dict[str, Any], controller: Controller, target_port: int | str | None) -> bool | None:
    """Whether one of the policy's ingress rules admits the controller's traffic to ``target_port``."""
    namespace = get(policy, "metadata", "namespace") or ""
    rules = get(policy, "spec", "ingress") or []
    return any_of(
        all_of([_ports_admit(rule.get("ports") or [], target_port), _peers_admit(rule, controller, namespace)])
        for rule in rules
    )


def _limits_ingress(policy: dict[str, Any]) -> bool:
    """Policy types default to Ingress (plus Egress when the policy has egress rules)."""
    types = get(policy, "spec", "policyTypes")
    return not types or "Ingress" in types


def _selects(policy: dict[str, Any], pod_labels: dict[str, str]) -> bool | None:
    return matches(get(policy, "spec", "podSelector") or {}, pod_labels, complete=False)


def _name(policy: dict[str, Any]) -> str:
    return str(get(policy, "metadata", "name") or "<policy>")


def _ports_admit(ports: list[dict[str, Any]], target: int | str | None) -> bool | None:
    if not ports:
        return True
    return any_of(_port_admits(port, target) for port in ports)


def _port_admits(port: dict[str, Any], target: int | str | None) -> bool | None:
    if (port.get("protocol") or "TCP") != "TCP":
        return False
    allowed = port.get("port")
    if allowed is None:
        return True  # every port of the protocol
    wanted, number = as_number(target), as_number(allowed)
    if wanted is None or number is None:
        # A named port on one side and a number on the other: the pod's container ports decide.
        return True if allowed == target else None
    end = port.get("endPort") or number
    return number <= wanted <= end


def _peers_admit(rule: dict[str, Any], controller: Controller, namespace: str) -> bool | None:
    peers = rule.get("from") or []
    if not peers:
        return True
    return any_of(_peer_admits(peer, controller, namespace) for peer in peers)


def _peer_admits(peer: dict[str, Any], controller: Controller, namespace: str) -> bool | None:
    if "ipBlock" in peer:
        block = peer.get("ipBlock") or {}
        if block.get("cidr") in ("0.0.0.0/0", "::/0") and not block.get("except"):
            return True
        return None  # which address the controller connects from is not known here
    if controller.location == OUTSIDE:
        return False  # selectors pick pods; a controller outside the cluster is not a pod
    in_namespace = _namespace_matches(peer, controller, namespace)
    if controller.location != IN_CLUSTER:
        # Unknown: a controller in another namespace passes a namespaceSelector that may pick it, never a
        # same-namespace podSelector.
        return None if "namespaceSelector" in peer else False
    if in_namespace is False:
        return False
    pods = matches(peer.get("podSelector") or {}, controller.pod_labels, complete=False)
    return all_of([in_namespace, pods])


def _namespace_matches(peer: dict[str, Any], controller: Controller, namespace: str) -> bool | None:
    if "namespaceSelector" not in peer:
        return controller.namespace == namespace  # a podSelector alone picks pods of the policy's namespace
    labels = {NAMESPACE_NAME_LABEL: controller.namespace}
    return matches(peer.get("namespaceSelector") or {}, labels, complete=False)


def _controller_words(controller: Controller) -> str:
    if controller.location == IN_CLUSTER:
        return texts.CONTROLLER_IN.format(namespace=controller.namespace, service=controller.service)
    if controller.location == OUTSIDE:
        return texts.CONTROLLER_OUTSIDE_WORDS
    return texts.CONTROLLER_SOMEWHERE
