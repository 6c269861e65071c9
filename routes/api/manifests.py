"""Rendered objects as the API shows them: a revision's manifests, a dry run, and the diff of the latest revision.

Rendering itself is ``routes.domain.render``; this module only decides which revision and which baseline to render.
"""

import logging
from dataclasses import dataclass

from clusters.kube import kind_of
from clusters.targets import open_target
from routes import checks
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.domain import render
from routes.domain.diff import unified
from routes.domain.validation import schema_warning
from routes.domain.values import RouteSpec, RouteTarget
from routes.models import Route
from routes.services import PolicyError

logger = logging.getLogger(__name__)


def revision_objects(route: Route, number: int) -> list[dict]:
    """What revision ``number`` of the route renders to. Raises RouteRevision.DoesNotExist."""
    return render.route_objects(
        route_target(route, number), revision_spec(route.revision_obj(number)), cluster_settings(route.cluster)
    )


def dry_run(*, user, team, cluster, namespace: str, name: str, spec: RouteSpec) -> list[dict]:
    """Check a route request exactly as submitting it would, and render it; nothing is saved.
    Raises PolicyError like ``services.submit_route``."""
    violations = checks.check_request(user=user, team=team, cluster=cluster, namespace=namespace, name=name, spec=spec)
    if violations:
        raise PolicyError(violations)
    target = RouteTarget(id=checks.UNSAVED_ROUTE_ID, name=name, team=team.slug, namespace=namespace, revision=1)
    return render.route_objects(target, checks.normalized(spec), cluster_settings(cluster))


def schema_notice(cluster) -> str:
    """The warning a dry run carries when the cluster is newer than the schemas its objects were checked against."""
    return "" if cluster.is_directory else schema_warning(cluster.kubernetes_minor)


@dataclass(frozen=True)
class RevisionDiff:
    revision: int
    pending: bool
    baseline: str  # live | approved | none
    baseline_revision: int | None
    note: str
    diff: str


def latest_revision_diff(route: Route) -> RevisionDiff:
    """The latest revision against what is live on the cluster, or, when the cluster cannot be read, against
    the approved revision's rendering. Never fails because the cluster does."""
    new = revision_objects(route, route.revision)
    approved = revision_objects(route, route.approved_revision) if route.approved_revision else []
    live, note = _live_objects(route, new + approved)
    if live is not None:
        baseline, number, old = "live", route.applied_revision, live
        old_label = f"live on {route.cluster.name}"
    elif approved:
        baseline, number, old = "approved", route.approved_revision, approved
        old_label = f"approved revision {number}"
    else:
        baseline, number, old = "none", None, []
        old_label = "nothing approved"
        note = "No revision was approved yet, so every object is new."
    text = unified(
        render.to_yaml(old), render.to_yaml(new), old_label=old_label, new_label=f"revision {route.revision}"
    )
    return RevisionDiff(
        revision=route.revision,
        pending=route.approval == "pending",
        baseline=baseline,
        baseline_revision=number,
        note=note,
        diff=text,
    )


def _live_objects(route: Route, rendered: list[dict]) -> tuple[list[dict] | None, str]:
    """The live counterparts of ``rendered`` (missing ones left out), cut down to the fields Portico sets,
    or None and the reason they could not be read."""
    cluster = route.cluster
    if not cluster.is_directory and not (cluster.has_credentials and cluster.reachable):
        return None, "The cluster was not reachable at its last check, so the approved revision is the baseline."
    shapes: dict[tuple, dict] = {}
    for obj in rendered:
        key = render.object_key(obj)
        shapes[key] = _merge_shape(shapes.get(key, {}), obj)
    live = []
    try:
        with open_target(cluster) as target:
            for (_, _, namespace, name), shape in shapes.items():
                current = target.get(kind_of(shape), name, namespace or None)
                if current is not None:
                    live.append(_project(current, shape))
    # Any failure to read the cluster (unreachable, credentials, unexpected answers) must not fail the diff:
    # the approved revision is a useful baseline, and the note says why it was used.
    except Exception as exc:  # noqa: BLE001
        logger.warning(
            "diff of route %s: cannot read live objects from %s: %s", route.pk, cluster.name, exc.__class__.__name__
        )
        return (
            None,
            f"Live objects could not be read ({exc.__class__.__name__}), so the approved revision is the baseline.",
        )
    return live, f"Objects as they are on cluster {cluster.name} now (applied revision {route.applied_revision})."


def _merge_shape(a, b):
    """The union of two objects' field trees (values from ``b``), used to cut live objects down."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **{key: _merge_shape(a.get(key), value) for key, value in b.items()}}
    return b


def _project(live, shape):
    """``live`` restricted to the fields present in ``shape``: server-set fields (status, uid, managedFields,
    defaults) are not Portico's and would only drown the change in noise."""
    if isinstance(live, dict) and isinstance(shape, dict):
        return {key: _project(live[key], shape[key]) for key in shape if key in live}
    if isinstance(live, list) and isinstance(shape, list) and len(live) == len(shape):
        return [_project(item, item_shape) for item, item_shape in zip(live, shape, strict=True)]
    return live
