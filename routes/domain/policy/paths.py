"""Paths: a literal Ingress path (Prefix or Exact) that routes only what it says, and that the cluster's admission
accepts: Gateway API's CEL rules for an HTTPRoute, ingress-nginx's strict path validation for its Ingresses."""

from __future__ import annotations

import re
from urllib.parse import unquote

from clusters.facts import INGRESS_NGINX
from routes.domain.policy.common import join_quoted, quote
from routes.domain.values import OUTPUT_GATEWAY, PATH_TYPES, Violation

MAX_PATH_LENGTH = 1024

# Characters that make a Prefix/Exact path look like a regular expression; "?" is reported as a query.
_REGEX_CHARS = "^$*+()[]{}|\\"


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a literal Ingress path, phrased to follow "it", or None."""
    if not path.startswith("/"):
        return f'must start with "/", as in {quote("/" + path)}'
    if len(path) > MAX_PATH_LENGTH:
        return f"is {len(path)} characters long; the limit is {MAX_PATH_LENGTH}"
    if any(ch.isspace() or not ch.isprintable() for ch in path):
        return "must not contain spaces, tabs, line breaks or other invisible characters"
    if "?" in path:
        return 'must not contain a query string ("?..."); an Ingress matches on the path alone'
    if "#" in path:
        return 'must not contain a fragment ("#..."); browsers never send it to the server'
    regex_chars = [ch for ch in _REGEX_CHARS if ch in path]
    if regex_chars:
        return (
            f"contains regular-expression characters ({join_quoted(regex_chars)}); Prefix and Exact paths "
            "match literally, so create one route per path instead"
        )
    if "%2f" in path.lower():
        return 'must not contain an encoded "/" ("%2F")'
    # Decoded, so that "%2e%2e" cannot smuggle a ".." past the check.
    decoded = unquote(path)
    if ".." in decoded:
        return 'must not contain ".."'
    if "//" in decoded:
        return 'must not contain "//" (an empty segment)'
    if "/./" in decoded or decoded.endswith("/."):
        return 'must not contain "." segments'
    return None


# ingress-nginx's admission webhook refuses an Exact or Prefix path outside this pattern when
# strict-validate-path-type is on, its default from controller v1.12.0: `validPathType =
# regexp.MustCompile(`(?i)^/[[:alnum:]\_\-/]*$`)`, and the answer "path /v1.0 cannot be used with pathType Prefix".
# Go's [[:alnum:]] is ASCII letters and digits, so dots, "~", "%", "@", ":" and every non-ASCII letter are refused.
_NGINX_STRICT_PATH = re.compile(r"/[A-Za-z0-9_\-/]*")

# The CEL rule of Gateway API's HTTPRoute on an Exact or PathPrefix match value ("must only contain valid
# characters"), as in the vendored CRD clusters/devcluster/crds/gateway.networking.k8s.io_httproutes.yaml.
_GATEWAY_PATH = re.compile(r"(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+")


def _admission_problem(path: str, output: str, controller: str) -> str | None:
    """Why the cluster's admission would refuse ``path`` although it is a literal path, phrased to follow "it"."""
    if output == OUTPUT_GATEWAY:
        if not _GATEWAY_PATH.fullmatch(path):
            wrong = sorted({ch for ch in path if not re.fullmatch(r"[-A-Za-z0-9/._~!$&'()*+,;=:@%]", ch)})
            what = (
                f"characters an HTTPRoute path may not hold ({join_quoted(wrong)})"
                if wrong
                else 'a "%" that is not followed by two hexadecimal digits'
            )
            return (
                f'contains {what}; Gateway API accepts letters, digits, "-._~!$&\'()*+,;=:@/" and %-escapes such as '
                '"%20"'
            )
        return None
    if controller == INGRESS_NGINX and not _NGINX_STRICT_PATH.fullmatch(path):
        wrong = sorted({ch for ch in path if not re.fullmatch(r"[A-Za-z0-9_\-/]", ch)})
        return (
            f"contains {join_quoted(wrong)}, which this cluster's ingress-nginx refuses in Prefix and Exact paths "
            '(strict path validation, on by default since v1.12): use letters, digits, "-", "_" and "/" only, '
            'such as "/v1-0" instead of "/v1.0"'
        )
    return None


def check_path(path: object, path_type: object, *, output: str = "", controller: str = "") -> list[Violation]:
    """The path rules, and the admission rules of the cluster's ``output`` and ingress ``controller`` family."""
    violations = []
    if path is None or path == "":
        violations.append(Violation("path", 'Path is required; use "/" to serve the whole host.'))
    elif not isinstance(path, str):
        violations.append(Violation("path", f'Path must be text, such as "/" or "/api", not {quote(path)}.'))
    elif problem := _path_problem(path) or _admission_problem(path, output, controller):
        violations.append(Violation("path", f"Path {quote(path)} is not valid: it {problem}."))
    if path_type not in PATH_TYPES:
        given = "is required" if path_type in (None, "") else f"{quote(path_type)} is not supported"
        violations.append(
            Violation(
                "path_type",
                f'Path type {given}: choose "Prefix" (the path and everything under it) or "Exact" (only that path).',
            )
        )
    return violations
