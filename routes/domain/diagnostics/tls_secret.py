"""TLS mode secret: the Secret the team provides exists and is a kubernetes.io/tls Secret. Without it every
ingress controller serves its own default certificate for the host, which browsers refuse, while the Ingress
looks fine. Whether the certificate in it is valid for the host, and until when, the reachability check says."""

from __future__ import annotations

from routes.domain.diagnostics import texts
from routes.domain.diagnostics import texts_pitfalls as pitfalls
from routes.domain.diagnostics.shared import FAIL, OK, SKIP, Context, Finding, get
from routes.domain.status import Health

TLS_TYPE = "kubernetes.io/tls"


def tls_secret_step(ctx: Context, named_on_front: str = "") -> Finding:
    o = ctx.observed
    ns = ctx.namespace
    secret = o.tls_secret_name or named_on_front
    if not o.tls_secret_read or not secret:
        return Finding(
            SKIP,
            texts.TLS_OWN_SECRET.format(named=f" ({secret})" if secret else ""),
            texts.TLS_OWN_SECRET_FIX.format(ns=ns, secret=secret or "<secret>"),
        )
    figures = {"secret": secret, "ns": ns, "host": o.host or texts.YOUR_HOST}
    if o.tls_secret is None:
        return _failed(pitfalls.TLS_SECRET_MISSING, pitfalls.TLS_SECRET_MISSING_FIX, figures, "SecretMissing")
    kind = get(o.tls_secret, "type") or "Opaque"
    if kind != TLS_TYPE:
        figures["type"] = kind
        return _failed(pitfalls.TLS_SECRET_WRONG_TYPE, pitfalls.TLS_SECRET_WRONG_TYPE_FIX, figures, "SecretNotTLS")
    return Finding(OK, pitfalls.TLS_SECRET_FOUND.format(**figures), condition="True", reason="SecretFound")


def _failed(detail: str, fix: str, figures: dict[str, str], reason: str) -> Finding:
    return Finding(
        FAIL, detail.format(**figures), fix.format(**figures), health=Health.DEGRADED, condition="False", reason=reason
    )
