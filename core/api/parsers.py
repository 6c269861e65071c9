"""How the API reads request bodies: JSON, refusing what cannot be stored."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) for nesting too deep to decode or a lone surrogate.

    Oversized bodies never get here: core.limits answers them 413 before anything reads them.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None
        if not _is_unicode(data):
            # JSON may escape half a UTF-16 pair ("\ud800"); such text cannot be stored, logged or sent back.
            raise exceptions.ParseError("JSON parse error - the document contains a lone surrogate (invalid Unicode).")
        return data


def _is_unicode(data: object) -> bool:
    """True when every string in a parsed JSON document, keys included, can be encoded as UTF-8."""
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
