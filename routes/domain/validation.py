"""Check rendered objects as the cluster's API server would: names and labels by its metadata rules, bodies by
the schemas of its Kubernetes version.

Pure apart from cached reads of schema files: kubernetes-validate's bundled schemas for built-in kinds, and the
CRD schemas vendored in ``routes/schemas`` for cert-manager's Certificate, Gateway API's HTTPRoute and Traefik's
Middleware.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import kubernetes_validate
from kubernetes_validate.utils import all_versions, major_minor, schema_contents
from referencing import Registry, Resource

from core import kube_schemas
from core.names import is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_label_key, is_label_value
from routes.domain.render import CERTIFICATE_API_VERSION, GATEWAY_API_VERSION
from routes.domain.render_options import MIDDLEWARE_API_VERSION

_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

_CERTIFICATE_SCHEMA = _SCHEMAS / "certificate-v1.json"

_HTTP_ROUTE_SCHEMA = _SCHEMAS / "httproute-v1.json"

_MIDDLEWARE_SCHEMA = _SCHEMAS / "middleware-v1alpha1.json"


def validate_objects(objects: Iterable[dict[str, Any]], kubernetes_version: str = "1.37") -> list[str]:
    """Check objects against the schemas of that Kubernetes minor version; return one readable message per
    problem (an empty list means valid).

    Built-in kinds use kubernetes-validate's strict schemas (unknown fields are errors). cert-manager's
    Certificate and Gateway API's HTTPRoute use the schemas vendored in ``routes/schemas``. Names and labels get the API server's
    metadata rules, which neither schema expresses. A kind with no schema is an error. Value ranges the
    schemas do not state (a port above 65535) are policy's to reject before rendering.

    A version newer than the newest bundled schemas is checked against the newest (``schema_warning`` says so);
    one older than the oldest, or unreadable, is an error (``core.kube_schemas``).
    """
    choice = kube_schemas.choose(kubernetes_version)
    if choice.error:
        return [choice.error]
    errors: list[str] = []
    for obj in objects:
        where = _describe(obj)
        problems = _metadata_errors(obj) + _schema_errors(obj, choice.version)
        errors.extend(f"{where}: {problem}" for problem in problems)
    return errors


def schema_warning(kubernetes_version: str) -> str:
    """What to tell about the schemas objects for this version are checked against: "" when they are its own (or
    when there are none, which ``validate_objects`` reports as an error), else why they are the newest known."""
    return kube_schemas.choose(kubernetes_version).warning


def _describe(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind', '<no kind>')} {metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _schema_errors(obj: dict[str, Any], kubernetes_version: str) -> list[str]:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["apiVersion and kind are required strings"]
    vendored = {
        (CERTIFICATE_API_VERSION, "Certificate"): _CERTIFICATE_SCHEMA,
        (GATEWAY_API_VERSION, "HTTPRoute"): _HTTP_ROUTE_SCHEMA,
        (MIDDLEWARE_API_VERSION, "Middleware"): _MIDDLEWARE_SCHEMA,
    }.get((api_version, kind))
    if vendored is not None:
        if _passes(_fast_validator(str(vendored), None), obj):
            return []
        found = sorted(_vendored_validator(vendored).iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
        return [f"{_field_path(error.absolute_path)}: {error.message}" for error in found]
    try:
        validator = _builtin_validator(kind, api_version, kubernetes_version)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"unknown kind {kind} ({api_version}): no schema for Kubernetes {kubernetes_version}"]
    if _passes(_fast_validator(kind, (api_version, kubernetes_version)), obj):
        return []
    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    return [f"{_field_path(error.absolute_path)}: {error.message}"] if error is not None else []


def _passes(fast: Any, obj: dict[str, Any]) -> bool:
    """Whether the compiled validator finds ``obj`` valid. An object it refuses is validated again by jsonschema,
    whose best-matching error is the message shown, so the two libraries only ever disagree towards checking
    twice."""
    return fast is not None and fast.is_valid(obj)


@lru_cache(maxsize=64)
def _fast_validator(name: str, builtin: tuple[str, str] | None) -> Any:
    """The same schema compiled by jsonschema-rs, about 300 times faster than jsonschema on a valid Ingress (a
    first apply of 1,000 routes validated for two seconds; bench/notes.md, "First apply"). ``name`` is a vendored
    schema's path, or with ``builtin`` (apiVersion, Kubernetes version) a built-in kind. None when it cannot
    compile the schema (a pattern its regex engine does not take): jsonschema alone decides then."""
    if builtin is None:
        schema, registry = json.loads(Path(name).read_text(encoding="utf-8")), None
    else:
        api_version, kubernetes_version = builtin
        schema = _builtin_validator(name, api_version, kubernetes_version).schema
        minor = major_minor(kubernetes_version.lstrip("v"))
        definitions = _definitions(_schema_dir(minor), minor).contents
        registry = jsonschema_rs.Registry([(definitions["$id"], definitions)])
    try:
        return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)
    except (ValueError, jsonschema_rs.ReferencingError):
        return None


@lru_cache(maxsize=8)
def _definitions(schema_dir: str, minor: str) -> Resource:
    """The shared definitions of one schema version (megabytes), parsed once for all kinds."""
    return Resource.from_contents(schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", minor))


@lru_cache(maxsize=64)
def _builtin_validator(kind: str, api_version: str, kubernetes_version: str) -> jsonschema.Draft202012Validator:
    """kubernetes-validate's strict schema for one kind and version, loaded once.

    ``kubernetes_validate.validate`` reads and parses the schema files (the shared definitions are megabytes)
    on every call, which cost about 12 ms per object, ten times an API request; this builds the same validator,
    with the same file choice and error (jsonschema's best match), once per (kind, apiVersion, version).
    """
    minor = major_minor(kubernetes_version.lstrip("v"))
    schema_dir = _schema_dir(minor)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", minor)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=minor, kind=kind, api_version=api_version) from None
    registry = _definitions(schema_dir, minor) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _schema_dir(minor: str) -> str:
    """kubernetes-validate's strict schema folder for a minor version (its newest patch release up to it)."""
    version = [v for v in all_versions() if major_minor(v) <= minor][-1]
    return f"v{version}-local-strict"


@lru_cache(maxsize=4)
def _vendored_validator(path: Path) -> jsonschema.Draft202012Validator:
    """The validator of a CRD schema vendored in ``routes/schemas`` (the CRDs are not in kubernetes-validate)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _field_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(object)"


def _metadata_errors(obj: dict[str, Any]) -> list[str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return ["metadata is required"]
    errors = []
    name = metadata.get("name")
    if obj.get("kind") == "Service":
        if not is_dns1035_label(name):
            errors.append(
                f"metadata.name {name!r}: a Service name must be a DNS-1035 label "
                "(lower-case letters, digits and '-', starting with a letter, at most 63 characters)"
            )
    elif not is_dns1123_subdomain(name):
        errors.append(
            f"metadata.name {name!r}: must be a DNS-1123 subdomain "
            "(lower-case letters, digits, '-' and '.', at most 253 characters)"
        )
    namespace = metadata.get("namespace")
    if not is_dns1123_label(namespace):
        errors.append(
            f"metadata.namespace {namespace!r}: must be a DNS-1123 label "
            "(lower-case letters, digits and '-', at most 63 characters)"
        )
    for field in ("labels", "annotations"):
        for key in metadata.get(field) or {}:
            if not is_label_key(key):
                errors.append(
                    f"metadata.{field} key {key!r}: must be [prefix/]name, prefix a DNS subdomain, "
                    "name at most 63 characters of letters, digits, '-', '_', '.'"
                )
    for key, value in (metadata.get("labels") or {}).items():
        if not is_label_value(value):
            errors.append(
                f"metadata.labels[{key!r}] value {value!r}: must be at most 63 characters of "
                "letters, digits, '-', '_', '.', starting and ending with a letter or digit"
            )
    return errors
