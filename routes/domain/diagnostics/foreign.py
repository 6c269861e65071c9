"""The step shown when another field manager added fields to the route's objects (``routes.domain.managed_fields``):
which manager, which fields, on which object, and what Portico did about it. Absent from the chain when there is
nothing to say."""

from __future__ import annotations

from typing import Any

from routes.domain import render
from routes.domain.diagnostics.shared import WARN, Context, Finding
from routes.domain.managed_fields import BEFORE_FIRST_APPLY, ForeignField, foreign_fields

STEP = "foreign-fields"
TITLE = "Only Portico changed its objects"
CONDITION = "ForeignFields"

SHOWN_PER_OBJECT = 5

ADDED = "{manager} added {fields} to {what}"
REMOVED = (
    "Portico removed it: such annotations change what the ingress controller does beyond any option a reviewer "
    'approved (docs/route-options.md, "Annotations Portico removes").'
)
REMOVED_MANY = (
    "Portico removed them: such annotations change what the ingress controller does beyond any option a reviewer "
    'approved (docs/route-options.md, "Annotations Portico removes").'
)
TO_REMOVE = "The next sync removes {them} (snippets, external authentication and middlewares are Portico's alone)."
KEPT = (
    "Portico does not manage {them}, so {it_is} not removed by its re-apply and stays in effect beside the route's "
    "reviewed settings."
)
KEPT_FIX = (
    "Remove {them} (`kubectl annotate {kind} {name} -n {namespace} KEY-` for an annotation), or ask for the route "
    "option that does this (docs/route-options.md)."
)


def _who(manager: str) -> str:
    if manager == BEFORE_FIRST_APPLY:
        return f"{manager} (what the object held before Portico's first apply)"
    return manager


def foreign_step(ctx: Context) -> Finding | None:
    """A warning naming each other manager's fields on the route's Ingress or HTTPRoute, managed Service and
    Certificate; None when there are none."""
    sentences: list[str] = []
    fixes: list[str] = []
    for obj in _objects(ctx):
        found = foreign_fields(obj)
        if not found:
            continue
        meta = obj.get("metadata") or {}
        what = f"{obj.get('kind', '')} {meta.get('namespace', '')}/{meta.get('name', '')}"
        by_manager: dict[str, list[ForeignField]] = {}
        for item in found:
            by_manager.setdefault(item.manager, []).append(item)
        for manager, items in by_manager.items():
            names = [f.field for f in items[:SHOWN_PER_OBJECT]]
            more = len(items) - len(names)
            fields = ", ".join(names) + (f" and {more} more" if more > 0 else "")
            sentence = ADDED.format(manager=_who(manager), fields=fields, what=what) + "."
            removed = [f for f in items if f.removed]
            pending = [f for f in items if f.dangerous and not f.removed]
            kept = [f for f in items if not f.dangerous]
            if removed:
                sentence += " " + (REMOVED if len(removed) == 1 else REMOVED_MANY)
            if pending:
                sentence += " " + TO_REMOVE.format(them="it" if len(pending) == 1 else "them")
            if kept:
                one = len(kept) == 1
                sentence += " " + KEPT.format(them="it" if one else "them", it_is="it is" if one else "they are")
                fixes.append(
                    KEPT_FIX.format(
                        them="it" if one else "them",
                        kind=str(obj.get("kind", "")).lower(),
                        name=meta.get("name", ""),
                        namespace=meta.get("namespace", ""),
                    )
                )
            sentences.append(sentence)
    if not sentences:
        return None
    return Finding(WARN, " ".join(sentences), " ".join(dict.fromkeys(fixes)), reason="OtherManagers")


def _objects(ctx: Context) -> list[dict[str, Any]]:
    """The route's objects that are Portico's (an existing Service the team owns is not)."""
    o = ctx.observed
    candidates = (o.http_route if o.output == "gateway" else o.ingress, o.service, o.certificate)
    return [obj for obj in candidates if obj is not None and _ours(obj)]


def _ours(obj: dict[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(render.MANAGED_BY_LABEL) == render.MANAGED_BY)
