"""Kubernetes label selectors judged against labels Portico only partly knows.

Portico does not read pods: it knows a backend's pod labels from its Service's selector (the pods carry at least
those) and the ingress controller's the same way, and a namespace's labels only by the one every namespace has
(``kubernetes.io/metadata.name``). A selector term on a label outside what is known cannot be decided, so
matching answers True, False or None (cannot tell), and a caller reports only what it can tell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def all_of(results: Iterable[bool | None]) -> bool | None:
    """And, three-valued: False if any is False, else None if any is unknown, else True."""
    seen = list(results)
    if False in seen:
        return False
    if None in seen:
        return None
    return True


def any_of(results: Iterable[bool | None]) -> bool | None:
    """Or, three-valued: True if any is True, else None if any is unknown, else False."""
    seen = list(results)
    if True in seen:
        return True
    if None in seen:
        return None
    return False


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str], *, complete: bool) -> bool | None:
    """Whether a LabelSelector (``matchLabels`` and ``matchExpressions``) selects an object with ``labels``.

    ``complete``: ``labels`` are all the object's labels; otherwise the object may carry more, and a term about a
    label not in ``labels`` answers None. An empty selector selects everything."""
    selector = selector or {}
    terms: list[bool | None] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        terms.append(_known(key, labels, complete, _equals(str(value)), absent=False))
    for expression in selector.get("matchExpressions") or []:
        terms.append(_expression(expression, labels, complete))
    return all_of(terms)


def _equals(value: str) -> Callable[[str], bool]:
    return lambda have: have == value


def _expression(expression: Mapping[str, Any], labels: Mapping[str, str], complete: bool) -> bool | None:
    key = str(expression.get("key") or "")
    operator = expression.get("operator")
    values = set(expression.get("values") or ())
    if operator == "In":
        return _known(key, labels, complete, lambda have: have in values, absent=False)
    if operator == "NotIn":
        return _known(key, labels, complete, lambda have: have not in values, absent=True)
    if operator == "Exists":
        return _known(key, labels, complete, lambda have: True, absent=False)
    if operator == "DoesNotExist":
        return _known(key, labels, complete, lambda have: False, absent=True)
    return None  # an operator the API server would have refused: not ours to judge


def _known(
    key: str, labels: Mapping[str, str], complete: bool, test: Callable[[str], bool], *, absent: bool
) -> bool | None:
    if key in labels:
        return bool(test(labels[key]))
    return absent if complete else None
