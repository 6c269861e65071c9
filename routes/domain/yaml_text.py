"""YAML text as Portico writes it: PyYAML's safe representer, with libyaml's emitter where it writes the same text.

PyYAML's wheels bundle libyaml, whose emitter (PyYAML's pure-Python emitter is a port of it) writes the same
text several times faster: the route page renders manifests and revision diffs on every load. The two differ
on a few odd strings (libyaml escapes characters beyond U+FFFF even with ``allow_unicode``, folds escaped
strings differently, and writes empty keys, long quoted keys and keys with line breaks otherwise), so data holding any string
outside the characters both write alike (printable ASCII, and with ``allow_unicode`` the rest of the Basic
Multilingual Plane's printable characters: every name, host, path and annotation Portico renders) is written
by the pure-Python emitter, as is everything when PyYAML has no libyaml. tests/routes/domain/test_yaml_text.py
holds the two emitters to the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

PURE_PYTHON: type[yaml.SafeDumper] = yaml.SafeDumper
DUMPER: type[yaml.SafeDumper] = yaml.CSafeDumper if yaml.__with_libyaml__ else PURE_PYTHON  # type: ignore[assignment]

# Strings both emitters write alike: printable ASCII; with allow_unicode, any printable character of the Basic
# Multilingual Plane but U+FEFF (a byte order mark).
_ASCII = re.compile("[\x20-\x7e]*")
_UNICODE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_SCALARS = (bool, int, float, type(None))
# Longer keys (written as "? key" by one emitter and not the other when quoted) take the pure-Python emitter.
_LONGEST_KEY = 100


def agreed(data: Any, *, allow_unicode: bool = False) -> bool:
    """Whether libyaml writes ``data`` as the pure-Python emitter does: plain JSON-like values, string keys of 1 to
    _LONGEST_KEY characters, and every string within the characters both write alike."""
    chars = _UNICODE if allow_unicode else _ASCII
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not chars.fullmatch(value):
                return False
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or not 0 < len(key) <= _LONGEST_KEY or not chars.fullmatch(key):
                    return False
                pending.append(item)
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif not isinstance(value, _SCALARS):
            return False
    return True


def _dumper(data: Any, options: dict[str, Any]) -> type[yaml.SafeDumper]:
    if DUMPER is PURE_PYTHON or not agreed(data, allow_unicode=bool(options.get("allow_unicode"))):
        return PURE_PYTHON
    return DUMPER


def dump_all(documents: Iterable[Any], **options: Any) -> str:
    """``yaml.safe_dump_all``'s text."""
    documents = list(documents)
    text: str = yaml.dump_all(documents, Dumper=_dumper(documents, options), **options)
    return text


def dump(document: Any, **options: Any) -> str:
    """``yaml.safe_dump``'s text."""
    text: str = yaml.dump(document, Dumper=_dumper(document, options), **options)
    return text
