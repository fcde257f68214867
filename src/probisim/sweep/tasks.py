"""Evaluating one task, in whatever process it runs (this one, a pool worker, a
Dask worker).

A task function is named by an import string ``"module:function"`` and has the
signature ::

    def fn(point: dict[str, float | int | str], *, seed: int, context: dict) -> dict[str, float]

It returns a dict of scalar outputs; next to output ``y`` it may return
``"y__rep_var"``, the between-replicate sample variance of ``y`` at that point
(variance of one replicate, ``ddof=1``), which the sweep keeps and
:func:`~probisim.sweep.run_sensitivity` compares with the output's variance.

Context passed to every task
----------------------------
``context`` is the sweep's ``context`` table plus the reserved keys ``base``
(absolute path of the base experiment, or ``""``), ``replicates``, ``outputs``
(list of wanted output names; empty = all) and ``crn``
(:func:`~probisim.sweep.config.task_context`).  It is passed unchanged to every
task.  While a task runs, :func:`current_task_id` returns its id.
"""

from __future__ import annotations

import contextvars
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .checks import import_task
from .config import REP_VAR_SUFFIX
from .designs import Task

__all__ = ["current_task_id", "execute_task", "TaskFailure"]


@dataclass(frozen=True)
class TaskFailure:
    """A task function raised; this travels back from the worker."""

    error_type: str
    message: str
    traceback: str


_CURRENT_TASK: contextvars.ContextVar[str | None] = contextvars.ContextVar("probisim_sweep_task", default=None)


def current_task_id() -> str | None:
    """Id of the task being evaluated (inside a task function), else None."""
    return _CURRENT_TASK.get()


def _coerce_outputs(raw: Any, wanted: Sequence[str]) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise TypeError(f"task function must return a dict of outputs, got {type(raw).__name__}")
    names = list(wanted) if wanted else sorted(k for k in raw if not str(k).endswith(REP_VAR_SUFFIX))
    missing = [n for n in names if n not in raw]
    if missing:
        raise KeyError(f"task function did not return output(s) {missing}; it returned {sorted(raw)}")
    out = {}
    for name in names:
        out[name] = float(raw[name])
        rv = name + REP_VAR_SUFFIX
        if rv in raw:
            out[rv] = float(raw[rv])
    return out


def execute_task(task_spec: str, context: dict, wanted: tuple[str, ...], task: Task) -> dict | TaskFailure:
    """Run one task in whatever process we are in; never raises an Exception.

    Returns ``{"outputs": {...}, "elapsed_s": t}`` or a :class:`TaskFailure`.
    ``KeyboardInterrupt``/``SystemExit`` are not caught.
    """
    token = _CURRENT_TASK.set(task.task_id)
    t0 = time.perf_counter()
    try:
        fn = import_task(task_spec)
        raw = fn(dict(task.point), seed=task.seed, context=context)
        outputs = _coerce_outputs(raw, wanted)
    except Exception as exc:
        return TaskFailure(type(exc).__name__, str(exc), traceback.format_exc())
    finally:
        _CURRENT_TASK.reset(token)
    return {"outputs": outputs, "elapsed_s": time.perf_counter() - t0}
