"""The last step: write a route's status (sync, health, conditions, diagnostics) from the diagnostics' verdict or
from an error, one route at a time or in bulk after a sync, and announce health changes
(``routes.signals.route_health_changed``)."""

from django.db import transaction
from django.utils import timezone

from clusters.kube import CERTIFICATE, HTTP_ROUTE, INGRESS, SERVICE, TransientKubeError
from clusters.models import Cluster
from core.bulk import update_rows
from routes import progress, signals
from routes.adapters import cluster_settings
from routes.choices import HealthChoices, SyncChoices
from routes.domain import render
from routes.domain.diagnostics.evaluate import evaluate
from routes.domain.diagnostics.shared import Observed
from routes.domain.values import RouteSpec
from routes.models import HostClaim, Route

from .memo import SETTLED_FIELDS, ClusterMemo
from .objects import kind_key
from .observe import observation
from .surroundings import Surroundings

# STATUS_FIELDS: what the diagnostics decide (memo.SETTLED_FIELDS) and when it was decided.
STATUS_FIELDS = [*SETTLED_FIELDS, "last_synced_at"]
# What judging a route's status reads from its row besides its sync and health: the sync reads routes without
# them, and ``refresh_status`` loads them, in one query, for the routes it judges again.
JUDGED_FIELDS = (*(f for f in STATUS_FIELDS if f not in ("sync", "health")), "reachability")


def evaluate_failure(route: Route, spec: RouteSpec, message: str):
    return evaluate(
        observation(route, route.cluster, spec, apply_error=message, synced=False),
        previous_conditions=route.conditions,
        now=timezone.now(),
    )


def transient_condition(route: Route, exc: TransientKubeError):
    """Keep the last known health, but say plainly that the API server is not answering and we retry."""
    now = timezone.now()
    conditions = [c for c in route.conditions if c.get("type") != "Applied"]
    conditions.append(
        {
            "type": "Applied",
            "status": "False",
            "reason": "APIServerUnavailable",
            "message": f"{exc.explanation} (retrying with backoff)",
            "last_transition_time": now.isoformat(),
        }
    )
    return {"conditions": conditions, "health": HealthChoices.DEGRADED, "sync": SyncChoices.OUT_OF_SYNC}


def refused_condition(route: Route, message: str):
    """Nothing could be applied for a reason retrying cannot fix; the platform engineers' change is needed."""
    conditions = [c for c in route.conditions if c.get("type") != "Applied"]
    conditions.append(
        {
            "type": "Applied",
            "status": "False",
            "reason": "Refused",
            "message": message,
            "last_transition_time": timezone.now().isoformat(),
        }
    )
    return {"conditions": conditions, "health": HealthChoices.DEGRADED, "sync": SyncChoices.OUT_OF_SYNC}


def save_status(route: Route, evaluation) -> None:
    """Write status fields; ``evaluation`` is a diagnostics.Evaluation or a dict of fields."""
    now = timezone.now()
    previous_health = route.health
    if isinstance(evaluation, dict):
        values = evaluation
    else:
        values = {
            "health": evaluation.health,
            "conditions": evaluation.conditions,
            "diagnostics": evaluation.diagnostics,
            "address": evaluation.address,
            "certificate": evaluation.certificate,
            "endpoints": evaluation.endpoints,
            "sync": SyncChoices.SYNCED
            if route.applied_revision == route.approved_revision
            and not any(c.get("type") == "Applied" and c.get("status") == "False" for c in evaluation.conditions)
            else SyncChoices.OUT_OF_SYNC,
            "last_synced_at": now,
        }
    if "health" in values:
        values = progress.judge(route, values, now)
    for name, value in values.items():
        setattr(route, name, value)
    Route.objects.filter(pk=route.pk).update(**values, updated_at=now)
    if route.health != previous_health:
        signals.route_health_changed.send(sender=Route, route=route, previous=previous_health)


def refresh_status(
    cluster: Cluster,
    routes: list[Route],
    specs: dict,
    seen: dict,
    slices_by_service: dict,
    failures: dict,
    gateway: dict | None = None,
    around: Surroundings | None = None,
    memo: ClusterMemo | None = None,
) -> int:
    """Evaluate every settled route from the lists already made, and write only the rows whose status changed
    (returns how many). With a ``memo``, a route whose stored status is what the diagnostics answered for the same
    input is not evaluated again (memo.py)."""
    claims = dict(HostClaim.objects.filter(host__in={r.host for r in routes}).values_list("host", "team_id"))
    settings_ = cluster_settings(cluster)
    now = timezone.now()
    changed = []
    previous_health = {route.pk: route.health for route in routes}
    judged = []
    for route in routes:
        spec = specs[(route.pk, route.approved_revision)]
        route._claim_team_id = claims.get(spec.host)
        observed = _observed(route, cluster, spec, settings_, seen, slices_by_service, failures, gateway, around)
        stored = getattr(route, "status_digest", None)  # the sync's query adds it (memo.STATUS_DIGEST)
        if memo is not None and stored is not None and memo.still_settled(route.pk, observed, stored):
            continue
        judged.append((route, observed, stored))
    loaded = _load_judged([route for route, _, _ in judged])
    for route, observed, stored in judged:
        if route.pk not in loaded:
            continue  # deleted since the sync's query
        result = evaluate(observed, previous_conditions=route.conditions, now=now)
        sync = SyncChoices.OUT_OF_SYNC if str(route.pk) in failures else SyncChoices.SYNCED
        values = {
            "sync": sync,
            "health": result.health,
            "conditions": result.conditions,
            "diagnostics": result.diagnostics,
            "address": result.address,
            "certificate": result.certificate,
            "endpoints": result.endpoints,
        }
        values = progress.judge(route, values, now)
        if any(getattr(route, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(route, k, v)
            route.last_synced_at = now
            changed.append(route)
            if memo is not None:
                memo.unsettle(route.pk)
        elif memo is not None and stored is not None and route.health != HealthChoices.PROGRESSING:
            memo.settle(route.pk, observed, stored)
    found = len(changed)
    if changed:
        with transaction.atomic():
            # Write only rows still at the revisions we evaluated and not being reconciled right now (that
            # worker writes their status): a status from our older snapshot must not replace a newer one.
            now_at = {
                pk: rest
                for pk, *rest in Route.objects.select_for_update(skip_locked=True)
                .filter(pk__in=[r.pk for r in changed])
                .values_list("pk", "approved_revision", "applied_revision", "deletion_requested_at")
            }
            changed = [
                r
                for r in changed
                if now_at.get(r.pk) == [r.approved_revision, r.applied_revision, r.deletion_requested_at]
            ]
            update_rows(changed, STATUS_FIELDS)
        turned = [(route, previous_health[route.pk]) for route in changed if route.health != previous_health[route.pk]]
        if turned:
            signals.routes_health_changed.send(sender=Route, changes=turned)
    # A route whose status did not change is not written: its cluster's last sync time says when it was looked at
    # (Route.checked_at), so a no-op sync of 10,000 routes writes no row.
    return found


def _load_judged(routes: list[Route]) -> set:
    """Load the ``JUDGED_FIELDS`` the sync's query left out, for the routes about to be judged, in one query.
    Returns the ids of the routes that have them (a row deleted meanwhile has none)."""
    missing = [route for route in routes if route.get_deferred_fields() & set(JUDGED_FIELDS)]
    rows = Route.objects.filter(pk__in=[route.pk for route in missing]).values("pk", *JUDGED_FIELDS) if missing else []
    by_pk = {row.pop("pk"): row for row in rows}
    for route in missing:
        for name, value in by_pk.get(route.pk, {}).items():
            setattr(route, name, value)
    unread = {route.pk for route in missing}
    return {route.pk for route in routes if route.pk in by_pk or route.pk not in unread}


def _observed(
    route: Route,
    cluster: Cluster,
    spec: RouteSpec,
    settings_,
    seen: dict,
    slices_by_service: dict,
    failures: dict,
    gateway: dict | None,
    around: Surroundings | None,
) -> Observed:
    """What the diagnostics read for one settled route, from the sync's lists."""
    ns = route.namespace
    if str(route.pk) in failures:
        return observation(route, cluster, spec, apply_error=failures[str(route.pk)], synced=False)
    if cluster.is_directory:
        return observation(route, cluster, spec, synced=True)
    service_name = spec.backend.service_name or ""
    gateway_kinds = (
        {
            "http_route": seen.get(kind_key(HTTP_ROUTE, route.name, ns)),
            "gateway": gateway,
            "gateway_present": gateway is not None,
        }
        if cluster.is_gateway
        else {}
    )
    return observation(
        route,
        cluster,
        spec,
        synced=True,
        **gateway_kinds,
        **(around.for_route(ns, spec) if around is not None else {}),
        ingress=seen.get(kind_key(INGRESS, route.name, ns)),
        service=seen.get(kind_key(SERVICE, service_name, ns)) if service_name else None,
        endpoint_slices=tuple(slices_by_service.get((ns, service_name), ())),
        certificate=seen.get(kind_key(CERTIFICATE, render.certificate_name(spec.host), ns))
        if render.uses_certificate(spec, settings_)
        else None,
    )
