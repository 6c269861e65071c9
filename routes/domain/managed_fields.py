"""Fields other managers added to Portico's objects, read from ``metadata.managedFields`` (docs/architecture.md,
"Clusters as they really are").

Portico applies its objects with server-side apply as field manager ``portico`` and ``force``: that takes back every
field Portico sets, but never removes a field another manager owns (a ``kubectl annotate``, a ``kubectl edit``, another
controller's apply). Such a field is drift Portico's re-apply cannot repair, so it is reported; the annotations of
``policy.annotations`` (snippets, external auth, extra middlewares: they change what the ingress controller does
beyond any reviewed option) are removed by the sync.

What is not another manager's addition:

- entries of a subresource (``status``: the ingress controller's address, cert-manager's conditions, the service
  controller's load balancer) and anything under ``status``;
- ``metadata.finalizers`` (controllers' clean-up finalizers, such as the service controller's
  ``service.kubernetes.io/load-balancer-cleanup``: removing them would break the controller's clean-up);
- kubectl's bookkeeping annotation ``kubectl.kubernetes.io/last-applied-configuration``;
- a field Portico owns too, or one inside a list item Portico owns (two managers that set the same value share
  it; a changed value of Portico's is drift its forced apply repairs, and the repaired object no longer lists it);
- a whole top-level spec field Portico renders for the kind (``RENDERED_SPEC``): an adopted Ingress keeps its
  ``rules``, ``tls`` and ``ingressClassName`` owned by whoever created it, with the values Portico wants (adoption
  applies metadata only, docs/adoption.md).

Fields owned by ``before-first-apply`` were on the object before Portico's first apply (an adopted Ingress) and are
reported like any other manager's, under that name.

Pure: takes the object as a JSON dict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from routes.domain.policy.annotations import is_dangerous_annotation

PORTICO_MANAGER = "portico"
BEFORE_FIRST_APPLY = "before-first-apply"
# Where a sync keeps the fields other managers own on a listed object, once ``metadata.managedFields`` (often most of
# the object) is dropped: a key of Portico's own, never sent to an API server (only desired objects are).
SUMMARY_KEY = "portico:foreignFields"

Path = tuple[str, ...]

_IGNORED_PREFIXES: tuple[Path, ...] = (
    ("f:status",),
    ("f:metadata", "f:finalizers"),
    ("f:metadata", "f:annotations", "f:kubectl.kubernetes.io/last-applied-configuration"),
)


# The top-level spec fields Portico renders, by kind (routes.domain.render).
RENDERED_SPEC: dict[str, frozenset[str]] = {
    "Ingress": frozenset({"ingressClassName", "rules", "tls"}),
    "Service": frozenset({"type", "ports", "selector", "externalName"}),
    "Certificate": frozenset({"secretName", "dnsNames", "issuerRef"}),
    "HTTPRoute": frozenset({"parentRefs", "hostnames", "rules"}),
}


@dataclass(frozen=True)
class ForeignField:
    """One field another manager owns on one of Portico's objects."""

    manager: str
    operation: str  # Apply | Update
    field: str  # readable: "annotation nginx.ingress.kubernetes.io/auth-url", "spec.rules[0].host"
    annotation: str = ""  # the annotation's key when the field is one
    removed: bool = False  # the sync removed it (``dangerous`` annotations only)

    @property
    def dangerous(self) -> bool:
        return bool(self.annotation) and is_dangerous_annotation(self.annotation)

    def as_dict(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "operation": self.operation,
            "field": self.field,
            "annotation": self.annotation,
            "removed": self.removed,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> ForeignField:
        return cls(
            manager=str(value.get("manager", "")),
            operation=str(value.get("operation", "")),
            field=str(value.get("field", "")),
            annotation=str(value.get("annotation", "")),
            removed=bool(value.get("removed", False)),
        )


def foreign_fields(obj: dict[str, Any] | None) -> list[ForeignField]:
    """The fields managers other than Portico own on ``obj``: from the summary a sync kept (``summarize``) or else
    from its ``metadata.managedFields``."""
    if not obj:
        return []
    summary = obj.get(SUMMARY_KEY)
    if isinstance(summary, list):
        return [ForeignField.from_dict(item) for item in summary if isinstance(item, dict)]
    entries = (obj.get("metadata") or {}).get("managedFields")
    return _from_entries(entries, str(obj.get("kind") or "")) if isinstance(entries, list) else []


def summarize(obj: dict[str, Any]) -> None:
    """Replace ``metadata.managedFields`` of a listed object by the summary of other managers' fields (kept only when
    there are some), in place."""
    metadata = obj.get("metadata") or {}
    entries = metadata.pop("managedFields", None)
    if isinstance(entries, list):
        found = _from_entries(entries, str(obj.get("kind") or ""))
        if found:
            obj[SUMMARY_KEY] = [item.as_dict() for item in found]


def mark_removed(obj: dict[str, Any], removed: list[ForeignField], before: list[ForeignField]) -> None:
    """Record on ``obj`` (the object after the removal, managedFields dropped) what it had before, the ``removed``
    fields marked so: the route's diagnostics then say what was removed, by whom it was added."""
    (obj.get("metadata") or {}).pop("managedFields", None)
    gone = {(item.manager, item.field) for item in removed}
    obj[SUMMARY_KEY] = [
        ForeignField(f.manager, f.operation, f.field, f.annotation, removed=(f.manager, f.field) in gone).as_dict()
        for f in before
    ]


def dangerous_annotations(obj: dict[str, Any] | None) -> list[ForeignField]:
    """The other managers' annotations on ``obj`` that Portico removes (``policy.annotations``), not yet removed."""
    return [f for f in foreign_fields(obj) if f.dangerous and not f.removed]


def _not_an_addition(path: Path, ours: set[Path], rendered: frozenset[str]) -> bool:
    if any(path[:n] in ours for n in range(1, len(path) + 1)):
        return True
    if len(path) == 2 and path[0] == "f:spec" and path[1][2:] in rendered:
        return True
    return any(path[: len(prefix)] == prefix for prefix in _IGNORED_PREFIXES)


def _from_entries(entries: list[Any], kind: str) -> list[ForeignField]:
    rendered = RENDERED_SPEC.get(kind, frozenset())
    ours: set[Path] = set()
    for entry in entries:
        if isinstance(entry, dict) and entry.get("manager") == PORTICO_MANAGER and not entry.get("subresource"):
            ours |= set(_leaves(entry.get("fieldsV1") or {}))
    found: list[ForeignField] = []
    seen: set[tuple[str, Path]] = set()
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("subresource") or entry.get("manager") == PORTICO_MANAGER:
            continue
        manager = str(entry.get("manager") or "(unnamed manager)")
        for path in sorted(_leaves(entry.get("fieldsV1") or {})):
            if _not_an_addition(path, ours, rendered):
                continue
            if (manager, path) in seen:
                continue
            seen.add((manager, path))
            annotation = path[2][2:] if len(path) == 3 and path[:2] == ("f:metadata", "f:annotations") else ""
            found.append(ForeignField(manager, str(entry.get("operation") or ""), readable(path), annotation))
    return found


def _leaves(node: dict[str, Any], path: Path = ()) -> Iterator[Path]:
    """The paths of a FieldsV1 tree's leaves: fields owned whole. A list item the manager added (a ``k:`` or ``v:``
    key holding ``.``) is one leaf, its fields with it."""
    children = [key for key in node if key != "."]
    if not children or (path and path[-1][:2] in ("k:", "v:", "i:") and "." in node):
        if path:
            yield path
        return
    for key in children:
        child = node[key]
        yield from _leaves(child if isinstance(child, dict) else {}, (*path, key))


def readable(path: Path) -> str:
    """A FieldsV1 path in words: ``annotation KEY``, ``label KEY``, else the dotted field with list keys."""
    if len(path) == 3 and path[0] == "f:metadata" and path[1] in ("f:annotations", "f:labels"):
        return f"{'annotation' if path[1] == 'f:annotations' else 'label'} {path[2][2:]}"
    text = ""
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            text += f".{rest}" if text else rest
        elif kind == "k":
            try:
                keys = json.loads(rest)
                text += "[" + ",".join(f"{k}={v}" for k, v in sorted(keys.items())) + "]"
            except (ValueError, AttributeError):
                text += f"[{rest}]"
        elif kind == "v":
            text += f"[={rest}]"
        elif kind == "i":
            text += f"[{rest}]"
        else:
            text += f".{part}"
    return text
