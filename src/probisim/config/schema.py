"""Declaring configuration fields (:func:`param`: unit, bounds, choices, source,
meaning) and reading a dataclass schema: field metadata, type introspection and
the \"expected ...\" text of error messages."""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
from collections.abc import Mapping, Sequence
from dataclasses import MISSING
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from ..core.errors import ConfigError, _fmt_num, _key_text, _show

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_META_DEFAULTS: dict[str, Any] = {
    "unit": "",
    "bounds": None,
    "choices": None,
    "source": "",
    "doc": "",
    "integer": False,
}


def _join(prefix: str, key: Any) -> str:
    """Append a key (str) or an array index (int) to a dotted path."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{prefix}[{key}]"
    k = _key_text(key)
    return f"{prefix}.{k}" if prefix else k


def _join_rel(prefix: str, rel: str) -> str:
    """Prefix a relative dotted path (``end_day``, ``[0].x``) with ``prefix``."""
    if not rel:
        return prefix
    if not prefix or rel.startswith("["):
        return prefix + rel
    return f"{prefix}.{rel}"


def closest(word: Any, candidates) -> str | None:
    """The candidate most like ``word`` (difflib, cutoff 0.6), for "did you mean"
    in error messages; None if nothing is close. The one definition every config
    reader (model, trial, sweep, analysis plan) uses."""
    found = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return found[0] if found else None



def _list_names(names: Sequence[str], limit: int = 15) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


# ---------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------


def param(
    default: Any = MISSING,
    *,
    default_factory: Any = MISSING,
    unit: str = "",
    bounds: tuple[Any, Any] | None = None,
    choices: Sequence[str] | None = None,
    source: str = "",
    doc: str = "",
    integer: bool = False,
) -> Any:
    """A documented dataclass field (returns a :class:`dataclasses.Field`).

    ``bounds=(lo, hi)`` is inclusive, either side may be ``None``;
    ``choices`` restricts strings; ``integer=True`` additionally requires a
    ``float`` field to hold a whole number.  Bounds and choices apply to each
    element of tuple/dict fields.  The annotation is ``Any`` so that
    ``x: float = param(0.1)`` type-checks.
    """
    if bounds is not None:
        if len(bounds) != 2:
            raise TypeError(f"bounds must be a (lo, hi) pair, got {bounds!r}")
        lo, hi = bounds
        if lo is not None and hi is not None and lo > hi:
            raise TypeError(f"bounds lower limit exceeds upper limit: {bounds!r}")
        bounds = (lo, hi)
    if choices is not None:
        if isinstance(choices, str):
            raise TypeError("choices must be a sequence of strings, not a string")
        choices = tuple(choices)
    metadata = {
        "unit": unit,
        "bounds": bounds,
        "choices": choices,
        "source": source,
        "doc": doc,
        "integer": bool(integer),
    }
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


def _meta(field: dataclasses.Field[Any] | None) -> dict[str, Any]:
    meta = dict(_META_DEFAULTS)
    if field is not None:
        meta.update({k: field.metadata[k] for k in _META_DEFAULTS if k in field.metadata})
    return meta


@cache
def _schema(cls: type) -> dict[str, tuple[dataclasses.Field[Any], Any]]:
    """Init fields of a dataclass with their resolved type hints."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"expected a dataclass type, got {cls!r}")
    try:
        hints = get_type_hints(cls)
    except Exception as exc:  # NameError for unresolvable forward references
        raise TypeError(f"cannot resolve type hints of {cls.__qualname__}: {exc}") from exc
    return {f.name: (f, hints[f.name]) for f in dataclasses.fields(cls) if f.init}


def _tag(cls: type) -> str | None:
    """The ``kind`` class attribute of a tagged-union member, if any."""
    kind = getattr(cls, "kind", None)
    if isinstance(kind, str) and "kind" not in _schema(cls):
        return kind
    return None


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); other types -> (tp, False)."""
    if _is_union(tp):
        args = get_args(tp)
        rest = tuple(a for a in args if a is not type(None))
        if len(rest) < len(args):
            # Union[tuple] builds the union from a runtime tuple of members; X | Y has no such form.
            return (rest[0] if len(rest) == 1 else Union[rest]), True  # type: ignore[valid-type]  # noqa: UP007
    return tp, False


def _tagged_members(tp: Any) -> dict[str, type] | None:
    """``{kind: cls}`` if ``tp`` is a union of kind-tagged dataclasses."""
    if not _is_union(tp):
        return None
    members = get_args(tp)
    if not all(isinstance(m, type) and dataclasses.is_dataclass(m) for m in members):
        return None
    table: dict[str, type] = {}
    for m in members:
        kind = _tag(m)
        if kind is None:
            raise TypeError(f"union member {m.__qualname__} lacks a 'kind: ClassVar[str]' tag")
        if kind in table:
            raise TypeError(f"duplicate union kind {kind!r} ({table[kind].__qualname__}, {m.__qualname__})")
        table[kind] = m
    return table


def _seq_elem(tp: Any) -> tuple[Any, ...] | None:
    """Element types of tuple/list types: (X,) for homogeneous, else each slot."""
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is list and len(args) == 1:
        return (args[0],)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return (args[0],)
        if args == ((),):
            return ()
        return args
    return None


def _is_homogeneous(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is list or (len(args) == 2 and args[1] is Ellipsis)


def _dict_value(tp: Any) -> Any:
    if get_origin(tp) is dict:
        args = get_args(tp)
        if len(args) == 2 and args[0] is str:
            return args[1]
    return None


def _type_name(tp: Any) -> str:
    """Short human-readable name of a field type."""
    inner, optional = _unwrap_optional(tp)
    if optional:
        return f"{_type_name(inner)} (optional)"
    if inner in (float, int, bool, str):
        return inner.__name__
    if get_origin(inner) is Literal:
        return "str"
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return inner.__name__
    if _is_union(inner):
        return " | ".join(_type_name(a) for a in get_args(inner))
    elems = _seq_elem(inner)
    if elems is not None:
        if _is_homogeneous(inner):
            return f"array of {_type_name(elems[0])}"
        return "array [" + ", ".join(_type_name(e) for e in elems) + "]"
    value = _dict_value(inner)
    if value is not None:
        return f"table of {_type_name(value)}"
    return getattr(inner, "__name__", str(inner))


def _range_text(meta: Mapping[str, Any]) -> str:
    bounds = meta.get("bounds")
    if not bounds:
        return ""
    lo, hi = bounds
    if lo is not None and hi is not None:
        return f" in [{_fmt_num(lo)}, {_fmt_num(hi)}]"
    if lo is not None:
        return f" >= {_fmt_num(lo)}"
    if hi is not None:
        return f" <= {_fmt_num(hi)}"
    return ""


def _expected(tp: Any, meta: Mapping[str, Any]) -> str:
    """Describe what a value of type ``tp`` (with field metadata) must be."""
    inner, _ = _unwrap_optional(tp)
    unit = f"; unit {meta['unit']}" if meta.get("unit") else ""
    if inner is float:
        what = "a whole number" if meta.get("integer") else "a number"
        return what + _range_text(meta) + unit
    if inner is int:
        return "an integer" + _range_text(meta) + unit
    if inner is bool:
        return "true or false"
    if inner is str:
        choices = meta.get("choices")
        if choices:
            return "one of " + ", ".join(json.dumps(c, ensure_ascii=False) for c in choices)
        return "a string"
    if get_origin(inner) is Literal:
        return "one of " + ", ".join(_show(c) for c in get_args(inner))
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return f"a table ({inner.__name__})"
    tagged = _tagged_members(inner)
    if tagged is not None:
        return "a table with kind = one of " + ", ".join(json.dumps(k) for k in tagged)
    if _is_union(inner):
        return " or ".join(_expected(a, meta) for a in get_args(inner))
    elems = _seq_elem(inner)
    if elems is not None:
        if _is_homogeneous(inner):
            return f"an array of {_type_name(elems[0])}"
        return f"an array of {len(elems)} values [" + ", ".join(_type_name(e) for e in elems) + "]"
    value = _dict_value(inner)
    if value is not None:
        return f"a table of {_type_name(value)} values"
    return _type_name(inner)


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------

#: longest label (experiment, arm or task name) accepted; far below a file
#: name's 255-byte limit, so a label plus a suffix always fits in one
LABEL_MAX_CHARS = 100
_LABEL_EXPECTED = (
    f"a label of 1-{LABEL_MAX_CHARS} characters, not '.' or '..', "
    "without '/', '\\', NUL or control characters"
)


def check_label(path: str, value: Any) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a safe label.

    A label (an experiment's ``name``, an arm's name) is used to build file
    and directory names, so it must never act as a path: it may not be empty,
    ``.`` or ``..``, contain a path separator (``/`` or ``\\``), NUL or any
    other control character, or be longer than :data:`LABEL_MAX_CHARS`
    characters.  ``path`` is the dotted key reported in the error (relative
    to the dataclass being built when raised from ``__post_init__``).
    """
    if not isinstance(value, str):
        raise ConfigError(path=path, value=value, expected=_LABEL_EXPECTED)
    problem = None
    if value in ("", ".", ".."):
        problem = "it is empty" if not value else f"'{value}' names a directory, not a label"
    elif "/" in value or "\\" in value:
        problem = "it contains a path separator"
    elif any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        problem = "it contains NUL or a control character"
    elif len(value) > LABEL_MAX_CHARS:
        problem = f"it is {len(value)} characters long"
    if problem is not None:
        raise ConfigError(f"not a valid label: {problem}", path=path, value=value, expected=_LABEL_EXPECTED)
