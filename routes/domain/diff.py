"""Readable diffs between revisions or between desired and live objects (pure)."""
import difflib
from typing import Any

import yaml


def unified(old: str, new: str, *, old_label: str, new_label: str) -> str:
    """A unified diff of two texts; empty when they are equal."""
    return "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=old_label, tofile=new_label)
    )


def spec_yaml(spec: dict[str, Any] | None) -> str:
    return "" if spec is None else yaml.safe_dump(spec, sort_keys=True, default_flow_style=False)


def spec_diff(old: dict[str, Any] | None, new: dict[str, Any], *, old_label: str, new_label: str) -> str:
    return unified(spec_yaml(old), spec_yaml(new), old_label=old_label, new_label=new_label)
