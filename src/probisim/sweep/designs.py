"""Where a sweep evaluates: the design's points and the tasks made of them.

Designs: a grid, a Latin hypercube or a scrambled Sobol' sequence
(:func:`make_design`, via :mod:`scipy.stats.qmc`), or for Sobol' indices the
Saltelli A/B/AB design (:func:`saltelli_design`). Each point becomes a
:class:`Task` (:func:`make_tasks`) whose id is the zero-padded index of the
point in design order (at least six digits).

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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.io import LF, csv_text
from .config import Parameter, SweepConfig, _cerr

__all__ = ["make_design", "saltelli_design", "Task", "make_tasks", "design_csv"]

_MIN_ID_WIDTH = 6


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


@dataclass(frozen=True)
class Task:
    """One design point to evaluate."""

    task_id: str
    index: int
    point: dict[str, float | int]
    seed: int


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


def design_csv(cfg: SweepConfig, tasks: Sequence[Task], labels: Sequence[str] | None) -> str:
    """``design.csv``: task_id, seed, [matrix,] one column per parameter (LF line ends)."""
    names = cfg.parameter_names
    header = ["task_id", "seed"] + (["matrix"] if labels is not None else []) + list(names)
    rows = []
    for t in tasks:
        row = [t.task_id, t.seed] + ([labels[t.index]] if labels is not None else [])
        rows.append(row + [t.point[n] for n in names])
    return csv_text(header, rows, lineterminator=LF)
