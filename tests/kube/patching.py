"""Patches and server-side apply: the four patch types, field managers and their conflicts."""

import copy
import json

import jsonpatch
import jsonpointer
import yaml

from tests.kube import fields
from tests.kube.api_errors import ApiError, _details
from tests.kube.fields import Ownership
from tests.kube.resources import ResourceType

# Patch content types, as clients send them and kube-apiserver accepts them.
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


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


class Patching:
    """PATCH for `ObjectStore`: merge, strategic merge, JSON patch and server-side apply; who owns which field."""

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


def _decode(body: bytes | object, *, yaml_allowed: bool) -> object:
    if not isinstance(body, (bytes, str)):
        return copy.deepcopy(body)
    try:
        return yaml.safe_load(body) if yaml_allowed else json.loads(body)
    except (ValueError, yaml.YAMLError) as exc:
        raise ApiError.bad_request(f"error decoding {'YAML' if yaml_allowed else 'JSON'}: {exc}") from None
