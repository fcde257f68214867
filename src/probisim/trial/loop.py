"""The trial's day loop: the order of a day's operations, written once.

The loop runs days ``-lead`` (the screening day, ``lead =
screening.days_before_baseline``) through ``end`` (treatment + follow-up).
Day 0 is the baseline visit and the first day of treatment. Each day d runs the
steps of :data:`DAY_PLAN`, in this order:

1. ``start_of_day`` -- observe the state at the *start* of day d, after days
   ..., d-2, d-1 and before anything of day d:

   a. on day 0, keep the primary latent state: the baseline of the dropout
      hazard's worsening term;
   b. on a visit day, the visit, attended by those on study: instruments recall
      the latent states of the days before it (PSS-10: the ends of days d-30 ..
      d-1, from the recall ring); at a biomarker visit, stool and blood are
      sampled from the state now. With screening at baseline
      (``days_before_baseline = 0``) the screening instruments' scores are
      reused as the day-0 scores, not administered again;
   c. on a trajectory day (every ``schedule.trajectory_every`` days from day 0),
      the per-arm values of those on study (summarised after the run).

   On day ``end`` the loop stops after this step: the last visit ends the
   trial, and that day is not simulated.
2. ``give_interventions`` -- the drivers of day d: each arm's active
   interventions, an oral one taken only by those on study who adhere that day
   (the day's adherence draw; product doses prescribed and taken are tallied for
   the adherence column), and the study contact of a visit for those on study;
3. ``step_kernel`` -- one kernel step of day d (``Engine.advance``);
4. ``record_recall`` -- the latent state at the end of day d goes to the recall
   ring (days before screening were recorded the same way during burn-in);
5. ``draw_dropout`` -- days 0 .. end-1, at the end of day d: a participant whose
   ``dropout_day`` is d attended a visit on day d and took day d's doses; from
   day d+1 on they take nothing and miss every visit. The hazard is
   ``hazard_per_day`` x the person's propensity x the arm's hazard ratio x
   exp(``worsening_log_hr`` x the rise of the primary latent above baseline),
   times ``visit_hazard_ratio`` on a visit day.

Consequences: the baseline visit (day 0) is pre-dose; a visit on an
intervention's ``end_day`` (exclusive) sees the effect of its last dose (day
``end_day - 1``). The screening visit follows the same rule: burn-in is
``population.burn_in_days`` days ending on the day before screening, and
screening measures the start of day ``-lead`` (:mod:`.enrol`).
:func:`probisim.simulate` records states by the same rule (the record of day d
is the start of day d).
"""

from __future__ import annotations

import numpy as np

from ..kernels import rng
from ..model import DAY_OFFSET
from ..model.engine import _progress
from .state import TrialState
from .trajectories import arm_rows
from .visits import administer_instruments, measure_biomarkers

__all__ = ["DAY_PLAN", "run_days"]

PRODUCT_KINDS = ("probiotic", "placebo", "prebiotic")  # counted in the adherence column


def run_days(state: TrialState, progress: bool = False) -> None:
    """Run days ``-lead`` .. ``end`` by :data:`DAY_PLAN`; day ``end`` is only its first step."""
    bar = _progress(state.lead + state.end, progress,
                    desc=f"trial ({state.R} replicates x {state.cfg.n_randomized} randomized)")
    for d in range(-state.lead, state.end + 1):
        for step in (DAY_PLAN if d < state.end else DAY_PLAN[:1]):
            step(state, d)
        if bar is not None and d < state.end:
            bar.update(1)
    if bar is not None:
        bar.close()


def start_of_day(state: TrialState, d: int) -> None:
    """Step 1: the baseline latent (day 0), the visit and the trajectory rows, all
    at the start of day d."""
    if d == 0:
        state.baseline_latent = state.pop.M[:, state.primary_latent].copy()
    if d in state.cfg.schedule.visits:
        visit(state, d)
    tr = state.trajectories
    if d in tr.days:
        tr.rows[tr.days.index(d)] = arm_rows(state.model, state.pop, state.sim_arm, state.on_study,
                                             tr.variables, len(state.cfg.arms))


def visit(state: TrialState, d: int) -> None:
    """The visit of day d: every scheduled instrument, and the lab panel at a
    biomarker visit; NaN for those no longer on study."""
    sched = state.cfg.schedule
    att = state.on_study.copy()
    sc = administer_instruments(sched.instruments, state.recall, d, state.instrument_keys, state.pop.pids,
                                given=state.screening_given if d == -state.lead else None)
    for k in sc:
        sc[k][~att] = np.nan
    state.visit_scores[d] = sc
    if d in sched.biomarker_visits:
        state.biomarkers[d] = measure_biomarkers(state.model, state.pop, state.biomarker_keys, d, att,
                                                 sched.sequencing_16s)


def give_interventions(state: TrialState, d: int) -> None:
    """Step 2: day d's drivers (kept in ``state.today``), with adherence tallies."""
    on_study = state.on_study
    contact = np.zeros(state.pop.n)
    if d in state.cfg.schedule.visits:
        contact[on_study] = 1.0
    DRV, IMM, KILL, took = state.engine.drivers(d, state.groups, on_study=on_study, visit=contact)
    for (rows, ivs), tk in zip(state.groups, took):
        for iv, t in zip(ivs, tk):
            if t is not None and iv.kind in PRODUCT_KINDS:
                state.doses_prescribed[rows] += on_study[rows]
                state.doses_taken[rows] += t
    state.today = (DRV, IMM, KILL)


def step_kernel(state: TrialState, d: int) -> None:
    """Step 3: one kernel step of day d with the drivers of step 2."""
    DRV, IMM, KILL = state.today
    state.today = None
    state.engine.advance(d, DRV, IMM, KILL)


def record_recall(state: TrialState, d: int) -> None:
    """Step 4: the latent state at the end of day d into the recall ring."""
    state.recall.record(d, state.pop.M)


def draw_dropout(state: TrialState, d: int) -> None:
    """Step 5: who leaves at the end of day d (days >= 0). Potential-outcome copies
    share the dropout draw of their pid (and leave by their own hazard)."""
    if d < 0:
        return
    drop, M = state.cfg.dropout, state.pop.M
    h = drop.hazard_per_day * state.pop.traits["dropout_propensity"] * state.arm_hazard_ratio * np.exp(
        drop.worsening_log_hr * np.maximum(M[:, state.primary_latent] - state.baseline_latent, 0.0))
    if d in state.cfg.schedule.visits:
        h = h * drop.visit_hazard_ratio
    u = rng.uniforms(state.dropout_keys, state.pop.pids, d + DAY_OFFSET, 0, 1)[:, 0]
    newly = state.on_study & (u < -np.expm1(-h))
    state.on_study &= ~newly
    state.dropout_day[newly] = d


#: The steps of a day, in order (see the module docstring): step 1 observes the
#: start of the day, steps 2-5 simulate it.
DAY_PLAN = (start_of_day, give_interventions, step_kernel, record_recall, draw_dropout)
