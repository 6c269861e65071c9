"""A request as the emulator takes it in: the record kept in the request log, and a resource URL taken apart."""

import json
from dataclasses import dataclass
from typing import Any

import aiohttp.web
import yaml

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class RecordedRequest:
    """One request as the emulator received it (faulted and unauthorised ones included)."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    body: Any  # parsed JSON (or YAML for apply patches); None when empty or unparsable
    headers: dict[str, str]
    raw_body: bytes
    status: int | None = None  # the answer's HTTP status; None while in flight or when dropped
    dropped: bool = False  # the emulator closed the connection instead of answering

    @classmethod
    def capture(cls, raw: aiohttp.web.BaseRequest, raw_body: bytes) -> "RecordedRequest":
        content_type = raw.headers.get("Content-Type")
        return cls(
            method=raw.method.upper(),
            path=raw.path,
            query=dict(raw.query),
            content_type=content_type,
            body=_parse_body(raw_body, content_type),
            headers=dict(raw.headers),
            raw_body=raw_body,
        )

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS


def _parse_body(raw_body: bytes, content_type: str | None) -> Any:
    if not raw_body:
        return None
    try:
        return json.loads(raw_body)
    except ValueError:
        pass
    if content_type and "yaml" in content_type:
        try:
            return yaml.safe_load(raw_body)
        except yaml.YAMLError:
            return None
    return None


@dataclass(frozen=True)
class ApiPath:
    """A resource URL taken apart: /apis/{group}/{version}[/namespaces/{namespace}]/{plural}[/{name}[/{sub}]]."""

    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_api_path(path: str) -> ApiPath | None:
    """Parse a resource URL; None for anything else (discovery, /version, ...)."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    # /api/v1/namespaces/{name}[/status] is a Namespace itself; /api/v1/namespaces/{ns}/{plural}... is inside one.
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in {"status", "finalize"}):
        namespace, rest = rest[1], rest[2:]
    return ApiPath(
        group,
        version,
        rest[0],
        namespace,
        rest[1] if len(rest) > 1 else None,
        "/".join(rest[2:]) or None,
    )
