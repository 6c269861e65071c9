"""The emulator's object store: kube-apiserver's read and write semantics over kmock's versioned objects.

Objects live in a `kmock.ObjectsArray`, which keeps every version of every object (a deletion is a
`None` version), so tests can see how often an object was written. Everything here is synchronous and
guarded by one lock: the HTTP handler calls it from the emulator's event loop, tests call it from their
own thread.
"""

import asyncio
import base64
import binascii
import collections
import copy
import ipaddress
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass

import jsonpatch
import jsonpointer
import kmock
import yaml

from tests.kube import fields
from tests.kube.fields import Ownership
from tests.kube.resources import DEFAULT_RESOURCE_TYPES, ResourceType, resource_types_from_crd
from tests.kube.selectors import (
    Requirement,
    SelectorError,
    fields_match,
    label_key_error,
    label_value_error,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)

# Patch content types, as clients send them and kube-apiserver accepts them.
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_RULES = {
    # (group, plural) -> (pattern, max length, the API server's explanation)
    ("", "services"): (
        _DNS1035_LABEL,
        63,
        (
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
            "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
            "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        ),
    ),
    ("", "namespaces"): (
        _DNS1123_LABEL,
        63,
        (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
            "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ),
    ),
}
_SUBDOMAIN_RULE = (
    _DNS1123_SUBDOMAIN,
    253,
    (
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ),
)

# Deleting these answers the deleted object, as kube-apiserver does (others answer a Status).
_DELETE_RETURNS_OBJECT = frozenset({("", "namespaces"), ("", "services"), ("", "pods")})


class ApiError(Exception):
    """A failure the API server reports as a v1 Status body with an HTTP status code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    @classmethod
    def bad_request(cls, message: str) -> "ApiError":
        return cls(400, "BadRequest", message)

    @classmethod
    def not_found(cls, rtype: ResourceType, name: str) -> "ApiError":
        return cls(404, "NotFound", f'{rtype.group_resource} "{name}" not found', _details(rtype, name))

    @classmethod
    def no_such_resource(cls) -> "ApiError":
        return cls(404, "NotFound", "the server could not find the requested resource", {})

    @classmethod
    def already_exists(cls, rtype: ResourceType, name: str) -> "ApiError":
        return cls(409, "AlreadyExists", f'{rtype.group_resource} "{name}" already exists', _details(rtype, name))

    @classmethod
    def conflict(cls, rtype: ResourceType, name: str, why: str, causes: list | None = None) -> "ApiError":
        details = _details(rtype, name)
        if causes:
            details["causes"] = causes
        return cls(409, "Conflict", f'Operation cannot be fulfilled on {rtype.group_resource} "{name}": {why}', details)

    @classmethod
    def modified(cls, rtype: ResourceType, name: str) -> "ApiError":
        """409 for a write based on a stale resourceVersion."""
        return cls.conflict(
            rtype, name, "the object has been modified; please apply your changes to the latest version and try again"
        )

    @classmethod
    def invalid(cls, rtype: ResourceType, name: str, causes: list[tuple[str, str]]) -> "ApiError":
        """422 Invalid; `causes` are (field, problem) pairs such as ("metadata.name", 'Invalid value: "x": ...')."""
        rendered = [f"{field}: {problem}" for field, problem in causes]
        summary = rendered[0] if len(rendered) == 1 else f"[{', '.join(rendered)}]"
        details = {
            "name": name,
            "group": rtype.group,
            "kind": rtype.kind,
            "causes": [
                {"reason": _cause_reason(problem), "message": problem, "field": field} for field, problem in causes
            ],
        }
        if not rtype.group:
            del details["group"]
        return cls(422, "Invalid", f'{rtype.qualified_kind} "{name}" is invalid: {summary}', details)


def _details(rtype: ResourceType, name: str) -> dict:
    details = {"name": name, "group": rtype.group, "kind": rtype.plural}
    if not rtype.group:
        del details["group"]
    return details


def _cause_reason(problem: str) -> str:
    for prefix, reason in (
        ("Required value", "FieldValueRequired"),
        ("Forbidden", "FieldValueForbidden"),
        ("Too long", "FieldValueTooLong"),
        ("Unsupported value", "FieldValueNotSupported"),
    ):
        if problem.startswith(prefix):
            return reason
    return "FieldValueInvalid"


def json_merge_patch(target: object, patch: object) -> object:
    """RFC 7386: maps merge recursively, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


def _without_directives(patch: object) -> object:
    # Strategic merge patches may carry `$patch`, `$setElementOrder/...` and similar directives;
    # the emulator merges like a JSON merge patch, so it drops them rather than store them as fields.
    if isinstance(patch, dict):
        return {key: _without_directives(value) for key, value in patch.items() if not key.startswith("$")}
    if isinstance(patch, list):
        return [_without_directives(item) for item in patch]
    return patch


@dataclass(frozen=True)
class _Event:
    resource_version: int
    type_key: tuple[str, str]
    type: str  # ADDED, MODIFIED, DELETED
    old: dict | None
    new: dict


class Watcher:
    """One open watch: a queue of (event type, object) pairs that pass its namespace and selectors."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        rtype: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        field_terms: list[tuple[str, str, str]],
    ):
        self.loop = loop
        self.rtype = rtype
        self.namespace = namespace
        self.labels = labels
        self.field_terms = field_terms
        self.queue: asyncio.Queue[tuple[str, dict] | None] = asyncio.Queue()  # None ends the stream

    def _selects(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        return (
            (self.namespace is None or meta.get("namespace") == self.namespace)
            and labels_match(self.labels, meta.get("labels"))
            and fields_match(self.field_terms, obj)
        )

    def translate(self, event: _Event) -> tuple[str, dict] | None:
        """What this watcher sees of a change. With a selector, an object that stops (starts) matching
        is reported as DELETED (ADDED), as kube-apiserver does."""
        if event.type_key != (self.rtype.group, self.rtype.plural):
            return None
        was, now = event.type != "ADDED" and self._selects(event.old), self._selects(event.new)
        if event.type == "DELETED":
            kind = "DELETED" if now else None
        elif was and now:
            kind = "MODIFIED"
        else:
            kind = "ADDED" if now else "DELETED" if was else None
        return (kind, present(self.rtype, event.new)) if kind else None

    def close(self) -> None:
        """End the watch stream (callable from any thread)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, None)

    def offer(self, event: _Event) -> None:
        """Queue the change if this watcher sees it (callable from any thread)."""
        seen = self.translate(event)
        if seen is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, seen)


def present(rtype: ResourceType, obj: dict) -> dict:
    """An object as the API serves it through `rtype` (its group, version and kind)."""
    shown = copy.deepcopy(obj)
    shown["apiVersion"] = rtype.api_version
    shown["kind"] = rtype.kind
    return shown


class ObjectStore:
    """Kubernetes objects by resource type, namespace and name, with the API server's semantics.

    Writes assign uid, creationTimestamp, generation and a cluster-wide increasing resourceVersion,
    track field owners in `metadata.managedFields` (server-side apply removes fields its manager
    stopped applying), apply a few server defaults (Service clusterIP, ports' protocol and targetPort,
    nodePorts; Namespace phase), validate names, label keys and values, and honour finalizers.
    Writes that change nothing are not stored and keep the resourceVersion.
    """

    # How many past changes a watch can resume from (older resourceVersions answer 410 Gone).
    EVENT_BACKLOG = 10_000

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects = kmock.ObjectsArray()
        self.types: dict[tuple[str, str, str], ResourceType] = {}
        # When true, namespaced objects may only be created in existing Namespaces (as on a real cluster).
        self.require_namespaces = False
        self.on_types_changed = lambda: None
        self._crd_types: dict[str, list[ResourceType]] = {}
        self._watchers: set[Watcher] = set()
        self.clear()

    def clear(self) -> None:
        """Forget every object, watch backlog and allocation; restore the default resource types."""
        with self.lock:
            for watcher in self._watchers:
                watcher.close()
            self._watchers.clear()
            self.objects.clear()
            self._resource_version = 1000
            self._events: collections.deque[_Event] = collections.deque(maxlen=self.EVENT_BACKLOG)
            self._next_cluster_ip = int(ipaddress.IPv4Address("10.96.0.10"))
            self._next_node_port = 30000
            self.require_namespaces = False
            self._crd_types.clear()
            self.types = {(t.group, t.version, t.plural): t for t in DEFAULT_RESOURCE_TYPES}
        self.on_types_changed()

    # Resource types.

    def resource_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def resolve(self, api_version: str, name: str) -> ResourceType:
        """The served type for an apiVersion and a plural, kind, singular or short name."""
        for rtype in list(self.types.values()):
            if rtype.api_version == api_version and (
                name in {rtype.plural, rtype.kind, rtype.singular} or name in rtype.short_names
            ):
                return rtype
        served = sorted(f"{t.api_version} {t.plural}" for t in self.types.values())
        raise LookupError(f"The emulator serves no {name!r} in {api_version!r}; it serves: {', '.join(served)}")

    def add_type(self, rtype: ResourceType) -> None:
        with self.lock:
            self.types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self.on_types_changed()

    def remove_group(self, group: str) -> None:
        """Stop serving every resource of an API group (as if its CRDs or API service were removed)."""
        with self.lock:
            self.types = {key: rtype for key, rtype in self.types.items() if rtype.group != group}
        self.on_types_changed()

    # Reads.

    def _key(self, rtype: ResourceType, namespace: str | None, name: str) -> tuple:
        # Keyed by group and plural only, so every served version of a resource shares its objects.
        return (kmock.resource(group=rtype.group, plural=rtype.plural), namespace if rtype.namespaced else None, name)

    def _current(self, rtype: ResourceType, namespace: str | None, name: str) -> dict | None:
        key = self._key(rtype, namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return self.objects[key].raw

    def find(self, rtype: ResourceType, namespace: str | None, name: str) -> dict | None:
        """A copy of the object, or None."""
        with self.lock:
            current = self._current(rtype, namespace, name)
            return present(rtype, current) if current is not None else None

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> dict:
        """A copy of the object; 404 when missing."""
        found = self.find(rtype, namespace, name)
        if found is None:
            raise ApiError.not_found(rtype, name)
        return found

    def history(self, rtype: ResourceType, namespace: str | None, name: str) -> list[dict | None]:
        """Every stored version of an object, oldest first; None marks a deletion."""
        with self.lock:
            key = self._key(rtype, namespace, name)
            if key not in self.objects:
                return []
            return [None if v is None else present(rtype, v.raw) for v in self.objects[key].history]

    def _matching(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        field_terms: list[tuple[str, str, str]],
    ) -> list[tuple[tuple[str, str], dict]]:
        """(sort key, stored object) of the live objects that match, in the API server's order
        (namespace, then name). The stored dicts are never modified in place, so no copies here."""
        wanted = (rtype.group, rtype.plural)
        with self.lock:
            found = [
                ((ns or "", name), obj.raw)
                for (resource, ns, name), obj in self.objects.items()
                if (resource.group, resource.plural) == wanted
                and not obj.deleted
                and (namespace is None or ns == namespace)
            ]
        found.sort(key=lambda item: item[0])
        return [
            (key, raw)
            for key, raw in found
            if labels_match(labels, (raw.get("metadata") or {}).get("labels")) and fields_match(field_terms, raw)
        ]

    def select(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        labels: list[Requirement] | None = None,
        field_terms: list[tuple[str, str, str]] | None = None,
    ) -> list[dict]:
        """Copies of the live objects of a type that match, in the API server's order."""
        return [present(rtype, raw) for _, raw in self._matching(rtype, namespace, labels or [], field_terms or [])]

    def list_response(
        self,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: str | int | None = None,
        continue_token: str | None = None,
    ) -> dict:
        """A list response (`kind: XxxList`), one page of it when `limit` is given.

        Pages follow the current state (a real server serves every page from the first page's
        snapshot); the order is stable, so no object is listed twice or skipped unless it changes.
        """
        try:
            labels = parse_label_selector(label_selector)
            field_terms = parse_field_selector(field_selector)
        except SelectorError as exc:
            raise ApiError.bad_request(str(exc)) from None
        try:
            page_size = int(limit) if limit not in (None, "") else 0
        except ValueError:
            raise ApiError.bad_request(f"limit: Invalid value: {limit!r}: must be an integer") from None
        with self.lock:
            matching = self._matching(rtype, namespace, labels, field_terms)
            list_version = self._resource_version
        if continue_token:
            list_version, start = _decode_continue(continue_token)
            matching = [(key, raw) for key, raw in matching if key > start]
        metadata: dict = {"resourceVersion": str(list_version)}
        if 0 < page_size < len(matching):
            remaining = len(matching) - page_size
            matching = matching[:page_size]
            metadata["continue"] = _encode_continue(list_version, matching[-1][0])
            if not labels and not field_terms:  # the API server only counts what remains without selectors
                metadata["remainingItemCount"] = remaining
        items = [present(rtype, raw) for _, raw in matching]
        if rtype.builtin:  # kube-apiserver leaves apiVersion and kind out of built-in list items
            for item in items:
                del item["apiVersion"], item["kind"]
        return {"kind": f"{rtype.kind}List", "apiVersion": rtype.api_version, "metadata": metadata, "items": items}

    # Writes.

    def create(
        self,
        rtype: ResourceType,
        namespace: str | None,
        body: object,
        *,
        manager: str,
        dry_run: bool = False,
        keep_status: bool = False,
    ) -> dict:
        """POST: store a new object; 409 if it exists. `keep_status` lets test seeds set `status` too."""
        obj = self._checked_body(rtype, body)
        meta = obj.setdefault("metadata", {})
        namespace = self._checked_namespace(rtype, namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)
            )
        if not meta.get("name"):
            raise ApiError.invalid(rtype, "", [("metadata.name", "Required value: name or generateName is required")])
        for server_field in fields.UNOWNED_METADATA - {"name", "namespace"}:
            meta.pop(server_field, None)
        if rtype.has_status and not keep_status:
            obj.pop("status", None)
        owner = Ownership(manager, "Update", rtype.api_version)
        with self.lock:
            return self._insert(rtype, namespace, obj, owner, without_status=not keep_status, dry_run=dry_run)

    def _insert(
        self,
        rtype: ResourceType,
        namespace: str | None,
        obj: dict,
        owner: Ownership,
        *,
        without_status: bool,
        dry_run: bool,
    ) -> dict:
        meta = obj["metadata"]
        if self._current(rtype, namespace, meta["name"]) is not None:
            raise ApiError.already_exists(rtype, meta["name"])
        if rtype.namespaced and self.require_namespaces and self._namespace_missing(namespace):
            namespaces = self.types[("", "v1", "namespaces")]
            raise ApiError.not_found(namespaces, namespace or "")
        self._default(rtype, obj, None)
        self._validate(rtype, obj)
        if owner.operation == "Update":  # creation owns what ends up stored, server defaults included
            owner.paths = fields.leaf_paths(obj, without_status=without_status and rtype.has_status)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=fields.now(), generation=1)
        meta["managedFields"] = fields.render_all([owner])
        return self._store(rtype, None, obj, dry_run=dry_run)

    def replace(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: object,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """PUT: replace the object (its status only, through the status subresource); 404 if missing."""
        obj = self._checked_body(rtype, body)
        meta = obj.setdefault("metadata", {})
        self._checked_namespace(rtype, namespace, meta)
        if meta.get("name", name) != name:
            raise ApiError.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        with self.lock:
            old = self._existing(rtype, namespace, name)
            if "managedFields" not in meta:  # a PUT without managedFields keeps the recorded owners
                meta["managedFields"] = old["metadata"].get("managedFields", [])
            return self._update(rtype, old, obj, manager=manager, subresource=subresource, dry_run=dry_run)

    def patch(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: bytes | object,
        content_type: str,
        *,
        manager: str | None,
        force: bool | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> tuple[int, dict]:
        """PATCH in any of the four patch types; returns (HTTP status, object). Apply may create (201)."""
        content_type = content_type.split(";")[0].strip().lower()
        if content_type == APPLY_PATCH:
            return self._apply(
                rtype,
                namespace,
                name,
                body,
                manager=manager,
                force=bool(force),
                subresource=subresource,
                dry_run=dry_run,
            )
        if force is not None:
            raise ApiError(422, "Invalid", "force: Forbidden: may not be specified for non-apply patch")
        accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] + ([STRATEGIC_MERGE_PATCH] if rtype.builtin else [])
        if content_type not in accepted:  # custom resources have no strategic merge (no patch strategies)
            raise ApiError(
                415,
                "UnsupportedMediaType",
                (
                    "the body of the request was in an unknown format - accepted media types include: "
                    + ", ".join(accepted)
                ),
            )
        patch = _decode(body, yaml_allowed=False)
        with self.lock:
            old = self._existing(rtype, namespace, name)
            if content_type == JSON_PATCH:
                if not isinstance(patch, list):
                    raise ApiError.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
                try:
                    obj = jsonpatch.apply_patch(old, patch, in_place=False)
                except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
                    raise ApiError(
                        422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
                    ) from None
            else:
                if not isinstance(patch, dict):
                    raise ApiError.bad_request(
                        "json: cannot unmarshal array into Go value of type map[string]interface {}"
                    )
                obj = json_merge_patch(
                    old, _without_directives(patch) if content_type == STRATEGIC_MERGE_PATCH else patch
                )
            if not isinstance(obj, dict):
                raise ApiError.bad_request("the patch does not result in an object")
            obj = self._checked_body(rtype, obj)
            return 200, self._update(
                rtype, old, obj, manager=manager or "unknown", subresource=subresource, dry_run=dry_run
            )

    def _apply(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: bytes | object,
        *,
        manager: str | None,
        force: bool,
        subresource: str | None,
        dry_run: bool,
    ) -> tuple[int, dict]:
        if not manager:
            raise ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
            )
        config = _decode(body, yaml_allowed=True)
        if not isinstance(config, dict):
            raise ApiError.bad_request("error decoding YAML: the apply configuration must be an object")
        for required in ("apiVersion", "kind"):
            if not config.get(required):
                raise ApiError.bad_request(f"invalid object type: {required} is required for apply")
        config = self._checked_body(rtype, config)
        meta = config.setdefault("metadata", {})
        self._checked_namespace(rtype, namespace, meta)
        if meta.get("name") != name:
            raise ApiError.bad_request(
                f"the name of the object ({meta.get('name', '')}) does not match the name on the URL ({name})"
            )
        if subresource == "status":
            config = {
                "apiVersion": config["apiVersion"],
                "kind": config["kind"],
                "metadata": meta,
                "status": config.get("status") or {},
            }
        elif rtype.has_status:
            config.pop("status", None)  # the main endpoint ignores status, as for any write
        applied = fields.leaf_paths(config, status_only=subresource == "status")
        with self.lock:
            old = self._current(rtype, namespace, name)
            if old is None:
                if subresource is not None:
                    raise ApiError.not_found(rtype, name)
                obj = copy.deepcopy(config)
                for server_field in fields.UNOWNED_METADATA - {"name", "namespace"}:
                    obj["metadata"].pop(server_field, None)
                owner = Ownership(manager, "Apply", rtype.api_version, applied)
                return 201, self._insert(rtype, namespace, obj, owner, without_status=True, dry_run=dry_run)
            wanted = meta.get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                raise ApiError.modified(rtype, name)
            owners = Ownership.parse_all(old)
            mine = next((o for o in owners if o.same_slot(manager, "Apply", subresource)), None)
            if mine is None:
                mine = Ownership(manager, "Apply", rtype.api_version, subresource=subresource)
                owners.append(mine)
            self._take_ownership(rtype, name, old, config, applied, owners, mine, force=force)
            # Fields this manager applied before and applies no more are removed, unless someone else owns them.
            obj = copy.deepcopy(old)
            for dropped in mine.paths - applied:
                if not any(
                    fields.overlaps(dropped, path) for other in owners if other is not mine for path in other.paths
                ):
                    fields.remove_path(obj, dropped)
            obj = fields.merge(obj, {key: value for key, value in config.items() if key != "metadata"})
            obj["metadata"] = fields.merge(
                obj["metadata"], {k: v for k, v in meta.items() if k not in fields.UNOWNED_METADATA}
            )
            if mine.paths != applied or mine.api_version != rtype.api_version:
                mine.paths, mine.api_version, mine.time = applied, rtype.api_version, None
            obj["metadata"]["managedFields"] = fields.render_all(owners)
            return 200, self._update(rtype, old, obj, manager=None, subresource=subresource, dry_run=dry_run)

    def _take_ownership(
        self,
        rtype: ResourceType,
        name: str,
        old: dict,
        config: dict,
        applied: set,
        owners: list[Ownership],
        mine: Ownership,
        *,
        force: bool,
    ) -> None:
        """Apply's conflict rule: setting a field another manager owns to a different value is a conflict,
        unless forced, which moves the field to the applier. Setting it to the same value shares it."""
        conflicts: list[tuple[Ownership, fields.Path]] = [
            (other, path)
            for other in owners
            if other is not mine
            for path in sorted(other.paths & applied)
            if not fields.same_value(old, config, path)
        ]
        if conflicts and not force:
            raise ApiError(
                409,
                "Conflict",
                _conflict_message(conflicts),
                {
                    **_details(rtype, name),
                    "causes": [
                        {
                            "reason": "FieldManagerConflict",
                            "field": _dotted(path),
                            "message": f'conflict with "{other.manager}" using {other.api_version}',
                        }
                        for other, path in conflicts
                    ],
                },
            )
        for other, owned in conflicts:
            other.paths.discard(owned)
            other.time = None

    def _update(
        self,
        rtype: ResourceType,
        old: dict,
        obj: dict,
        *,
        manager: str | None,
        subresource: str | None,
        dry_run: bool,
    ) -> dict:
        """Finish any write to an existing object. With a `manager`, attribute what changed to it
        (an Update operation); without, the caller already rewrote managedFields (apply)."""
        if subresource not in (None, "status"):
            raise ApiError.no_such_resource()
        meta = obj.setdefault("metadata", {})
        old_meta = old["metadata"]
        # A resourceVersion in the body makes the write conditional (optimistic concurrency).
        if meta.get("resourceVersion") not in (None, "", old_meta["resourceVersion"]):
            raise ApiError.modified(rtype, old_meta["name"])
        for kept in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
        ):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        # The status subresource changes only status; the main endpoint of such a resource never does.
        if subresource == "status":
            new_status = obj.get("status")
            obj = copy.deepcopy(old)
            obj["metadata"]["managedFields"] = meta.get("managedFields", old_meta.get("managedFields", []))
            if new_status is None:
                obj.pop("status", None)
            else:
                obj["status"] = new_status
        elif rtype.has_status:
            if "status" in old:
                obj["status"] = copy.deepcopy(old["status"])
            else:
                obj.pop("status", None)
        if old_meta.get("deletionTimestamp") and set(obj["metadata"].get("finalizers") or []) - set(
            old_meta.get("finalizers") or []
        ):
            raise ApiError(
                422,
                "Invalid",
                f'{rtype.qualified_kind} "{old_meta["name"]}" is invalid: metadata.finalizers: Forbidden: '
                "no new finalizers can be added if the object is being deleted",
            )
        self._default(rtype, obj, old)
        self._validate(rtype, obj)
        if manager is not None:
            self._record_update(rtype, old, obj, manager, subresource)
        if _spec_of(obj) != _spec_of(old):
            obj["metadata"]["generation"] = old_meta.get("generation", 1) + 1
        return self._store(rtype, old, obj, dry_run=dry_run)

    def _record_update(self, rtype: ResourceType, old: dict, obj: dict, manager: str, subresource: str | None) -> None:
        """Give `manager` the fields its write changed, taking them from whoever owned them."""
        scope = {"status_only": True} if subresource == "status" else {"without_status": rtype.has_status}
        before, after = fields.leaf_paths(old, **scope), fields.leaf_paths(obj, **scope)
        changed = {path for path in after if path not in before or not fields.same_value(old, obj, path)}
        touched = changed | (before - after)
        owners = Ownership.parse_all(obj)
        mine = next((o for o in owners if o.same_slot(manager, "Update", subresource)), None)
        if mine is None:
            mine = Ownership(manager, "Update", rtype.api_version, subresource=subresource)
            owners.append(mine)
        for owner in owners:
            kept = {path for path in owner.paths if not any(fields.overlaps(path, t) for t in touched)}
            if owner is mine:
                kept |= changed
            if kept != owner.paths:
                owner.paths, owner.time = kept, None
        obj["metadata"]["managedFields"] = fields.render_all(owners)

    def _store(self, rtype: ResourceType, old: dict | None, obj: dict, *, dry_run: bool) -> dict:
        """Persist a finished write (unless it changes nothing) and tell the watchers."""
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj["metadata"]
        if old is not None and _comparable(obj) == _comparable(old):
            return present(rtype, old)
        meta["resourceVersion"] = str(self._resource_version + 1)
        if dry_run:
            return present(rtype, obj)
        self._resource_version += 1
        key = self._key(rtype, meta.get("namespace"), meta["name"])
        if old is None and key in self.objects:
            self.objects[key].history.append(copy.deepcopy(obj))  # re-created: continue its history
        elif old is None:
            self.objects[key] = copy.deepcopy(obj)
        else:
            self.objects[key].history.append(copy.deepcopy(obj))
        self._emit(rtype, "ADDED" if old is None else "MODIFIED", old, obj)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._remove(rtype, obj)  # the last finalizer is gone: the pending deletion completes
        self._after_write(rtype, old, obj)
        return present(rtype, obj)

    def _remove(self, rtype: ResourceType, obj: dict) -> dict:
        self._resource_version += 1
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self._resource_version)
        self.objects[self._key(rtype, obj["metadata"].get("namespace"), obj["metadata"]["name"])].history.append(None)
        self._emit(rtype, "DELETED", obj, gone)
        self._after_write(rtype, obj, None)
        return gone

    def _after_write(self, rtype: ResourceType, old: dict | None, new: dict | None) -> None:
        # A CustomResourceDefinition makes its resource servable, as on a real cluster.
        if (rtype.group, rtype.plural) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            name = (new or old or {}).get("metadata", {}).get("name", "")
            for previous in self._crd_types.pop(name, []):
                self.types.pop((previous.group, previous.version, previous.plural), None)
            if new is not None:
                self._crd_types[name] = resource_types_from_crd(new)
                for served in self._crd_types[name]:
                    self.types[(served.group, served.version, served.plural)] = served
            self.on_types_changed()
        # Deleting a Namespace deletes what is in it.
        if (rtype.group, rtype.plural) == ("", "namespaces") and new is None:
            namespace = old["metadata"]["name"]
            served = {(t.group, t.plural): t for t in self.types.values()}
            for (resource, ns, _name), stored in list(self.objects.items()):
                if ns == namespace and not stored.deleted and (resource.group, resource.plural) in served:
                    self._remove(served[resource.group, resource.plural], stored.raw)

    def delete(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        *,
        options: object = None,
        dry_run: bool = False,
    ) -> dict:
        """DELETE: remove the object, or only mark it (deletionTimestamp) while finalizers remain.
        Answers a Status, or the object when it stays (finalizers) or is a Namespace."""
        preconditions = (options.get("preconditions") if isinstance(options, dict) else None) or {}
        with self.lock:
            old = self._existing(rtype, namespace, name)
            meta = old["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                raise ApiError.conflict(
                    rtype,
                    name,
                    f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                    f"UID in object meta: {meta['uid']}",
                )
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise ApiError.conflict(
                    rtype,
                    name,
                    (
                        f"the ResourceVersion in the precondition ({preconditions['resourceVersion']}) does not match "
                        f"the ResourceVersion in record ({meta['resourceVersion']}). "
                        "The object might have been modified"
                    ),
                )
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return present(rtype, old)
                marked = copy.deepcopy(old)
                marked["metadata"].update(deletionTimestamp=fields.now(), deletionGracePeriodSeconds=0)
                return self._store(rtype, old, marked, dry_run=dry_run)
            if dry_run:
                return present(rtype, old)
            gone = self._remove(rtype, old)
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            gone.setdefault("status", {})["phase"] = "Terminating"
        if (rtype.group, rtype.plural) in _DELETE_RETURNS_OBJECT:
            return present(rtype, gone)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**_details(rtype, name), "uid": meta["uid"]},
        }

    def delete_collection(
        self,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """DELETE on a collection: delete what the selectors match; answers the list of deleted objects."""
        with self.lock:
            selected = self.list_response(
                rtype, namespace, label_selector=label_selector, field_selector=field_selector
            )
            for item in selected["items"]:
                meta = item["metadata"]
                self.delete(rtype, meta.get("namespace"), meta["name"], dry_run=dry_run)
            return selected

    # Watches.

    def watch(
        self,
        loop: asyncio.AbstractEventLoop,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
    ) -> Watcher:
        """Open a watch. Without a resourceVersion (or "0") it starts with ADDED for what exists;
        with one, it replays the changes after it (410 Gone when that is too far back)."""
        try:
            watcher = Watcher(
                loop, rtype, namespace, parse_label_selector(label_selector), parse_field_selector(field_selector)
            )
        except SelectorError as exc:
            raise ApiError.bad_request(str(exc)) from None
        with self.lock:
            if resource_version in (None, "", "0"):
                for obj in self.select(rtype, namespace, watcher.labels, watcher.field_terms):
                    watcher.queue.put_nowait(("ADDED", obj))
            else:
                try:
                    since = int(resource_version)
                except ValueError:
                    raise ApiError.bad_request(f"resourceVersion: Invalid value: {resource_version!r}") from None
                oldest = self._events[0].resource_version if self._events else self._resource_version + 1
                if since < oldest - 1 and len(self._events) == self._events.maxlen:
                    raise ApiError(410, "Expired", f"too old resource version: {since} ({oldest - 1})")
                for event in self._events:
                    seen = watcher.translate(event) if event.resource_version > since else None
                    if seen is not None:
                        watcher.queue.put_nowait(seen)
            self._watchers.add(watcher)
        return watcher

    @property
    def open_watches(self) -> int:
        with self.lock:
            return len(self._watchers)

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.discard(watcher)

    def _emit(self, rtype: ResourceType, kind: str, old: dict | None, new: dict) -> None:
        event = _Event(
            int(new["metadata"]["resourceVersion"]),
            (rtype.group, rtype.plural),
            kind,
            copy.deepcopy(old),
            copy.deepcopy(new),
        )
        self._events.append(event)
        for watcher in list(self._watchers):
            watcher.offer(event)

    # Checks and defaults shared by the writes.

    def _existing(self, rtype: ResourceType, namespace: str | None, name: str) -> dict:
        current = self._current(rtype, namespace, name)
        if current is None:
            raise ApiError.not_found(rtype, name)
        return copy.deepcopy(current)

    def _namespace_missing(self, namespace: str | None) -> bool:
        return self._current(self.types[("", "v1", "namespaces")], None, namespace or "") is None

    def _checked_body(self, rtype: ResourceType, body: object) -> dict:
        if not isinstance(body, dict):
            raise ApiError.bad_request(f"the body of the request must be a {rtype.kind} object")
        obj = copy.deepcopy(body)
        if obj.get("apiVersion") not in (None, rtype.api_version):
            raise ApiError.bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match "
                f"the expected API version ({rtype.api_version})"
            )
        if obj.get("kind") not in (None, rtype.kind):
            raise ApiError.bad_request(
                f"the kind in the data ({obj['kind']}) does not match the expected kind ({rtype.kind})"
            )
        if not isinstance(obj.get("metadata", {}), dict):
            raise ApiError.bad_request("metadata must be an object")
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        return obj

    def _checked_namespace(self, rtype: ResourceType, namespace: str | None, meta: dict) -> str | None:
        if not rtype.namespaced:
            meta.pop("namespace", None)
            return None
        if namespace is None:
            namespace = meta.get("namespace")
            if not namespace:
                raise ApiError.bad_request("an empty namespace may not be set during creation")
        elif meta.get("namespace", namespace) != namespace:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace
        return namespace

    def _validate(self, rtype: ResourceType, obj: dict) -> None:
        meta = obj["metadata"]
        name = meta.get("name", "")
        causes: list[tuple[str, str]] = []
        pattern, max_length, explanation = _NAME_RULES.get((rtype.group, rtype.plural), _SUBDOMAIN_RULE)
        if len(name) > max_length:
            causes.append(("metadata.name", f'Invalid value: "{name}": must be no more than {max_length} characters'))
        elif not pattern.fullmatch(name):
            causes.append(("metadata.name", f'Invalid value: "{name}": {explanation}'))
        for key, value in (meta.get("labels") or {}).items():
            if not isinstance(value, str):
                raise ApiError.bad_request(
                    f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                    "ObjectMeta.metadata.labels of type string"
                )
            if (problem := label_key_error(key)) is not None:
                causes.append(("metadata.labels", f'Invalid value: "{key}": {problem}'))
            if (problem := label_value_error(value)) is not None:
                causes.append(("metadata.labels", f'Invalid value: "{value}": {problem}'))
        for key, value in (meta.get("annotations") or {}).items():
            if not isinstance(value, str):
                raise ApiError.bad_request(
                    f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                    "ObjectMeta.metadata.annotations of type string"
                )
            if (problem := label_key_error(key.lower())) is not None:
                causes.append(("metadata.annotations", f'Invalid value: "{key}": {problem}'))
        if causes:
            raise ApiError.invalid(rtype, name, causes)

    def _default(self, rtype: ResourceType, obj: dict, old: dict | None) -> None:
        """The few server-side defaults Portico's tests can observe."""
        if rtype.has_status and "status" not in obj and rtype.plural in {"services", "ingresses"} and rtype.builtin:
            obj["status"] = {"loadBalancer": {}}
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj.setdefault("status", {}).setdefault("phase", "Active")
        if (rtype.group, rtype.plural) == ("", "services"):
            self._default_service(obj.setdefault("spec", {}), ((old or {}).get("spec") or {}))

    def _default_service(self, spec: dict, old_spec: dict) -> None:
        service_type = spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if service_type != "ExternalName":
            if not spec.get("clusterIP"):
                # The clusterIP is allocated once and survives updates that do not mention it.
                spec["clusterIP"] = old_spec.get("clusterIP") or self._allocate_cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        if service_type in {"NodePort", "LoadBalancer"}:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        old_node_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in old_spec.get("ports") or []
            if isinstance(p, dict)
        }
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            port.setdefault("protocol", "TCP")
            if service_type != "ExternalName":
                port.setdefault("targetPort", port.get("port"))
            if service_type in {"NodePort", "LoadBalancer"} and not port.get("nodePort"):
                port["nodePort"] = (
                    old_node_ports.get((port.get("port"), port["protocol"])) or self._allocate_node_port()
                )

    def _allocate_cluster_ip(self) -> str:
        self._next_cluster_ip += 1
        return str(ipaddress.IPv4Address(self._next_cluster_ip))

    def _allocate_node_port(self) -> int:
        self._next_node_port += 1
        return self._next_node_port


def _dotted(path: fields.Path) -> str:
    return "." + ".".join(path)


def _conflict_message(conflicts: list[tuple[Ownership, fields.Path]]) -> str:
    """Word apply conflicts as kube-apiserver does (one line for one, grouped by manager for several)."""
    if len(conflicts) == 1:
        other, path = conflicts[0]
        return (
            f'Apply failed with 1 conflict: conflict with "{other.manager}" using {other.api_version}: {_dotted(path)}'
        )
    lines: list[str] = []
    for manager, api_version in sorted({(other.manager, other.api_version) for other, _ in conflicts}):
        lines.append(f'conflicts with "{manager}" using {api_version}:')
        lines.extend(
            f"- {_dotted(path)}"
            for other, path in conflicts
            if (other.manager, other.api_version) == (manager, api_version)
        )
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def _spec_of(obj: dict) -> dict:
    # Generation counts changes to anything but metadata and status (the "desired state").
    return {key: value for key, value in obj.items() if key not in {"metadata", "status", "apiVersion", "kind"}}


def _comparable(obj: dict) -> dict:
    stripped = copy.deepcopy(obj)
    stripped["metadata"].pop("resourceVersion", None)
    return stripped


def _encode_continue(resource_version: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": resource_version, "start": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError):
        raise ApiError.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None


def _decode(body: bytes | object, *, yaml_allowed: bool) -> object:
    if not isinstance(body, (bytes, str)):
        return copy.deepcopy(body)
    try:
        return yaml.safe_load(body) if yaml_allowed else json.loads(body)
    except (ValueError, yaml.YAMLError) as exc:
        raise ApiError.bad_request(f"error decoding {'YAML' if yaml_allowed else 'JSON'}: {exc}") from None
