"""Conflicts: what a route request clashes with on its cluster (names, host claims, paths, one owner per object).
Every violation has code ``conflict`` (the API answers 409)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from core.names import normalize_host
from routes.domain.policy.common import quote
from routes.domain.values import (
    CONFLICT,
    OUTPUT_GATEWAY,
    OUTPUT_INGRESS,
    Backend,
    ExistingRoute,
    ForeignIngressPath,
    OwnedObject,
    RouteSpec,
    Violation,
)


def check_conflicts(
    *,
    route_id: str | None,
    name: str,
    team: str,
    namespace: str,
    spec: RouteSpec,
    others: Iterable[ExistingRoute],
    claims: Mapping[str, str],
    foreign: Iterable[ForeignIngressPath],
    owned: Iterable[OwnedObject] = (),
    output: str = OUTPUT_INGRESS,
) -> list[Violation]:
    """Clashes with what already lives on the cluster; every violation has code ``conflict``.

    ``others`` are the other live routes on the same cluster (the route being edited, ``route_id``, is
    skipped), ``claims`` maps host to owning team slug, ``foreign`` lists host+paths of Ingresses Portico
    does not manage, ``owned`` the objects other live routes of the namespace own (or ask for) on the
    cluster, whose ``output`` names the route's own objects. Hosts are compared normalised, so case, a
    trailing dot or punycode cannot dodge a claim.
    """
    others = [other for other in others if route_id is None or str(other.id) != str(route_id)]
    host = normalize_host(spec.host)
    path = spec.path if isinstance(spec.path, str) else None
    violations = [
        Violation(
            "name",
            f'A route named "{other.name}" already exists in namespace "{other.namespace}" on this cluster '
            f'(team "{other.team}"); choose another name.',
            CONFLICT,
        )
        for other in others
        if other.namespace == namespace and other.name == name
    ]
    if host:
        violations += _claim_conflicts(host, spec.host, team, claims, others)
    if host and path is not None:
        violations += _path_conflicts(host, path, spec.path_type, others, foreign)
    violations += _ownership_conflicts(route_id, name, namespace, spec, owned, output)
    return violations


def owned_objects(
    name: str, namespace: str, spec: RouteSpec, output: str = OUTPUT_INGRESS
) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of every object route ``name`` alone owns, named as routes.domain.render names them: its
    Service when Portico manages one, and its Ingress (HTTPRoute for Gateway API output). Not the Certificate,
    which the routes on its host share."""
    owned: list[tuple[str, str, str]] = []
    if spec.backend.manages_service:
        owned.append(("Service", namespace, spec.backend.service_name_for(name) or name))
    owned.append(("HTTPRoute" if output == OUTPUT_GATEWAY else "Ingress", namespace, name))
    return owned


def _ownership_conflicts(
    route_id: str | None, name: str, namespace: str, spec: RouteSpec, owned: Iterable[OwnedObject], output: str
) -> list[Violation]:
    """An object this route would own already belongs to another route: one owner per object
    (docs/security.md, "One owner per object"). A clash of Ingress or HTTPRoute names is a clash of route
    names, which the name check reports."""
    mine = set(owned_objects(name, namespace, replace(spec, backend=spec.backend or Backend()), output))
    violations = []
    for other in owned:
        if route_id is not None and other.route_id == str(route_id):
            continue
        if (other.kind, other.namespace, other.name) not in mine or other.route_name == name:
            continue
        if other.used:
            # Creating the Service another route sends traffic to would decide where that route's traffic goes
            # (and deleting this route would remove it): a team sharing the namespace could capture it.
            violations.append(
                Violation(
                    "backend.service_name",
                    f'Route "{other.namespace}/{other.route_name}" of team "{other.team}" sends traffic to Service '
                    f'"{other.namespace}/{other.name}" as an existing Service, so Portico will not manage a Service of '
                    "that name for another route: it would decide where that route's traffic goes. Choose another "
                    "Service name, or send traffic to that Service as an existing Service too.",
                    CONFLICT,
                )
            )
            continue
        state = "asked for by the pending revision of" if other.pending else "managed by"
        violations.append(
            Violation(
                "backend.service_name" if other.kind == "Service" else "name",
                f'{other.kind} "{other.namespace}/{other.name}" is {state} route "{other.namespace}/{other.route_name}" '
                f'of team "{other.team}", and an object on the cluster belongs to one route. Choose another Service name, '
                "or send traffic to that Service as an existing Service (leave the selector, target port, service type "
                "and external name empty).",
                CONFLICT,
            )
        )
    return violations


def _covers(wildcard: str, host: str) -> bool:
    """True when ``wildcard`` ("*.example.com") matches ``host`` one label under it ("a.example.com")."""
    if not wildcard.startswith("*."):
        return False
    return host.partition(".")[2] == wildcard[2:]


def _hosts_overlap(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or _covers(a, b) or _covers(b, a))


def _claim_conflicts(
    host: str, raw_host: str, team: str, claims: Mapping[str, str], others: list[ExistingRoute]
) -> list[Violation]:
    """Another team owns this host: by a claim, or by a live route (claims are written on approval)."""
    shown = quote(raw_host.strip())
    owners: dict[str, str] = {}  # owning team -> the claimed host that covers ours
    for claimed, owner in claims.items():
        claimed = normalize_host(claimed)
        if owner != team and owner not in owners and _hosts_overlap(host, claimed):
            owners[owner] = claimed
    violations = [
        Violation(
            "host",
            f'{_overlap_subject(shown, host, claimed)} claimed by team "{owner}"; only that team can add routes '
            "there. Ask them to add your path, or ask a platform engineer to release the claim.",
            CONFLICT,
        )
        for owner, claimed in owners.items()
    ]
    for other in others:
        other_host = normalize_host(other.host)
        if other.team != team and other.team not in owners and _hosts_overlap(host, other_host):
            owners[other.team] = other_host
            violations.append(
                Violation(
                    "host",
                    f'{_overlap_subject(shown, host, other_host)} already used by team "{other.team}" '
                    f'(route "{other.namespace}/{other.name}"); '
                    "a host belongs to one team, so ask them to add your path.",
                    CONFLICT,
                )
            )
    return violations


def _overlap_subject(shown: str, host: str, taken: str) -> str:
    """How the requested host meets a taken one, as the start of a sentence ending in "... by team X"."""
    if taken == host:
        return f"Host {shown} is"
    if _covers(taken, host):
        return f'Host {shown} falls under "{taken}", which is'
    return f'Wildcard host {shown} would cover "{taken}", which is'


def _path_key(path: str, path_type: object) -> str:
    """Paths that route the same requests compare equal: a Prefix path ignores its trailing "/"."""
    return (path.rstrip("/") or "/") if path_type != "Exact" else path


def _path_conflicts(
    host: str, path: str, path_type: object, others: list[ExistingRoute], foreign: Iterable[ForeignIngressPath]
) -> list[Violation]:
    key = _path_key(path, path_type)
    violations = [
        Violation(
            "path",
            f'Route "{other.namespace}/{other.name}" of team "{other.team}" already serves {other.path_type} path '
            f'"{other.path}" on host "{host}"; choose another path or change that route.',
            CONFLICT,
        )
        for other in others
        if other.path_type == path_type
        and normalize_host(other.host) == host
        and _path_key(other.path, other.path_type) == key
    ]
    # A foreign Ingress's path type was not recorded, so compare both sides the Prefix way.
    prefix_key = _path_key(path, "Prefix")
    violations += [
        Violation(
            "path",
            f'Ingress "{ingress.namespace}/{ingress.name}", which Portico does not manage, already serves path '
            f'"{ingress.path}" on host "{host}"; remove that rule first, or import the Ingress into Portico.',
            CONFLICT,
        )
        for ingress in foreign
        if normalize_host(ingress.host) == host and _path_key(ingress.path or "/", "Prefix") == prefix_key
    ]
    return violations
