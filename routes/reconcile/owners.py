"""Who owns what a sync found: objects of another cluster's routes (where clusters share a folder or an API
server) and objects two approved routes both render (docs/security.md, "One owner per object")."""

import uuid
from typing import cast

from django.db.models import F

from clusters.models import Cluster
from routes.adapters import route_target
from routes.domain import render
from routes.domain.policy.conflicts import owned_objects
from routes.domain.values import ClusterSettings
from routes.models import Route, RouteRevision

from .objects import held_message, route_label


def other_clusters_objects(cluster: Cluster, objects) -> dict[tuple, str]:
    """Of these objects Portico labelled, those another cluster's routes own, by key, with that cluster's name:
    the object's route is a live route of another cluster, or (a shared Certificate, which has no route label)
    a live route of another cluster uses its host in its namespace and no route of this cluster does.

    They are found where two clusters share one folder or one API server; pruning them would take another
    cluster's objects away (docs/security.md, "One owner per object")."""
    by_route, by_host = {}, {}
    for obj in objects:
        key, owner = render.object_key(obj), route_label(obj)
        if owner is not None:
            try:
                by_route[key] = uuid.UUID(owner)
            except (TypeError, ValueError, AttributeError):
                continue  # not a route id: nobody else's
        elif obj.get("kind") == "Certificate":
            for host in (obj.get("spec") or {}).get("dnsNames") or ():
                by_host[key] = (key[2], host)
    if not by_route and not by_host:
        return {}
    found = {}
    if by_route:
        elsewhere = dict(
            Route.objects.live()
            .filter(pk__in=set(by_route.values()))
            .exclude(cluster=cluster)
            .values_list("pk", "cluster__name")
        )
        found.update({key: elsewhere[pk] for key, pk in by_route.items() if pk in elsewhere})
    if by_host:
        served = RouteRevision.objects.filter(
            route__deleted_at__isnull=True,
            number=F("route__approved_revision"),
            host__in={host for _, host in by_host.values()},
            route__namespace__in={ns for ns, _ in by_host.values()},
        ).values_list("route__namespace", "host", "route__cluster_id", "route__cluster__name")
        here = {(ns, host) for ns, host, cluster_id, _ in served if cluster_id == cluster.pk}
        elsewhere = {(ns, host): name for ns, host, cluster_id, name in served if cluster_id != cluster.pk}
        found.update({key: elsewhere[pair] for key, pair in by_host.items() if pair in elsewhere and pair not in here})
    return found


def settle_contests(
    cluster: Cluster, active: list[Route], specs: dict, settings_: ClusterSettings, seen: dict, desired: dict
) -> dict[str, str]:
    """Objects two approved routes both render, which only routes stored before one owner per object was a rule
    can do (docs/security.md): the route whose label the live object carries keeps it (Portico never writes over
    another route's object), otherwise the one with the smallest id, as ``render.desired_objects`` chose. The
    keeper's object goes in ``desired``; returns ``{route id: why}`` for the others, which are reported Degraded."""
    claimants: dict[tuple, list[Route]] = {}
    for route in active:
        spec = specs[(route.pk, route.approved_revision)]
        for owned in owned_objects(route.name, route.namespace, spec, settings_.output):
            claimants.setdefault(owned, []).append(route)
    refused = {}
    for key, obj in desired.items():
        routes = claimants.get(key[1:], ())
        if len(routes) < 2:
            continue
        holder = route_label(seen.get(key) or {})
        keeper = next((r for r in routes if str(r.pk) == holder), min(routes, key=lambda r: str(r.pk)))
        if route_label(obj) != str(keeper.pk):
            # Contested objects come from active routes, which are approved.
            rendered = render.render_route(
                route_target(keeper, cast(int, keeper.approved_revision)),
                specs[(keeper.pk, keeper.approved_revision)],
                settings_,
            )
            desired[key] = next(o for o in rendered if render.object_key(o) == key)
        for route in routes:
            if route is not keeper:
                refused[str(route.pk)] = held_message(obj, keeper, cluster)
    return refused
