"""What the worker saw on a cluster for one route, turned into health, conditions and a diagnostics chain.

Pure: takes an ``Observed`` snapshot (plain values and the live objects as JSON dicts) and returns an
``Evaluation``; no ORM, no network. The reconciler gathers the snapshot, calls ``evaluate`` and stores the
result on the route; the pages and the API only present it.

The chain follows the layers traffic passes through (docs/architecture.md, "Diagnostics"): the Ingress chain
(``routes.domain.diagnostics.ingress``) or, on a cluster with Gateway API output, the Gateway chain
(``routes.domain.diagnostics.gateway``), with the steps they share in ``routes.domain.diagnostics.shared``.
Each step says, in plain words (``routes.domain.diagnostics.texts``), what it found and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from routes.domain.diagnostics import foreign, gateway, ingress, texts
from routes.domain.diagnostics import texts_pitfalls as pitfall_texts
from routes.domain.diagnostics.shared import (
    FAIL,
    SKIP,
    Context,
    Finding,
    Observed,
    condition,
    count_endpoints,
    foreign_names,
    get,
    namespace_of,
)
from routes.domain.status import Health
from routes.domain.values import OUTPUT_GATEWAY


@dataclass(frozen=True)
class Evaluation:
    """A route's status as stored on it and shown by the pages and the API."""

    health: str  # a Health value
    conditions: list[dict[str, Any]]  # [{type, status, reason, message, last_transition_time}]
    diagnostics: list[dict[str, Any]]  # [{step, title, status, detail, fix}] in chain order
    address: str  # LB IP or hostname of the Ingress, "" if none
    certificate: dict[str, Any]  # {"ready": bool | None, "not_after": str | None}
    endpoints: dict[str, int]  # {"ready": int, "total": int}


def evaluate(
    observed: Observed,
    *,
    previous_conditions: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Judge one route from what was observed: health, conditions, the diagnostics chain and the live figures.

    ``previous_conditions`` are the route's stored conditions; a condition whose status did not change keeps
    its ``last_transition_time``, so pages can say "Degraded since 10:42" rather than "since the last sync".
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    chain = gateway if observed.output == OUTPUT_GATEWAY else ingress
    titles = step_titles(chain is gateway)
    ctx = Context(
        observed=observed,
        now=now,
        namespace=namespace_of(observed),
        address=gateway.gateway_address(observed.gateway)
        if chain is gateway
        else ingress.ingress_address(observed.ingress),
        endpoints=count_endpoints(observed.endpoint_slices),
        not_after=_certificate_not_after(observed),
        front="HTTPRoute" if chain is gateway else "Ingress",
        proxy="the Gateway" if chain is gateway else "the ingress controller",
    )
    findings = {step: judge(ctx) for step, judge in chain.steps(ctx).items()}
    others = foreign.foreign_step(ctx)
    if others is not None:  # shown only when another manager added fields to the route's objects
        findings[foreign.STEP] = others
        titles = _after(titles, chain.FRONT_STEP, foreign.STEP, foreign.TITLE)
    # The condition of the front object reports what is live, even where a rejected apply took its step.
    live_front = findings[chain.FRONT_STEP]
    if observed.apply_error:
        live_front = (gateway.http_route_step if chain is gateway else ingress.ingress_step)(ctx)
    cluster_failed = findings["cluster"].status == FAIL
    diagnostics = []
    for step, title in titles.items():
        finding = findings[step]
        if cluster_failed and step != "cluster":
            # Whatever the last sync saw may be stale; showing it as current would mislead.
            finding = Finding(SKIP, texts.UNREACHABLE_DETAIL)
        diagnostics.append(
            {"step": step, "title": title, "status": finding.status, "detail": finding.detail, "fix": finding.fix}
        )
    return Evaluation(
        health=str(_health(observed, findings, chain.HEALTH_PRECEDENCE)),
        conditions=_conditions(
            ctx,
            {**findings, chain.FRONT_STEP: live_front},
            chain.CONDITION_OF_STEP,
            cluster_failed,
            previous_conditions or [],
        ),
        diagnostics=diagnostics,
        address=ctx.address,
        certificate={"ready": _certificate_ready(observed), "not_after": ctx.not_after},
        endpoints={"ready": ctx.endpoints.ready, "total": ctx.endpoints.total},
    )


def step_titles(gateway_chain: bool) -> dict[str, str]:
    """The chain's step titles in order: the layers of docs/architecture.md, with the pitfall steps
    (``texts_pitfalls``) after the layer each one looks behind."""
    base = texts.GATEWAY_STEP_TITLES if gateway_chain else texts.STEP_TITLES
    extra = pitfall_texts.STEP_TITLES
    after: dict[str, tuple[str, ...]] = {"endpoints": ("target-port", "network-policy")}
    if not gateway_chain:
        after["ingress"] = ("controller",)
    titles: dict[str, str] = {}
    for step, title in base.items():
        titles[step] = title
        for added in after.get(step, ()):
            titles[added] = extra[added]
    return titles


def _after(titles: dict[str, str], step: str, added: str, title: str) -> dict[str, str]:
    """``titles`` with ``added`` right after ``step``."""
    result: dict[str, str] = {}
    for key, value in titles.items():
        result[key] = value
        if key == step:
            result[added] = title
    return result


def _health(o: Observed, findings: dict[str, Finding], precedence: tuple[tuple[str, set[str]], ...]) -> str:
    if o.deleting:
        return Health.PROGRESSING
    if o.apply_error:
        return Health.DEGRADED
    if not o.synced:
        return Health.PROGRESSING
    if o.directory:
        return Health.HEALTHY
    if o.cluster_reachable is False:
        return Health.UNKNOWN
    for step, outcomes in precedence:
        health = findings[step].health
        if health in outcomes:
            return str(health)
    return Health.HEALTHY


def _conditions(
    ctx: Context,
    findings: dict[str, Finding],
    condition_of_step: dict[str, str],
    cluster_failed: bool,
    previous: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The route's conditions; each keeps its previous ``last_transition_time`` while its status holds."""
    o = ctx.observed
    rows: list[tuple[str, str, str, str]] = []
    if o.deleting:
        rows.append(("Synced", "False", "Deleting", texts.SYNCED_DELETING))
    elif o.synced:
        rows.append(("Synced", "True", "Synced", texts.SYNCED_TRUE))
    else:
        rows.append(("Synced", "False", "OutOfSync", texts.SYNCED_FALSE))
    if o.apply_error:
        rows.append(("Applied", "False", "ApplyFailed", o.apply_error))
    for step, condition_type in condition_of_step.items():
        if step == "certificate" and o.tls_mode != "cert-manager":
            continue
        finding = findings[step]
        if cluster_failed:
            rows.append((condition_type, "Unknown", "ClusterUnreachable", texts.UNREACHABLE_DETAIL))
        else:
            rows.append((condition_type, finding.condition, finding.reason or "Unknown", finding.detail))
    if foreign.STEP in findings and not cluster_failed:
        others = findings[foreign.STEP]
        rows.append((foreign.CONDITION, "True", others.reason, others.detail))
    if o.claim_ok:
        rows.append(("HostClaimed", "True", "Claimed", texts.HOST_CLAIMED.format(host=o.host)))
    else:
        rows.append(("HostClaimed", "False", "ClaimLost", texts.HOST_CLAIM_LOST.format(host=o.host)))
    if o.foreign_conflicts:
        rows.append(("Conflict", "True", "ForeignIngress", texts.CONFLICT_FOREIGN.format(others=foreign_names(o))))
    else:
        rows.append(("Conflict", "False", "NoConflict", texts.CONFLICT_NONE))

    before = {c.get("type"): c for c in previous if isinstance(c, dict)}
    conditions = []
    for condition_type, status, reason, message in rows:
        old = before.get(condition_type) or {}
        kept = old.get("status") == status and old.get("last_transition_time")
        conditions.append(
            {
                "type": condition_type,
                "status": status,
                "reason": reason,
                "message": message,
                "last_transition_time": old["last_transition_time"] if kept else ctx.now.isoformat(),
            }
        )
    return conditions


def _certificate_not_after(o: Observed) -> str | None:
    if o.tls_mode != "cert-manager" or o.output == OUTPUT_GATEWAY:
        return None
    return get(o.certificate, "status", "notAfter") or None


def _certificate_ready(o: Observed) -> bool | None:
    if o.tls_mode != "cert-manager" or o.output == OUTPUT_GATEWAY or o.certificate is None:
        return None
    ready = condition(o.certificate, "Ready")
    return bool(ready) and (ready or {}).get("status") == "True"
