"""Randomized placebo-controlled trials on top of the engine: :func:`run_trial`.

One call runs R replicate trials as one population through the kernel, in five
stages around one :class:`~.state.TrialState`:

1. **enrol** (:mod:`.enrol`): candidates are drawn from the source population,
   burned in to their own quasi-steady state and screened; the first
   ``n_randomized`` eligible of each replicate are enrolled;
2. **randomize** (:mod:`.randomize`): simple, permuted blocks, or stratified
   blocks to the arms; :func:`~.state.start_trial` builds the trial state
   (with ``potential_outcomes = true`` everyone is simulated in every arm with
   the same random numbers, so individual treatment effects are known);
3. **the day loop** (:mod:`.loop`): screening day to the last visit, each day by
   :data:`~.loop.DAY_PLAN` (visits at the start of the day, interventions with
   adherence, the kernel step, the recall ring, the dropout draw);
4. **tables** (:mod:`.tables`): participants, visits and biomarkers as long
   tables, per-arm trajectories, individual effects;
5. **analysis** (:mod:`.analyse`): every endpoint per replicate and across
   replicates.

The section at the end (one parameter point of a sweep) is on its way to
:mod:`probisim.sweep`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model import compile_model, strains_in
from ..model.engine import numba_threads
from .analyse import analyse_endpoints
from .decisions import multiplicity_summary, n_for_target, power_curve
from .design import TrialConfig
from .enrol import enrol
from .interim import interim_analysis
from .loop import run_days
from .randomize import randomize
from .state import start_trial
from .tables import build_tables

__all__ = ["TrialResult", "run_trial"]


@dataclass
class TrialResult:
    """Everything a trial run produced (tables as dicts of equal-length arrays)."""

    config: TrialConfig
    visits: dict[str, np.ndarray]  # long form: one row per participant x visit
    participants: dict[str, np.ndarray]  # one row per randomized participant
    biomarkers: dict[str, np.ndarray]  # long form: participant x biomarker visit
    per_replicate: dict[str, dict[str, np.ndarray]]  # "endpoint|comparison" -> analysis arrays
    summary: dict[str, dict]  # "endpoint|comparison" -> across-replicate summary
    screening: dict[str, np.ndarray]  # per replicate: screened, eligible
    trajectories: dict[str, np.ndarray]  # per-arm summaries over time
    individual_effects: dict[str, np.ndarray] | None
    wall_s: float
    timings: dict[str, float] = field(default_factory=dict)
    threads: int | None = None  # Numba threads the run used
    power_curve: dict[str, np.ndarray] | None = None  # comparison x n: simulated power (see .decisions)
    decisions: dict = field(default_factory=dict)  # multiplicity, n for the target power, interim looks

    def comparisons(self) -> list[str]:
        return list(self.per_replicate)


def run_trial(cfg: TrialConfig, *, replicates: int | None = None, seed: int | None = None,
              threads: int | None = None, progress: bool = False) -> TrialResult:
    """Run ``replicates`` replicate trials of ``cfg``; see the module docstring.
    ``threads`` (Numba threads) applies to this call only."""
    import numba

    with numba_threads(threads):
        res = _run_stages(cfg, replicates, seed, progress)
        res.threads = int(numba.get_num_threads())  # read inside: the caller's setting is restored on exit
        return res


def _run_stages(cfg: TrialConfig, replicates: int | None, seed: int | None, progress: bool) -> TrialResult:
    """The five stages of the module docstring, timed (``TrialResult.timings``)."""
    t0 = time.perf_counter()
    R = int(replicates if replicates is not None else cfg.replicates)
    seed = int(seed if seed is not None else cfg.seed)
    model = compile_model(cfg.model, strains_in([iv for a in cfg.arms for iv in a.interventions]))
    enrolled = enrol(cfg, model, R, seed, progress)  # 1. enrol
    timings = {"enrol_s": time.perf_counter() - t0}
    state = start_trial(cfg, model, enrolled, randomize(cfg, enrolled, R, seed), seed)  # 2. randomize
    t1 = time.perf_counter()
    run_days(state, progress)  # 3. the day loop
    timings["simulate_s"] = time.perf_counter() - t1
    tables = build_tables(state, enrolled.screening_scores)  # 4. tables
    t2 = time.perf_counter()
    per_rep, summary = analyse_endpoints(state, tables.order)  # 5. analysis
    decisions = {"multiplicity": multiplicity_summary(cfg, per_rep, summary)}
    interim = interim_analysis(state, tables.order, per_rep, primary_comparison(summary))
    if interim is not None:
        decisions["interim"] = interim
    curve = power_curve(state, tables.order)
    if curve is not None:
        decisions["n_for_target"] = n_for_target(curve, primary_comparison(summary), cfg.power.target,
                                                 adjusted=cfg.analysis.multiplicity != "none")
    timings["analysis_s"] = time.perf_counter() - t2
    return TrialResult(config=cfg, visits=tables.visits, participants=tables.participants,
                       biomarkers=tables.biomarkers, per_replicate=per_rep, summary=summary,
                       screening={"replicate": np.arange(R), "screened": enrolled.screened,
                                  "randomized": np.full(R, cfg.n_randomized)},
                       trajectories=tables.trajectories, individual_effects=tables.individual_effects,
                       wall_s=time.perf_counter() - t0, timings=timings, power_curve=curve, decisions=decisions)


def primary_comparison(summary: dict) -> str:
    """The first comparison of a primary endpoint (else the first comparison)."""
    return next((k for k, v in summary.items() if v.get("primary")), next(iter(summary)))
