"""Annotations other field managers added to Portico's objects that Portico removes (``routes.domain.policy.
annotations``: snippets, external authentication, middlewares); every other foreign field is only reported, by the
route's diagnostics (``routes.domain.managed_fields``, docs/architecture.md, "Clusters as they really are").

Why a merge patch and not an apply: server-side apply with force takes over the fields Portico sends and never
removes a field another manager owns, so removing by apply would take two writes (apply the annotation to own it,
then apply without it). A JSON merge patch that sets it to null removes it in one write, with the object's uid and
resourceVersion as preconditions, so an object changed since the sync's list is left for the next sync to judge.
"""

import logging

from clusters.kube import PermanentKubeError, kind_of
from clusters.models import Cluster
from core.audit import record
from routes.domain.managed_fields import dangerous_annotations, foreign_fields, mark_removed
from routes.models import Route

logger = logging.getLogger(__name__)


def remove_dangerous(target, cluster: Cluster, live: dict, route: Route | None) -> dict:
    """``live`` (one of Portico's objects as listed) without the dangerous annotations other managers added: the
    patched object, its summary saying what was removed; ``live`` itself when there was nothing to remove or the
    object changed since it was listed."""
    dangerous = dangerous_annotations(live)
    remove = getattr(target, "remove_annotations", None)
    if not dangerous or remove is None:  # a directory cluster has no other managers
        return live
    meta = live["metadata"]
    keys = sorted({f.annotation for f in dangerous})
    try:
        patched = remove(
            kind_of(live),
            meta["name"],
            meta.get("namespace"),
            keys,
            uid=meta.get("uid", ""),
            resource_version=meta.get("resourceVersion", ""),
        )
    except PermanentKubeError as exc:
        if exc.status not in (404, 409):
            raise
        logger.info("cluster=%s %s changed since the list; annotations left for the next sync", cluster.name, keys)
        return live
    mark_removed(patched, dangerous, foreign_fields(live))
    where = f"{live.get('kind')} {meta.get('namespace')}/{meta['name']}"
    removed = [{"annotation": f.annotation, "added_by": f.manager} for f in dangerous]
    record(
        None,
        "remove-annotations",
        route if route is not None else cluster,
        before={"object": where, "annotations": removed},
        team=route.team if route is not None else None,
    )
    logger.warning("cluster=%s removed %s from %s (added by other field managers)", cluster.name, keys, where)
    return patched
