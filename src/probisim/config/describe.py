"""The parameter reference of a config schema: every field with its path, type,
unit, default, bounds and source (``probisim explain``, the docs' tables)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import MISSING
from functools import cache
from typing import Any, Literal, get_args, get_origin

from ..core.errors import _err
from .convert import _encode
from .paths import _ANY_INDEX, _ANY_NAME, _format_path, _parse_path, _Seg, _segs_match
from .schema import (
    _dict_value,
    _is_homogeneous,
    _join_rel,
    _list_names,
    _meta,
    _schema,
    _seq_elem,
    _tagged_members,
    _type_name,
    _unwrap_optional,
    closest,
)

# ---------------------------------------------------------------------------
# Schema description
# ---------------------------------------------------------------------------


@cache
def _describe(cls: type) -> tuple[tuple[tuple[_Seg, ...], dict[str, Any]], ...]:
    rows: list[tuple[tuple[_Seg, ...], dict[str, Any]]] = []
    _describe_class(cls, (), rows, (), None)
    return tuple(rows)


def _describe_class(
    cls: type,
    segs: tuple[_Seg, ...],
    rows: list[tuple[tuple[_Seg, ...], dict[str, Any]]],
    stack: tuple[type, ...],
    variant: str | None,
) -> None:
    if cls in stack:
        return
    for name, (field, tp) in _schema(cls).items():
        meta = _meta(field)
        fsegs = segs + (name,)
        if field.default is not MISSING:
            default, required = _encode(tp, field.default), False
        elif field.default_factory is not MISSING:
            default, required = _encode(tp, field.default_factory()), False
        else:
            default, required = None, not _unwrap_optional(tp)[1]
        choices = meta["choices"]
        inner = _unwrap_optional(tp)[0]
        if choices is None and get_origin(inner) is Literal:
            choices = get_args(inner)
        type_name = _type_name(tp)
        if meta["integer"]:
            type_name += " (whole number)"
        row = {
            "path": _format_path(fsegs),
            "type": type_name,
            "default": default,
            "unit": meta["unit"],
            "bounds": meta["bounds"],
            "choices": choices,
            "source": meta["source"],
            "doc": meta["doc"],
            "required": required,
            "variant": variant,
        }
        rows.append((fsegs, row))
        _describe_children(tp, fsegs, rows, stack + (cls,), variant)


def _describe_children(
    tp: Any,
    segs: tuple[_Seg, ...],
    rows: list[tuple[tuple[_Seg, ...], dict[str, Any]]],
    stack: tuple[type, ...],
    variant: str | None,
) -> None:
    tp, _ = _unwrap_optional(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _describe_class(tp, segs, rows, stack, variant)
        return
    tagged = _tagged_members(tp)
    if tagged is not None:
        ksegs = segs + ("kind",)
        rows.append(
            (
                ksegs,
                {
                    "path": _format_path(ksegs),
                    "type": "str",
                    "default": None,
                    "unit": "",
                    "bounds": None,
                    "choices": tuple(tagged),
                    "source": "",
                    "doc": "selects the variant: " + ", ".join(f"{k} ({m.__name__})" for k, m in tagged.items()),
                    "required": True,
                    "variant": variant,
                },
            )
        )
        for kind, member in tagged.items():
            _describe_class(member, segs, rows, stack, kind)
        return
    elems = _seq_elem(tp)
    if elems is not None:
        if _is_homogeneous(tp):
            _describe_children(elems[0], segs + (_ANY_INDEX,), rows, stack, variant)
        else:
            for i, elem in enumerate(elems):
                _describe_children(elem, segs + (i,), rows, stack, variant)
        return
    vtype = _dict_value(tp)
    if vtype is not None:
        _describe_children(vtype, segs + (_ANY_NAME,), rows, stack, variant)


def describe_fields(cls: type[Any], prefix: str = "") -> list[dict[str, Any]]:
    """Flatten a schema into documentation rows.

    Each row is ``{path, type, default, unit, bounds, choices, source, doc,
    required, variant}``; there is a row for every field, tables included,
    in declaration order.  Array elements appear as ``[]`` and keys of
    ``dict[str, X]`` tables as ``<name>`` in the path; fields of a
    tagged-union member carry its ``kind`` in ``variant`` (else ``None``).
    """
    out = []
    for _segs, row in _describe(cls):
        row = copy.deepcopy(row)
        row["path"] = _join_rel(prefix, row["path"]) if prefix else row["path"]
        out.append(row)
    return out


def _suggest_full(cls: type, seg: Any, query: Sequence[_Seg] = ()) -> str | None:
    """Full schema path whose last key matches (or nearly matches) ``seg``.

    Paths matching ``query`` itself are skipped (no self-suggestions).
    """
    if not isinstance(seg, str):
        return None
    rows = _describe(cls)
    lasts = [
        (segs[-1], row["path"])
        for segs, row in rows
        if isinstance(segs[-1], str) and not (query and _segs_match(segs, query))
    ]
    for last, path in lasts:
        if last == seg:
            return path
    near = closest(seg, sorted({last for last, _ in lasts}))
    if near is not None:
        return next(path for last, path in lasts if last == near)
    return None



def lookup_field(cls: type[Any], dotted: str) -> dict[str, Any]:
    """The :func:`describe_fields` row for one parameter.

    ``dotted`` may be a schema path (``arms[].interventions[].dose``), a
    concrete one (``arms[1].interventions[0].dose``, ``taxa.bifido.x``) or,
    if unambiguous, a trailing part of one (``dose``).  When several union
    variants define the same path the first variant's row is returned.
    """
    query = _parse_path(dotted, placeholders=True)
    rows = _describe(cls)
    for segs, row in rows:
        if _segs_match(segs, query):
            return copy.deepcopy(row)
    tail = [
        (segs, row) for segs, row in rows if len(segs) > len(query) and _segs_match(segs[-len(query) :], query)
    ]
    paths = list(dict.fromkeys(row["path"] for _, row in tail))
    if len(paths) == 1:
        return copy.deepcopy(tail[0][1])
    if paths:
        raise _err(
            "custom",
            dotted,
            message=f"ambiguous parameter; matches {_list_names(paths, 8)}",
            suggestion=paths[0],
        )
    all_paths = [row["path"] for _, row in rows]
    suggestion = closest(_format_path(query), all_paths) or _suggest_full(cls, query[-1])
    raise _err(
        "unknown",
        dotted,
        expected=f"a parameter of {cls.__name__}",
        suggestion=suggestion,
    )
