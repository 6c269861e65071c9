"""What every policy module shares: how values are quoted in messages, and the DNS-label check of a field."""

from __future__ import annotations

from collections.abc import Iterable

from core.names import LABEL_RULE, SERVICE_NAME_RULE, label_problem
from routes.domain.values import Violation


def quote(value: object) -> str:
    """A value as messages show it: strings in double quotes, invisible characters escaped, long ones cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 80:
        text = text[:77] + "…"
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return f'"{text}"' if isinstance(value, str) else text


def join_quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def check_dns_label(field: str, what: str, value: object, *, letter_first: bool = False) -> list[Violation]:
    if value is None or value == "":
        return [Violation(field, f"{what} is required.")]
    if not isinstance(value, str):
        return [Violation(field, f"{what} must be text, not {quote(value)}.")]
    reason = label_problem(value, letter_first=letter_first)
    if reason is None:
        return []
    rule = SERVICE_NAME_RULE if letter_first else LABEL_RULE
    return [Violation(field, f"{what} {quote(value)} is not valid: it {reason} ({rule}).")]
