"""Domain violations in the shapes the API answers with."""

from __future__ import annotations

from collections.abc import Iterable

from routes.domain.values import Violation


def violations_to_nested(violations: Iterable[Violation]) -> dict:
    """Violations in the DRF error shape: ``{"backend": {"service_port": ["..."]}, "host": ["..."]}``.

    Messages keep their order and appear once. A message on a field that also has nested errors goes
    under that field's ``non_field_errors``, as DRF does.
    """
    nested: dict = {}
    for violation in violations:
        *parents, leaf = (violation.field or "non_field_errors").split(".")
        node = nested
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {"non_field_errors": child} if child else {}
            node = child
        if isinstance(node.get(leaf), dict):
            messages = node[leaf].setdefault("non_field_errors", [])
        else:
            messages = node.setdefault(leaf, [])
        if violation.message not in messages:
            messages.append(violation.message)
    return nested
