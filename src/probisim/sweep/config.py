"""The sweep file: its schema (:class:`SweepConfig`, :class:`Design`,
:class:`Parameter`), loading with ``extends`` and ``--set``-style overrides, and
the context every task is given.

Parameters are addressed by their dotted config path (``"trial.n_randomized"``)
and sampled uniformly between ``low`` and ``high`` or, with ``log = true`` /
``dist = "loguniform"``, log-uniformly; ``integer = true`` rounds them and
passes ``int`` values (sample sizes); grid designs may list explicit
``values``.

The task function is named by an import string ``"module:function"``. The
default, :data:`DEFAULT_TASK`, runs replicate trials of the base experiment
(:mod:`probisim.sweep.trial_task`). :data:`TASK_ALIASES` maps the names older
sweep files used to the current ones, so those files (and sweep directories
written with them) keep working and resuming.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import config as _config
from ..config import ConfigError, param

__all__ = ["Design", "Parameter", "SweepConfig", "load_sweep_config", "apply_sweep_overrides", "resolve_config",
           "task_context", "DEFAULT_TASK", "TASK_ALIASES", "REP_VAR_SUFFIX", "DESIGN_KINDS", "DISTS",
           "RESERVED_CONTEXT_KEYS"]

DEFAULT_TASK = "probisim.sweep.trial_task:evaluate_point"
#: older name of a task function -> its current name (a sweep file may use either)
TASK_ALIASES = {"probisim.trial:evaluate_point": DEFAULT_TASK}
#: Suffix of the optional between-replicate variance key of an output.
REP_VAR_SUFFIX = "__rep_var"
DESIGN_KINDS = ("grid", "lhs", "sobol")
DISTS = ("uniform", "loguniform")
RESERVED_CONTEXT_KEYS = ("base", "replicates", "outputs", "crn")


def _cerr(path: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(path=path, value=value, expected=expected)


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
        if self.task in TASK_ALIASES:  # an older name of a task function: read as its new name
            object.__setattr__(self, "task", TASK_ALIASES[self.task])
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


def load_sweep_config(path: str | os.PathLike, overrides: Sequence[str] = ()) -> SweepConfig:
    """Load a sweep TOML file (``extends`` and ``"dotted.key=value"`` overrides applied)."""
    return _config.load(path, SweepConfig, overrides=tuple(overrides))


def apply_sweep_overrides(cfg: SweepConfig | Mapping, overrides: Sequence[str]) -> SweepConfig:
    """Apply overrides; always round-trips through the strict loader, so a
    config built in Python is validated (bounds, choices) and canonical
    (``1`` -> ``1.0``) exactly like one read from TOML."""
    data = _config.to_dict(cfg) if isinstance(cfg, SweepConfig) else dict(cfg)
    if overrides:
        data = _config.apply_overrides(data, tuple(overrides), SweepConfig)
    return _config.from_dict(SweepConfig, data)


def _base_path(base: str, here: Path) -> str:
    """A relative ``base``: a file relative to the sweep file, else the name of a shipped
    experiment (``base = "depression_mild_moderate"``)."""
    p = (here / base).resolve()
    if p.exists() or Path(base).suffix == ".toml" or len(Path(base).parts) != 1:
        return str(p)
    from ..trial.experiments import experiment_path, shipped_experiments

    return str(experiment_path(base)) if base in shipped_experiments() else str(p)


def resolve_config(config: Any, out_dir: Path, resume: bool, overrides: Sequence[str]) -> SweepConfig:
    """The sweep's config from a :class:`SweepConfig`, a dict, a sweep file or (``None``
    with ``resume``) ``out_dir/sweep.toml``, with ``overrides`` applied and ``base``
    made absolute (relative to the sweep file; to the working directory otherwise)."""
    if config is None:
        existing = out_dir / "sweep.toml"
        if not (resume and existing.exists()):
            raise ValueError("config may be omitted only with resume=True on a directory holding sweep.toml")
        cfg, here = load_sweep_config(existing, overrides), out_dir
    elif isinstance(config, SweepConfig):
        cfg, here = apply_sweep_overrides(config, overrides), Path.cwd()
    elif isinstance(config, str | os.PathLike):
        path = Path(config)
        cfg, here = load_sweep_config(path, overrides), path.resolve().parent
    elif isinstance(config, Mapping):
        cfg, here = apply_sweep_overrides(config, overrides), Path.cwd()
    else:
        raise TypeError(f"config must be a SweepConfig, a mapping or a path, not {type(config).__name__}")
    if cfg.base and not Path(cfg.base).is_absolute():
        cfg = dataclasses.replace(cfg, base=_base_path(cfg.base, here))
    if cfg.task == DEFAULT_TASK and not cfg.base:
        raise _cerr("base", cfg.base, f"a base experiment path for task {DEFAULT_TASK}")
    return cfg


def task_context(cfg: SweepConfig) -> dict:
    """The ``context`` every task gets: the sweep's ``context`` table plus the reserved
    keys ``base``, ``replicates``, ``outputs`` and ``crn``."""
    return {
        **dict(cfg.context),
        "base": cfg.base,
        "replicates": int(cfg.replicates),
        "outputs": list(cfg.outputs),
        "crn": bool(cfg.crn),
    }
