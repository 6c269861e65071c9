"""One route: bring its objects to the approved revision (server-side apply), prune what the previous revision
had and this one has not, or remove them all when deletion was requested; then observe and record status."""

import contextlib
import enum
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clusters import services as cluster_services
from clusters.directory import FolderError
from clusters.kube import CERTIFICATE, PermanentKubeError, TransientKubeError, kind_of
from clusters.models import Cluster
from clusters.targets import open_target
from core.audit import record
from routes.adapters import cluster_settings, revision_spec, route_target, team_policy
from routes.checks import cluster_namespaces
from routes.choices import HealthChoices, SyncChoices
from routes.domain import render
from routes.domain.diagnostics.evaluate import evaluate
from routes.domain.policy.external import check_external_name
from routes.domain.validation import validate_objects
from routes.domain.values import BACKEND_EXTERNAL, ClusterSettings, RouteSpec
from routes.models import Route, RouteRevision

from .objects import (
    delete_if_ours,
    held_by_other_route,
    held_message,
    in_sync,
    is_ours,
    kind_key,
    not_served,
    uid_of,
)
from .observe import observe_one
from .snapshot import Listed
from .status import evaluate_failure, refused_condition, save_status, transient_condition
from .tls_secrets import remove_left_behind, still_named

logger = logging.getLogger(__name__)


class Result(enum.Enum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    DEGRADED = "degraded"
    SKIPPED = "skipped"
    GONE = "gone"


def reconcile_route(route_id, *, listed: Listed | None = None, target=None) -> Result:
    """Bring one route's objects to its approved revision, or remove them when deletion was requested.

    Holds the route's row lock while it works, so two workers never apply the same route at once.
    Permanent API errors mark the route Degraded with the server's message; transient ones are
    recorded as a condition and re-raised for the task to retry. A cluster sync passes what it
    listed (`listed`), so its routes cost their writes, not a read per object, and its open connection
    (`target`), so they do not each decrypt the kubeconfig and open a new one.
    """
    transient = None
    with transaction.atomic():
        route = (
            Route.objects.select_for_update(of=("self",)).select_related("team", "cluster").filter(pk=route_id).first()
        )
        if route is None or route.deleted_at is not None:
            return Result.GONE
        if route.deletion_requested_at is None and route.approved_revision is None:
            return Result.SKIPPED
        if route.deletion_requested_at is None and route.applied_revision == route.approved_revision:
            listed = None  # another worker settled it since the caller listed: those objects are older than this row
        cluster = route.cluster
        try:
            with open_target(cluster) if target is None else contextlib.nullcontext(target) as client:
                if route.deletion_requested_at is not None:
                    _remove_route(route, client)
                    return Result.DELETED
                return _apply_route(route, cluster, client, listed)
        except TransientKubeError as exc:
            save_status(route, transient_condition(route, exc))
            transient = exc
        except FolderError as exc:
            save_status(route, refused_condition(route, f"The cluster's folder is refused: {exc}"))
            return Result.DEGRADED
    raise transient


def _approved(route: Route) -> int:
    """The approved revision of a route being applied (the worker applies approved routes only)."""
    if route.approved_revision is None:
        raise ValueError(f"Route {route.pk} has no approved revision to apply.")
    return route.approved_revision


def _approved_group(route: Route) -> list[tuple]:
    """(target, spec) of every approved, live route sharing this route's namespace and host, this one included,
    so the shared Certificate comes out exactly as a cluster sync would render it."""
    revisions = (
        RouteRevision.objects.filter(
            route__cluster=route.cluster,
            route__namespace=route.namespace,
            route__deleted_at__isnull=True,
            route__deletion_requested_at__isnull=True,
            number=F("route__approved_revision"),
        )
        .filter(Q(host=route.revision_obj(_approved(route)).host) | Q(route=route))
        .select_related("route__team")
    )
    return [(route_target(rev.route, rev.number), revision_spec(rev)) for rev in revisions]


def _desired_for(route: Route, spec: RouteSpec, settings_: ClusterSettings, listed: Listed | None) -> list[dict]:
    """This route's own objects plus the Certificate for its host, in apply order."""
    objects = render.render_route(route_target(route, _approved(route)), spec, settings_)
    cert_key = kind_key(CERTIFICATE, render.certificate_name(spec.host), route.namespace)
    if not render.uses_certificate(spec, settings_) or route.cluster.cert_manager_present is False:
        pass  # no Certificate; without cert-manager nothing would issue it, the certificate step says so
    elif listed is not None and cert_key in listed.desired:
        objects.append(listed.desired[cert_key])
    else:
        group = render.desired_objects(_approved_group(route), settings_)
        objects += [
            o
            for o in group
            if o["kind"] == "Certificate"
            and o["metadata"]["namespace"] == route.namespace
            and o["spec"]["dnsNames"] == [spec.host]
        ]
    return objects


def refused_publication(route: Route, spec: RouteSpec, namespaces: frozenset[str] | None = None) -> str | None:
    """Why policy no longer lets this approved spec publish what it names (an ExternalName into the cluster,
    approved before the rule existed), or None. The worker asks before every apply and sync, so such a revision
    is never written, and a written one is pruned (docs/security.md, "What a route may publish").
    ``namespaces``: the cluster's known namespaces, when the caller has them already."""
    if spec.backend is None or spec.backend.kind != BACKEND_EXTERNAL:
        return None
    if namespaces is None:
        namespaces = cluster_namespaces(route.cluster, spec)
    violations = check_external_name(
        spec.backend.external_name, cluster_namespaces=namespaces, team=team_policy(route.team, namespaces=())
    )  # judged: its external domains
    return " ".join(v.message for v in violations) or None


def _write(target, obj: dict, current: dict | None, cluster: Cluster) -> dict | None:
    """Server-side apply one object; None for a Certificate on a cluster that turns out not to serve the kind
    (cert-manager is not installed): the rest of the route is applied, and its certificate step says so."""
    try:
        return target.apply(obj, uid=uid_of(current) if current is not None else None)
    except PermanentKubeError as exc:
        if kind_of(obj) is CERTIFICATE and not_served(exc):
            cluster_services.record_cert_manager(cluster, present=False)
            return None
        raise


def _apply_route(route: Route, cluster: Cluster, target, listed: Listed | None = None) -> Result:
    spec = revision_spec(route.revision_obj(_approved(route)))
    if refused := refused_publication(route, spec):
        save_status(route, evaluate_failure(route, spec, "Not applied: " + refused))
        return Result.DEGRADED
    try:
        live, wrote = apply_objects(route, cluster, spec, target, listed)
    except NotApplied as exc:
        save_status(route, evaluate_failure(route, spec, exc.message))
        return Result.DEGRADED
    except PermanentKubeError as exc:
        save_status(route, evaluate_failure(route, spec, exc.explanation))
        return Result.DEGRADED
    previous = route.applied_revision
    route.applied_revision = route.approved_revision
    route.reconcile_attempts = 0
    route.save(update_fields=["applied_revision", "reconcile_attempts", "updated_at"])
    if previous != route.applied_revision:
        # One event per revision that reaches the cluster; drift repairs of the same revision are not news.
        record(
            None,
            "apply",
            route,
            before={"applied_revision": previous},
            after={"applied_revision": route.applied_revision, "cluster": cluster.name},
            team=route.team,
        )
    observed = observe_one(route, cluster, spec, target, live, listed)
    save_status(route, evaluate(observed, previous_conditions=route.conditions, now=timezone.now()))
    logger.info(
        "route=%s cluster=%s revision=%s %s",
        route.pk,
        cluster.name,
        route.applied_revision,
        "applied" if wrote else "unchanged",
    )
    return Result.APPLIED if wrote else Result.UNCHANGED


class NotApplied(Exception):
    """A route's objects were not applied, for a reason the route's condition states (``message``)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def apply_objects(
    route: Route, cluster: Cluster, spec: RouteSpec, target, listed: Listed | None
) -> tuple[dict[tuple, dict], bool]:
    """Validate the route's objects at its approved revision and server-side apply those that differ from what is
    live, then prune what its previous revision had and this one has not. Returns (live objects by key, whether
    anything was written). Raises NotApplied (invalid objects, a foreign object or another route's under one of
    its names) and the client's errors. Shared by ``reconcile_route`` and the sync's batches (``batch``)."""
    settings_ = cluster_settings(cluster)
    desired = _desired_for(route, spec, settings_, listed)
    errors = validate_objects(desired, cluster.kubernetes_minor)
    if errors:
        raise NotApplied("Rendered objects are invalid: " + "; ".join(errors))
    live: dict[tuple, dict] = {}
    wrote = False
    for obj in desired:
        kind = kind_of(obj)
        meta = obj["metadata"]
        current = (
            listed.get(target, kind, meta["name"], meta.get("namespace"))
            if listed is not None
            else target.get(kind, meta["name"], meta.get("namespace"))
        )
        if current is not None and not is_ours(current):
            raise NotApplied(
                f"{obj['kind']} {meta.get('namespace')}/{meta['name']} already exists and is not managed by "
                "Portico; Portico will not change it. Rename the route or remove that object."
            )
        holder = held_by_other_route(current, obj)
        if holder is not None:
            raise NotApplied(held_message(obj, holder, cluster))
        if current is not None and in_sync(current, obj):
            live[render.object_key(obj)] = current
            continue
        written = _write(target, obj, current, cluster)
        if written is None:
            continue
        live[render.object_key(obj)] = written
        if listed is not None:
            listed.objects[render.object_key(obj)] = live[render.object_key(obj)]
        wrote = True
    if route.applied_revision is not None and route.applied_revision != route.approved_revision:
        wrote |= _prune_previous(route, settings_, desired, target)
    return live, wrote


def _prune_previous(route: Route, settings_: ClusterSettings, desired: list[dict], target) -> bool:
    """Delete what the previously applied revision created and the new one no longer wants (a renamed
    Service, a managed Service dropped for an existing one, the Certificate of a host no longer used)."""
    applied = route.applied_revision
    if applied is None:
        return False
    try:
        previous_rev = route.revision_obj(applied)
    except RouteRevision.DoesNotExist:
        return False
    previous_spec = revision_spec(previous_rev)
    previous = _own_objects(route, applied, previous_spec, settings_)
    wanted = {render.object_key(o) for o in desired}
    deleted = False
    for obj in previous:
        if render.object_key(obj) in wanted:
            continue
        if delete_if_ours(target, obj):
            deleted = True
            if obj["kind"] == "Certificate":  # and the TLS Secret cert-manager leaves behind
                remove_left_behind(target, route.cluster, obj, route, still_named(desired))
    return deleted


def _own_objects(route: Route, number: int, spec: RouteSpec, settings_: ClusterSettings) -> list[dict]:
    """What revision ``number`` put on the cluster for this route alone: its objects, and its host's Certificate
    unless another live, approved route still uses it."""
    return [
        obj
        for obj in render.route_objects(route_target(route, number), spec, settings_)
        if obj["kind"] != "Certificate" or not _host_still_served(route, spec.host)
    ]


def _host_still_served(route: Route, host: str) -> bool:
    """Another live, approved route still uses a Certificate for this host in this namespace."""
    return (
        RouteRevision.objects.filter(
            route__cluster=route.cluster,
            route__namespace=route.namespace,
            route__deleted_at__isnull=True,
            route__deletion_requested_at__isnull=True,
            number=F("route__approved_revision"),
            host=host,
            spec__tls__mode="cert-manager",
        )
        .exclude(route=route)
        .exists()
    )


def _remove_route(route: Route, target) -> None:
    """Delete every object the route put on the cluster (the shared Certificate only when no other route
    on that host needs it), then keep the route as deleted in history. The host claim stays."""
    settings_ = cluster_settings(route.cluster)
    revisions = {n for n in (route.applied_revision, route.approved_revision) if n}
    for number in sorted(revisions):
        spec = revision_spec(route.revision_obj(number))
        for obj in _own_objects(route, number, spec, settings_):
            if delete_if_ours(target, obj) and obj["kind"] == "Certificate":
                remove_left_behind(target, route.cluster, obj, route)
    now = timezone.now()
    Route.objects.filter(pk=route.pk).update(
        deleted_at=now,
        sync=SyncChoices.SYNCED,
        health=HealthChoices.MISSING,
        last_synced_at=now,
        updated_at=now,
        conditions=[
            {
                "type": "Deleted",
                "status": "True",
                "reason": "Removed",
                "message": "The route's objects were removed from the cluster.",
                "last_transition_time": now.isoformat(),
            }
        ],
    )
    record(
        None,
        "remove",
        route,
        before={"applied_revision": route.applied_revision, "cluster": route.cluster.name},
        team=route.team,
    )
    logger.info("route=%s cluster=%s deleted", route.pk, route.cluster.name)
