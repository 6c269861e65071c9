"""Adopting Ingresses that Portico did not create: find them, name the team they belong to, say whether
Portico can take each over without changing its traffic, and take over the ones that can.

Taking over an Ingress makes a route at revision 1, already approved, whose rendered Ingress equals the live
one in every field Portico manages; then one server-side apply of metadata only (Portico's labels and
annotations, field manager ``portico``) marks the Ingress as Portico's. Its spec is not sent, so traffic
cannot change, and the next reconcile or sync finds the object in sync and writes nothing. What a route
cannot express exactly (several rules, a default backend, foreign annotations, another ingress class, ...)
is reported with the reason instead of being guessed. See docs/adoption.md.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from clusters import services as cluster_services
from clusters.choices import OutputChoices
from clusters.kube import INGRESS, KubeClient, KubeError
from clusters.models import Cluster
from core.access import is_platform
from core.audit import record
from routes import services
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.choices import SyncChoices
from routes.domain import render
from routes.models import Route

from .candidates import AdoptionResult, AdoptionUnavailable, Candidate, labels, read_ingress, reasons_text
from .judging import judge

__all__ = ["AdoptionResult", "AdoptionUnavailable", "Candidate", "adopt", "check_cluster", "discover"]

logger = logging.getLogger(__name__)

# Lists only what is not ours (objects without the label match "!=" too), so a cluster full of routes costs little.
UNMANAGED_SELECTOR = f"{render.MANAGED_BY_LABEL}!={render.MANAGED_BY}"


def check_cluster(cluster: Cluster) -> None:
    """Raise AdoptionUnavailable with a reason when Portico cannot adopt this cluster's Ingresses."""
    if cluster.is_directory:
        raise AdoptionUnavailable(
            f"{cluster.label} is a GitOps export (directory mode): Portico cannot see what runs there. "
            "Adoption needs a kubernetes-mode cluster."
        )
    if cluster.output != OutputChoices.INGRESS:
        raise AdoptionUnavailable(
            f"{cluster.label} renders {cluster.get_output_display()}; adoption takes over Ingresses as they are, "
            "so it needs a cluster with Ingress output."
        )
    if not cluster.has_credentials:
        raise AdoptionUnavailable(f"Portico has no credentials for {cluster.label}; add a kubeconfig first.")


def discover(cluster: Cluster, namespace: str | None = None) -> list[Candidate]:
    """Every Ingress on the cluster (or in ``namespace``) without Portico's label, each with its route spec, its
    team and the reasons it cannot be adopted faithfully. One paginated list request and a fixed number of
    queries. Raises AdoptionUnavailable, or KubeError when the cluster does not answer."""
    check_cluster(cluster)
    with KubeClient.for_cluster(cluster) as client:
        ingresses = client.list(INGRESS, namespace=namespace, label_selector=UNMANAGED_SELECTOR)
    ingresses = [obj for obj in ingresses if labels(obj).get(render.MANAGED_BY_LABEL) != render.MANAGED_BY]
    ingresses.sort(key=lambda obj: (obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
    candidates = [read_ingress(obj, cluster) for obj in ingresses]
    judge(cluster, candidates)
    return candidates


def adopt(cluster: Cluster, candidates: list[Candidate], user) -> list[AdoptionResult]:
    """Adopt each adoptable candidate (from ``discover``), one by one; the others come back with their reasons.

    ``user`` is the platform engineer acting, or None for the system. Per Ingress: the route is committed
    approved first (services.adopt_route), then its labels are applied, then ``applied_revision`` is set.
    In that order a cluster sync never sees Portico's label on an Ingress whose route it does not know
    (it would prune it), and a failed apply leaves an approved route that the next adoption finishes.
    """
    if user is not None and not is_platform(user):
        raise PermissionDenied("Only platform engineers can adopt Ingresses.")
    results = [AdoptionResult(c, error="Not adopted: " + reasons_text(c)) for c in candidates if not c.adoptable]
    adoptable = [c for c in candidates if c.adoptable]
    if not adoptable:
        return results
    check_cluster(cluster)
    with KubeClient.for_cluster(cluster) as client:
        for candidate in adoptable:
            results.append(_adopt_one(client, cluster, candidate, user))
    adopted = {(r.candidate.namespace, r.candidate.name) for r in results if r.ok}
    if adopted:
        # The last sync's record of foreign Ingresses still lists these; until the next sync lists them as
        # Portico's, the routes' diagnostics would report a foreign Ingress serving their own path.
        foreign = [
            f
            for f in Cluster.objects.filter(pk=cluster.pk).values_list("foreign_ingresses", flat=True)[0]
            if (f.get("namespace"), f.get("name")) not in adopted
        ]
        cluster_services.record_foreign_ingresses(cluster, foreign)
    return results


def _adopt_one(client: KubeClient, cluster: Cluster, candidate: Candidate, user) -> AdoptionResult:
    route = candidate.route
    if route is None:
        if candidate.team is None or candidate.spec is None:  # discover() marks such an Ingress not adoptable
            return AdoptionResult(candidate, error="Not adopted: " + reasons_text(candidate))
        try:
            route = services.adopt_route(
                user=user,
                team=candidate.team,
                cluster=cluster,
                namespace=candidate.namespace,
                name=candidate.name,
                spec=candidate.spec,
                source=candidate.key,
            )
        except services.PolicyError as exc:
            return AdoptionResult(candidate, error="Not adopted: " + " ".join(v.message for v in exc.violations))
    labelled = _metadata_only(route, cluster, candidate.resource_version)
    try:
        client.apply(labelled)
    except KubeError as exc:
        logger.warning("adoption of %s on %s: labels not applied: %s", candidate.key, cluster.name, exc.message)
        return AdoptionResult(
            candidate,
            route=route,
            error=(
                f"The cluster did not accept Portico's labels ({exc.message}). Route {route.name} is recorded, approved "
                "but not applied: adopt the Ingress again to finish, or delete the route (Portico removes only objects "
                "that carry its label, so the Ingress stays)."
            ),
        )
    _mark_applied(route, cluster, user)
    route.refresh_from_db()
    logger.info("adopted ingress %s on %s as route %s", candidate.key, cluster.name, route.pk)
    return AdoptionResult(candidate, route=route)


def _metadata_only(route: Route, cluster: Cluster, resource_version: str) -> dict:
    """The apply body that makes the live Ingress Portico's: the rendered Ingress's labels and annotations and
    nothing else, so Portico owns only those fields and the spec stays as it is. The resourceVersion seen by
    ``discover`` makes the write conditional: an Ingress changed since is refused (409), not labelled."""
    number = route.approved_revision
    if number is None:
        raise ValueError(f"Route {route.pk} is not approved; only an approved route's labels are applied.")
    rendered = render.render_route(
        route_target(route, number), revision_spec(route.revision_obj(number)), cluster_settings(cluster)
    )
    ingress = next(obj for obj in rendered if obj["kind"] == "Ingress")
    meta = ingress["metadata"]
    metadata = {
        "name": meta["name"],
        "namespace": meta["namespace"],
        "labels": meta["labels"],
        "annotations": meta["annotations"],
    }
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {"apiVersion": ingress["apiVersion"], "kind": ingress["kind"], "metadata": metadata}


def _mark_applied(route: Route, cluster: Cluster, user) -> None:
    """The cluster accepted the labels: the approved revision is applied (unless a worker recorded it first)."""
    number = route.approved_revision
    with transaction.atomic():
        updated = Route.objects.filter(
            pk=route.pk,
            approved_revision=number,
            applied_revision__isnull=True,
            deletion_requested_at__isnull=True,
        ).update(applied_revision=number, sync=SyncChoices.SYNCED, reconcile_attempts=0, updated_at=timezone.now())
        if updated:
            record(
                user,
                "apply",
                route,
                before={"applied_revision": None},
                after={"applied_revision": number, "cluster": cluster.name},
                team=route.team,
            )
        # Reads the status back; it finds the Ingress in sync and writes nothing.
        services.enqueue_reconcile(route.pk)
