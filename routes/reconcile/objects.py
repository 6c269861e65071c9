"""Shared by every step of the pipeline: what on a cluster is Portico's (its labels), which route owns
it, and whether a live object already matches the desired one (so an unchanged object costs no write)."""

import uuid

from clusters.kube import PermanentKubeError, kind_of
from clusters.models import Cluster
from routes.adapters import revision_spec
from routes.domain import render
from routes.domain.policy.conflicts import owned_objects
from routes.models import Route


def is_ours(obj: dict | None) -> bool:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(render.MANAGED_BY_LABEL) == render.MANAGED_BY


def _hash_of(obj: dict | None) -> str | None:
    return (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(render.SPEC_HASH_ANNOTATION)


# Lists the API server merges item by item in server-side apply (`x-kubernetes-list-type: map` in the Kubernetes
# OpenAPI schema), by kind and path, with their keys and the keys' defaults. An item another field manager added
# (a mesh's metrics port) survives Portico's forced apply, which never removes what Portico does not own, so it
# is not drift: re-applying would change nothing (docs/reliability.md, "On a real API server"). Every other list
# Portico writes (Ingress rules, paths and tls, Certificate dnsNames, HTTPRoute rules) is atomic: an apply
# replaces it whole, so any difference there is drift.
MERGED_LISTS = {
    ("Service", ("spec", "ports")): (("port", None), ("protocol", "TCP")),
}


def _contains(live, desired, merged: dict | None = None, path: tuple = ()) -> bool:
    """Everything we set is still there with our values (the server may add defaults and status, and other
    managers may add items to the lists of ``merged``, by path: those are theirs)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            k in live and _contains(live[k], v, merged, (*path, k)) for k, v in desired.items()
        )
    if isinstance(desired, list):
        if not isinstance(live, list):
            return False
        keys = (merged or {}).get(path)
        if keys is None:
            return len(live) == len(desired) and all(map(_contains, live, desired))
        return all(any(_same_item(have, want, keys) and _contains(have, want) for have in live) for want in desired)
    return live == desired


def _same_item(have, want: dict, keys) -> bool:
    """The two items of a merged list have the same key (each key field, or its default when absent)."""
    return isinstance(have, dict) and all(have.get(name, default) == want.get(name, default) for name, default in keys)


def in_sync(live: dict | None, desired: dict) -> bool:
    """Unchanged: same spec-hash (our last write was this revision) and nobody changed what we own since.
    The hash alone would miss an out-of-band edit, which leaves our annotation in place."""
    merged = {path: keys for (kind, path), keys in MERGED_LISTS.items() if kind == desired.get("kind")}
    return live is not None and _hash_of(live) == _hash_of(desired) and _contains(live, desired, merged)


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def route_label(obj: dict) -> str | None:
    return _labels(obj).get(render.ROUTE_LABEL)


def kind_key(kind, name: str, namespace: str | None):
    return (kind.api_version, kind.kind, namespace or "", name)


def delete_if_ours(target, obj: dict) -> bool:
    """Delete the live object ``obj`` names only when it is this route's (or, for a shared Certificate, this
    host's): same route (host) label, and on Kubernetes only the very object read here, by its uid."""
    kind = kind_of(obj)
    meta = obj["metadata"]
    current = target.get(kind, meta["name"], meta.get("namespace"))
    if current is None or not _same_owner(current, obj):
        return False
    return target.delete(kind, meta["name"], meta.get("namespace"), uid=uid_of(current))


def _same_owner(live: dict, desired: dict) -> bool:
    """``live`` is Portico's and belongs to the route (or host) ``desired`` was rendered for
    (docs/security.md, "One owner per object")."""
    if not is_ours(live):
        return False
    owner = route_label(desired)
    if owner is not None:
        return route_label(live) == owner
    host = _labels(desired).get(render.HOST_LABEL)
    return host is not None and _labels(live).get(render.HOST_LABEL) == host


def held_by_other_route(live: dict | None, desired: dict) -> Route | None:
    """The other live route whose object ``live`` is, when ``desired`` (a route's own object) may not be applied
    over it: ``live`` carries that route's label and its approved or applied revision still renders an object of
    that kind and name. An object whose route is gone, or no longer wants it, is a leftover and may be taken
    over. Shared Certificates are a host's, not a route's, and never held this way (docs/security.md, "One
    owner per object")."""
    mine, holder = route_label(desired), route_label(live or {})
    if live is None or mine is None or holder in (None, mine) or not is_ours(live):
        return None
    try:
        holder_id = uuid.UUID(holder)
    except (TypeError, ValueError, AttributeError):
        return None
    route = Route.objects.live().filter(pk=holder_id).select_related("team", "cluster").first()
    if route is None:
        return None
    wanted = (desired["kind"], desired["metadata"].get("namespace"), desired["metadata"]["name"])
    output = route.cluster.output
    for rev in route.revisions.filter(number__in={route.approved_revision, route.applied_revision} - {None}):
        if wanted in owned_objects(route.name, route.namespace, revision_spec(rev), output):
            return route
    return None


def held_message(obj: dict, holder: Route, cluster: Cluster) -> str:
    meta = obj["metadata"]
    where = "" if holder.cluster_id == cluster.pk else f" on cluster {holder.cluster.name}"
    return (
        f'{obj["kind"]} {meta.get("namespace")}/{meta["name"]} belongs to route "{holder.namespace}/{holder.name}" '
        f'of team "{holder.team.slug}"{where}; Portico will not change another route\'s object. Give this route '
        "its own object (another Service name), or send traffic to that Service as an existing Service."
    )


def uid_of(obj: dict) -> str | None:
    return (obj.get("metadata") or {}).get("uid")


def not_served(exc: PermanentKubeError) -> bool:
    """The API server does not serve the resource type at all (its CRD is not installed): a 404 that names no
    object or namespace. A 404 for a missing namespace says ``namespaces "x" not found``."""
    return exc.status == 404 and " not found" not in exc.detail
