"""What a sweep produced: :class:`SweepResult` (one row per finished task) and
:class:`SensitivityResult` (Sobol' indices), and reading a sweep directory back
(:func:`load_results`, :func:`read_results_csv`).

``results.csv`` holds task_id, the parameters, the outputs and any
``<output>__rep_var`` columns: one row per finished task, sorted by task id,
floats written with ``repr``, so it is byte-identical for any executor, job
count or completion order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.io import read_csv
from .config import REP_VAR_SUFFIX, SweepConfig, load_sweep_config
from .designs import Task

#: name of each Sobol' index and CI bound in ``sobol.csv`` -> its key in ``sobol.json``
INDEX_KEYS = {"S1": "first_order", "S1_low": "first_order_low", "S1_high": "first_order_high",
              "ST": "total_order", "ST_low": "total_order_low", "ST_high": "total_order_high"}

__all__ = ["INDEX_KEYS", "SweepResult", "SensitivityResult", "results_table", "table_from_rows", "read_results_csv",
           "load_results"]


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

    def summary(self, output: str) -> dict[str, Any]:
        """One output's entry of ``sobol.json``: the indices and their CI bounds per
        parameter (arrays, keys :data:`INDEX_KEYS`' values), then the output's mean and
        variance and its noise (floats)."""
        k = self.outputs.index(output)
        return {
            "first_order": self.first_order[k],
            "first_order_low": self.first_order_ci[0, k],
            "first_order_high": self.first_order_ci[1, k],
            "total_order": self.total_order[k],
            "total_order_low": self.total_order_ci[0, k],
            "total_order_high": self.total_order_ci[1, k],
            "mean": float(self.mean[k]),
            "variance": float(self.variance[k]),
            "noise_var": float(self.noise_var[k]),
            "noise_var_of_mean": float(self.noise_var_of_mean[k]),
            "noise_fraction": float(self.noise_fraction[k]),
        }

    def indices(self, output: str) -> dict[str, dict[str, float]]:
        """{parameter: {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"}} for one output."""
        s = self.summary(output)
        return {p: {col: float(s[key][j]) for col, key in INDEX_KEYS.items()} for j, p in enumerate(self.parameters)}


def results_table(
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


def table_from_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, np.ndarray]:
    """{column: array} of results rows: the first column (task ids) str, the others float."""
    return {name: np.array([r[j] for r in rows], dtype=str if j == 0 else float) for j, name in enumerate(columns)}


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
