"""Paths: a literal Ingress path (Prefix or Exact) that routes only what it says."""

from __future__ import annotations

from urllib.parse import unquote

from routes.domain.policy.common import join_quoted, quote
from routes.domain.values import PATH_TYPES, Violation

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


def check_path(path: object, path_type: object) -> list[Violation]:
    violations = []
    if path is None or path == "":
        violations.append(Violation("path", 'Path is required; use "/" to serve the whole host.'))
    elif not isinstance(path, str):
        violations.append(Violation("path", f'Path must be text, such as "/" or "/api", not {quote(path)}.'))
    elif problem := _path_problem(path):
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
