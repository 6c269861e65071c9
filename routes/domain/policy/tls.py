"""TLS: the mode, the issuer or Secret it names, and whether the team may serve plain HTTP."""

from __future__ import annotations

from core.names import SUBDOMAIN_RULE, is_dns1123_subdomain
from routes.domain.policy.common import quote
from routes.domain.values import FORBIDDEN, TLS, TLS_MODES, TeamPolicy, Violation


def check_tls(tls: TLS, team: TeamPolicy) -> list[Violation]:
    violations = []
    if tls.mode not in TLS_MODES:
        given = "is required" if tls.mode in (None, "") else f"{quote(tls.mode)} is not supported"
        violations.append(
            Violation(
                "tls.mode",
                f'TLS mode {given}: choose "cert-manager" (a certificate is issued automatically), "secret" '
                '(an existing TLS Secret) or "none" (plain HTTP, where your team allows it).',
            )
        )
    if tls.issuer not in (None, "") and not is_dns1123_subdomain(tls.issuer):
        violations.append(
            Violation("tls.issuer", f"Issuer {quote(tls.issuer)} is not a valid ClusterIssuer name: {SUBDOMAIN_RULE}.")
        )
    # A secret name is checked whatever the mode: it is stored with the revision and shown back, and a later
    # change of mode alone would put it to use.
    if tls.mode == "secret" and tls.secret_name in (None, ""):
        violations.append(
            Violation(
                "tls.secret_name",
                'TLS mode "secret" needs the name of an existing TLS Secret in the route\'s namespace.',
            )
        )
    elif tls.secret_name not in (None, "") and not is_dns1123_subdomain(tls.secret_name):
        violations.append(
            Violation("tls.secret_name", f"Secret name {quote(tls.secret_name)} is not a valid name: {SUBDOMAIN_RULE}.")
        )
    if tls.mode == "none" and not team.allow_plain_http:
        violations.append(
            Violation(
                "tls.mode",
                f'Team "{team.slug}" may not serve plain HTTP: traffic and cookies would travel unencrypted. '
                'Use "cert-manager" to get a certificate automatically, or "secret" for an existing one.',
                FORBIDDEN,
            )
        )
    return violations
