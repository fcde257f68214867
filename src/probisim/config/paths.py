"""Dotted config paths (``arms[1].interventions[0].strains``): parsing, formatting
and matching against schema placeholders (``[]`` any index, ``<name>`` any key)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..core.errors import ConfigError, _err
from .schema import _join

# ---------------------------------------------------------------------------
# Dotted paths and overrides
# ---------------------------------------------------------------------------


class _Placeholder:
    """``[]`` (any index) or ``<name>`` (any table key) in schema paths."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_ANY_INDEX = _Placeholder("[]")
_ANY_NAME = _Placeholder("<name>")
_Seg = str | int | _Placeholder


def _parse_path(text: str, *, placeholders: bool = False, label: str | None = None) -> list[_Seg]:
    """Parse ``a.b[0]."quoted key".c`` into segments (str keys, int indices)."""

    def bad(why: str) -> ConfigError:
        return _err("custom", text, message=f"malformed key path: {why}", filename=label)

    segs: list[_Seg] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise bad("unterminated quote")
            try:
                segs.append(json.loads(text[i : j + 1]))
            except ValueError:
                raise bad(f"bad quoted key {text[i:j + 1]}") from None
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in '.[]"':
                j += 1
            key = text[i:j].strip()
            if not key:
                raise bad("empty key")
            segs.append(key)
            i = j
        while i < n and text[i].isspace():
            i += 1
        while i < n and text[i] == "[":
            j = text.find("]", i)
            if j < 0:
                raise bad("unterminated '['")
            inner = text[i + 1 : j].strip()
            if inner.isdigit():
                segs.append(int(inner))
            elif inner == "" and placeholders:
                segs.append(_ANY_INDEX)
            else:
                raise bad(f"array index must be a non-negative integer, got [{inner}]")
            i = j + 1
            while i < n and text[i].isspace():
                i += 1
        if i >= n:
            return segs
        if text[i] != ".":
            raise bad(f"unexpected {text[i]!r}")
        i += 1


def _format_path(segs: Sequence[_Seg]) -> str:
    path = ""
    for seg in segs:
        if seg is _ANY_INDEX:
            path += "[]"
        elif seg is _ANY_NAME:
            path = f"{path}.<name>" if path else "<name>"
        else:
            path = _join(path, seg)
    return path




def _seg_match(pattern: _Seg, query: _Seg) -> bool:
    if pattern is _ANY_INDEX:
        return query is _ANY_INDEX or (isinstance(query, int) and not isinstance(query, bool))
    if pattern is _ANY_NAME:
        return isinstance(query, str)
    return pattern == query


def _segs_match(pattern: Sequence[_Seg], query: Sequence[_Seg]) -> bool:
    return len(pattern) == len(query) and all(_seg_match(p, q) for p, q in zip(pattern, query))


def _unquoted(text: str, chars: str):
    """Indices of ``chars`` in ``text`` outside double-quoted parts (backslash escapes
    inside quotes), in order."""
    quoted, escape = False, False
    for i, ch in enumerate(text):
        if escape:
            escape = False
        elif quoted and ch == "\\":
            escape = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in chars:
            yield i
