"""Kubeconfig intake: parse, reduce to one context, and refuse anything that runs commands or reads files.

A kubeconfig is stored encrypted and used only as inline data. `exec` and `auth-provider` entries would
run programs on the worker, and file references would read the worker's files, so both are rejected
with a message saying what to do instead. The server must be https: the credentials go with every request.
"""

from dataclasses import dataclass
from typing import Any

import yaml

ALLOWED_CLUSTER_KEYS = {
    "server",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "proxy-url",
}
ALLOWED_USER_KEYS = {"client-certificate-data", "client-key-data", "token", "username", "password"}
FILE_KEYS = {"certificate-authority", "client-certificate", "client-key", "tokenFile", "token-file"}
COMMAND_KEYS = {"exec", "auth-provider"}


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ParsedKubeconfig:
    config: dict[str, Any]  # a one-context kubeconfig with inline data only
    context: str
    server: str
    insecure_skip_tls_verify: bool


def parse_kubeconfig(
    text: str | dict[str, Any], context: str | None = None, *, allow_insecure: bool = False
) -> ParsedKubeconfig:
    """Return a minimal kubeconfig for one context, or raise KubeconfigError."""
    if isinstance(text, dict):
        data = text
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            # Only the position: the parser's own message quotes the offending line, which may hold a token or key.
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise KubeconfigError(f"The kubeconfig is not valid YAML{where}.") from None
    if not isinstance(data, dict):
        raise KubeconfigError("The kubeconfig must be a YAML mapping with clusters, users and contexts.")

    entries = data["contexts"] if isinstance(data.get("contexts"), list) else []
    contexts: dict[str, dict[str, Any]] = {
        c["name"]: c["context"] if isinstance(c.get("context"), dict) else {}
        for c in entries
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    }
    if not contexts:
        raise KubeconfigError("The kubeconfig has no contexts.")
    name = context or data.get("current-context") or next(iter(contexts))
    if name not in contexts:
        raise KubeconfigError(
            f'Context "{name}" is not in the kubeconfig (it has: {", ".join(sorted(map(str, contexts)))}).'
        )
    ctx = contexts[name]

    cluster = _named(data, "clusters", "cluster", ctx.get("cluster"))
    user = _named(data, "users", "user", ctx.get("user")) if ctx.get("user") else {}
    for key in sorted(map(str, set(cluster) | set(user))):
        if key in COMMAND_KEYS:
            raise KubeconfigError(
                f'The kubeconfig uses "{key}", which runs a program on the Portico worker. Use a service account '
                "token instead (`manage.py service_account_kubeconfig` prints one)."
            )
        if key in FILE_KEYS:
            raise KubeconfigError(
                f'The kubeconfig refers to a file with "{key}". Portico only accepts inline data: use '
                f'"{key.replace("token-file", "token").replace("tokenFile", "token")}-data" or "token" with the content itself.'
            )
    unknown = (set(cluster) - ALLOWED_CLUSTER_KEYS) | (set(user) - ALLOWED_USER_KEYS)
    if unknown:
        raise KubeconfigError(
            f"The kubeconfig has entries Portico does not accept: {', '.join(sorted(map(str, unknown)))}."
        )
    server = cluster.get("server") or ""
    if not isinstance(server, str) or not server.lower().startswith("https://"):
        # The bearer token or client key travels with every request: never over plain HTTP (docs/security.md,
        # "Outbound requests").
        raise KubeconfigError(
            "The kubeconfig's cluster server must be an https:// address: Portico sends the "
            "cluster's credentials with every request and never over plain HTTP."
        )
    insecure = bool(cluster.get("insecure-skip-tls-verify"))
    if insecure and not allow_insecure:
        raise KubeconfigError(
            "The kubeconfig skips TLS verification. Add the cluster's certificate-authority-data, or set the "
            "cluster's explicit insecure_skip_tls_verify flag if you really mean it."
        )
    minimal = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "contexts": [{"name": name, "context": {"cluster": "target", "user": "portico", **_namespace(ctx)}}],
        "clusters": [{"name": "target", "cluster": dict(cluster)}],
        "users": [{"name": "portico", "user": dict(user)}],
    }
    return ParsedKubeconfig(config=minimal, context=name, server=server, insecure_skip_tls_verify=insecure)


def _named(data: dict[str, Any], section: str, key: str, name: str | None) -> dict[str, Any]:
    entries = data.get(section)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(key) or {}
            if not isinstance(value, dict):
                break
            return value
    raise KubeconfigError(f'The kubeconfig has no {key} named "{name}" in {section}.')


def _namespace(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"namespace": ctx["namespace"]} if ctx.get("namespace") else {}
