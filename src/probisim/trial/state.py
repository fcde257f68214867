"""The trial state: everything the day loop reads and writes, in one object.

:func:`start_trial` builds it from the enrolment and the randomization. Its rows
are the *simulated* participants: the enrolled participants of every replicate,
ordered by (replicate, pid), or, with ``potential_outcomes = true``, one copy of
them per arm (copy a receives arm a; the same pids, so the same random numbers).
``observed`` marks the copy each participant was randomized to: only those
rows reach the result tables and the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import rng
from ..measure import instruments
from ..model import CompiledModel, Engine, Population
from .design import TrialConfig, primary_latent, screening_instruments
from .enrol import Enrolment, concat_populations
from .recall import RecallRing
from .trajectories import Trajectories

__all__ = ["TrialState", "start_trial", "NOT_DROPPED"]

#: ``dropout_day`` of a participant who completed the study
NOT_DROPPED = np.iinfo(np.int64).max


@dataclass(eq=False)
class TrialState:
    """The simulated participants of a trial run and everything recorded about them."""

    cfg: TrialConfig
    model: CompiledModel
    seed: int
    R: int  # replicate trials
    first: int  # replicate index of the first (pop.replicate holds first .. first + R - 1)
    arm: np.ndarray  # (R, n) the randomized arm of each enrolled participant
    pop: Population  # simulated rows; the engine steps it in place
    engine: Engine
    sim_arm: np.ndarray  # (rows,) the arm each row receives
    observed: np.ndarray  # (rows,) the row is the copy in the randomized arm
    groups: list  # [(rows, interventions)] per arm, for Engine.drivers
    recall: RecallRing  # latent states of the last RING_DAYS days, for instrument recall
    screening_given: dict  # instrument -> scores: screening is the baseline visit (days_before_baseline = 0)
    instrument_keys: np.ndarray  # random streams of the visits and the dropout draw
    biomarker_keys: np.ndarray
    dropout_keys: np.ndarray
    primary_latent: int  # latent column the dropout hazard's worsening term follows
    arm_hazard_ratio: np.ndarray  # (rows,) dropout.arm_hazard_ratio of the row's arm
    trajectories: Trajectories
    on_study: np.ndarray = field(init=False)  # (rows,) bool: attends visits and takes doses
    dropout_day: np.ndarray = field(init=False)  # (rows,) last day on study; NOT_DROPPED if completed
    doses_prescribed: np.ndarray = field(init=False)  # (rows,) product doses prescribed while on study
    doses_taken: np.ndarray = field(init=False)
    visit_scores: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # day -> score -> (rows,)
    biomarkers: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # day -> marker -> (rows,)
    baseline_latent: np.ndarray | None = None  # (rows,) primary latent at the start of day 0
    today: tuple | None = None  # (DRV, IMM, KILL) of the day being simulated (day plan steps 2 -> 3)

    def __post_init__(self):
        rows = self.pop.n
        self.on_study = np.ones(rows, bool)
        self.dropout_day = np.full(rows, NOT_DROPPED)
        self.doses_taken = np.zeros(rows)
        self.doses_prescribed = np.zeros(rows)

    @property
    def lead(self) -> int:
        """Days from the screening visit to day 0 (the loop starts at day -lead)."""
        return self.cfg.screening.days_before_baseline

    @property
    def end(self) -> int:
        """The last day: its visit ends the trial (treatment + follow-up)."""
        return self.cfg.schedule.treatment_days + self.cfg.schedule.follow_up_days


def start_trial(cfg: TrialConfig, model: CompiledModel, enrolled: Enrolment, arm: np.ndarray, seed: int) -> TrialState:
    """The state at the start of the screening day: the enrolled population (copied
    per arm with potential outcomes), its engine with one product batch per
    replicate, the arms' intervention groups, and the recall ring of burn-in."""
    R, A = arm.shape[0], len(cfg.arms)
    if cfg.potential_outcomes:  # one copy of everyone per arm (same pids => same noise)
        copies, pop = A, concat_populations([enrolled.population] * A)
        sim_arm = np.repeat(np.arange(A), arm.size)
    else:
        copies, pop, sim_arm = 1, enrolled.population, arm.ravel()
    engine = Engine(model, pop, seed)
    if cfg.product_viability_sd_log10 > 0:
        engine.viability = _product_viability(cfg, R, seed, pop.replicate, enrolled.first)
    arm_hr = np.array([cfg.dropout.arm_hazard_ratio.get(a.name, 1.0) for a in cfg.arms])[sim_arm]
    return TrialState(
        cfg=cfg, model=model, seed=seed, R=R, first=enrolled.first, arm=arm, pop=pop, engine=engine, sim_arm=sim_arm,
        observed=sim_arm == np.tile(arm.ravel(), copies),
        groups=[(np.flatnonzero(sim_arm == a), cfg.arms[a].interventions) for a in range(A)],
        recall=RecallRing.concat([enrolled.recall] * copies),
        screening_given=_screening_given(cfg, enrolled.screening_scores, copies),
        instrument_keys=rng.participant_keys(seed, pop.replicate, "instruments"),
        biomarker_keys=rng.participant_keys(seed, pop.replicate, "biomarkers"),
        dropout_keys=rng.participant_keys(seed, pop.replicate, "dropout"),
        primary_latent=primary_latent(cfg), arm_hazard_ratio=arm_hr,
        trajectories=Trajectories.empty(model, cfg.schedule, A),
    )


def _product_viability(cfg: TrialConfig, R: int, seed: int, replicate: np.ndarray, first: int = 0) -> np.ndarray:
    """Viable CFU per labelled CFU of each row: one product batch per replicate
    trial, a log-normal factor with median 1 (drawn on the randomization stream)."""
    bkey = rng.participant_keys(seed, np.arange(first, first + R), "randomization")
    zb = rng.normals(bkey, np.full(R, 0xFFFFFFFF, np.uint32), 0, 7, 1)[:, 0]
    return 10.0 ** (cfg.product_viability_sd_log10 * zb)[replicate - first]


def _screening_given(cfg: TrialConfig, screening_scores, copies: int) -> dict:
    """With screening at the baseline visit (days_before_baseline = 0), that visit's
    administration of the screening instruments *is* the screening one: instrument ->
    the screening scores (per copy). Empty otherwise."""
    if cfg.screening.days_before_baseline != 0:
        return {}
    return {name: {k: np.tile(screening_scores[k], copies) for k in instruments.INSTRUMENTS[name].scales}
            for name in screening_instruments(cfg)}
