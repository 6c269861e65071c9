"""The ingress controller behind the route's IngressClass has ready pods: an address published on the Ingress
stays there after the controller's pods are gone, so the Ingress alone reads Healthy while nothing answers.

Observable where the controller runs in the cluster behind a Service Portico can find (``facts.Controller``):
that Service's EndpointSlices count its ready pods. A controller outside the cluster (the local Traefik of the
tests and the demo) has no pods to watch; the reachability check is what notices it is gone."""

from __future__ import annotations

from routes.domain.diagnostics import texts_pitfalls as texts
from routes.domain.diagnostics.facts import OUTSIDE, UNKNOWN
from routes.domain.diagnostics.shared import FAIL, NOT_OBSERVED, OK, SKIP, WARN, Context, Finding
from routes.domain.status import Health


def controller_step(ctx: Context) -> Finding:
    o = ctx.observed
    if o.directory:
        return NOT_OBSERVED
    c = o.controller
    if c is None:
        return Finding(SKIP, texts.CONTROLLER_NOT_OBSERVED)
    ingress_class = c.ingress_class or o.ingress_class
    if c.location == OUTSIDE:
        return Finding(SKIP, texts.CONTROLLER_OUTSIDE.format(ingress_class=ingress_class))
    if c.location == UNKNOWN:
        if c.named:
            return Finding(
                WARN,
                texts.CONTROLLER_SERVICE_MISSING.format(
                    ingress_class=ingress_class, namespace=c.namespace, service=c.service
                ),
                texts.CONTROLLER_SERVICE_MISSING_FIX.format(ingress_class=ingress_class),
            )
        looked = (
            texts.CONTROLLER_UNKNOWN_LOOKED.format(namespace=c.namespace, service=c.service, controller=c.kind)
            if c.service
            else ""
        )
        return Finding(
            SKIP,
            texts.CONTROLLER_UNKNOWN.format(ingress_class=ingress_class, looked=looked),
            texts.CONTROLLER_UNKNOWN_FIX.format(ingress_class=ingress_class),
        )
    figures = {"namespace": c.namespace, "service": c.service, "address": ctx.address}
    if not c.ready:
        detail = texts.CONTROLLER_LOST_PODS if ctx.address else texts.CONTROLLER_NO_PODS
        return Finding(
            FAIL,
            detail.format(**figures),
            texts.CONTROLLER_NO_PODS_FIX.format(**figures),
            health=Health.DEGRADED,
            reason="ControllerDown",
        )
    return Finding(OK, texts.CONTROLLER_READY.format(**figures, ready=c.ready, pods="pod" if c.ready == 1 else "pods"))
