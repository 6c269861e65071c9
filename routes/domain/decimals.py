"""Whole numbers as people type them into forms, query strings and JSON strings, read one way everywhere."""

from __future__ import annotations

import re

MAX_DECIMAL_LENGTH = 100
_DIGITS = re.compile(r"[0-9]+")


def is_decimal(text: object) -> bool:
    """True for text made of the ASCII digits 0-9 only (any length)."""
    return isinstance(text, str) and _DIGITS.fullmatch(text) is not None


def parse_decimal(text: object) -> int | None:
    """The whole number ``text`` spells in the ASCII digits 0-9, or None.

    ``str.isdigit()`` also accepts "²" (which ``int()`` refuses) and "١٢" (which ``int()`` reads as 12), and
    ``int()`` refuses more than 4,300 digits: forms and query strings parse numbers here, never with those.
    """
    if isinstance(text, str) and len(text) <= MAX_DECIMAL_LENGTH and is_decimal(text):
        return int(text)
    return None
