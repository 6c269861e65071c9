"""Admission before approval: a server-side dry run (``dryRun=All``) of a route's pending revision on its cluster,
so a reviewer sees what the API server's validation and admission answer before approving (docs/route-options.md,
"Admission before approval").

Every object the revision renders is first checked as the worker would check it (``validate_objects``), then sent
to the API server as a dry-run server-side apply as Portico's own identity: nothing is stored, but authorization,
defaulting, the schemas, CEL rules and admission (plugins and webhooks such as ingress-nginx's) all run. The page
waits for this, so each call has a short timeout and the whole run a deadline. What a refusal shows is the API
server's Status message only (``KubeError.detail``, cut to a length), never the body it answered
(docs/security.md, "Outbound requests").
"""

import logging
import time
from dataclasses import dataclass, field

from clusters.kube import KubeClient, KubeError, PermanentKubeError, kind_of

from .adapters import cluster_settings, revision_spec, route_target
from .domain import render
from .domain.validation import validate_objects
from .models import Route

logger = logging.getLogger(__name__)

CALL_TIMEOUT = 4.0  # seconds, each dry-run request
DEADLINE = 8.0  # seconds, the whole dry run; a review page fragment waits for it


@dataclass(frozen=True)
class ObjectAnswer:
    kind: str
    name: str
    accepted: bool
    message: str = ""


@dataclass
class DryRun:
    """What the cluster said about one revision: ``state`` "accepted", "refused", "unknown" (no answer) or "skipped"
    (nothing to ask: a directory cluster, a route without a pending revision); ``summary`` in plain words."""

    state: str
    summary: str
    answers: list[ObjectAnswer] = field(default_factory=list)


def dry_run_revision(route: Route, number: int | None = None, *, clock=time.monotonic) -> DryRun:
    """Ask the route's cluster whether it would accept revision ``number`` (the latest by default)."""
    cluster = route.cluster
    if cluster.is_directory:
        return DryRun("skipped", f"{cluster.label} is a GitOps export: there is no API server to ask.")
    if not cluster.has_credentials:
        return DryRun("skipped", f"Portico has no credentials for {cluster.label}, so it cannot ask its API server.")
    number = number or route.revision
    spec = revision_spec(route.revision_obj(number))
    objects = render.route_objects(route_target(route, number), spec, cluster_settings(cluster))
    local = validate_objects(objects, cluster.kubernetes_minor)
    if local:
        return DryRun("refused", "Portico's own check refuses the rendered objects: " + "; ".join(local))
    answers: list[ObjectAnswer] = []
    started = clock()
    try:
        with KubeClient.for_cluster(cluster, timeout=CALL_TIMEOUT) as client:
            for obj in objects:
                if clock() - started > DEADLINE:
                    return DryRun("unknown", "The API server took too long to answer; approve on the checks alone.")
                answers.append(_ask(client, obj))
    except KubeError as exc:
        logger.info("dry run of route %s r%s on %s: no answer (%s)", route.pk, number, cluster.name, exc.message)
        return DryRun("unknown", f"The API server did not answer the dry run: {exc.message}.", answers)
    refused = [a for a in answers if not a.accepted]
    if refused:
        return DryRun(
            "refused",
            f"The API server refuses {len(refused)} of {len(answers)} objects; approving would leave the route "
            "Degraded.",
            answers,
        )
    return DryRun(
        "accepted", f"The API server accepts all {len(answers)} objects (dry run: nothing was changed).", answers
    )


def _ask(client: KubeClient, obj: dict) -> ObjectAnswer:
    meta = obj["metadata"]
    where = f"{meta.get('namespace')}/{meta['name']}"
    try:
        client.apply(obj, dry_run=True)
    except PermanentKubeError as exc:
        # kind_of(obj) is known to KubeClient: the object was rendered by Portico.
        reason = exc.detail or exc.message
        return ObjectAnswer(kind_of(obj).kind, where, accepted=False, message=f"{exc.status} {exc.reason}: {reason}")
    return ObjectAnswer(obj["kind"], where, accepted=True)
