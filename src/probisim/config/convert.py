"""Strict conversion between TOML-shaped dicts and config dataclasses
(:func:`from_dict`, :func:`to_dict`) and the config hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any, Literal, get_args, get_origin

from ..core.errors import ConfigError, _err, _value_err
from .schema import (
    _dict_value,
    _expected,
    _is_homogeneous,
    _is_union,
    _join,
    _join_rel,
    _list_names,
    _meta,
    _schema,
    _seq_elem,
    _tag,
    _tagged_members,
    _unwrap_optional,
    closest,
)

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
            suggestion=closest(key, valid),
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
            raise _value_err(path, value, _expected(tp, meta), closest(value, choices))
        return value
    if get_origin(tp) is Literal:
        allowed = get_args(tp)
        if not any(type(value) is type(a) and value == a for a in allowed):
            strs = [a for a in allowed if isinstance(a, str)]
            raise _value_err(path, value, _expected(tp, meta), closest(value, strs))
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
        raise _value_err(_join(path, "kind"), kind, expected, closest(kind, kinds))
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


