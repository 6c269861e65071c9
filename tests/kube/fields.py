"""Field paths and field ownership (`metadata.managedFields`), the bookkeeping behind server-side apply.

A field path is a tuple of map keys from the object's root, e.g. ("spec", "rules") or
("metadata", "labels", "app"). Maps are owned key by key; lists and scalars are owned whole, as
`+listType=atomic` lists are in Kubernetes. (Real servers merge some lists item by item, keyed by e.g.
a port number; the emulator does not, so two managers sharing one list conflict on the whole list.)
"""

import copy
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

Path = tuple[str, ...]

# Set and maintained by the server or identifying the object: nobody owns these.
UNOWNED_METADATA = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    }
)


def now() -> str:
    """The current time as the API server writes timestamps (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _walk(value: object, prefix: Path) -> Iterator[Path]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _walk(item, (*prefix, key))
    else:
        yield prefix


def leaf_paths(obj: dict, *, status_only: bool = False, without_status: bool = False) -> set[Path]:
    """The owned-field paths an object (or an apply configuration) sets.

    `without_status` leaves `status` out (writes to the main endpoint of a resource with a status
    subresource cannot set it); `status_only` keeps only `status` (writes to that subresource).
    """
    paths: set[Path] = set()
    for key, value in obj.items():
        if key in {"apiVersion", "kind"}:
            continue
        if (key == "status" and without_status) or (key != "status" and status_only):
            continue
        if key == "metadata" and isinstance(value, dict):
            for meta_key, meta_value in value.items():
                if meta_key not in UNOWNED_METADATA:
                    paths.update(_walk(meta_value, ("metadata", meta_key)))
        else:
            paths.update(_walk(value, (key,)))
    return paths


_MISSING = object()


def get_path(obj: dict, path: Path) -> object:
    """The value at `path`, or the module's `_MISSING` marker."""
    value: object = obj
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def same_value(a: dict, b: dict, path: Path) -> bool:
    return get_path(a, path) == get_path(b, path)


def remove_path(obj: dict, path: Path) -> None:
    """Remove the field at `path`, and the maps that the removal leaves empty."""
    parents: list[tuple[dict, str]] = []
    value: object = obj
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return
        parents.append((value, key))
        value = value[key]
    container, key = parents.pop()
    del container[key]
    while parents and not container:
        container, key = parents.pop()
        del container[key]


def overlaps(a: Path, b: Path) -> bool:
    """Whether owning one path touches the other (equal, or one inside the other)."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def merge(base: dict, overlay: dict) -> dict:
    """Merge `overlay` into a copy of `base`: maps merge key by key, everything else is replaced."""
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def to_fields_v1(paths: set[Path]) -> dict:
    """Render paths in the FieldsV1 format of `managedFields` (`{"f:spec": {"f:rules": {}}}`)."""
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


def from_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    """Read paths back from FieldsV1. List item keys (`k:`, `v:`, `i:`) count as the whole list."""
    paths: set[Path] = set()
    for key, sub in (tree or {}).items():
        if key == ".":
            if prefix:
                paths.add(prefix)
        elif key.startswith("f:"):
            child = (*prefix, key[2:])
            paths.update(from_fields_v1(sub, child) if sub else {child})
        elif prefix:
            paths.add(prefix)
    return paths


@dataclass
class Ownership:
    """One `managedFields` entry: which fields a manager set, and through which operation."""

    manager: str
    operation: str  # "Apply" or "Update"
    api_version: str
    paths: set[Path] = field(default_factory=set)
    subresource: str | None = None
    time: str | None = None

    @classmethod
    def parse_all(cls, obj: dict) -> list["Ownership"]:
        return [
            cls(
                manager=entry.get("manager", ""),
                operation=entry.get("operation", "Update"),
                api_version=entry.get("apiVersion", ""),
                paths=from_fields_v1(entry.get("fieldsV1") or {}),
                subresource=entry.get("subresource"),
                time=entry.get("time"),
            )
            for entry in (obj.get("metadata") or {}).get("managedFields") or []
        ]

    def same_slot(self, manager: str, operation: str, subresource: str | None) -> bool:
        return (self.manager, self.operation, self.subresource) == (manager, operation, subresource)

    def render(self) -> dict:
        entry = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time or now(),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(self.paths),
        }
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def render_all(owners: list[Ownership]) -> list[dict]:
    return [owner.render() for owner in owners if owner.paths]
