"""Checks of a sweep before its first task (see :mod:`probisim.sweep`).

A sweep that cannot work should fail in a second with one line, not after
running every task.  :func:`check_sweep` imports the task function, checks
``base`` and asks the task function's optional ``check`` hook about the base
and about each parameter alone at its bounds; for the default task that is
:func:`probisim.sweep.trial_task.check_point`, which builds each probe's TrialConfig with
the config layer, so paths, types, bounds and integer-ness are reported in the
config layer's own words.  Every problem is a one-line
:class:`~probisim.config.ConfigError` at the sweep key at fault.

This module knows nothing of the sweep's schema classes (it reads ``task``,
``base`` and ``parameters`` off the config), so the sweep's other modules import
it and not the other way round.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import ConfigError, closest
from ..config.paths import _format_path, _parse_path

__all__ = ["check_sweep", "import_task", "task_function"]


def _cerr(path: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(path=path, value=value, expected=expected)


@functools.lru_cache(maxsize=32)
def import_task(spec: str):
    """The callable named by ``"module:function"`` (``function`` may be dotted)."""
    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise ValueError(f"task must be 'module:function', got {spec!r}")
    obj = importlib.import_module(module_name)
    for part in func_name.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    return obj


def task_function(spec: str):
    """The task function named by ``spec``, or a one-line :class:`ConfigError` at ``task``."""
    try:
        fn = import_task(spec)
    except Exception as exc:  # ImportError, AttributeError, an error in the module's own import
        raise _cerr("task", spec, f"an importable 'module:function' ({type(exc).__name__}: {exc})") from None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return fn
    try:
        sig.bind({}, seed=0, context={})
    except TypeError as exc:
        raise _cerr("task", spec, f"a function fn(point, *, seed, context) ({exc})") from None
    return fn


def _path_segments(path: str) -> list:
    return _parse_path(path)  # the config layer's own syntax: a.b[0]."quoted key"


def _walk(tree: Any, segs: Sequence) -> tuple[bool, Any]:
    """(found, value) of ``segs`` in a nested dict/list tree."""
    node = tree
    for seg in segs:
        if isinstance(seg, int) and isinstance(node, list) and seg < len(node):
            node = node[seg]
        elif isinstance(seg, str) and isinstance(node, Mapping) and seg in node:
            node = node[seg]
        else:
            return False, None
    return True, node


def _missing_table(tree: Mapping, segs: Sequence) -> str | None:
    """Why the tables on a parameter path (all but its last key) are not all in the
    resolved base ``tree``, or None.  The config layer would accept e.g. a misspelt
    strain as a new entry; the sweep would then vary a setting nobody uses."""
    node: Any = tree
    for depth, seg in enumerate(segs[:-1]):
        where = f"in '{_format_path(segs[:depth])}'" if depth else "at the top level"
        if isinstance(seg, int) and isinstance(node, list):
            if seg < len(node):
                node = node[seg]
                continue
            return f"index [{seg}] is out of range (the base config has {len(node)} element(s) {where})"
        if isinstance(seg, str) and isinstance(node, Mapping):
            if seg in node:
                node = node[seg]
                continue
            known = [str(k) for k in node]
            close = closest(seg, known)
            hint = (f" — did you mean '{close}'?" if close
                    else (f" (it has {', '.join(known[:12])})" if known else ""))
            return f"the base config has no '{seg}' {where}{hint}"
        return None  # an index into a table or a key into a list or scalar: the probes report it
    return None


def _inner(exc: BaseException) -> str:
    """An error's text on one line, without the 'override ...' label of a probe."""
    if isinstance(exc, ConfigError) and str(exc.filename or "").startswith("override "):
        exc = copy.copy(exc)
        exc.filename = None
    return " ".join(str(exc).split())


def _probes(p: Any) -> list[tuple[str, float | int]]:
    """(sweep key, value passed to the task) at which one parameter is checked."""
    if p.values:
        return [(f"values[{k}]", p.value(v)) for k, v in enumerate(p.values)]
    return [("low", p.value(p.low)), ("high", p.value(p.high))]


def check_sweep(cfg: Any, context: Mapping[str, Any]) -> None:
    """Check everything about ``cfg`` that can be checked before the first task.

    Raises a one-line :class:`~probisim.config.ConfigError` naming the sweep key,
    its value and what was expected; runs no task and writes nothing.

    * ``task`` imports and can be called as ``fn(point, *, seed, context)``;
    * ``base``, when given, is an existing file;
    * if the task function has a ``check`` attribute (the default task has:
      :func:`probisim.sweep.trial_task.check_point`), it is called as
      ``check(point, *, context=context)`` with the empty point (the base and
      the ``outputs``) and then with each parameter alone at each of its bounds
      (or grid values).  It raises for what the task would reject and may
      return the resolved settings as a nested dict; then, in addition, every
      table on a parameter's path must exist in the base (no new strain from a
      typo), an integer setting needs ``integer = true``, and the value set
      must be the value resolved (the override takes effect).

    Combinations of parameters are not checked (only one at a time); a point
    that fails for its combination fails as a task.
    """
    fn = task_function(cfg.task)
    if cfg.base and not Path(cfg.base).is_file():
        # the whole path (a value in a ConfigError is shortened to 80 characters)
        raise ConfigError(f"no file {cfg.base} (expected the base experiment config; "
                          "a relative path is relative to the sweep file)", path="base")
    check = getattr(fn, "check", None)
    if not callable(check):
        return
    context = dict(context)
    try:
        base_tree = check({}, context=context)
    except ConfigError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise ConfigError(f"{cfg.task} rejects the sweep: {type(exc).__name__}: {_inner(exc)}", path="task") from None
    tree = base_tree if isinstance(base_tree, Mapping) else None
    for i, p in enumerate(cfg.parameters):
        where = f"parameters[{i}]"
        try:
            segs = _path_segments(p.path)
        except ConfigError as exc:
            raise ConfigError(f"'{p.path}' is not a valid path: {_inner(exc)}", path=f"{where}.path") from None
        if tree is not None:
            why = _missing_table(tree, segs)
            if why:
                raise ConfigError(f"'{p.path}' is not a setting of the base config: {why}", path=f"{where}.path")
        known_leaf = tree is not None and _walk(tree, segs)[0]
        for key, value in _probes(p):
            try:
                resolved = check({p.path: value}, context=context)
            except (ConfigError, ValueError, TypeError, KeyError) as exc:
                if tree is not None and not known_leaf:  # a new key: a typo, or a bad value for a new entry
                    raise ConfigError(f"'{p.path}' (set to {value!r}) is rejected: {_inner(exc)}",
                                      path=f"{where}.path") from None
                raise ConfigError(f"{p.path} = {value!r} is rejected: {_inner(exc)}", path=f"{where}.{key}") from None
            if not isinstance(resolved, Mapping):
                continue
            found, got = _walk(resolved, segs)
            if not found or isinstance(got, bool) or not isinstance(got, int | float):
                continue
            if isinstance(got, int) and not p.integer:
                raise _cerr(f"{where}.integer", False,
                            f"true, with whole-number {'values' if p.values else 'low and high'}: "
                            f"'{p.path}' is an integer setting")
            if float(got) != float(value):
                raise ConfigError(f"{p.path} = {value!r} resolves to {got!r} in the base config: "
                                  "the override does not take effect", path=f"{where}.path")
