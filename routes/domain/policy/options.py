"""Route options (force HTTPS, timeout, body size, source ranges): well-formed, within the team's limits, and
something the cluster's ingress controller, or Gateway API, can honour (docs/route-options.md).

An option the cluster cannot honour is refused rather than rendered as an annotation nothing reads: a developer
who asked for a source range and got an open route would be worse off than one told no.
"""

from __future__ import annotations

import ipaddress

from clusters.facts import CONTROLLER_LABELS, HAPROXY, INGRESS_NGINX, TRAEFIK
from routes.domain.policy.common import quote
from routes.domain.values import FORBIDDEN, OUTPUT_GATEWAY, RouteOptions, TeamPolicy, Violation

FORCE_HTTPS = "force_https"
TIMEOUT = "timeout_seconds"
BODY_SIZE = "max_body_size_mb"
SOURCE_RANGES = "source_ranges"
OPTION_NAMES = (FORCE_HTTPS, TIMEOUT, BODY_SIZE, SOURCE_RANGES)

OPTION_LABELS = {
    FORCE_HTTPS: "Force HTTPS",
    TIMEOUT: "Request timeout",
    BODY_SIZE: "Maximum body size",
    SOURCE_RANGES: "Allowed source ranges",
}

# Portico's own ceilings; a team's policy may set lower ones.
MAX_TIMEOUT_SECONDS = 3600
MAX_BODY_SIZE_MB = 10240
MAX_SOURCE_RANGES = 40

# Which options each output and controller family can honour, and why not where it cannot.
GATEWAY = "gateway"
SUPPORTED = {
    INGRESS_NGINX: frozenset(OPTION_NAMES),
    TRAEFIK: frozenset({FORCE_HTTPS, BODY_SIZE, SOURCE_RANGES}),
    HAPROXY: frozenset({FORCE_HTTPS, TIMEOUT, SOURCE_RANGES}),
    GATEWAY: frozenset({TIMEOUT}),
}
WHY_NOT = {
    (TRAEFIK, TIMEOUT): "Traefik has no per-route timeout: its timeouts belong to the entry point or to a "
    "ServersTransport that a platform engineer sets up",
    (HAPROXY, BODY_SIZE): "the HAProxy Kubernetes Ingress Controller has no per-Ingress body size annotation",
    (GATEWAY, FORCE_HTTPS): "an HTTPRoute cannot tell plain HTTP from HTTPS on the listeners it attaches to, so a "
    "redirect would loop on the HTTPS listener; the redirect belongs on the Gateway's HTTP listener, which a "
    "platform engineer sets up once for every route",
    (GATEWAY, BODY_SIZE): "Gateway API has no field for a request body limit",
    (GATEWAY, SOURCE_RANGES): "Gateway API has no field for client address ranges",
}


def scope_of(output: str, controller: str) -> str:
    """What renders the options: "gateway" for Gateway API output, otherwise the controller family ("" unknown)."""
    return GATEWAY if output == OUTPUT_GATEWAY else controller


def supported_options(output: str, controller: str) -> frozenset[str]:
    return SUPPORTED.get(scope_of(output, controller), frozenset())


def why_unsupported(option: str, output: str, controller: str) -> str:
    """Why the cluster cannot honour ``option``, phrased to follow "because"."""
    scope = scope_of(output, controller)
    if (scope, option) in WHY_NOT:
        return WHY_NOT[(scope, option)]
    if scope == "":
        return (
            "Portico does not know this cluster's ingress controller, so it cannot say it in the controller's own "
            "annotations (options are rendered for ingress-nginx, Traefik and HAProxy, and Gateway API)"
        )
    return f"{CONTROLLER_LABELS.get(scope, scope)} cannot honour it"


def check_options(options: RouteOptions, team: TeamPolicy, *, output: str, controller: str) -> list[Violation]:
    """Each option set: its value, the team's limit, and whether the cluster can honour it."""
    violations = [
        *_check_force_https(options.force_https),
        *_check_number(TIMEOUT, options.timeout_seconds, "seconds", MAX_TIMEOUT_SECONDS, team.max_timeout_seconds),
        *_check_number(BODY_SIZE, options.max_body_size_mb, "MiB", MAX_BODY_SIZE_MB, team.max_body_size_mb),
        *_check_source_ranges(options.source_ranges, team),
    ]
    invalid = {v.field for v in violations}
    supported = supported_options(output, controller)
    for name in OPTION_NAMES:
        field = f"options.{name}"
        if field in invalid or not _is_set(options, name) or name in supported:
            continue
        violations.append(
            Violation(
                field,
                f"{OPTION_LABELS[name]} cannot be set on this cluster: {why_unsupported(name, output, controller)}.",
                FORBIDDEN,
            )
        )
    return violations


def _is_set(options: RouteOptions, name: str) -> bool:
    value = getattr(options, name)
    return value not in (None, False, (), [])


def _check_force_https(value: object) -> list[Violation]:
    if isinstance(value, bool):
        return []
    return [Violation(f"options.{FORCE_HTTPS}", f"Force HTTPS must be true or false, not {quote(value)}.")]


def _check_number(name: str, value: object, unit: str, ceiling: int, team_limit: int | None) -> list[Violation]:
    field, label = f"options.{name}", OPTION_LABELS[name]
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [Violation(field, f"{label} must be a whole number of {unit}, not {quote(value)}.")]
    if not 1 <= value <= ceiling:
        return [Violation(field, f"{label} must be between 1 and {ceiling} {unit}; {value} is not.")]
    if team_limit is not None and value > team_limit:
        return [
            Violation(
                field,
                f"{label} of {value} {unit} is over your team's limit of {team_limit} {unit}; ask a platform "
                "engineer if the route really needs more.",
                FORBIDDEN,
            )
        ]
    return []


def _check_source_ranges(ranges: object, team: TeamPolicy) -> list[Violation]:
    field = f"options.{SOURCE_RANGES}"
    if not ranges:
        return []
    if not isinstance(ranges, (list, tuple)) or not all(isinstance(r, str) for r in ranges):
        return [Violation(field, 'Allowed source ranges must be a list of CIDRs such as "203.0.113.0/24".')]
    if not team.allow_source_ranges:
        return [
            Violation(
                field,
                "Your team's policy does not allow source ranges: the route is open to every client (a platform "
                "engineer can allow them for the team).",
                FORBIDDEN,
            )
        ]
    if len(ranges) > MAX_SOURCE_RANGES:
        return [Violation(field, f"At most {MAX_SOURCE_RANGES} source ranges; {len(ranges)} were given.")]
    problems = [problem for problem in map(_cidr_problem, ranges) if problem]
    if len(set(ranges)) != len(ranges):
        problems.append("each range may be listed once")
    if problems:
        return [Violation(field, "Allowed source ranges are not valid: " + "; ".join(problems) + ".")]
    return []


def _cidr_problem(text: str) -> str | None:
    """Why ``text`` is not a network in CIDR notation with its host bits clear, or None."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return f'{quote(text)} is not an address range such as "203.0.113.0/24" or "2001:db8::/32"'
    if "/" not in text:
        return f"{quote(text)} needs a prefix length: write {quote(str(network))}"
    if str(network) != text:
        return f"{quote(text)} has host bits set or is not written plainly: write {quote(str(network))}"
    return None
