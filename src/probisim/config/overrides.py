"""``--set KEY.PATH=VALUE`` overrides: checked against the schema (with did-you-mean)
and applied to a TOML-shaped dict."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.errors import _err, _key_text
from .describe import _suggest_full
from .paths import _format_path, _parse_path, _Seg, _unquoted
from .schema import (
    _dict_value,
    _is_homogeneous,
    _join,
    _list_names,
    _schema,
    _seq_elem,
    _tag,
    _tagged_members,
    _type_name,
    _unwrap_optional,
    closest,
)


def _split_override(text: str) -> tuple[str, str]:
    for i in _unquoted(text, "="):
        return text[:i].strip(), text[i + 1 :].strip()
    raise _err(
        "custom",
        "",
        message=f"malformed override {text!r}: expected 'dotted.key=value'",
        value=text,
    )


def _parse_value(text: str) -> Any:
    """A TOML value (``1e10``, ``true``, ``"x"``, ``[1, 2]``) or else the bare string."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    if set(parsed) != {"v"}:
        return text
    value = parsed["v"]
    if isinstance(value, (datetime.date, datetime.time)):
        return text  # no date/time fields in probisim schemas; keep the text
    return value


def _check_schema_path(cls: type, segs: Sequence[_Seg], data: Any, label: str) -> None:
    """Verify that ``segs`` addresses something that exists in schema ``cls``."""
    tp: Any = cls
    node = data
    path = ""
    for pos, seg in enumerate(segs):
        tp, _ = _unwrap_optional(tp)
        tagged = _tagged_members(tp)
        if tagged is not None:
            if seg == "kind":
                if pos != len(segs) - 1:
                    raise _err("custom", _join(path, seg), message="'kind' is a string and has no sub-keys",
                               filename=label)
                return
            kind = node.get("kind") if isinstance(node, Mapping) else None
            if isinstance(kind, str) and kind in tagged and isinstance(seg, str) and seg not in _schema(tagged[kind]):
                owners = [k for k, m in tagged.items() if seg in _schema(m)]
                if owners:
                    raise _err(
                        "custom",
                        _join(path, seg),
                        message=f"'{path}' has kind = {json.dumps(kind)}, which has no key {_key_text(seg)} "
                        f"(it belongs to kind {', '.join(json.dumps(o) for o in owners)})",
                        filename=label,
                    )
            candidates = [tagged[kind]] if isinstance(kind, str) and kind in tagged else list(tagged.values())
            having = [m for m in candidates if isinstance(seg, str) and seg in _schema(m)]
            if having:
                tp = having[0]
            else:
                tp = candidates[0]
                if isinstance(seg, str):
                    names = ["kind"] + sorted({n for m in candidates for n in _schema(m)})
                    raise _err(
                        "unknown",
                        _join(path, seg),
                        expected="one of the keys: " + _list_names(names),
                        suggestion=closest(seg, names) or _suggest_full(cls, seg, segs[: pos + 1]),
                        filename=label,
                    )
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if not isinstance(seg, str):
                raise _err("custom", _join(path, seg), message=f"'{path}' is a table, not an array", filename=label)
            info = _schema(tp)
            names = list(info) + (["kind"] if _tag(tp) else [])
            if seg not in names:
                raise _err(
                    "unknown",
                    _join(path, seg),
                    expected="one of the keys: " + _list_names(names),
                    suggestion=closest(seg, names) or _suggest_full(cls, seg, segs[: pos + 1]),
                    filename=label,
                )
            if seg == "kind":
                tp = str
            else:
                tp = info[seg][1]
            node = node.get(seg) if isinstance(node, Mapping) else None
        elif _seq_elem(tp) is not None:
            elems = _seq_elem(tp)
            assert elems is not None
            if not isinstance(seg, int):
                raise _err(
                    "custom",
                    _join(path, seg),
                    message=f"'{path}' is an array; address elements as {path}[N]",
                    filename=label,
                )
            if not _is_homogeneous(tp) and seg >= len(elems):
                raise _err("custom", _join(path, seg), message=f"'{path}' has only {len(elems)} elements",
                           filename=label)
            tp = elems[0] if _is_homogeneous(tp) else elems[seg]
            node = node[seg] if isinstance(node, list) and seg < len(node) else None
        elif _dict_value(tp) is not None:
            if not isinstance(seg, str):
                raise _err("custom", _join(path, seg), message=f"'{path}' is a table, not an array", filename=label)
            tp = _dict_value(tp)
            node = node.get(seg) if isinstance(node, Mapping) else None
        else:
            raise _err(
                "custom",
                _join(path, seg),
                message=f"'{path}' is a {_type_name(tp)} and has no sub-key "
                        f"{_key_text(seg) if isinstance(seg, str) else f'[{seg}]'}",
                filename=label,
            )
        path = _join(path, seg)


def _set_path(data: dict[str, Any], segs: Sequence[_Seg], value: Any, label: str) -> None:
    node: Any = data
    path = ""
    for pos, seg in enumerate(segs):
        last = pos == len(segs) - 1
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise _err("custom", _join(path, seg), message=f"'{path}' is not an array in the configuration",
                           filename=label)
            if seg >= len(node):
                raise _err(
                    "custom",
                    _join(path, seg),
                    message=f"index {seg} out of range ('{path}' has {len(node)} elements)",
                    filename=label,
                )
        else:
            if not isinstance(node, dict):
                raise _err("custom", _join(path, seg), message=f"'{path}' is not a table in the configuration",
                           filename=label)
        if last:
            node[seg] = value
            return
        if isinstance(seg, str) and seg not in node:
            node[seg] = {}
        node = node[seg]
        path = _join(path, seg)


def _apply_overrides(
    data: Mapping[str, Any], overrides: Sequence[str], cls: type | None, prov: dict[str, str] | None
) -> dict[str, Any]:
    out = copy.deepcopy(dict(data))
    if isinstance(overrides, str):
        overrides = [overrides]
    for text in overrides:
        if not isinstance(text, str):
            raise TypeError(f"overrides must be strings, got {text!r}")
        label = f"override '{text}'"
        key, raw_value = _split_override(text)
        if not key:
            raise _err("custom", "", message=f"malformed override {text!r}: empty key", value=text)
        segs = _parse_path(key, label=label)
        if cls is not None:
            _check_schema_path(cls, segs, out, label)
        _set_path(out, segs, _parse_value(raw_value), label)
        if prov is not None:
            prov[_format_path(segs)] = label
    return out


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str], cls: type | None = None) -> dict[str, Any]:
    """Return a copy of ``data`` with ``dotted.key=value`` overrides applied.

    ``value`` is parsed as a TOML value, falling back to the bare string.
    With ``cls`` the key path must exist in that schema; types are checked
    later by :func:`from_dict`.  Missing intermediate tables are created;
    array indices must already exist.
    """
    return _apply_overrides(data, overrides, cls, None)


