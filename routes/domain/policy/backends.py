"""Backends: the Service traffic goes to (existing, managed by Portico, or external), its ports, selector and type,
and what the team allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.names import PORT_NAME_RULE, is_iana_svc_name, is_label_key, is_label_value
from routes.domain.decimals import is_decimal
from routes.domain.policy.common import check_dns_label, quote
from routes.domain.policy.external import check_external_name
from routes.domain.values import (
    BACKEND_EXISTING,
    BACKEND_EXTERNAL,
    BACKEND_MANAGED,
    FORBIDDEN,
    SERVICE_TYPES,
    Backend,
    TeamPolicy,
    Violation,
)

PORT_RULE = f"use a number from 1 to 65535, or {PORT_NAME_RULE}"


def _port_reason(value: object, *, numeric_only: bool) -> str | None:
    """Why ``value`` is not a port, phrased to follow "it", or None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return "must be a number from 1 to 65535 or a port name"
    if isinstance(value, int):
        return None if 1 <= value <= 65535 else "must be between 1 and 65535"
    if is_decimal(value):
        return "is text; send it as a number, without quotes"
    if not value.isascii() and any(ch.isdigit() for ch in value):
        return "must be written with the digits 0 to 9"
    if numeric_only:
        return "must be a number from 1 to 65535, because Portico creates this Service and its ports are numbers"
    return None if is_iana_svc_name(value) else f"is not a valid port name; {PORT_RULE}"


def _check_port(field: str, what: str, value: object, *, numeric_only: bool, required: str) -> list[Violation]:
    if value is None or value == "":
        return [Violation(field, required)]
    reason = _port_reason(value, numeric_only=numeric_only)
    return [Violation(field, f"{what} {quote(value)} is not valid: it {reason}.")] if reason else []


def _selector_problem(selector: object) -> str | None:
    if not isinstance(selector, Mapping):
        return f'The selector must be a set of labels such as {{"app": "cart"}}, not {quote(selector)}.'
    for key, value in selector.items():
        if not is_label_key(key):
            return (
                f"Selector key {quote(key)} is not a valid label key: use at most 63 letters, digits, "
                '"-", "_" and "." starting and ending with a letter or digit, optionally after a DNS prefix and "/" '
                '(as in "app.kubernetes.io/name").'
            )
        if not is_label_value(value):
            return (
                f"Selector value {quote(value)} for {quote(key)} is not a valid label value: use at most 63 "
                'letters, digits, "-", "_" and ".", starting and ending with a letter or digit.'
            )
    return None


def check_backend(backend: Backend, team: TeamPolicy, cluster_namespaces: Iterable[str] = ()) -> list[Violation]:
    kind = backend.kind
    violations = check_dns_label("backend.service_name", "Service name", backend.service_name, letter_first=True)
    violations += _check_port(
        "backend.service_port",
        "Service port",
        backend.service_port,
        numeric_only=kind != BACKEND_EXISTING,
        required="Service port is required: the port of the Service that receives the traffic.",
    )
    if kind == BACKEND_MANAGED or backend.target_port not in (None, ""):
        violations += _check_port(
            "backend.target_port",
            "Target port",
            backend.target_port,
            numeric_only=False,
            required="A Service that Portico manages needs a target port: the port your pods listen on "
            "(a number, or the name of a container port).",
        )
    if kind == BACKEND_MANAGED:
        violations += _check_managed_backend(backend, team)
    elif kind == BACKEND_EXTERNAL:
        violations += _check_external_backend(backend, team, cluster_namespaces)
    return violations


def _check_managed_backend(backend: Backend, team: TeamPolicy) -> list[Violation]:
    violations = []
    if not backend.selector:
        violations.append(
            Violation(
                "backend.selector",
                "A Service that Portico manages needs a selector: the labels of the pods that receive the traffic, "
                'such as {"app": "cart"}. Pod IPs change whenever pods restart, so traffic must go through a selector.',
            )
        )
    elif problem := _selector_problem(backend.selector):
        violations.append(Violation("backend.selector", problem))
    violations += _check_service_type(backend.service_type, team)
    return violations


def _check_service_type(service_type: object, team: TeamPolicy) -> list[Violation]:
    if service_type in (None, "", "ClusterIP"):
        return []
    if service_type not in SERVICE_TYPES:
        return [
            Violation(
                "backend.service_type",
                f"Service type {quote(service_type)} is not supported: choose ClusterIP (reachable inside the "
                "cluster, exposed by the Ingress), NodePort or LoadBalancer. To reach a host outside the cluster, "
                "fill in the external name instead.",
            )
        ]
    if service_type == "NodePort" and not team.allow_node_port:
        return [
            Violation(
                "backend.service_type",
                f'Team "{team.slug}" may not use NodePort: it opens a port on every node of the cluster, '
                "bypassing the Ingress and its TLS. Use ClusterIP; the Ingress already exposes the route.",
                FORBIDDEN,
            )
        ]
    if service_type == "LoadBalancer" and not team.allow_load_balancer:
        return [
            Violation(
                "backend.service_type",
                f'Team "{team.slug}" may not use LoadBalancer: it provisions a separate cloud load balancer with '
                "its own public address and cost, outside the Ingress and its TLS. Use ClusterIP; the Ingress "
                "already exposes the route.",
                FORBIDDEN,
            )
        ]
    return []


def _check_external_backend(
    backend: Backend, team: TeamPolicy, cluster_namespaces: Iterable[str] = ()
) -> list[Violation]:
    violations = check_external_name(backend.external_name, cluster_namespaces=cluster_namespaces, team=team)
    if backend.selector:
        violations.append(
            Violation(
                "backend.selector",
                "An external backend has no selector: traffic goes to the external name through DNS. "
                "Remove the selector, or remove the external name to send traffic to pods.",
            )
        )
    if backend.service_type:
        violations.append(
            Violation(
                "backend.service_type",
                "An external backend always uses a Service of type ExternalName; leave the service type empty.",
            )
        )
    return violations
