"""A sync's drift repair of one object, made safe against the workers that apply routes meanwhile."""

from django.db import transaction

from clusters.kube import ReplacedObjectError, kind_of
from clusters.models import Cluster
from routes.models import Route

from .objects import held_by_other_route, held_message, in_sync, is_ours, uid_of


def repair(target, obj: dict, route: Route | None, cluster: Cluster) -> dict | None:
    """Re-apply an object that looked drifted in the sync's list; returns what was written, or None.

    The list was made before the database snapshot, so another worker may have applied a newer revision
    since (the object only looks drifted), or may apply one now. Under the route's row lock (skipped if that
    worker holds it), and only while the route is still at the revisions of our snapshot, read the object
    again and write it only if it really differs: never twice, never an older revision over a newer one."""
    kind = kind_of(obj)
    meta = obj["metadata"]
    with transaction.atomic():
        if route is not None and not list(
            Route.objects.select_for_update(skip_locked=True)
            .filter(
                pk=route.pk,
                approved_revision=route.approved_revision,
                applied_revision=route.applied_revision,
                deletion_requested_at__isnull=True,
            )
            .values_list("pk", flat=True)
        ):
            return None
        current = target.get(kind, meta["name"], meta.get("namespace"))
        if current is not None and not is_ours(current):
            # Lists by our label miss such an object (a Certificate someone re-created under our name).
            raise ForeignObjectError(not_ours_message(obj))
        holder = held_by_other_route(current, obj)
        if holder is not None:
            raise ForeignObjectError(held_message(obj, holder, cluster))
        if in_sync(current, obj):
            return None
        try:
            return target.apply(obj, uid=uid_of(current) if current is not None else None)
        except ReplacedObjectError as exc:
            raise ForeignObjectError(exc.message) from exc


class ForeignObjectError(Exception):
    """A desired object's name is taken on the cluster by an object Portico does not manage, or by another
    route's object."""


def not_ours_message(obj: dict) -> str:
    meta = obj["metadata"]
    return (
        f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']} exists and is not managed by Portico; "
        "Portico will not change it."
    )
