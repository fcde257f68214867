"""Per-arm trajectories: the state of those on study, summarised every few days.

A tracker, not a measurement: the true latent states, host markers and log10
abundances, without measurement error, as mean and 10/50/90 % quantiles per
arm, every ``schedule.trajectory_every`` days from day 0 (taken at the start of
the day, like a visit). They draw the figures of a run; no analysis uses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import layout as K

__all__ = ["Trajectories", "trajectory_variables", "summarize_state"]

STATS = ("mean", "q10", "q50", "q90")


@dataclass
class Trajectories:
    """The buffer the day loop fills: ``values[day index, arm, variable, stat]``."""

    days: list[int]
    variables: list[str]
    values: np.ndarray

    @classmethod
    def empty(cls, model, schedule, arms: int) -> Trajectories:
        """Every ``schedule.trajectory_every`` days from day 0 to the last visit, all NaN."""
        end = schedule.treatment_days + schedule.follow_up_days
        days = list(range(0, end + 1, schedule.trajectory_every))
        variables = trajectory_variables(model)
        return cls(days, variables, np.full((len(days), arms, len(variables), len(STATS)), np.nan))

    def table(self, arm_names) -> dict[str, np.ndarray]:
        """The result table: coordinates and values."""
        return {"day": np.asarray(self.days), "arm": np.array(arm_names), "variable": np.array(self.variables),
                "stat": np.array(list(STATS)), "values": self.values}


def trajectory_variables(model) -> list[str]:
    """Latent states, host markers, four guilds (if in the model) and every strain."""
    v = ["latent_stress", "latent_anxiety", "latent_depression", "crp_mg_l", "il6_pg_ml", "cortisol_nmol_l"]
    for t in ("Bifidobacterium", "Lactobacillus", "Faecalibacterium", "Enterobacteriaceae"):
        if t in model.taxa:
            v.append(f"log10_{t}")
    v += [f"log10_{t}" for t, s in zip(model.taxa, model.is_strain) if s]
    return v


def summarize_state(model, pop, sim_arm, on_study, names, A) -> np.ndarray:
    """(A, variables, 4): mean and 10/50/90 % quantiles of each variable per arm, on study only."""
    cols = []
    for nm in names:
        if nm.startswith("latent_"):
            cols.append(pop.M[:, K.MOOD_NAMES.index(nm[7:])])
        elif nm.startswith("log10_"):
            cols.append(np.log10(np.maximum(pop.N[:, model.taxa.index(nm[6:])], 1.0)))
        else:
            cols.append(pop.H[:, K.HOST_NAMES.index(nm)])
    X = np.column_stack(cols)
    out = np.full((A, len(names), 4), np.nan)
    for a in range(A):
        sel = (sim_arm == a) & on_study
        if sel.any():
            out[a, :, 0] = X[sel].mean(axis=0)
            out[a, :, 1:] = np.quantile(X[sel], [0.1, 0.5, 0.9], axis=0).T
    return out
