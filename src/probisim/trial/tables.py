"""The result tables: the trial state after the day loop, as tidy tables.

Only the copy each participant was randomized to is observed (with potential
outcomes the other copies feed :func:`individual_effects` only). Rows are
ordered by (replicate, pid); the visits and biomarkers tables have one row per
participant and visit day. The per-arm trajectories and, with potential
outcomes, the individual effects come along.

A run may simulate its replicates in contiguous blocks (one, or several
shards): :func:`build_tables` keeps each block's observed rows per visit day,
and :func:`combine_tables` stacks the blocks in replicate order and builds the
long tables and trajectories once, so one block gives the tables of a run
directly and several give the same bytes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .design import control_index
from .state import NOT_DROPPED, TrialState
from .trajectories import Trajectories

__all__ = ["Tables", "build_tables", "combine_tables", "long_table", "individual_effects"]


class Tables(NamedTuple):
    """The tables of one block of replicates (in (replicate, pid) order)."""

    order: np.ndarray  # state rows of the observed participants, by (replicate, pid)
    participants: dict[str, np.ndarray]  # one row per randomized participant
    visit_scores: dict[int, dict[str, np.ndarray]]  # day -> score -> observed participants
    biomarkers: dict[int, dict[str, np.ndarray]]  # day -> marker -> observed participants
    trajectories: Trajectories  # per-arm rows over time
    individual_effects: dict[str, np.ndarray] | None  # with potential outcomes only


def build_tables(state: TrialState, screening_scores: dict[str, np.ndarray]) -> Tables:
    """Every result table of the block of replicates ``state`` simulated."""
    cfg = state.cfg
    order = observed_order(state)
    observed = lambda by_visit: {d: {k: v[order] for k, v in sc.items()} for d, sc in by_visit.items()}  # noqa: E731
    return Tables(order, participants_table(state, order, screening_scores), observed(state.visit_scores),
                  observed(state.biomarkers), state.trajectories,
                  individual_effects(state, control_index(cfg)) if cfg.potential_outcomes else None)


def combine_tables(blocks: list[Tables], arm_names) -> dict:
    """The result tables of a run from its blocks of replicates, in replicate order:
    ``participants``, ``visits``, ``biomarkers`` (long), ``trajectories`` and
    ``individual_effects`` (None without potential outcomes)."""
    cat = lambda tabs: {k: np.concatenate([t[k] for t in tabs]) for k in tabs[0]}  # noqa: E731

    def by_day(name):
        first = getattr(blocks[0], name)
        return {d: cat([getattr(b, name)[d] for b in blocks]) for d in first}

    participants = cat([b.participants for b in blocks])
    effects = None if blocks[0].individual_effects is None else cat([b.individual_effects for b in blocks])
    return {"participants": participants, "visits": long_table(by_day("visit_scores"), None, participants),
            "biomarkers": long_table(by_day("biomarkers"), None, participants),
            "trajectories": Trajectories.table([b.trajectories for b in blocks], arm_names),
            "individual_effects": effects}


def observed_order(state: TrialState) -> np.ndarray:
    """State rows of the observed copies, ordered by (replicate, pid)."""
    pop = state.pop
    obs_idx = np.flatnonzero(state.observed)
    return obs_idx[np.lexsort((pop.pids[obs_idx], pop.replicate[obs_idx]))]


def participants_table(state: TrialState, order, screening_scores) -> dict[str, np.ndarray]:
    """Arm, dropout day (-1 if completed), adherence (doses taken / prescribed while
    on study), screening scores and traits of every randomized participant."""
    pop, drop_day = state.pop, state.dropout_day
    taken, prescribed = state.doses_taken, state.doses_prescribed
    out = {
        "replicate": pop.replicate[order], "pid": pop.pids[order].astype(np.int64),
        "arm": np.array([state.cfg.arms[a].name for a in state.sim_arm[order]]),
        "dropout_day": np.where(drop_day[order] == NOT_DROPPED, -1, drop_day[order]),
        "completed": drop_day[order] == NOT_DROPPED,
        "adherence": np.divide(taken[order], prescribed[order], out=np.full(order.size, np.nan),
                               where=prescribed[order] > 0),
        **{f"screen_{k}": v for k, v in screening_scores.items()},
    }
    for k, v in pop.traits.items():
        out[f"trait_{k}"] = v[order]
    return out


def long_table(by_visit: dict[int, dict[str, np.ndarray]], order, participants) -> dict[str, np.ndarray]:
    """One row per participant and visit day (days ascending) of ``by_visit[day][column]``
    (its rows ``order`` of each array; None: the arrays are in participant order)."""
    if not by_visit:
        return {}
    days = sorted(by_visit)
    m = participants["pid"].size
    out = {"replicate": np.tile(participants["replicate"], len(days)),
           "pid": np.tile(participants["pid"], len(days)),
           "arm": np.tile(participants["arm"], len(days)),
           "day": np.repeat(np.asarray(days), m)}
    for k in by_visit[days[0]]:
        out[k] = np.concatenate([by_visit[d][k] if order is None else by_visit[d][k][order] for d in days])
    return out


def individual_effects(state: TrialState, ctrl: int) -> dict[str, np.ndarray]:
    """Per-person effect of each active arm vs control on every score at each visit
    (potential outcomes: copy a minus the control copy)."""
    cfg, pop = state.cfg, state.pop
    R, n = state.arm.shape
    out = {"replicate": np.repeat(np.arange(state.first, state.first + R), n),
           "pid": pop.pids[: R * n].astype(np.int64),
           "assigned_arm": np.array([cfg.arms[a].name for a in state.arm.ravel()])}
    M = R * n
    for d, sc in state.visit_scores.items():
        for k, v in sc.items():
            base = v[ctrl * M:(ctrl + 1) * M]
            for a in range(len(cfg.arms)):
                if a != ctrl:
                    out[f"{k}_day{d}_{cfg.arms[a].name}_minus_{cfg.arms[ctrl].name}"] = v[a * M:(a + 1) * M] - base
    for k, v in pop.traits.items():
        out[f"trait_{k}"] = v[:M]
    return out
