"""Per-arm trajectories: the state of those on study, summarised every few days.

A tracker, not a measurement: the true latent states, host markers and log10
abundances, without measurement error, as mean and 10/50/90 % quantiles per
arm, every ``schedule.trajectory_every`` days from day 0 (taken at the start of
the day, like a visit). They draw the figures of a run; no analysis uses them.

Quantiles across the participants of all replicates cannot be merged from
partial summaries, so the day loop keeps the rows (:func:`arm_rows`: each arm's
values of those on study, in row order) and the summary is made once, from the
rows of every block of replicates in replicate order (:func:`summarize_rows`):
the same arrays, hence the same numbers, however the replicates were split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import layout as K

__all__ = ["Trajectories", "trajectory_variables", "arm_rows", "summarize_rows"]

STATS = ("mean", "q10", "q50", "q90")


@dataclass
class Trajectories:
    """The buffer the day loop fills: ``rows[day index][arm]``, the (on study, variables)
    values of a block of replicates (None until that day is recorded)."""

    days: list[int]
    variables: list[str]
    rows: list

    @classmethod
    def empty(cls, model, schedule, arms: int) -> Trajectories:
        """Every ``schedule.trajectory_every`` days from day 0 to the last visit, none recorded."""
        end = schedule.treatment_days + schedule.follow_up_days
        days = list(range(0, end + 1, schedule.trajectory_every))
        return cls(days, trajectory_variables(model), [None] * len(days))

    @staticmethod
    def table(blocks: list[Trajectories], arm_names) -> dict[str, np.ndarray]:
        """The result table of the blocks of replicates (in replicate order): coordinates
        and ``values[day index, arm, variable, stat]`` (NaN where nobody is on study)."""
        t0, A = blocks[0], len(arm_names)
        values = np.full((len(t0.days), A, len(t0.variables), len(STATS)), np.nan)
        for i in range(len(t0.days)):
            if t0.rows[i] is not None:
                values[i] = summarize_rows([[b.rows[i][a] for b in blocks] for a in range(A)], len(t0.variables))
        return {"day": np.asarray(t0.days), "arm": np.array(arm_names), "variable": np.array(t0.variables),
                "stat": np.array(list(STATS)), "values": values}


def trajectory_variables(model) -> list[str]:
    """Latent states, host markers, four guilds (if in the model) and every strain."""
    v = ["latent_stress", "latent_anxiety", "latent_depression", "crp_mg_l", "il6_pg_ml", "cortisol_nmol_l"]
    for t in ("Bifidobacterium", "Lactobacillus", "Faecalibacterium", "Enterobacteriaceae"):
        if t in model.taxa:
            v.append(f"log10_{t}")
    v += [f"log10_{t}" for t, s in zip(model.taxa, model.is_strain) if s]
    return v


def arm_rows(model, pop, sim_arm, on_study, names, A) -> list[np.ndarray]:
    """Per arm, the (on study, variables) values of ``names``, in row order."""
    cols = []
    for nm in names:
        if nm.startswith("latent_"):
            cols.append(pop.M[:, K.MOOD_NAMES.index(nm[7:])])
        elif nm.startswith("log10_"):
            cols.append(np.log10(np.maximum(pop.N[:, model.taxa.index(nm[6:])], 1.0)))
        else:
            cols.append(pop.H[:, K.HOST_NAMES.index(nm)])
    X = np.column_stack(cols)
    return [X[(sim_arm == a) & on_study] for a in range(A)]


def summarize_rows(parts: list[list[np.ndarray]], V: int) -> np.ndarray:
    """(A, V, 4): mean and 10/50/90 % quantiles of each variable per arm, from
    ``parts[arm]``: that arm's rows of each block of replicates, in order."""
    out = np.full((len(parts), V, 4), np.nan)
    for a, blocks in enumerate(parts):
        X = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        if X.shape[0]:
            out[a, :, 0] = X.mean(axis=0)
            out[a, :, 1:] = np.quantile(X, [0.1, 0.5, 0.9], axis=0).T
    return out
