"""Strict, typed, documented configuration for probisim.

Every simulation input (model parameters, trial design, run settings) is a
frozen dataclass whose fields are declared with :func:`param`, which attaches
the unit, the admissible range, allowed choices, a literature source and a
one-line meaning to the field.  Configuration files are TOML (stdlib
:mod:`tomllib`); they are parsed into plain dicts, layered (``extends``),
patched by ``--set``-style overrides, and then converted *strictly* into the
dataclasses by :func:`from_dict`.

Why strict: a simulated trial that silently ran with a mistyped key
(``bifido_basline``) or with a dose of ``-3`` CFU/day would produce
plausible-looking but wrong results.  So unknown keys, wrong types, NaN/inf,
out-of-range values and unknown choices are all rejected with a
:class:`ConfigError` that names the dotted path of the offending value, what
was expected, the file it came from, and a did-you-mean suggestion.

Nothing in a configuration is ever executed: values are plain TOML data and
the schema is given by the dataclass type hints.  Supported field types are
``float``, ``int``, ``bool``, ``str`` (optionally ``Literal[...]``), nested
dataclasses, ``tuple[X, ...]`` (and fixed ``tuple[A, B]``, ``list[X]``),
``dict[str, X]``, ``X | None`` and tagged unions of dataclasses that carry a
``kind: ClassVar[str]`` class attribute.

TOML has no null: ``None`` values are *omitted* by :func:`to_dict` and by
:func:`dumps_toml`, and an absent ``Optional`` field becomes ``None`` (or its
declared default) again on loading.

The module does no work at import time and depends on the stdlib only.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import difflib
import hashlib
import json
import math
import numbers
import os
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import MISSING
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

__all__ = [
    "MISSING",
    "deep_merge",
    "ConfigError",
    "param",
    "from_dict",
    "to_dict",
    "load",
    "loads",
    "load_raw",
    "dump",
    "dumps_toml",
    "apply_overrides",
    "config_hash",
    "describe_fields",
    "lookup_field",
    "check_label",
    "LABEL_MAX_CHARS",
]

_NOVALUE: Any = object()  # sentinel: "no value was given"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_META_DEFAULTS: dict[str, Any] = {
    "unit": "",
    "bounds": None,
    "choices": None,
    "source": "",
    "doc": "",
    "integer": False,
}


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ConfigError(ValueError):
    """A configuration problem, reported on one line.

    Attributes: ``path`` (dotted key such as
    ``arms[1].interventions[0].dose_cfu_per_day``; ``""`` for the whole
    document), ``value`` (the offending value, ``None`` if not applicable),
    ``expected`` (human description of what is allowed), ``suggestion``
    (nearest valid key/choice or ``None``), ``filename``, ``line``, ``column``
    (known for TOML syntax errors) and ``message`` (free text, may be empty).

    Raise it from a dataclass ``__post_init__`` for cross-field checks, with a
    path *relative to that dataclass* (e.g. ``path="end_day"``);
    :func:`from_dict` prefixes the location of the table being built.
    """

    def __init__(
        self,
        message: str = "",
        *,
        path: str = "",
        value: Any = _NOVALUE,
        expected: str = "",
        suggestion: str | None = None,
        filename: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self._has_value = value is not _NOVALUE
        self.value = None if value is _NOVALUE else value
        self.expected = expected
        self.suggestion = suggestion
        self.filename = filename
        self.line = line
        self.column = column
        self._kind = "custom" if message or not self._has_value else "value"
        self._anchored = False  # True once `path` is absolute
        super().__init__(message or expected or path)

    def _body(self) -> str:
        kind = self._kind
        where = f"config error at '{self.path}'" if self.path else "config error"
        if kind == "unknown":
            text = f"unknown key '{self.path}'"
            if self.suggestion:
                return f"{text} — did you mean '{self.suggestion}'?"
            return f"{text} (expected {self.expected})" if self.expected else text
        if kind == "missing":
            text = f"missing required key '{self.path}'"
            text += f" (expected {self.expected})" if self.expected else ""
        elif kind == "syntax":
            text = f"TOML syntax error: {self.message}"
        elif kind == "value":
            text = f"{where}: got {_show(self.value)}"
            text += f" (expected {self.expected})" if self.expected else ""
        else:
            text = f"{where}: {self.message}" if self.message else where
            if self._has_value and self.expected:
                text += f" (got {_show(self.value)}, expected {self.expected})"
            elif self._has_value:
                text += f" (got {_show(self.value)})"
            elif self.expected:
                text += f" (expected {self.expected})"
        if self.suggestion:
            text += f" — did you mean '{self.suggestion}'?"
        return text

    def __str__(self) -> str:
        body = self._body()
        if self.filename:
            loc = str(self.filename)
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            body = f"{loc}: {body}"
        return body

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only constructor: pickle the state (dask/multiprocessing)
        return (_restore_error, (type(self), dict(self.__dict__)))


def _restore_error(cls: type, state: dict[str, Any]) -> ConfigError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    err.args = (str(err),)
    return err


def _err(kind: str, path: str, **kw: Any) -> ConfigError:
    """Build an internal (absolute-path) error of a given kind."""
    err = ConfigError(kw.pop("message", ""), path=path, **kw)
    err._kind = kind
    err._anchored = True
    if kind == "custom":
        err._has_value = False  # the message already says what is wrong
    return err


def _value_err(path: str, value: Any, expected: str, suggestion: str | None = None) -> ConfigError:
    return _err("value", path, value=value, expected=expected, suggestion=suggestion)


# ---------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------


def _fmt_num(x: Any) -> str:
    """Compact, exact-enough number formatting: 1e13, 0.5, 3."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, numbers.Integral):
        x = int(x)
        return str(x) if x.bit_length() < 200 else f"<{x.bit_length()}-bit integer>"
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return repr(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = format(x, "g")
    if float(text) != x:
        text = repr(x)
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _show(value: Any, limit: int = 80) -> str:
    """TOML-flavoured, truncated rendering of a value for error messages."""
    if value is None:
        text = "None"
    elif isinstance(value, (bool, numbers.Number)):
        text = _fmt_num(value)
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        items = [_show(v, 20) for v in list(value)[:5]]
        text = "[" + ", ".join(items) + (", ...]" if len(value) > 5 else "]")
    elif isinstance(value, Mapping):
        items = [f"{_key_text(k)} = {_show(v, 20)}" for k, v in list(value.items())[:3]]
        text = "{" + ", ".join(items) + (", ...}" if len(value) > 3 else "}")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key_text(key: Any) -> str:
    """A key as it appears in a dotted path (quoted unless a bare TOML key)."""
    if isinstance(key, str):
        return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return json.dumps(repr(key), ensure_ascii=False)


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


def _closest(word: Any, candidates: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def _list_names(names: Sequence[str], limit: int = 15) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


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


@lru_cache(maxsize=None)
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
            return (rest[0] if len(rest) == 1 else Union[rest]), True  # type: ignore[valid-type]
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
# dict -> dataclass
# ---------------------------------------------------------------------------


def from_dict(cls: type[Any], data: Mapping[str, Any], *, path: str = "") -> Any:
    """Strictly convert a plain (TOML-shaped) mapping into dataclass ``cls``.

    Unknown keys, missing required keys, wrong types, NaN/inf, out-of-bounds
    values and invalid choices raise :class:`ConfigError` whose ``path`` is
    rooted at ``path``.  Absent keys take the field default; an absent
    ``Optional`` field without a default becomes ``None``.
    """
    info = _schema(cls)
    if not isinstance(data, Mapping):
        raise _value_err(path, data, f"a table ({cls.__name__})")
    tag = _tag(cls)
    names = list(info)
    for key, value in data.items():
        if key in info:
            continue
        if key == "kind" and tag is not None:
            if value != tag:
                raise _value_err(_join(path, "kind"), value, json.dumps(tag))
            continue
        valid = names + (["kind"] if tag is not None else [])
        raise _err(
            "unknown",
            _join(path, key),
            value=value,
            expected="one of the keys: " + _list_names(valid),
            suggestion=_closest(key, valid),
        )
    kwargs: dict[str, Any] = {}
    for name, (field, tp) in info.items():
        fpath = _join(path, name)
        if name in data:
            kwargs[name] = _convert(tp, data[name], fpath, _meta(field))
        elif field.default is not MISSING or field.default_factory is not MISSING:
            continue
        elif _unwrap_optional(tp)[1]:
            kwargs[name] = None
        else:
            raise _err("missing", fpath, expected=_expected(tp, _meta(field)))
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        if not exc._anchored:
            exc.path = _join_rel(path, exc.path)
            exc._anchored = True
        raise
    except ValueError as exc:
        err = ConfigError(str(exc), path=path)
        err._anchored = True
        raise err from exc


def _check_bounds(x: float | int, path: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> None:
    bounds = meta.get("bounds")
    if bounds:
        lo, hi = bounds
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise _value_err(path, value, _expected(tp, meta))


def _convert(tp: Any, value: Any, path: str, meta: Mapping[str, Any]) -> Any:
    """Validate and convert one value against type ``tp``."""
    inner, optional = _unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        raise _value_err(path, value, _expected(inner, meta))
    tp = inner
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _value_err(path, value, _expected(tp, meta))
        try:
            x = float(value)
        except (OverflowError, ValueError, TypeError):
            raise _value_err(path, value, _expected(tp, meta)) from None
        if not math.isfinite(x) or (meta.get("integer") and not x.is_integer()):
            raise _value_err(path, value, _expected(tp, meta))
        _check_bounds(x, path, value, tp, meta)
        return x
    if tp is int:
        if isinstance(value, bool):
            raise _value_err(path, value, _expected(tp, meta))
        if isinstance(value, numbers.Integral):
            n = int(value)
        elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            n = int(value)
        else:
            raise _value_err(path, value, _expected(tp, meta))
        _check_bounds(n, path, value, tp, meta)
        return n
    if tp is bool:
        if not isinstance(value, bool):
            raise _value_err(path, value, _expected(tp, meta))
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _value_err(path, value, _expected(tp, meta))
        choices = meta.get("choices")
        if choices and value not in choices:
            raise _value_err(path, value, _expected(tp, meta), _closest(value, choices))
        return value
    if get_origin(tp) is Literal:
        allowed = get_args(tp)
        if not any(type(value) is type(a) and value == a for a in allowed):
            strs = [a for a in allowed if isinstance(a, str)]
            raise _value_err(path, value, _expected(tp, meta), _closest(value, strs))
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_dict(tp, value, path=path)
    tagged = _tagged_members(tp)
    if tagged is not None:
        return _convert_tagged(tagged, value, path, tp)
    if _is_union(tp):
        for member in get_args(tp):
            try:
                return _convert(member, value, path, meta)
            except ConfigError:
                continue
        raise _value_err(path, value, _expected(tp, meta))
    elems = _seq_elem(tp)
    if elems is not None:
        if not isinstance(value, (list, tuple)):
            raise _value_err(path, value, _expected(tp, meta))
        if _is_homogeneous(tp):
            items = [_convert(elems[0], v, _join(path, i), meta) for i, v in enumerate(value)]
        else:
            if len(value) != len(elems):
                raise _value_err(path, value, _expected(tp, meta))
            items = [_convert(e, v, _join(path, i), meta) for i, (e, v) in enumerate(zip(elems, value))]
        return items if get_origin(tp) is list else tuple(items)
    vtype = _dict_value(tp)
    if vtype is not None:
        if not isinstance(value, Mapping):
            raise _value_err(path, value, _expected(tp, meta))
        out: dict[str, Any] = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise _value_err(_join(path, key), key, "a string key")
            out[key] = _convert(vtype, v, _join(path, key), meta)
        return out
    raise TypeError(f"probisim.config: unsupported field type {tp!r} (at '{path}')")


def _convert_tagged(tagged: Mapping[str, type], value: Any, path: str, tp: Any) -> Any:
    kinds = list(tagged)
    expected = "one of " + ", ".join(json.dumps(k) for k in kinds)
    if not isinstance(value, Mapping):
        raise _value_err(path, value, _expected(tp, {}))
    if "kind" not in value:
        raise _err("missing", _join(path, "kind"), expected=expected)
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in tagged:
        raise _value_err(_join(path, "kind"), kind, expected, _closest(kind, kinds))
    rest = {k: v for k, v in value.items() if k != "kind"}
    return from_dict(tagged[kind], rest, path=path)


# ---------------------------------------------------------------------------
# dataclass -> dict
# ---------------------------------------------------------------------------


def to_dict(obj: Any) -> dict[str, Any]:
    """Convert a config dataclass to a plain TOML-shaped dict (inverse of :func:`from_dict`).

    Tuples become lists, tagged-union members (any dataclass with a
    ``kind`` class attribute) get their ``kind`` key first, ``float``
    fields are emitted as ``float`` and ``None`` values are omitted.
    """
    if not (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        raise TypeError(f"to_dict expects a dataclass instance, got {type(obj).__name__}")
    return _encode_dataclass(obj)


def _encode_dataclass(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tag = _tag(type(obj))
    if tag is not None:
        out["kind"] = tag
    for name, (_field, tp) in _schema(type(obj)).items():
        value = getattr(obj, name)
        if value is not None:
            out[name] = _encode(tp, value)
    return out


def _encode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    tp, _ = _unwrap_optional(tp)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    if tp is float and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    elems = _seq_elem(tp)
    if elems is not None and isinstance(value, (list, tuple)):
        if _is_homogeneous(tp):
            return [_encode(elems[0], v) for v in value]
        return [_encode(e, v) for e, v in zip(elems, value)]
    vtype = _dict_value(tp)
    if vtype is not None and isinstance(value, Mapping):
        return {k: _encode(vtype, v) for k, v in value.items()}
    return _encode_any(value)


def _encode_any(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    if isinstance(value, (list, tuple)):
        return [_encode_any(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _encode_any(v) for k, v in value.items()}
    return value


def config_hash(obj_or_dict: Any) -> str:
    """SHA-256 hex digest of the canonical JSON (sorted keys) of a config.

    Hash typed objects for a canonical result: a raw dict with ``1`` where
    the schema says float hashes differently from the typed ``1.0``.
    """
    data = obj_or_dict
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = to_dict(data)
    try:
        text = json.dumps(
            data,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            allow_nan=False,
            default=_json_default,
        )
    except ValueError as exc:
        raise ConfigError(f"cannot hash configuration: {exc}") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    raise TypeError(f"cannot hash value of type {type(value).__name__}")


# ---------------------------------------------------------------------------
# TOML writer
# ---------------------------------------------------------------------------

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_str(text: str) -> str:
    out = []
    for ch in text:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_float(x: float) -> str:
    """Shortest exact float text, scientific for big whole numbers (1e10)."""
    text = repr(x)
    if "e" in text:
        return re.sub(r"e([+-]?)0*(\d)", lambda m: "e" + m.group(1).replace("+", "") + m.group(2), text)
    int_part, _, frac = text.lstrip("-").partition(".")
    if abs(x) >= 1e6 and frac == "0":
        digits = int_part.rstrip("0")
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        candidate = ("-" if text.startswith("-") else "") + f"{mantissa}e{len(int_part) - 1}"
        if len(candidate) < len(text) and float(candidate) == x:
            return candidate
    return text


def _toml_key(key: Any, path: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"TOML keys must be strings, got {key!r} at '{path}'")
    return key if _BARE_KEY.fullmatch(key) else _toml_str(key)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, Mapping) for v in value)


def _toml_value(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        n = int(value)
        if not _INT64_MIN <= n <= _INT64_MAX:
            raise _value_err(path, value, "an integer that fits in 64 bits (TOML limit)")
        return str(n)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise _value_err(path, value, "a finite number (inf/nan are not written)")
        return _toml_float(x)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, (list, tuple)):
        parts = []
        for i, v in enumerate(value):
            if v is None:
                raise _value_err(_join(path, i), v, "a value (TOML has no null)")
            parts.append(_toml_value(v, _join(path, i)))
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, Mapping):
        parts = [
            f"{_toml_key(k, path)} = {_toml_value(v, _join(path, k))}"
            for k, v in value.items()
            if v is not None
        ]
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _toml_value(to_dict(value), path)
    raise TypeError(f"cannot write {type(value).__name__} to TOML (at '{path}')")


def _write_table(
    out: list[str], keys: tuple[str, ...], table: Mapping[str, Any], header: str | None, path: str
) -> None:
    plain, tables, arrays = [], [], []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif _is_table_array(value):
            arrays.append((key, value))
        else:
            plain.append((key, value))
    name = ".".join(keys)
    # a table holding only sub-tables is created implicitly by their headers
    if header == "array" or (header == "table" and (plain or not (tables or arrays))):
        if out:
            out.append("")
        out.append(f"[[{name}]]" if header == "array" else f"[{name}]")
    for key, value in plain:
        out.append(f"{_toml_key(key, path)} = {_toml_value(value, _join(path, key))}")
    for key, value in tables:
        _write_table(out, keys + (_toml_key(key, path),), value, "table", _join(path, key))
    for key, value in arrays:
        sub = keys + (_toml_key(key, path),)
        for i, item in enumerate(value):
            _write_table(out, sub, item, "array", _join(_join(path, key), i))


def dumps_toml(d: Mapping[str, Any]) -> str:
    """Deterministic TOML text for a TOML-shaped dict (or a config dataclass).

    Keys keep their insertion order; scalars come before sub-tables; lists
    of tables become ``[[arrays.of.tables]]``; floats use ``repr`` so that
    ``tomllib.loads(dumps_toml(d)) == d``.  ``None`` values are omitted,
    inf/nan and integers outside 64 bits raise :class:`ConfigError`.
    """
    if dataclasses.is_dataclass(d) and not isinstance(d, type):
        d = to_dict(d)
    if not isinstance(d, Mapping):
        raise TypeError(f"dumps_toml expects a mapping, got {type(d).__name__}")
    out: list[str] = []
    _write_table(out, (), d, None, "")
    return "\n".join(out) + "\n" if out else ""


def dump(obj_or_dict: Any, path: str | os.PathLike[str]) -> None:
    """Write a config dataclass (or TOML-shaped dict) to a TOML file."""
    Path(path).write_text(dumps_toml(obj_or_dict), encoding="utf-8")


# ---------------------------------------------------------------------------
# Loading: TOML parsing, `extends` layering, provenance
# ---------------------------------------------------------------------------

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = column = None
        match = _TOML_POS.search(msg)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            msg = msg[: match.start()]
        else:
            match = _TOML_END.search(msg)
            if match:
                line = text.count("\n") + 1
                msg = msg[: match.start()] + " (at end of document)"
        err = _err("syntax", "", message=msg, filename=label, line=line, column=column)
    raise err


def _read_file(path: Path, label: str, *, referrer: str | None = None) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _err("custom", "", message=f"file not found: {label}", filename=referrer) from None
    except UnicodeDecodeError as exc:
        raise _err("custom", "", message=f"not valid UTF-8 ({exc.reason})", filename=label) from None
    except OSError as exc:
        raise _err("custom", "", message=f"cannot read {label}: {exc.strerror}", filename=referrer) from None
    return _parse_toml(text, label)


def _record(prov: dict[str, str], data: Mapping[str, Any], prefix: str, label: str) -> None:
    """Remember which file set each key path (arrays are not entered)."""
    for key, value in data.items():
        p = _join(prefix, key)
        prov[p] = label
        if isinstance(value, Mapping):
            _record(prov, value, p, label)


def _path_prefixes(path: str) -> list[str]:
    """``a.b[0].c`` -> [``a.b[0].c``, ``a.b[0]``, ``a.b``, ``a``]."""
    cuts, quoted, escape = [], False, False
    for i, ch in enumerate(path):
        if escape:
            escape = False
        elif quoted and ch == "\\":
            escape = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in ".[" and i > 0:
            cuts.append(i)
    return [path] + [path[:i] for i in reversed(cuts)]


def _origin(prov: Mapping[str, str], path: str) -> str | None:
    for prefix in _path_prefixes(path) if path else []:
        if prefix in prov:
            return prov[prefix]
    return None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge recursively; arrays and scalars of ``over`` replace."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _canon(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _resolve(
    data: dict[str, Any], label: str, base_dir: Path, stack: tuple[tuple[str, str], ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply ``extends`` (recursively); return merged data and provenance."""
    ext = data.pop("extends", None)
    own: dict[str, str] = {}
    _record(own, data, "", label)
    if ext is None:
        return data, own
    if isinstance(ext, str):
        bases = [ext]
    elif isinstance(ext, list) and all(isinstance(b, str) for b in ext):
        bases = list(ext)
    else:
        raise _err("value", "extends", value=ext, expected="a file name or an array of file names", filename=label)
    merged: dict[str, Any] = {}
    prov: dict[str, str] = {}
    for base in bases:
        target = base_dir / base
        base_label = os.path.normpath(target)
        key = _canon(target)
        if any(key == k for k, _ in stack):
            chain = " -> ".join([lab for _, lab in stack] + [base_label])
            raise _err("custom", "extends", message=f"extends cycle: {chain}", value=base, filename=label)
        if not target.is_file():
            raise _err(
                "custom",
                "extends",
                message=f"base file not found: {base_label}",
                value=base,
                filename=label,
            )
        base_data = _read_file(target, base_label, referrer=label)
        sub, sub_prov = _resolve(base_data, base_label, target.parent, stack + ((key, base_label),))
        merged = deep_merge(merged, sub)
        prov.update(sub_prov)
    merged = deep_merge(merged, data)
    prov.update(own)
    return merged, prov


def _loads_raw(text: str, filename: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = _parse_toml(text, filename)
    if filename.startswith("<"):
        return _resolve(data, filename, Path.cwd(), ())
    path = Path(filename)
    return _resolve(data, filename, path.parent, ((_canon(path), filename),))


def _load_raw(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, str]]:
    label = os.fspath(path)
    p = Path(label)
    data = _read_file(p, label)
    return _resolve(data, label, p.parent, ((_canon(p), label),))


def load_raw(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file and resolve ``extends``; no typing or overrides."""
    return _load_raw(path)[0]


def _finish(
    cls: type[Any], raw: dict[str, Any], prov: dict[str, str], filename: str, overrides: Sequence[str]
) -> Any:
    raw = _apply_overrides(raw, overrides, cls, prov)
    try:
        return from_dict(cls, raw)
    except ConfigError as exc:
        if exc.filename is None:
            exc.filename = _origin(prov, exc.path) or filename
        raise


def loads(text: str, cls: type[Any], *, filename: str = "<string>", overrides: Sequence[str] = ()) -> Any:
    """Parse TOML text into ``cls`` (``extends`` is relative to ``filename``'s folder, or the cwd)."""
    raw, prov = _loads_raw(text, filename)
    return _finish(cls, raw, prov, filename, overrides)


def load(path: str | os.PathLike[str], cls: type[Any], *, overrides: Sequence[str] = ()) -> Any:
    """Load a TOML file into ``cls``: parse, resolve ``extends``, apply overrides, type-check."""
    raw, prov = _load_raw(path)
    return _finish(cls, raw, prov, os.fspath(path), overrides)


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
_Seg = Union[str, int, _Placeholder]


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


def _split_override(text: str) -> tuple[str, str]:
    quoted, escape = False, False
    for i, ch in enumerate(text):
        if escape:
            escape = False
        elif quoted and ch == "\\":
            escape = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "=" and not quoted:
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
                    raise _err("custom", _join(path, seg), message="'kind' is a string and has no sub-keys", filename=label)
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
                        suggestion=_closest(seg, names) or _suggest_full(cls, seg, segs[: pos + 1]),
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
                    suggestion=_closest(seg, names) or _suggest_full(cls, seg, segs[: pos + 1]),
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
                raise _err("custom", _join(path, seg), message=f"'{path}' has only {len(elems)} elements", filename=label)
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
                message=f"'{path}' is a {_type_name(tp)} and has no sub-key {_key_text(seg) if isinstance(seg, str) else f'[{seg}]'}",
                filename=label,
            )
        path = _join(path, seg)


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
    near = _closest(seg, sorted({last for last, _ in lasts}))
    if near is not None:
        return next(path for last, path in lasts if last == near)
    return None


def _set_path(data: dict[str, Any], segs: Sequence[_Seg], value: Any, label: str) -> None:
    node: Any = data
    path = ""
    for pos, seg in enumerate(segs):
        last = pos == len(segs) - 1
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise _err("custom", _join(path, seg), message=f"'{path}' is not an array in the configuration", filename=label)
            if seg >= len(node):
                raise _err(
                    "custom",
                    _join(path, seg),
                    message=f"index {seg} out of range ('{path}' has {len(node)} elements)",
                    filename=label,
                )
        else:
            if not isinstance(node, dict):
                raise _err("custom", _join(path, seg), message=f"'{path}' is not a table in the configuration", filename=label)
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


# ---------------------------------------------------------------------------
# Schema description
# ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
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


def _seg_match(pattern: _Seg, query: _Seg) -> bool:
    if pattern is _ANY_INDEX:
        return query is _ANY_INDEX or (isinstance(query, int) and not isinstance(query, bool))
    if pattern is _ANY_NAME:
        return isinstance(query, str)
    return pattern == query


def _segs_match(pattern: Sequence[_Seg], query: Sequence[_Seg]) -> bool:
    return len(pattern) == len(query) and all(_seg_match(p, q) for p, q in zip(pattern, query))


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
    suggestion = _closest(_format_path(query), all_paths) or _suggest_full(cls, query[-1])
    raise _err(
        "unknown",
        dotted,
        expected=f"a parameter of {cls.__name__}",
        suggestion=suggestion,
    )
