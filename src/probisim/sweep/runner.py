"""Parameter sweeps and Sobol' sensitivity analysis over trial outputs.

A *sweep* varies model/trial parameters (named by their dotted config path,
e.g. ``"microbiome.colonisation_rate"``) over a design, evaluates a *task
function* at every design point, and collects one row of scalar outputs per
point.  The task function is pluggable, named by an import string
``"module:function"`` with the signature ::

    def fn(point: dict[str, float | int | str], *, seed: int, context: dict) -> dict[str, float]

The default, ``"probisim.trial:evaluate_point"``, runs ``replicates`` simulated
trials of the base experiment with the point's overrides and returns their
averaged outputs.  The tests' task functions (Ishigami, a flaky one) are in
``tests/sweep_tasks.py``.

Checks before the first task
----------------------------
:func:`run_sweep` and :func:`run_sensitivity` (a resume too) call
:func:`check_sweep` before they touch the output directory: the task function
must import and take ``(point, *, seed, context)``, ``base`` must exist, and a
task function that carries a ``check`` attribute, ::

    def check(point, *, context) -> dict | None   # raises ConfigError

is asked, without evaluating anything, about the empty point (the base and the
``outputs``) and about each parameter alone at ``low`` and ``high`` (or each
grid value).  The default task's check, :func:`probisim.trial.check_point`,
builds the TrialConfig of each probe with the config layer (paths, types,
bounds, cross-field rules) and accepts only outputs ``<score>.<stat>`` it can
return.  When the check returns the resolved settings, the sweep also rejects a
path through a table the base lacks (a misspelt strain would be a new, unused
entry), an integer setting swept without ``integer = true`` (float ranges are
rejected rather than rounded) and an override that does not take effect.  The
first problem is raised as a one-line :class:`~probisim.config.ConfigError`
naming the sweep key, its value and what was expected.

Public API
----------
* :class:`SweepConfig`, :class:`Design`, :class:`Parameter` -- the sweep file
  schema (TOML, loaded through :mod:`probisim.config`).
* :func:`run_sweep` -- evaluate a grid / Latin hypercube / Sobol' design.
* :func:`run_sensitivity` -- evaluate the Saltelli A/B/AB design and compute
  first-order and total Sobol' indices (with bootstrap CIs) for every output.
* :func:`load_results` -- reopen a finished (or partial) sweep directory.
* :func:`make_design`, :func:`saltelli_design`, :func:`make_tasks`.

Parameters are sampled uniformly between ``low`` and ``high`` or, with
``log = true`` / ``dist = "loguniform"``, log-uniformly; ``integer = true``
rounds them and passes ``int`` values (sample sizes); grid designs may list
explicit ``values``.  Where the tasks run (serial, local processes, Dask) is
chosen per call -- see :mod:`probisim.executors` -- and never changes results.

Output directory
----------------
::

    DIR/sweep.toml          the resolved sweep config (extends/overrides applied,
                            ``base`` made absolute)
    DIR/design.csv          task_id, seed, [matrix,] one column per parameter
    DIR/tasks/<id>.json     one per finished task, written atomically as it ends
    DIR/failed/<id>.json    one per failed task: point, seed, error type,
                            message, traceback, and for a dead worker the
                            tasks that were in flight (deleted when a retry
                            succeeds)
    DIR/results.csv         task_id, parameters, outputs[, <output>__rep_var]
                            -- one row per finished task, sorted by task id,
                            floats written with ``repr``: byte-identical for
                            any executor, job count or completion order
    DIR/sobol.csv, sobol.json   (run_sensitivity only)

Task ids are the zero-padded index of the point in design order (at least six
digits).  Re-running into an existing, non-empty DIR is an
:class:`OutputExistsError` unless ``resume=True`` (skip tasks whose JSON
exists, retry failed ones; the config and design must be unchanged, else
:class:`SweepMismatchError`) or ``force=True`` (delete the sweep's own files
above, nothing else, and start over).  A task that raises is recorded in
``failed/`` and the others carry on.  On ``KeyboardInterrupt`` only the
in-flight tasks are lost: every finished task's JSON is already on disk.

Seeds, common random numbers and noise
--------------------------------------
With ``crn = true`` (the default) every task gets the sweep ``seed``: all points
see the *same* random numbers (common random numbers), so a difference between
two points is a parameter effect rather than simulation noise, and Sobol'
indices are not inflated by noise.  With ``crn = false`` each task's seed is
derived deterministically from (sweep seed, task index) with
:class:`numpy.random.SeedSequence` (a 32-bit integer), so points are
independent.  Either way each task averages ``replicates`` replicate trials
(the task function does that; the count is ``context["replicates"]``).

To let a reader judge the *nugget* (noise that is left in the averaged
output), a task function may return, next to output ``y``, the key
``"y__rep_var"``: the between-replicate sample variance of ``y`` at that point
(variance of one replicate, ``ddof=1``).  Those columns are kept in
``results.csv``; :func:`run_sensitivity` reports for each output the variance
of ``y`` over the A and B samples (the denominator of the indices) next to
``noise_var`` = mean of ``y__rep_var`` over points and ``noise_var_of_mean`` =
``noise_var / replicates`` (the nugget of the averaged output) and their ratio
``noise_fraction``.  With CRN the noise is largely shared between points, so
``noise_fraction`` is an upper bound on the share of the output variance that
noise can explain; without CRN it is an estimate of it.

Context passed to every task
----------------------------
``context`` is the sweep's ``context`` table plus the reserved keys ``base``
(absolute path of the base experiment, or ``""``), ``replicates``, ``outputs``
(list of wanted output names; empty = all) and ``crn``.  It is passed unchanged
to every task.  While a task runs, :func:`current_task_id` returns its id.
"""

from __future__ import annotations

import contextvars
import csv
import dataclasses
import functools
import io
import itertools
import json
import logging
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .executors import Executor, WorkerLostError, get_executor
from ..core.errors import IncompleteSweepError, OutputExistsError, SweepMismatchError
from ..core.io import LF, csv_text, read_csv, read_json, write_json, write_text_atomic
from .checks import check_sweep as _check_sweep
from .checks import import_task as _import_task

from .. import config as _config
from ..config import ConfigError, param

log = logging.getLogger(__name__)

__all__ = [
    "Design",
    "Parameter",
    "SweepConfig",
    "Task",
    "SweepResult",
    "SensitivityResult",
    "OutputExistsError",
    "SweepMismatchError",
    "IncompleteSweepError",
    "run_sweep",
    "run_sensitivity",
    "load_results",
    "read_results_csv",
    "load_sweep_config",
    "make_design",
    "saltelli_design",
    "make_tasks",
    "check_sweep",
    "current_task_id",
    "DEFAULT_TASK",
    "REP_VAR_SUFFIX",
]

DEFAULT_TASK = "probisim.trial:evaluate_point"
#: Suffix of the optional between-replicate variance key of an output.
REP_VAR_SUFFIX = "__rep_var"
DESIGN_KINDS = ("grid", "lhs", "sobol")
DISTS = ("uniform", "loguniform")
RESERVED_CONTEXT_KEYS = ("base", "replicates", "outputs", "crn")
_MIN_ID_WIDTH = 6


def _cerr(path: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(path=path, value=value, expected=expected)


# --------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Design:
    """How the points of a sweep are laid out."""

    kind: str = param(
        "lhs",
        choices=DESIGN_KINDS,
        doc="grid: Cartesian product; lhs: Latin hypercube; sobol: scrambled Sobol' sequence "
        "(run_sensitivity always uses the Saltelli A/B/AB design and needs kind = 'sobol')",
    )
    n: int = param(
        16,
        bounds=(1, None),
        doc="grid: points per parameter without explicit values; lhs/sobol: number of points; "
        "sensitivity: base sample size N (a power of 2; N*(d+2) tasks)",
    )
    scramble: bool = param(True, doc="randomise the QMC points (lhs: within cells; sobol: Owen scrambling)")
    seed: int = param(0, bounds=(0, None), doc="seed of the design's own randomisation (not the trials')")


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One varied input, addressed by its dotted config path."""

    path: str = param(doc="dotted config path of the varied parameter, e.g. 'trial.n_per_arm'")
    low: float | None = param(None, doc="lower bound (not needed when values are given)")
    high: float | None = param(None, doc="upper bound (not needed when values are given)")
    values: tuple[float, ...] = param((), doc="explicit grid values (grid designs only)")
    log: bool = param(False, doc="log-uniform scaling between low and high (same as dist = 'loguniform')")
    dist: str = param("uniform", choices=DISTS, doc="distribution of the input over [low, high]")
    integer: bool = param(False, doc="round to whole numbers and pass ints (sample sizes, counts)")

    @property
    def is_log(self) -> bool:
        return bool(self.log) or self.dist == "loguniform"

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples to [low, high] (log-uniformly if ``is_log``)."""
        lo, hi = float(self.low), float(self.high)
        u = np.asarray(u, dtype=float)
        if self.is_log:
            x = np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            x = lo + u * (hi - lo)
        x = np.clip(x, lo, hi)
        return np.rint(x) if self.integer else x

    def grid_values(self, n: int) -> np.ndarray:
        if self.values:
            vals = np.asarray(self.values, dtype=float)
        else:
            lo, hi = float(self.low), float(self.high)
            vals = np.geomspace(lo, hi, n) if self.is_log else np.linspace(lo, hi, n)
        if self.integer:
            vals = np.array(list(dict.fromkeys(np.rint(vals).tolist())), dtype=float)
        return vals

    def value(self, x: float) -> float | int:
        """The value passed to the task: an ``int`` for integer parameters."""
        return int(round(x)) if self.integer else float(x)


@dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """A sweep file (TOML).  Example::

        base = "experiments/small_trial.toml"   # relative to this file
        seed = 20240611
        replicates = 4
        outputs = ["effect_size", "p_value"]
        crn = true

        [design]
        kind = "lhs"
        n = 64
        seed = 1

        [[parameters]]
        path = "microbiome.colonisation_rate"
        low = 0.01
        high = 1.0
        log = true

        [[parameters]]
        path = "trial.n_per_arm"
        values = [20.0, 40.0, 80.0]
    """

    base: str = param("", doc="base experiment config, relative to the sweep file ('' for test task functions)")
    task: str = param(DEFAULT_TASK, doc="task function as 'module:function'")
    seed: int = param(bounds=(0, None), doc="sweep seed: every task's seed with crn, else the root of per-task seeds")
    replicates: int = param(1, bounds=(1, None), doc="replicate trials averaged per point")
    outputs: tuple[str, ...] = param((), doc="outputs to keep (empty: everything the task returns)")
    design: Design = param(default_factory=Design, doc="design of the sweep")
    parameters: tuple[Parameter, ...] = param(doc="varied parameters (at least one)")
    crn: bool = param(True, doc="common random numbers: every point uses the same seed")
    context: dict[str, float | str] = param(default_factory=dict, doc="extra values passed unchanged to every task")

    def __post_init__(self) -> None:
        if ":" not in self.task:
            raise _cerr("task", self.task, "an import string 'module:function'")
        if self.design.kind not in DESIGN_KINDS:
            raise _cerr("design.kind", self.design.kind, f"one of {DESIGN_KINDS}")
        if self.design.n < 1:
            raise _cerr("design.n", self.design.n, "a positive integer")
        if self.replicates < 1:
            raise _cerr("replicates", self.replicates, "a positive integer")
        if self.seed < 0:
            raise _cerr("seed", self.seed, "a non-negative integer")
        if not self.parameters:
            raise _cerr("parameters", self.parameters, "at least one parameter")
        seen = set()
        for i, p in enumerate(self.parameters):
            where = f"parameters[{i}]"
            if not p.path or p.path in seen:
                raise _cerr(f"{where}.path", p.path, "a unique, non-empty dotted path")
            seen.add(p.path)
            if p.dist not in DISTS:
                raise _cerr(f"{where}.dist", p.dist, f"one of {DISTS}")
            has_bounds = p.low is not None and p.high is not None
            if p.values:
                if self.design.kind != "grid":
                    raise _cerr(f"{where}.values", p.values, "values only with design.kind = 'grid'")
                if any(not math.isfinite(float(v)) for v in p.values):
                    raise _cerr(f"{where}.values", p.values, "finite numbers")
            elif not has_bounds:
                raise _cerr(f"{where}", {"low": p.low, "high": p.high}, "both low and high (or grid values)")
            if has_bounds:
                lo, hi = float(p.low), float(p.high)
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise _cerr(f"{where}.high", p.high, f"a finite number > low = {p.low!r}")
                if p.is_log and lo <= 0:
                    raise _cerr(f"{where}.low", p.low, "> 0 for log scaling")
                for key, bound in (("low", lo), ("high", hi)):
                    if p.integer and not bound.is_integer():
                        raise _cerr(f"{where}.{key}", bound, "a whole number: the parameter is integer = true")
            if p.integer:
                for k, v in enumerate(p.values):
                    if not float(v).is_integer():
                        raise _cerr(f"{where}.values[{k}]", v, "a whole number: the parameter is integer = true")
        names = [p.path for p in self.parameters]
        for o in self.outputs:
            if o in names or o == "task_id" or o.endswith(REP_VAR_SUFFIX):
                raise _cerr("outputs", self.outputs, "output names distinct from parameter paths and 'task_id'")
        for key in self.context:
            if key in RESERVED_CONTEXT_KEYS:
                raise _cerr(f"context.{key}", self.context[key], f"a key other than {RESERVED_CONTEXT_KEYS}")

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.parameters)


# --------------------------------------------------------------------------
# config I/O
# --------------------------------------------------------------------------


def load_sweep_config(path: str | os.PathLike, overrides: Sequence[str] = ()) -> SweepConfig:
    """Load a sweep TOML file (``extends`` and ``"dotted.key=value"`` overrides applied)."""
    return _config.load(path, SweepConfig, overrides=tuple(overrides))


def _apply_overrides(cfg: SweepConfig | Mapping, overrides: Sequence[str]) -> SweepConfig:
    """Apply overrides; always round-trips through the strict loader, so a
    config built in Python is validated (bounds, choices) and canonical
    (``1`` -> ``1.0``) exactly like one read from TOML."""
    data = _config.to_dict(cfg) if isinstance(cfg, SweepConfig) else dict(cfg)
    if overrides:
        data = _config.apply_overrides(data, tuple(overrides), SweepConfig)
    return _config.from_dict(SweepConfig, data)


# --------------------------------------------------------------------------
# designs
# --------------------------------------------------------------------------


def _scale(unit: np.ndarray, parameters: Sequence[Parameter]) -> np.ndarray:
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    return np.column_stack([p.from_unit(unit[:, j]) for j, p in enumerate(parameters)])


def make_design(cfg: SweepConfig) -> np.ndarray:
    """Points of ``cfg.design`` as an array (n_points, n_parameters).

    * grid: Cartesian product of each parameter's ``values`` (or ``design.n``
      evenly -- log-evenly with ``log`` -- spaced values from low to high,
      both ends included); the first parameter varies slowest.
    * lhs: ``qmc.LatinHypercube(d, scramble=design.scramble, rng=design.seed)``
      scaled to the bounds (log-uniformly where asked).
    * sobol: ``qmc.Sobol(d, scramble=design.scramble, rng=design.seed)``, first
      ``design.n`` points (use a power of 2 for balance), scaled likewise.
    """
    from scipy.stats import qmc

    params, d, dsn = cfg.parameters, len(cfg.parameters), cfg.design
    if dsn.kind == "grid":
        axes = [p.grid_values(dsn.n) for p in params]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    if dsn.kind == "lhs":
        unit = qmc.LatinHypercube(d=d, scramble=dsn.scramble, rng=dsn.seed).random(dsn.n)
    elif dsn.kind == "sobol":
        unit = qmc.Sobol(d=d, scramble=dsn.scramble, rng=dsn.seed).random(dsn.n)
    else:  # pragma: no cover - rejected by the schema
        raise ValueError(f"unknown design kind {dsn.kind!r}")
    return _scale(unit, params)


def saltelli_design(cfg: SweepConfig) -> tuple[np.ndarray, list[str]]:
    """Saltelli A/B/AB points for Sobol' indices, stacked in task order.

    One ``2d``-dimensional scrambled Sobol' sample of ``N = design.n`` points
    (a power of 2) is split into A (first d columns) and B (last d); ``AB_i``
    is A with column i taken from B.  Returns the (N*(d+2), d) points ordered
    ``A, B, AB_0, ..., AB_{d-1}`` and the matrix label of each row.
    """
    from scipy.stats import qmc

    n, d = cfg.design.n, len(cfg.parameters)
    if n < 2 or n & (n - 1):
        raise _cerr("design.n", n, "a power of 2 (>= 2) for Sobol' indices")
    unit = qmc.Sobol(d=2 * d, scramble=cfg.design.scramble, rng=cfg.design.seed, bits=64).random(n)
    a, b = unit[:, :d], unit[:, d:]
    blocks, labels = [a, b], ["A"] * n + ["B"] * n
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
        labels += [f"AB{i}"] * n
    return _scale(np.vstack(blocks), cfg.parameters), labels


# --------------------------------------------------------------------------
# tasks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One design point to evaluate."""

    task_id: str
    index: int
    point: dict[str, float | int]
    seed: int


@dataclass(frozen=True)
class TaskFailure:
    """A task function raised; this travels back from the worker."""

    error_type: str
    message: str
    traceback: str


def _task_seed(cfg: SweepConfig, index: int) -> int:
    if cfg.crn:
        return int(cfg.seed)
    ss = np.random.SeedSequence(entropy=int(cfg.seed), spawn_key=(int(index),))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def _id_width(n_tasks: int) -> int:
    return max(_MIN_ID_WIDTH, len(str(max(0, n_tasks - 1))))


def make_tasks(cfg: SweepConfig, points: np.ndarray) -> list[Task]:
    """One :class:`Task` per row of ``points`` (design order)."""
    params = cfg.parameters
    width = _id_width(len(points))
    return [
        Task(
            task_id=f"{i:0{width}d}",
            index=i,
            point={p.path: p.value(v) for p, v in zip(params, row, strict=True)},
            seed=_task_seed(cfg, i),
        )
        for i, row in enumerate(np.asarray(points, dtype=float))
    ]


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
        fn = _import_task(task_spec)
        raw = fn(dict(task.point), seed=task.seed, context=context)
        outputs = _coerce_outputs(raw, wanted)
    except Exception as exc:
        return TaskFailure(type(exc).__name__, str(exc), traceback.format_exc())
    finally:
        _CURRENT_TASK.reset(token)
    return {"outputs": outputs, "elapsed_s": time.perf_counter() - t0}


# --------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------


_ARTIFACTS = ("sweep.toml", "design.csv", "results.csv", "sobol.csv", "sobol.json")
_ARTIFACT_DIRS = ("tasks", "failed")


def _design_csv(cfg: SweepConfig, tasks: Sequence[Task], labels: Sequence[str] | None) -> str:
    names = cfg.parameter_names
    header = ["task_id", "seed"] + (["matrix"] if labels is not None else []) + list(names)
    rows = []
    for t in tasks:
        row = [t.task_id, t.seed] + ([labels[t.index]] if labels is not None else [])
        rows.append(row + [t.point[n] for n in names])
    return csv_text(header, rows, lineterminator=LF)


def _read_json(path: Path) -> dict | None:
    """A finished task's record, or None if it is missing or unreadable."""
    try:
        return read_json(path)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        log.warning("ignoring unreadable %s (%s); the task will be rerun", path, exc)
        return None


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep produced.

    ``table`` maps each column of ``results.csv`` to a numpy array (task ids as
    strings, parameters and outputs as float64); only finished tasks have rows.
    """

    out_dir: Path
    config: SweepConfig
    parameters: tuple[str, ...]
    outputs: tuple[str, ...]
    noise_columns: tuple[str, ...]
    table: dict[str, np.ndarray]
    n_tasks: int
    n_failed: int
    failed: tuple[str, ...] = ()
    n_run: int = 0
    n_skipped: int = 0
    elapsed_s: float = 0.0
    executor: str = ""

    @property
    def n_completed(self) -> int:
        return len(self.table.get("task_id", ()))

    @property
    def complete(self) -> bool:
        return self.n_completed == self.n_tasks and self.n_failed == 0

    @property
    def paths(self) -> dict[str, Path]:
        d = self.out_dir
        return {
            "config": d / "sweep.toml",
            "design": d / "design.csv",
            "tasks": d / "tasks",
            "failed": d / "failed",
            "results": d / "results.csv",
        }

    @property
    def results_csv(self) -> Path:
        return self.out_dir / "results.csv"

    def column(self, name: str) -> np.ndarray:
        return self.table[name]

    def rows(self) -> list[dict[str, Any]]:
        cols = list(self.table)
        return [dict(zip(cols, vals, strict=True)) for vals in zip(*(self.table[c] for c in cols), strict=True)]


@dataclass
class SensitivityResult:
    """Sobol' indices for every output (arrays of shape (n_outputs, n_parameters)).

    ``first_order_ci``/``total_order_ci`` have shape (2, n_outputs, n_parameters)
    (low, high) at ``confidence_level``.  ``variance`` is the variance of each
    output over the A and B samples; ``noise_var_of_mean`` the between-replicate
    variance divided by ``replicates`` (NaN when the task reports none).
    """

    sweep: SweepResult
    parameters: tuple[str, ...]
    outputs: tuple[str, ...]
    n_base: int
    first_order: np.ndarray
    total_order: np.ndarray
    first_order_ci: np.ndarray
    total_order_ci: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    noise_var: np.ndarray
    noise_var_of_mean: np.ndarray
    confidence_level: float
    n_resamples: int

    @property
    def out_dir(self) -> Path:
        return self.sweep.out_dir

    @property
    def n_failed(self) -> int:
        return self.sweep.n_failed

    @property
    def table(self) -> dict[str, np.ndarray]:
        return self.sweep.table

    @property
    def paths(self) -> dict[str, Path]:
        return {**self.sweep.paths, "sobol_csv": self.out_dir / "sobol.csv", "sobol_json": self.out_dir / "sobol.json"}

    @property
    def noise_fraction(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.noise_var_of_mean / self.variance

    def indices(self, output: str) -> dict[str, dict[str, float]]:
        """{parameter: {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"}} for one output."""
        k = self.outputs.index(output)
        return {
            p: {
                "S1": float(self.first_order[k, j]),
                "S1_low": float(self.first_order_ci[0, k, j]),
                "S1_high": float(self.first_order_ci[1, k, j]),
                "ST": float(self.total_order[k, j]),
                "ST_low": float(self.total_order_ci[0, k, j]),
                "ST_high": float(self.total_order_ci[1, k, j]),
            }
            for j, p in enumerate(self.parameters)
        }


def _results_table(
    cfg: SweepConfig, tasks: Sequence[Task], outputs_by_id: Mapping[str, Mapping[str, float]]
) -> tuple[list[str], list[str], list[str], list[list[Any]]]:
    """(parameter columns, output columns, noise columns, rows) sorted by task id."""
    params = list(cfg.parameter_names)
    if cfg.outputs:
        outs = list(cfg.outputs)
    else:
        outs = sorted({k for o in outputs_by_id.values() for k in o if not k.endswith(REP_VAR_SUFFIX)})
    noise = [o + REP_VAR_SUFFIX for o in outs if any(o + REP_VAR_SUFFIX in v for v in outputs_by_id.values())]
    rows = []
    for t in tasks:  # design order == task id order
        res = outputs_by_id.get(t.task_id)
        if res is None:
            continue
        rows.append([t.task_id] + [t.point[p] for p in params] + [res.get(c, math.nan) for c in outs + noise])
    return params, outs, noise, rows


def _table_from_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, np.ndarray]:
    table: dict[str, np.ndarray] = {}
    for j, name in enumerate(columns):
        vals = [r[j] for r in rows]
        table[name] = np.array(vals, dtype=str if j == 0 else float) if vals else np.array([], dtype=str if j == 0 else float)
    return table


def read_results_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a ``results.csv`` into {column: array} (task_id as str, rest float)."""
    return read_csv(path, types={"task_id": str}, default=float)


def load_results(out_dir: str | os.PathLike) -> SweepResult:
    """Reopen a sweep directory (needs sweep.toml and results.csv)."""
    out = Path(out_dir)
    cfg = load_sweep_config(out / "sweep.toml")
    table = read_results_csv(out / "results.csv")
    params = cfg.parameter_names
    rest = [c for c in table if c != "task_id" and c not in params]
    outs = tuple(c for c in rest if not c.endswith(REP_VAR_SUFFIX))
    noise = tuple(c for c in rest if c.endswith(REP_VAR_SUFFIX))
    with open(out / "design.csv", encoding="utf-8") as fh:
        n_tasks = sum(1 for _ in fh) - 1
    failed = tuple(sorted(p.stem for p in (out / "failed").glob("*.json")))
    return SweepResult(out, cfg, params, outs, noise, table, n_tasks, len(failed), failed)


# --------------------------------------------------------------------------
# checks before the first task (probisim.sweep_checks)
# --------------------------------------------------------------------------


def check_sweep(cfg: SweepConfig) -> None:
    """Check ``cfg`` before its first task: one-line :class:`ConfigError`, nothing run or
    written.  See "Checks before the first task" above and :mod:`probisim.sweep_checks`."""
    _check_sweep(cfg, _task_context(cfg))


# --------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------


def _resolve_config(config: Any, out_dir: Path, resume: bool, overrides: Sequence[str]) -> SweepConfig:
    """Load/apply overrides and make ``base`` absolute."""
    if config is None:
        existing = out_dir / "sweep.toml"
        if not (resume and existing.exists()):
            raise ValueError("config may be omitted only with resume=True on a directory holding sweep.toml")
        cfg, here = load_sweep_config(existing, overrides), out_dir
    elif isinstance(config, SweepConfig):
        cfg, here = _apply_overrides(config, overrides), Path.cwd()
    elif isinstance(config, str | os.PathLike):
        path = Path(config)
        cfg, here = load_sweep_config(path, overrides), path.resolve().parent
    elif isinstance(config, Mapping):
        cfg, here = _apply_overrides(config, overrides), Path.cwd()
    else:
        raise TypeError(f"config must be a SweepConfig, a mapping or a path, not {type(config).__name__}")
    if cfg.base and not Path(cfg.base).is_absolute():
        cfg = dataclasses.replace(cfg, base=str((here / cfg.base).resolve()))
    if cfg.task == DEFAULT_TASK and not cfg.base:
        raise _cerr("base", cfg.base, f"a base experiment path for task {DEFAULT_TASK}")
    return cfg


def _task_context(cfg: SweepConfig) -> dict:
    return {
        **dict(cfg.context),
        "base": cfg.base,
        "replicates": int(cfg.replicates),
        "outputs": list(cfg.outputs),
        "crn": bool(cfg.crn),
    }


def _prepare_dir(out: Path, cfg: SweepConfig, design_text: str, *, resume: bool, force: bool) -> None:
    """Fill a claimed sweep directory (:class:`~probisim.outdir.SweepDirClaim`: marked as
    probisim's and locked): check that a resumed sweep is the same sweep, or remove the
    previous sweep's files with ``force``."""
    if resume:
        toml_path, design_path = out / "sweep.toml", out / "design.csv"
        if toml_path.exists():
            old = load_sweep_config(toml_path)
            if _config.config_hash(old) != _config.config_hash(cfg):
                raise SweepMismatchError(
                    f"{toml_path} differs from this run's config; resume only with the same sweep "
                    "(or use a new directory / force=True)"
                )
        if design_path.exists() and design_path.read_text(encoding="utf-8") != design_text:
            raise SweepMismatchError(
                f"{design_path} differs from this run's design (different kind of run or changed "
                "parameters); use a new directory or force=True"
            )
    elif force:
        import shutil

        for name in _ARTIFACTS:
            (out / name).unlink(missing_ok=True)  # a link is removed, never followed
        for name in _ARTIFACT_DIRS:
            shutil.rmtree(out / name, ignore_errors=True)  # refuses links; fd-based inside the tree
    (out / "tasks").mkdir(parents=True, exist_ok=True)
    (out / "failed").mkdir(parents=True, exist_ok=True)
    if not (out / "sweep.toml").exists():
        write_text_atomic(out / "sweep.toml", _config.dumps_toml(cfg))
    if not (out / "design.csv").exists():
        write_text_atomic(out / "design.csv", design_text)


def _claim(out: Path, resume: bool, force: bool):
    """The sweep directory, checked, created with its marker and locked for this run."""
    from ..core.outdir import SweepDirClaim

    if resume and force:
        raise ValueError("pass either resume=True or force=True, not both")
    return SweepDirClaim(out, resume=resume, force=force, artifacts=_ARTIFACTS + _ARTIFACT_DIRS)


def _choose_executor(executor: Any, jobs: int | None, scheduler: Any) -> tuple[Executor, bool]:
    """(executor, owned): owned executors are opened and closed by the sweep."""
    if isinstance(executor, Executor):
        return executor, False
    if executor is None:
        if scheduler is not None:
            kind = "dask"
        elif jobs is not None and jobs != 1:
            kind = "processes"
        else:
            kind = "serial"
    else:
        kind = str(executor)
    return get_executor(kind, jobs=jobs, scheduler=scheduler), True


def _progress_bar(total: int, initial: int, enabled: bool, desc: str):
    from tqdm import tqdm

    disable = not enabled or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return tqdm(total=total, initial=initial, disable=disable, file=sys.stderr, unit="task", desc=desc, dynamic_ncols=True)


def _run_tasks(
    cfg: SweepConfig,
    out: Path,
    tasks: list[Task],
    design_labels: list[str] | None,
    *,
    jobs,
    scheduler,
    executor,
    resume: bool,
    force: bool,
    progress: bool,
    desc: str,
) -> SweepResult:
    t_start = time.perf_counter()
    design_text = _design_csv(cfg, tasks, design_labels)
    # built (not started) before the directory is touched: a missing Dask fails here
    chosen, chosen_owned = _choose_executor(executor, jobs, scheduler)
    _prepare_dir(out, cfg, design_text, resume=resume, force=force)
    tasks_dir, failed_dir = out / "tasks", out / "failed"

    wanted = tuple(cfg.outputs)
    outputs_by_id: dict[str, dict[str, float]] = {}
    todo: list[Task] = []
    for t in tasks:
        rec = _read_json(tasks_dir / f"{t.task_id}.json") if resume else None
        if _valid_record(rec, t, wanted):
            outputs_by_id[t.task_id] = rec["outputs"]
        else:
            todo.append(t)
    n_skipped = len(tasks) - len(todo)
    previously_failed = {p.stem for p in failed_dir.glob("*.json")}
    for name in list(previously_failed):
        if not resume or name in outputs_by_id:  # stale record
            (failed_dir / f"{name}.json").unlink(missing_ok=True)
            previously_failed.discard(name)

    fn = functools.partial(execute_task, cfg.task, _task_context(cfg), wanted)
    failed_now: set[str] = set()
    if todo:
        ex, owned = chosen, chosen_owned
    else:  # nothing to run: do not start a pool or a cluster
        ex, owned = get_executor("serial"), False
    ex_name = ex.describe()
    bar = _progress_bar(len(tasks), n_skipped, progress, desc)
    try:
        if owned:
            ex.__enter__()
        try:
            for task, result in ex.map_unordered(fn, todo):
                if isinstance(result, dict):
                    record = {
                        "task_id": task.task_id,
                        "index": task.index,
                        "seed": task.seed,
                        "point": task.point,
                        "outputs": result["outputs"],
                        "elapsed_s": result.get("elapsed_s"),
                    }
                    # compact, NaN kept as NaN: outputs are read back as they were returned
                    write_json(tasks_dir / f"{task.task_id}.json", record, indent=None, finite=False)
                    if task.task_id in previously_failed or task.task_id in failed_now:
                        (failed_dir / f"{task.task_id}.json").unlink(missing_ok=True)
                    outputs_by_id[task.task_id] = result["outputs"]
                else:
                    _record_failure(failed_dir, task, result)
                    failed_now.add(task.task_id)
                    bar.set_postfix(failed=len(failed_now), refresh=False)
                bar.update(1)
        except BaseException:
            if owned:
                ex.close(cancel=True)
                owned = False
            raise
        finally:
            if owned:
                ex.close()
    finally:
        bar.close()

    params, outs, noise, rows = _results_table(cfg, tasks, outputs_by_id)
    header = ["task_id", *params, *outs, *noise]
    write_text_atomic(out / "results.csv", csv_text(header, rows, lineterminator=LF))
    failed = tuple(sorted(p.stem for p in failed_dir.glob("*.json")))
    if failed:
        log.warning(
            "%d of %d task(s) failed (see %s); rerun with resume=True to retry them",
            len(failed),
            len(tasks),
            failed_dir,
        )
    return SweepResult(
        out_dir=out,
        config=cfg,
        parameters=tuple(params),
        outputs=tuple(outs),
        noise_columns=tuple(noise),
        table=_table_from_rows(header, rows),
        n_tasks=len(tasks),
        n_failed=len(failed),
        failed=failed,
        n_run=len(todo),
        n_skipped=n_skipped,
        elapsed_s=time.perf_counter() - t_start,
        executor=ex_name,
    )


def _valid_record(rec: Any, task: Task, wanted: Sequence[str]) -> bool:
    """A finished-task JSON that belongs to this task and has every wanted output."""
    if not isinstance(rec, dict) or rec.get("task_id") != task.task_id:
        return False
    outputs = rec.get("outputs")
    return isinstance(outputs, dict) and all(o in outputs for o in wanted)


def _record_failure(failed_dir: Path, task: Task, result: Any) -> None:
    if isinstance(result, TaskFailure):
        etype, msg, tb = result.error_type, result.message, result.traceback
    else:  # infrastructure: worker died, KilledWorker, cancelled, ...
        etype, msg = type(result).__name__, str(result)
        tb = "".join(traceback.format_exception(result)) if isinstance(result, BaseException) else ""
    record = {
        "task_id": task.task_id,
        "index": task.index,
        "seed": task.seed,
        "point": task.point,
        "error_type": etype,
        "message": msg,
        "traceback": tb,
        "in_flight": list(result.in_flight) if isinstance(result, WorkerLostError) else None,
    }
    write_json(failed_dir / f"{task.task_id}.json", record, indent=1)
    log.warning("task %s failed: %s: %s", task.task_id, etype, msg)


def run_sweep(
    config: SweepConfig | str | os.PathLike | Mapping | None,
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    executor: Executor | str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    overrides: Sequence[str] = (),
) -> SweepResult:
    """Evaluate the task function at every point of ``config.design``.

    ``config``: a :class:`SweepConfig`, a dict, or a path to a sweep TOML (then
    ``base`` is relative to that file); ``None`` with ``resume=True`` reuses
    ``out_dir/sweep.toml``.  ``overrides``: ``"dotted.key=value"`` strings
    applied to the sweep config.

    Where tasks run: ``executor`` (an :class:`~probisim.executors.Executor`,
    used as is and not closed, or a kind ``"serial" | "processes" | "dask"``);
    by default Dask if ``scheduler`` is given (``"local"`` or
    ``"tcp://host:port"``), a process pool if ``jobs`` is given and not 1, else
    serial.  Results do not depend on this choice.
    """
    out = Path(out_dir)
    cfg = _resolve_config(config, out, resume, overrides)
    tasks = make_tasks(cfg, make_design(cfg))
    check_sweep(cfg)
    with _claim(out, resume, force):
        return _run_tasks(
            cfg, out, tasks, None,
            jobs=jobs, scheduler=scheduler, executor=executor,
            resume=resume, force=force, progress=progress, desc="sweep",
        )


def run_sensitivity(
    config: SweepConfig | str | os.PathLike | Mapping | None,
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    executor: Executor | str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    overrides: Sequence[str] = (),
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> SensitivityResult:
    """Sobol' first-order and total indices of every output.

    Evaluates the Saltelli design (:func:`saltelli_design`; ``design.kind``
    must be ``"sobol"``, ``design.n = N`` a power of 2, ``N*(d+2)`` tasks)
    through the same machinery as :func:`run_sweep` (same directory layout,
    resume, executors), then calls ``scipy.stats.sobol_indices`` with the
    ``{"f_A", "f_B", "f_AB"}`` dict form for each output and
    ``.bootstrap(confidence_level, n_resamples)`` for BCa confidence
    intervals (seeded from ``design.seed``, so ``sobol.csv`` is reproducible).
    Writes ``sobol.csv`` (one row per output x parameter) and ``sobol.json``.
    Raises :class:`IncompleteSweepError` (after saving everything finished) if
    tasks failed; resume to retry them.
    """
    out = Path(out_dir)
    cfg = _resolve_config(config, out, resume, overrides)
    if cfg.design.kind != "sobol":
        raise _cerr("design.kind", cfg.design.kind, "'sobol' for run_sensitivity")
    points, labels = saltelli_design(cfg)
    tasks = make_tasks(cfg, points)
    check_sweep(cfg)
    with _claim(out, resume, force):
        sweep = _run_tasks(
            cfg, out, tasks, labels,
            jobs=jobs, scheduler=scheduler, executor=executor,
            resume=resume, force=force, progress=progress, desc="sobol",
        )
        if not sweep.complete:
            raise IncompleteSweepError(
                f"{sweep.n_tasks - sweep.n_completed} of {sweep.n_tasks} Sobol' tasks did not finish "
                f"(see {out / 'failed'}); rerun with resume=True",
                sweep.failed,
            )
        res = _sobol_analysis(cfg, sweep, confidence_level=confidence_level, n_resamples=n_resamples)
        _write_sobol(res, cfg)
    return res


def _bootstrap_seed(cfg: SweepConfig) -> int:
    return int(np.random.SeedSequence(entropy=int(cfg.design.seed), spawn_key=(0x50B0,)).generate_state(1)[0])


def _sobol_one(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, n: int, confidence_level, n_resamples, seed):
    """Indices and CIs for one output: f_a, f_b (n,), f_ab (d, n)."""
    from scipy.stats import sobol_indices

    d = f_ab.shape[0]
    # scipy squeezes its results, which breaks for a single parameter: then
    # duplicate the page (the estimators are per page, so nothing changes).
    pages = f_ab if d > 1 else np.vstack([f_ab, f_ab])
    func = {"f_A": f_a[None, :], "f_B": f_b[None, :], "f_AB": pages[:, None, :]}
    res = sobol_indices(func=func, n=n)
    s1 = np.asarray(res.first_order, dtype=float).reshape(-1)[:d]
    st = np.asarray(res.total_order, dtype=float).reshape(-1)[:d]
    ci = np.full((4, d), np.nan)
    if n_resamples > 0:
        # SobolResult.bootstrap draws from NumPy's legacy global RandomState;
        # seed it for reproducible CIs and restore the caller's state after.
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    boot = res.bootstrap(confidence_level=confidence_level, n_resamples=n_resamples)
            ci[0] = np.asarray(boot.first_order.confidence_interval.low, dtype=float).reshape(-1)[:d]
            ci[1] = np.asarray(boot.first_order.confidence_interval.high, dtype=float).reshape(-1)[:d]
            ci[2] = np.asarray(boot.total_order.confidence_interval.low, dtype=float).reshape(-1)[:d]
            ci[3] = np.asarray(boot.total_order.confidence_interval.high, dtype=float).reshape(-1)[:d]
        finally:
            np.random.set_state(state)
    return s1, st, ci


def _sobol_analysis(cfg: SweepConfig, sweep: SweepResult, *, confidence_level: float, n_resamples: int) -> SensitivityResult:
    n, d = cfg.design.n, len(cfg.parameters)
    outs = sweep.outputs
    k = len(outs)
    s1, st = np.full((k, d), np.nan), np.full((k, d), np.nan)
    s1_ci, st_ci = np.full((2, k, d), np.nan), np.full((2, k, d), np.nan)
    mean, var = np.full(k, np.nan), np.full(k, np.nan)
    noise = np.full(k, np.nan)
    seed = _bootstrap_seed(cfg)
    for j, name in enumerate(outs):
        y = sweep.table[name]
        f_a, f_b, f_ab = y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)
        ab = np.concatenate([f_a, f_b])
        mean[j], var[j] = ab.mean(), ab.var()
        rv = sweep.table.get(name + REP_VAR_SUFFIX)
        if rv is not None and np.isfinite(rv).any():
            noise[j] = float(np.nanmean(rv))
        if not (np.isfinite(y).all()):
            log.warning("output %r has non-finite values; its Sobol' indices are NaN", name)
            continue
        a, b, ci = _sobol_one(f_a, f_b, f_ab, n, confidence_level, n_resamples, seed)
        s1[j], st[j] = a, b
        s1_ci[0, j], s1_ci[1, j], st_ci[0, j], st_ci[1, j] = ci
    return SensitivityResult(
        sweep=sweep,
        parameters=cfg.parameter_names,
        outputs=tuple(outs),
        n_base=n,
        first_order=s1,
        total_order=st,
        first_order_ci=s1_ci,
        total_order_ci=st_ci,
        mean=mean,
        variance=var,
        noise_var=noise,
        noise_var_of_mean=noise / cfg.replicates,
        confidence_level=float(confidence_level),
        n_resamples=int(n_resamples),
    )


def _finite_or_none(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _write_sobol(res: SensitivityResult, cfg: SweepConfig) -> None:
    header = [
        "output", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
        "output_mean", "output_var", "noise_var", "noise_var_of_mean",
    ]
    rows = []
    for k, o in enumerate(res.outputs):
        for j, p in enumerate(res.parameters):
            rows.append([
                o, p,
                res.first_order[k, j], res.first_order_ci[0, k, j], res.first_order_ci[1, k, j],
                res.total_order[k, j], res.total_order_ci[0, k, j], res.total_order_ci[1, k, j],
                res.mean[k], res.variance[k], res.noise_var[k], res.noise_var_of_mean[k],
            ])
    write_text_atomic(res.out_dir / "sobol.csv", csv_text(header, rows, lineterminator=LF))
    doc = {
        "method": "saltelli_2010 via scipy.stats.sobol_indices; BCa bootstrap CIs",
        "n_base": res.n_base,
        "n_tasks": res.sweep.n_tasks,
        "parameters": list(res.parameters),
        "confidence_level": res.confidence_level,
        "n_resamples": res.n_resamples,
        "bootstrap_seed": _bootstrap_seed(cfg),
        "crn": bool(cfg.crn),
        "replicates": int(cfg.replicates),
        "outputs": {
            o: {
                "first_order": [_finite_or_none(v) for v in res.first_order[k]],
                "first_order_low": [_finite_or_none(v) for v in res.first_order_ci[0, k]],
                "first_order_high": [_finite_or_none(v) for v in res.first_order_ci[1, k]],
                "total_order": [_finite_or_none(v) for v in res.total_order[k]],
                "total_order_low": [_finite_or_none(v) for v in res.total_order_ci[0, k]],
                "total_order_high": [_finite_or_none(v) for v in res.total_order_ci[1, k]],
                "mean": _finite_or_none(res.mean[k]),
                "variance": _finite_or_none(res.variance[k]),
                "noise_var": _finite_or_none(res.noise_var[k]),
                "noise_var_of_mean": _finite_or_none(res.noise_var_of_mean[k]),
                "noise_fraction": _finite_or_none(res.noise_fraction[k]),
            }
            for k, o in enumerate(res.outputs)
        },
    }
    write_json(res.out_dir / "sobol.json", doc)
