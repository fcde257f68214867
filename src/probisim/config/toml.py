"""Reading TOML configs (``extends`` layering, provenance of every key, syntax
errors with file:line:column) and writing them (tomli-w)."""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from ..core.errors import ConfigError, _err, _value_err
from .convert import from_dict, to_dict
from .overrides import _apply_overrides
from .paths import _unquoted
from .schema import _INT64_MAX, _INT64_MIN, _join

# ---------------------------------------------------------------------------
# TOML writer (tomli-w)
# ---------------------------------------------------------------------------


def _writable(value: Any, path: str) -> Any:
    """``value`` as tomli-w takes it: dataclasses as dicts, ``None`` entries of tables
    dropped (TOML has no null), tuples as lists; inf/nan, integers beyond 64 bits and
    ``None`` inside arrays raise :class:`ConfigError` naming the path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = to_dict(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"TOML keys must be strings, got {k!r} at '{path}'")
            if v is not None:
                out[k] = _writable(v, _join(path, k))
        return out
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if v is None:
                raise _value_err(_join(path, i), v, "a value (TOML has no null)")
        return [_writable(v, _join(path, i)) for i, v in enumerate(value)]
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        if not _INT64_MIN <= int(value) <= _INT64_MAX:
            raise _value_err(path, value, "an integer that fits in 64 bits (TOML limit)")
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise _value_err(path, value, "a finite number (inf/nan are not written)")
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to TOML (at '{path}')")


def dumps_toml(d: Mapping[str, Any]) -> str:
    """TOML text for a TOML-shaped dict (or a config dataclass), written by tomli-w:
    keys in insertion order, floats exact (``tomllib.loads(dumps_toml(d)) == d``),
    ``None`` values omitted; inf/nan and integers outside 64 bits raise
    :class:`ConfigError`."""
    if dataclasses.is_dataclass(d) and not isinstance(d, type):
        d = to_dict(d)
    if not isinstance(d, Mapping):
        raise TypeError(f"dumps_toml expects a mapping, got {type(d).__name__}")
    return tomli_w.dumps(_writable(d, ""))


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
    cuts = [i for i in _unquoted(path, ".[") if i > 0]
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


