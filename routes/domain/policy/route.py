"""Every field rule and the team's policy for one route request: plain values in, violations out.

The form, the API and the worker all call ``check_route``, so a route is judged the same way wherever it comes
from. Nothing here touches the ORM, the network or Django: callers gather the team's policy and the cluster's
namespaces and pass them in. Every broken rule becomes a ``Violation`` on a dotted field path with a message a
developer can act on; malformed input of any shape yields violations, never an exception. Conflicts with what
already lives on the cluster are ``routes.domain.policy.conflicts``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from routes.domain.decimals import parse_decimal
from routes.domain.policy.backends import check_backend
from routes.domain.policy.common import check_dns_label, quote
from routes.domain.policy.hosts import check_host
from routes.domain.policy.options import check_options
from routes.domain.policy.paths import check_path
from routes.domain.policy.team import check_namespace_allowed, check_team
from routes.domain.policy.tls import check_tls
from routes.domain.values import BACKEND_EXTERNAL, OUTPUT_GATEWAY, TLS, Backend, RouteSpec, TeamPolicy, Violation

_CLUSTER_NAME = re.compile(r"[-a-zA-Z0-9_]+")


def check_route(
    *,
    name: str,
    namespace: str,
    cluster: str,
    spec: RouteSpec,
    team: TeamPolicy,
    is_platform: bool,
    output: str = "ingress",
    controller: str = "",
    cluster_namespaces: Iterable[str] = (),
) -> list[Violation]:
    """Every field rule and the team's policy for one route; an empty list means the route may be requested.

    ``spec.host`` may be un-normalised: the normalised host is judged, the original is quoted in messages.
    Platform engineers act for the team, so its suffixes and namespaces still apply; only wildcards are theirs.
    ``cluster_namespaces`` are the namespaces known on the cluster (every team's), against which an external
    name is judged (``check_external_name``). ``controller`` is the cluster's ingress controller family
    (clusters.facts), whose admission rules a path must pass too.
    """
    namespace_violations = check_dns_label("namespace", "Namespace", namespace)
    cluster_violations = _check_cluster(cluster)
    violations = check_team(team) + check_dns_label("name", "Name", name) + namespace_violations + cluster_violations
    if not namespace_violations and not cluster_violations:
        violations += check_namespace_allowed(team, cluster, namespace)
    violations += check_host(spec.host, team, is_platform)
    violations += check_path(spec.path, spec.path_type, output=output, controller=controller)
    violations += check_backend(spec.backend or Backend(), team, cluster_namespaces)
    violations += check_tls(spec.tls or TLS(), team)
    violations += check_options(spec.options, team, output=output, controller=controller)
    if output == OUTPUT_GATEWAY:
        violations += _check_gateway_output(spec)
    return violations


def _check_gateway_output(spec: RouteSpec) -> list[Violation]:
    """What an HTTPRoute cannot express, said at request time instead of failing at apply time."""
    violations = []
    backend, tls = spec.backend or Backend(), spec.tls or TLS()
    if (
        backend.kind != BACKEND_EXTERNAL
        and isinstance(backend.service_port, str)
        and parse_decimal(backend.service_port) is None
    ):
        violations.append(
            Violation(
                "backend.service_port",
                f"This cluster routes through the Gateway API, whose backendRef takes a port number: use the number of "
                f"Service port {quote(backend.service_port)} instead of its name.",
            )
        )
    if tls.mode == "secret":
        violations.append(
            Violation(
                "tls.mode",
                "This cluster terminates TLS at its Gateway's listener, so a route cannot bring its own Secret: choose "
                '"cert-manager" (the Gateway\'s certificate) or "none".',
            )
        )
    return violations


def _check_cluster(cluster: object) -> list[Violation]:
    if cluster is None or cluster == "":
        return [Violation("cluster", "Cluster is required.")]
    if not isinstance(cluster, str) or not _CLUSTER_NAME.fullmatch(cluster):
        return [
            Violation(
                "cluster",
                f"Cluster {quote(cluster)} is not a valid cluster name: use the name shown on the clusters page "
                '(letters, digits, "-" and "_").',
            )
        ]
    return []
