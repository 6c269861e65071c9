"""Readable diffs between revisions or between desired and live objects (pure)."""

from __future__ import annotations

import difflib
from typing import Any

from routes.domain import yaml_text


def unified(old: str, new: str, *, old_label: str, new_label: str) -> str:
    """A unified diff of two texts; empty when they are equal."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=old_label, tofile=new_label
        )
    )


def spec_yaml(spec: dict[str, Any] | None) -> str:
    return "" if spec is None else yaml_text.dump(spec, sort_keys=True, default_flow_style=False)


def readable_spec(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored spec without its unset (null) fields, so a diff shows only what the requester chose."""
    if spec is None:
        return None
    return {
        key: readable_spec(value) if isinstance(value, dict) else value
        for key, value in spec.items()
        if value is not None
    }


def spec_diff(old: dict[str, Any] | None, new: dict[str, Any], *, old_label: str, new_label: str) -> str:
    """The change between two stored specs, as the pages and the admin show it: unset fields left out."""
    return unified(
        spec_yaml(readable_spec(old)), spec_yaml(readable_spec(new)), old_label=old_label, new_label=new_label
    )
