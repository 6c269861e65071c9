"""Annotations no route may carry unless Portico rendered them (docs/route-options.md, "Annotations Portico
removes").

A developer can only ask for the options of docs/route-options.md; Portico renders each as the controller's own
annotation, and nothing else. The annotations below change what the ingress controller does far beyond any option:
snippets paste configuration into the controller (ingress-nginx's ``configuration-snippet``, ``server-snippet``,
NGINX Inc's ``*-snippets``, HAProxy's ``*-config-snippet``: with them, one Ingress can read the controller's secrets
or serve other hosts), external authentication sends every request to another server first (ingress-nginx's
``auth-*``), and a Traefik router's ``middlewares`` attaches any Middleware of the cluster. When another field manager
adds one of them to an object of Portico's, the sync removes it (docs/architecture.md, "Clusters as they really
are"); any other foreign field is reported, not removed.
"""

from __future__ import annotations

# Exact annotation keys.
DANGEROUS_ANNOTATIONS = frozenset(
    {
        "traefik.ingress.kubernetes.io/router.middlewares",
        "nginx.ingress.kubernetes.io/mirror-target",
        "nginx.ingress.kubernetes.io/mirror-host",
        "nginx.ingress.kubernetes.io/global-auth-url",
    }
)
# Key prefixes: every annotation of the ingress-nginx external authentication family (auth-url, auth-signin,
# auth-snippet, auth-response-headers, auth-proxy-set-headers, ...).
DANGEROUS_PREFIXES = ("nginx.ingress.kubernetes.io/auth-",)
# Name suffixes, for any controller's prefix: configuration snippets.
DANGEROUS_SUFFIXES = ("snippet", "snippets")


def is_dangerous_annotation(key: str) -> bool:
    """Whether an annotation key injects configuration, authentication or middlewares into the controller."""
    name = key.rsplit("/", 1)[-1]
    return key in DANGEROUS_ANNOTATIONS or key.startswith(DANGEROUS_PREFIXES) or name.endswith(DANGEROUS_SUFFIXES)
