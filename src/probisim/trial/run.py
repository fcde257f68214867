"""Randomized placebo-controlled trials on top of the engine.

One call runs R replicate trials as one population through the kernel:

1. candidates are drawn from the source population and burned in to their own
   quasi-steady state;
2. a screening visit applies the inclusion/exclusion thresholds on noisy
   instruments (screen failures are counted; regression to the mean follows
   by itself);
3. the first ``n_randomized`` eligible candidates of each replicate are
   randomized (simple, permuted blocks, or stratified blocks) to the arms;
4. everyone is simulated day by day through run-in, treatment and follow-up,
   with daily adherence, a dropout hazard, and visits at which instruments and
   biomarkers are measured;
5. every endpoint is analysed per replicate (ANCOVA with multiple imputation
   for ITT, completers, change scores, Hedges' g, responders) and across
   replicates (power, distributions, random-effects meta-analysis).

With ``potential_outcomes = true`` every enrolled person is simulated in every
arm with the same random numbers, so individual treatment effects are known.

Timing of a day
---------------
Day 0 is the baseline visit and the first day of treatment. Each day d runs in
this order:

1. **visit** (on visit days): measures the state at the *start* of day d, i.e.
   after days ..., d-2, d-1 have been simulated and before anything of day d.
   Instruments recall the latent states of the days before the visit (PSS-10:
   days d-30 .. d-1, each day's state taken at its end); stool and blood are
   sampled from the state at the start of day d. Trajectory summaries
   (``trajectory_every``) are taken at the same moment;
2. **doses and the day's dynamics**: today's interventions (with adherence),
   the visit's study contact, and one kernel step of day d;
3. **dropout draw** (days 0 .. end-1): a participant whose ``dropout_day`` is d
   attended a visit on day d and took day d's doses; from day d+1 on they take
   nothing and miss every visit.

Consequences: the baseline visit (day 0) is pre-dose; a visit on an
intervention's ``end_day`` (exclusive) sees the effect of its last dose (day
``end_day - 1``); the visit on the last day (treatment + follow-up) ends the
simulation, and that day is not simulated. The screening visit follows the
same rule: burn-in is ``population.burn_in_days`` days ending on the day before
screening, and screening measures the start of day
``-screening.days_before_baseline``. With ``days_before_baseline = 0`` the
screening visit *is* the baseline visit: the instruments used for screening are
administered once, and the randomized participants' day-0 scores on them are
their screening scores (the same item responses). :func:`probisim.simulate`
records states by the same rule (the record of day d is the start of day d).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..config import ConfigError, check_label, from_dict, load_raw, param
from ..kernels import layout as K
from ..kernels import rng
from ..measure import biomarkers, instruments
from ..model import (
    DAY_OFFSET, Engine, Intervention, ModelConfig, resolve_end_day, Population, PopulationConfig, check_intervention_names,
    compile_model, generate, resolve_defaults, strains_in,
)
from ..model.engine import _progress, numba_threads
from .. import stats

__all__ = ["TrialConfig", "TrialResult", "run_trial", "load_trial_config", "Arm",
           "Criterion", "Screening", "Randomization", "Schedule", "Dropout", "Endpoint", "AnalysisConfig"]

_RING = 32  # days of latent history kept for instrument recall windows (PSS-10 recalls 30)


@dataclass(frozen=True)
class Arm:
    """One arm: a name, an allocation weight and its interventions."""

    name: str = param(doc="arm name, e.g. 'probiotic'")
    ratio: int = param(1, bounds=(1, 20), integer=True, doc="allocation weight")
    interventions: tuple[Intervention, ...] = param(default_factory=tuple, doc="what this arm receives")

    def __post_init__(self):
        check_label("name", self.name)  # arm names become parts of figure file names


@dataclass(frozen=True)
class Criterion:
    """Inclusion on a screening score: min <= score <= max (either may be absent)."""

    score: str = param(doc="score name, e.g. 'pss10', 'bdi2', 'hads_d'")
    min: float | None = param(None, doc="lowest score included")
    max: float | None = param(None, doc="highest score included")

    def __post_init__(self):
        if self.score not in instruments.score_names():
            from difflib import get_close_matches

            close = get_close_matches(self.score, instruments.score_names(), n=1)
            raise ConfigError(path="score", value=self.score,
                              expected=f"one of {', '.join(instruments.score_names())}",
                              suggestion=close[0] if close else None)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError(path="max", value=self.max, expected=f"at least min ({self.min:g}); no score "
                                                                   f"can satisfy {self.min:g} <= score <= {self.max:g}")


@dataclass(frozen=True)
class Screening:
    """Screening visit before randomization."""

    criteria: tuple[Criterion, ...] = param(default_factory=tuple, doc="inclusion thresholds (all must hold)")
    days_before_baseline: int = param(7, bounds=(0, 365), integer=True, unit="day",
                                      doc="screening visit this many days before day 0 (run-in)")
    max_screened_per_randomized: float = param(50.0, bounds=(1.0, 10000.0),
                                               doc="give up (error) if eligibility is rarer than this")


@dataclass(frozen=True)
class Randomization:
    """How enrolled participants are allocated to arms within each replicate."""

    method: str = param("block", choices=("simple", "block", "stratified"), doc="allocation scheme")
    block_size: int = param(4, bounds=(1, 1000), integer=True,
                            doc="permuted block size (a multiple of the sum of ratios)")
    stratify_on: str = param("", doc="score whose screening value defines two strata (above/below median)")


@dataclass(frozen=True)
class Schedule:
    """Timeline relative to day 0 (baseline visit and first day of treatment)."""

    treatment_days: int = param(42, bounds=(1, 3650), integer=True, unit="day", doc="intervention period")
    follow_up_days: int = param(28, bounds=(0, 3650), integer=True, unit="day", doc="washout follow-up after treatment")
    visits: tuple[int, ...] = param(default_factory=lambda: (0, 21, 42, 56, 70), unit="day",
                                    doc="visit days (day 0 = baseline); a visit on day d measures the state at "
                                        "the start of day d, before that day's doses")
    instruments: tuple[str, ...] = param(default_factory=lambda: ("pss10",),
                                         doc="instruments administered at every visit")
    biomarker_visits: tuple[int, ...] = param(default_factory=lambda: (0, 42, 56), unit="day",
                                              doc="visits with stool and blood samples (must be visit days)")
    trajectory_every: int = param(7, bounds=(1, 365), integer=True, unit="day",
                                  doc="interval of per-arm trajectory summaries")
    sequencing_16s: bool = param(True, doc="sequence stool (16S, Shannon/Simpson) at biomarker visits; "
                                           "the slowest measurement (~30 us per sample)")


@dataclass(frozen=True)
class Dropout:
    """Daily dropout hazard (informative: depends on arm, visits and symptom course)."""

    hazard_per_day: float = param(0.003, unit="1/day", bounds=(0.0, 1.0),
                                  source="12-26% over 6-8 weeks (Romijn 2017 12.7%, Kazemi 2019 26%)",
                                  doc="baseline daily hazard (times the person's dropout propensity)")
    arm_hazard_ratio: dict[str, float] = param(default_factory=dict, bounds=(0.0, 10.0),
                                               doc="arm name -> hazard ratio (default 1)")
    worsening_log_hr: float = param(0.5, unit="per latent unit", bounds=(-5.0, 5.0),
                                    doc="log hazard ratio per unit rise of the primary latent above its baseline")
    visit_hazard_ratio: float = param(3.0, bounds=(0.0, 100.0), doc="hazard ratio on visit days")


@dataclass(frozen=True)
class Endpoint:
    """An analysed outcome: a score at a visit, compared with its baseline."""

    score: str = param(doc="score name (instrument score) or biomarker name")
    visit: int | None = param(None, unit="day", doc="visit analysed (default: end of treatment)")
    primary: bool = param(False, doc="the trial's primary endpoint")


@dataclass(frozen=True)
class AnalysisConfig:
    alpha: float = param(0.05, bounds=(1e-6, 0.5), doc="two-sided significance level")
    control_arm: str = param("placebo", doc="arm every other arm is compared with")
    mi_imputations: int = param(20, bounds=(2, 500), integer=True, doc="multiple imputations for ITT")


@dataclass(frozen=True)
class TrialConfig:
    """A replicated randomized trial."""

    name: str = param("trial", doc="experiment name")
    description: str = param("", doc="what the experiment asks")
    seed: int = param(1, bounds=(0, 2**63 - 1), integer=True, doc="master seed")
    replicates: int = param(100, bounds=(1, 1_000_000), integer=True, doc="replicate trials")
    n_randomized: int = param(80, bounds=(2, 1_000_000), integer=True, doc="participants randomized per trial")
    potential_outcomes: bool = param(False, doc="simulate every participant in every arm (individual effects)")
    product_viability_sd_log10: float = param(0.5, unit="log10", bounds=(0.0, 2.0),
                                              source="viable counts of commercial probiotics deviate from the label "
                                                     "by up to ~10-fold between batches (e.g. Drago 2010)",
                                              doc="between-trial SD of the viable dose relative to the label "
                                                  "(each replicate trial gets one product batch)")
    model: ModelConfig = param(default_factory=ModelConfig, doc="the model")
    population: PopulationConfig = param(default_factory=PopulationConfig, doc="source population")
    screening: Screening = param(default_factory=Screening, doc="screening")
    randomization: Randomization = param(default_factory=Randomization, doc="randomization")
    arms: tuple[Arm, ...] = param(default_factory=tuple,
                                  doc="arms (required: at least two, one of them analysis.control_arm)")
    schedule: Schedule = param(default_factory=Schedule, doc="visits and periods")
    dropout: Dropout = param(default_factory=Dropout, doc="dropout hazard")
    endpoints: tuple[Endpoint, ...] = param(default_factory=tuple,
                                            doc="analysed outcomes (required: at least one; each score and "
                                                "visit once)")
    analysis: AnalysisConfig = param(default_factory=AnalysisConfig, doc="analysis settings")

    def __post_init__(self):
        _check_name_and_strata(self)
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ConfigError(path="arms", value=names, expected="distinct arm names")
        for i, arm in enumerate(self.arms):
            check_intervention_names(self.model, arm.interventions, f"arms[{i}].interventions")
        _check_essentials(self)
        if self.analysis.control_arm not in names:
            raise ConfigError(path="analysis.control_arm", value=self.analysis.control_arm,
                              expected=f"one of the arms: {', '.join(names)}")
        sched = self.schedule
        end = sched.treatment_days + sched.follow_up_days
        for k, v in enumerate(sched.visits):
            if not 0 <= v <= end:
                raise ConfigError(path=f"schedule.visits[{k}]", value=v, expected=f"a day in [0, {end}]")
        if 0 not in sched.visits:
            raise ConfigError(path="schedule.visits", value=list(sched.visits), expected="a baseline visit at day 0")
        for k, v in enumerate(sched.biomarker_visits):
            if v not in sched.visits:
                raise ConfigError(path=f"schedule.biomarker_visits[{k}]", value=v,
                                  expected=f"one of the visit days {list(sched.visits)}")
        known = set(instruments.INSTRUMENTS)
        for k, v in enumerate(sched.instruments):
            if v not in known:
                raise ConfigError(path=f"schedule.instruments[{k}]", value=v, expected=f"one of {sorted(known)}")
        scores = set()
        for inst in sched.instruments:
            scores |= set(instruments.INSTRUMENTS[inst].scales)
        scores |= set(BIOMARKER_ENDPOINTS)
        if not sched.sequencing_16s:
            scores -= {"shannon", "simpson"}
        for k, e in enumerate(self.endpoints):
            if e.score not in scores:
                raise ConfigError(path=f"endpoints[{k}].score", value=e.score,
                                  expected=f"a score of the scheduled instruments or a biomarker: {sorted(scores)}")
            if e.visit is not None and e.visit not in sched.visits:
                raise ConfigError(path=f"endpoints[{k}].visit", value=e.visit,
                                  expected=f"one of the visit days {list(sched.visits)}")
        for k, c in enumerate(self.screening.criteria):
            inst = instruments.score_info(c.score)["instrument"]
            if inst not in known:
                raise ConfigError(path=f"screening.criteria[{k}].score", value=c.score, expected="a known score")
        if self.randomization.method != "simple":
            total = sum(a.ratio for a in self.arms)
            if self.randomization.block_size % total:
                raise ConfigError(path="randomization.block_size", value=self.randomization.block_size,
                                  expected=f"a multiple of the sum of allocation ratios ({total})")
        _check_design(self)


def _check_essentials(cfg: TrialConfig) -> None:
    """A controlled trial needs a control arm and at least one arm to compare with it,
    and something to analyse (an empty config is not a trial)."""
    if len(cfg.arms) < 2:
        raise ConfigError(path="arms", value=[a.name for a in cfg.arms],
                          expected="at least two [[arms]]: a control arm and an arm compared with it")
    if not cfg.endpoints:
        raise ConfigError(path="endpoints", value=[],
                          expected="at least one [[endpoints]] table (score, optional visit, primary)")


def _check_design(cfg: TrialConfig) -> None:
    """Cross-field checks of the design, then defaults that depend on it (run last in
    ``TrialConfig.__post_init__``): endpoints are distinct, interventions start at day 0
    unless declared as a run-in, and a missing ``end_day`` ends with the treatment
    period."""
    seen = {}
    for k, e in enumerate(cfg.endpoints):
        key = (e.score, endpoint_visit(cfg, e))
        if key in seen:
            raise ConfigError(path=f"endpoints[{k}]", value={"score": key[0], "visit": key[1]},
                              expected=f"each (score, visit) once; endpoints[{seen[key]}] is the same endpoint")
        seen[key] = k
    lead = cfg.screening.days_before_baseline
    for i, arm in enumerate(cfg.arms):
        for j, iv in enumerate(arm.interventions):
            where = f"arms[{i}].interventions[{j}].start_day"
            if iv.start_day < 0 and not iv.run_in:
                raise ConfigError(path=where, value=iv.start_day,
                                  expected="a day >= 0 (the baseline visit); an intervention before it must be "
                                           "declared run_in = true")
            if iv.start_day < -lead:
                raise ConfigError(path=where, value=iv.start_day,
                                  expected=f"a day >= {-lead}, the screening visit "
                                           "(-screening.days_before_baseline): nobody is enrolled before it")
    # resolved here, not at run time, so `probisim validate` and the saved config show it
    arms = tuple(dataclasses.replace(a, interventions=resolve_end_day(
        a.interventions, cfg.schedule.treatment_days, f"arms[{i}].interventions",
        "the end of the treatment period (schedule.treatment_days)")) for i, a in enumerate(cfg.arms))
    object.__setattr__(cfg, "arms", arms)


def screening_scores(cfg: TrialConfig) -> list[str]:
    """The scores measured at the screening visit: every score of every instrument
    that a screening criterion uses."""
    insts = dict.fromkeys(instruments.score_info(c.score)["instrument"] for c in cfg.screening.criteria)
    return [s for inst in insts for s in instruments.INSTRUMENTS[inst].scales]


def endpoint_visit(cfg: TrialConfig, e: Endpoint) -> int:
    """The visit an endpoint is analysed at: its own, else the visit nearest the end of treatment."""
    sched = cfg.schedule
    return e.visit if e.visit is not None else min(sched.visits, key=lambda v: abs(v - sched.treatment_days))


def _check_name_and_strata(cfg: TrialConfig) -> None:
    """Checks of TrialConfig that run before the others, so that the config (and
    ``probisim validate``) rejects what the run would reject only after simulating:
    the name is a label (it names the results directory); the stratification
    score is measured at screening (randomization happens before any other
    visit); a biomarker endpoint is sampled at baseline and at its visit."""
    check_label("name", cfg.name)
    bio_visits = cfg.schedule.biomarker_visits
    for k, e in enumerate(cfg.endpoints):
        if e.score in BIOMARKER_ENDPOINTS and cfg.schedule.visits:
            v = endpoint_visit(cfg, e)
            if v not in bio_visits or 0 not in bio_visits:
                default = "" if e.visit is not None else ", the visit nearest the end of treatment"
                raise ConfigError(path=f"endpoints[{k}]" + (".visit" if e.visit is not None else ""),
                                  value=e.visit if e.visit is not None else e.score,
                                  expected=f"a biomarker endpoint sampled at day 0 and at its visit "
                                           f"(day {v}{default}); schedule.biomarker_visits is {list(bio_visits)}")
    strat = cfg.randomization.stratify_on
    if strat:
        avail = screening_scores(cfg)
        if strat not in avail:
            from difflib import get_close_matches

            close = get_close_matches(strat, avail, n=1)
            if avail:
                expected = f"a score measured at screening (a score of an instrument used by a screening " \
                           f"criterion): {', '.join(avail)}"
            else:
                expected = "a score measured at screening, but no screening criterion measures any"
            known = strat if strat in instruments.score_names() else \
                next(iter(get_close_matches(strat, instruments.score_names(), n=1)), None)
            if not close and known:
                expected += f"; '{known}' is measured at screening only if a screening criterion uses its instrument"
            raise ConfigError(path="randomization.stratify_on", value=strat, expected=expected,
                              suggestion=close[0] if close else None)


#: biomarker endpoints available at biomarker visits
BIOMARKER_ENDPOINTS = ("crp_mg_l", "il6_pg_ml", "cortisol_nmol_l", "kyn_trp", "shannon", "simpson",
                       "log10_Bifidobacterium", "log10_Lactobacillus", "log10_Faecalibacterium",
                       "log10_Enterobacteriaceae")


def load_trial_config(path, overrides=()) -> TrialConfig:
    """Read a TrialConfig from TOML (``extends`` and ``--set`` overrides applied)."""
    from ..config import apply_overrides

    raw = apply_overrides(load_raw(path), list(overrides), TrialConfig)
    return from_dict(TrialConfig, resolve_defaults(raw))


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

    def comparisons(self) -> list[str]:
        return list(self.per_replicate)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _ring_slot(day: int) -> int:
    """Column of the latent ring that holds the state at the end of ``day``."""
    return (day + DAY_OFFSET) % _RING


def _latents_for(ring: np.ndarray, day: int, recall: int) -> dict[str, np.ndarray]:
    """Mean latent over the recall window of a visit at the start of ``day``: the
    states at the end of days day-recall .. day-1 (the ring holds one per day)."""
    r = min(recall, _RING)
    idx = [_ring_slot(day - 1 - k) for k in range(r)]
    mean = ring[:, idx, :].mean(axis=1)
    return {"P": mean[:, 0], "A": mean[:, 1], "D": mean[:, 2]}


def _administer_all(names, ring, day, keys, pids, given=None) -> dict[str, np.ndarray]:
    """Every score of the instruments ``names`` at a visit at the start of ``day``.
    ``given`` maps an instrument to scores already recorded at this visit (the
    screening administration when screening is the baseline visit): those are used
    as they are, not administered again."""
    out = {}
    for name in names:
        if given and name in given:
            out.update(given[name])
            continue
        inst = instruments.INSTRUMENTS[name]
        lat = _latents_for(ring, day, inst.recall_days)
        out.update({k: v.astype(np.float64) for k, v in
                    instruments.administer(name, lat, keys=keys, pids=pids, day=day).items()})
    return out


def _screening_instruments(cfg: TrialConfig) -> list[str]:
    """Instruments administered at screening: those named by the inclusion criteria."""
    return list(dict.fromkeys(instruments.score_info(c.score)["instrument"] for c in cfg.screening.criteria))


def _allocate(cfg: TrialConfig, R: int, n: int, strata: np.ndarray, seed: int) -> np.ndarray:
    """Arm index (R, n) by simple, block or stratified-block randomization."""
    ratios = np.array([a.ratio for a in cfg.arms])
    probs = ratios / ratios.sum()
    keys = rng.participant_keys(seed, np.repeat(np.arange(R), n), "randomization")
    slot = np.tile(np.arange(n, dtype=np.uint32), R)
    u = rng.uniforms(keys, slot, 0, 0, 1)[:, 0].reshape(R, n)
    method = cfg.randomization.method
    if method == "simple":
        return np.searchsorted(np.cumsum(probs), u, side="right").clip(0, len(ratios) - 1)
    bs = cfg.randomization.block_size
    template = np.repeat(np.arange(len(ratios)), ratios * (bs // ratios.sum()))
    out = np.empty((R, n), dtype=np.int64)
    groups = [np.ones((R, n), bool)] if method == "block" else [strata, ~strata]
    nb = math.ceil(n / bs)
    rkeys = rng.participant_keys(seed, np.arange(R), "randomization")
    for g, gmask in enumerate(groups):
        # one block sequence per replicate and stratum: block b is the template
        # permuted by the order of that block's uniforms (step 1 + stratum)
        ub = rng.uniforms(rkeys, np.arange(R, dtype=np.uint32), 1 + g, 0, nb * bs).reshape(R, nb, bs)
        seq = template[np.argsort(ub, axis=2, kind="stable")].reshape(R, nb * bs)
        # the k-th member of the stratum (in enrolment order) takes the k-th slot
        rank = np.cumsum(gmask, axis=1) - 1
        rows = np.nonzero(gmask)
        out[rows] = seq[rows[0], rank[rows]]
    return out


def _enrol(cfg: TrialConfig, model, R: int, seed: int, progress: bool):
    """Burn in candidates, screen them, keep the first n eligible per replicate.

    Returns the enrolled population ordered by (replicate, pid), their screening
    scores, the latent ring (their daily latent states up to the day before
    screening, for the recall windows of the first visits) and the number screened
    per replicate."""
    n_need = cfg.n_randomized
    lead = cfg.screening.days_before_baseline
    crit = cfg.screening.criteria
    screen_insts = _screening_instruments(cfg)
    kept: list[Population] = []
    kept_scores: list[dict] = []
    kept_rings: list[np.ndarray] = []
    have = np.zeros(R, np.int64)
    next_pid = np.zeros(R, np.int64)
    screened = np.zeros(R, np.int64)
    rate = 1.0
    batch = 1
    burn = cfg.population.burn_in_days
    while (have < n_need).any():
        short = np.flatnonzero(have < n_need)
        # batch: enough to fill the shortfall at the running eligibility rate, with margin
        want = ((n_need - have[short]) / max(rate, 1e-3) * 1.15 + 4).astype(np.int64)
        if (next_pid[short] + want > cfg.screening.max_screened_per_randomized * n_need).any():
            raise ConfigError(path="screening.criteria", value=[(c.score, c.min, c.max) for c in crit],
                              expected=f"criteria that at least 1 in {cfg.screening.max_screened_per_randomized:g} "
                                       f"candidates meet (observed eligibility {rate:.3%})")
        reps = np.repeat(short, want)
        pids = np.concatenate([np.arange(next_pid[r], next_pid[r] + w) for r, w in zip(short, want)]).astype(np.uint32)
        next_pid[short] += want
        pop = generate(model, cfg.population, pids, reps, seed)
        eng = Engine(model, pop, seed)
        ring = np.repeat(pop.M[:, None, :], _RING, axis=1)
        bar = _progress(burn, progress, desc=f"burn-in and screening, batch {batch} ({pids.size} candidates)")
        batch += 1
        # burn-in: the days before the screening visit, which measures the start of day -lead
        for d in range(-burn - lead, -lead):
            DRV, IMM, KILL, _ = eng.drivers(d)
            eng.advance(d, DRV, IMM, KILL)
            ring[:, _ring_slot(d)] = pop.M
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        ikeys = rng.participant_keys(seed, reps, "instruments")
        scores = _administer_all(screen_insts, ring, -lead, ikeys, pids)
        ok = np.ones(pids.size, bool)
        for c in crit:
            s = scores[c.score]
            if c.min is not None:
                ok &= s >= c.min
            if c.max is not None:
                ok &= s <= c.max
        # first n_need eligible per replicate, in pid order
        take = np.zeros(pids.size, bool)
        for r in short:
            sel = np.flatnonzero((reps == r) & ok)[: n_need - have[r]]
            take[sel] = True
            have[r] += sel.size
            last = np.flatnonzero(reps == r)
            # candidates screened = up to and including the last one taken (or the whole batch if short)
            screened[r] += (last.size if have[r] < n_need else int(np.searchsorted(last, sel[-1]) + 1)) \
                if sel.size else last.size
        rate = max(ok.mean(), 1e-3)
        sub = pop.subset(np.flatnonzero(take))
        kept.append(sub)
        kept_scores.append({k: v[take] for k, v in scores.items()})
        kept_rings.append(ring[take])
    # stack and order by (replicate, pid)
    pop = _concat(kept)
    scores = {k: np.concatenate([s[k] for s in kept_scores]) if kept_scores[0] else np.empty(0)
              for k in (kept_scores[0] if kept_scores else {})}
    order = np.lexsort((pop.pids, pop.replicate))
    pop = pop.subset(order)
    scores = {k: v[order] for k, v in scores.items()}
    ring = np.concatenate(kept_rings)[order]
    return pop, scores, ring, screened


def _concat(pops: list[Population]) -> Population:
    cat = np.concatenate
    return Population(pids=cat([p.pids for p in pops]), replicate=cat([p.replicate for p in pops]),
                      traits={k: cat([p.traits[k] for p in pops]) for k in pops[0].traits},
                      T=cat([p.T for p in pops]), KAPPA=cat([p.KAPPA for p in pops]),
                      CSENS=cat([p.CSENS for p in pops]), CPRESS=cat([p.CPRESS for p in pops]),
                      N=cat([p.N for p in pops]), H=cat([p.H for p in pops]), M=cat([p.M for p in pops]))


def _primary_latent(cfg: TrialConfig) -> int:
    prim = next((e for e in cfg.endpoints if e.primary), cfg.endpoints[0])
    if prim.score in BIOMARKER_ENDPOINTS:
        return 2
    return {"P": 0, "A": 1, "D": 2}[instruments.score_info(prim.score)["latent"]]


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------
def run_trial(cfg: TrialConfig, *, replicates: int | None = None, seed: int | None = None,
              threads: int | None = None, progress: bool = False) -> TrialResult:
    """Run ``replicates`` replicate trials of ``cfg``; see the module docstring.
    ``threads`` (Numba threads) applies to this call only."""
    import numba

    with numba_threads(threads):
        res = _run_trial(cfg, replicates, seed, progress)
        res.threads = int(numba.get_num_threads())  # read inside: the caller's setting is restored on exit
        return res


def _run_trial(cfg: TrialConfig, replicates: int | None, seed: int | None, progress: bool) -> TrialResult:
    t0 = time.perf_counter()
    R = int(replicates if replicates is not None else cfg.replicates)
    seed = int(seed if seed is not None else cfg.seed)
    n = cfg.n_randomized
    sched = cfg.schedule
    model = compile_model(cfg.model, strains_in([iv for a in cfg.arms for iv in a.interventions]))
    lead = cfg.screening.days_before_baseline
    end = sched.treatment_days + sched.follow_up_days
    timings = {}

    pop, screen_scores, enrol_ring, screened = _enrol(cfg, model, R, seed, progress)
    timings["enrol_s"] = time.perf_counter() - t0
    bar = _progress(lead + end, progress, desc=f"trial ({R} replicates x {n} randomized)")
    strat_score = cfg.randomization.stratify_on
    if strat_score:  # a screening score (checked by TrialConfig)
        s = screen_scores[strat_score].reshape(R, n)
        strata = s > np.median(s, axis=1, keepdims=True)
    else:
        strata = np.zeros((R, n), bool)
    arm = _allocate(cfg, R, n, strata, seed)  # (R, n)
    A = len(cfg.arms)

    # potential outcomes: one copy of everyone per arm (same pids => same noise)
    if cfg.potential_outcomes:
        copies = A
        sim_pop = _concat([pop] * A)
        sim_arm = np.repeat(np.arange(A), R * n)
    else:
        copies = 1
        sim_pop = pop
        sim_arm = arm.ravel()
    N_sim = sim_pop.n
    observed = sim_arm == np.tile(arm.ravel(), copies)  # the copy each participant is actually in
    eng = Engine(model, sim_pop, seed)
    if cfg.product_viability_sd_log10 > 0:
        # one batch per replicate trial: a log-normal viable-dose factor with median 1
        bkey = rng.participant_keys(seed, np.arange(R), "randomization")
        zb = rng.normals(bkey, np.full(R, 0xFFFFFFFF, np.uint32), 0, 7, 1)[:, 0]
        eng.viability = 10.0 ** (cfg.product_viability_sd_log10 * zb)[sim_pop.replicate]
    groups = [(np.flatnonzero(sim_arm == a), cfg.arms[a].interventions) for a in range(A)]
    ring = np.concatenate([enrol_ring] * copies)  # daily latents of the days before screening
    # screening on the baseline visit (days_before_baseline = 0): that visit's
    # administration of the screening instruments is the screening one
    screen_given = {}
    if lead == 0:
        for name in _screening_instruments(cfg):
            screen_given[name] = {k: np.tile(screen_scores[k], copies) for k in instruments.INSTRUMENTS[name].scales}
    ikeys = rng.participant_keys(seed, sim_pop.replicate, "instruments")
    bkeys = rng.participant_keys(seed, sim_pop.replicate, "biomarkers")
    dkeys = rng.participant_keys(seed, sim_pop.replicate, "dropout")
    on_study = np.ones(N_sim, bool)
    drop_day = np.full(N_sim, np.iinfo(np.int64).max)
    taken = np.zeros(N_sim)
    prescribed = np.zeros(N_sim)
    visit_scores: dict[int, dict[str, np.ndarray]] = {}
    bio: dict[int, dict[str, np.ndarray]] = {}
    base_latent = None
    pl = _primary_latent(cfg)
    prop = sim_pop.traits["dropout_propensity"]
    arm_hr = np.array([cfg.dropout.arm_hazard_ratio.get(a.name, 1.0) for a in cfg.arms])[sim_arm]
    traj_days = list(range(0, end + 1, sched.trajectory_every))
    traj_vars = _trajectory_vars(model)
    traj = np.full((len(traj_days), A, len(traj_vars), 4), np.nan)
    visit_set = set(sched.visits)

    t1 = time.perf_counter()
    # the day's order (module docstring): visit at the start of day d, then the day's
    # doses and dynamics, then the dropout draw; the last visit day is not simulated
    for d in range(-lead, end + 1):
        if d == 0:
            base_latent = sim_pop.M[:, pl].copy()
        if d in visit_set:
            att = on_study.copy()
            sc = _administer_all(sched.instruments, ring, d, ikeys, sim_pop.pids,
                                 given=screen_given if d == -lead else None)
            for k in sc:
                sc[k][~att] = np.nan
            visit_scores[d] = sc
            if d in sched.biomarker_visits:
                bio[d] = _measure_biomarkers(model, sim_pop, bkeys, d, att, sched.sequencing_16s)
        if d in traj_days:
            traj[traj_days.index(d)] = _summarize_state(model, sim_pop, sim_arm, on_study, traj_vars, A)
        if d == end:
            break
        visit = np.zeros(N_sim)
        if d in visit_set:
            visit[on_study] = 1.0
        DRV, IMM, KILL, took = eng.drivers(d, groups, on_study=on_study, visit=visit)
        for (rows, ivs), tk in zip(groups, took):
            for iv, t in zip(ivs, tk):
                if t is not None and iv.kind in ("probiotic", "placebo", "prebiotic"):
                    prescribed[rows] += on_study[rows]
                    taken[rows] += t
        eng.advance(d, DRV, IMM, KILL)
        ring[:, _ring_slot(d)] = sim_pop.M
        if d >= 0:
            # end of day d: who leaves (having attended today's visit and taken today's doses)
            h = cfg.dropout.hazard_per_day * prop * arm_hr * np.exp(
                cfg.dropout.worsening_log_hr * np.maximum(sim_pop.M[:, pl] - base_latent, 0.0))
            if d in visit_set:
                h = h * cfg.dropout.visit_hazard_ratio
            u = rng.uniforms(dkeys, sim_pop.pids, d + DAY_OFFSET, 0, 1)[:, 0]
            # potential-outcome copies share the dropout of the observed arm's copy only
            newly = on_study & (u < -np.expm1(-h))
            on_study &= ~newly
            drop_day[newly] = d
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    timings["simulate_s"] = time.perf_counter() - t1

    # ---- tables (observed copies only, ordered replicate, pid)
    obs_idx = np.flatnonzero(observed)
    ord_idx = obs_idx[np.lexsort((sim_pop.pids[obs_idx], sim_pop.replicate[obs_idx]))]
    participants = {
        "replicate": sim_pop.replicate[ord_idx], "pid": sim_pop.pids[ord_idx].astype(np.int64),
        "arm": np.array([cfg.arms[a].name for a in sim_arm[ord_idx]]),
        "dropout_day": np.where(drop_day[ord_idx] == np.iinfo(np.int64).max, -1, drop_day[ord_idx]),
        "completed": drop_day[ord_idx] == np.iinfo(np.int64).max,
        "adherence": np.divide(taken[ord_idx], prescribed[ord_idx], out=np.full(ord_idx.size, np.nan),
                               where=prescribed[ord_idx] > 0),
        **{f"screen_{k}": v for k, v in screen_scores.items()},
    }
    for k, v in sim_pop.traits.items():
        participants[f"trait_{k}"] = v[ord_idx]
    visits = _long_table(visit_scores, ord_idx, participants)
    biotab = _long_table(bio, ord_idx, participants)

    # ---- analysis per endpoint and comparison
    t2 = time.perf_counter()
    per_rep, summary = {}, {}
    ctrl = [a.name for a in cfg.arms].index(cfg.analysis.control_arm)
    arm_obs = sim_arm[ord_idx].reshape(R, n)
    for e in cfg.endpoints:
        v_end = endpoint_visit(cfg, e)
        src = bio if e.score in BIOMARKER_ENDPOINTS else visit_scores
        if v_end not in src or 0 not in src:
            raise ConfigError(path="endpoints", value=e.score, expected=f"measured at day 0 and day {v_end}")
        y = src[v_end][e.score][ord_idx].reshape(R, n)
        b = src[0][e.score][ord_idx].reshape(R, n)
        info_lower = instruments.score_info(e.score)["lower_is_better"] if e.score in instruments.score_names() \
            else e.score in ("crp_mg_l", "il6_pg_ml", "cortisol_nmol_l", "kyn_trp")
        # responders (a >= 50% fall) and remission are defined only on lower-is-better symptom scales
        symptom_scale = e.score in instruments.score_names() and info_lower
        rem = instruments.score_info(e.score).get("remission") if symptom_scale else None
        for a in range(A):
            if a == ctrl:
                continue
            code = np.where(arm_obs == a, 1, np.where(arm_obs == ctrl, 0, -1))
            key = f"{e.score}|{cfg.arms[a].name} vs {cfg.arms[ctrl].name}"
            res = stats.analyze_endpoint(y, b, code, lower_is_better=info_lower, alpha=cfg.analysis.alpha,
                                            mi_m=cfg.analysis.mi_imputations, seed=seed,
                                            remission_threshold=rem, responder_analysis=symptom_scale)
            per_rep[key] = res
            summary[key] = stats.across_replicates(res, cfg.analysis.alpha)
            summary[key]["endpoint"] = e.score
            summary[key]["visit"] = v_end
            summary[key]["primary"] = e.primary
    timings["analysis_s"] = time.perf_counter() - t2

    ite = None
    if cfg.potential_outcomes:
        ite = _individual_effects(cfg, visit_scores, sim_pop, sim_arm, arm, R, n, ctrl)
    traj_out = {"day": np.asarray(traj_days), "arm": np.array([a.name for a in cfg.arms]),
                "variable": np.array(traj_vars), "stat": np.array(["mean", "q10", "q50", "q90"]),
                "values": traj}
    return TrialResult(config=cfg, visits=visits, participants=participants, biomarkers=biotab,
                       per_replicate=per_rep, summary=summary,
                       screening={"replicate": np.arange(R), "screened": screened,
                                  "randomized": np.full(R, n)},
                       trajectories=traj_out, individual_effects=ite, wall_s=time.perf_counter() - t0,
                       timings=timings)


def _long_table(by_visit: dict[int, dict[str, np.ndarray]], ord_idx, participants) -> dict[str, np.ndarray]:
    if not by_visit:
        return {}
    days = sorted(by_visit)
    m = ord_idx.size
    out = {"replicate": np.tile(participants["replicate"], len(days)),
           "pid": np.tile(participants["pid"], len(days)),
           "arm": np.tile(participants["arm"], len(days)),
           "day": np.repeat(np.asarray(days), m)}
    for k in by_visit[days[0]]:
        out[k] = np.concatenate([by_visit[d][k][ord_idx] for d in days])
    return out


def _trajectory_vars(model) -> list[str]:
    v = ["latent_stress", "latent_anxiety", "latent_depression", "crp_mg_l", "il6_pg_ml", "cortisol_nmol_l"]
    for t in ("Bifidobacterium", "Lactobacillus", "Faecalibacterium", "Enterobacteriaceae"):
        if t in model.taxa:
            v.append(f"log10_{t}")
    v += [f"log10_{t}" for t, s in zip(model.taxa, model.is_strain) if s]
    return v


def _summarize_state(model, pop, sim_arm, on_study, names, A) -> np.ndarray:
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


def _measure_biomarkers(model, pop, keys, day, attend, sequencing=True) -> dict[str, np.ndarray]:
    """Stool qPCR, strain detection, 16S diversity and the blood panel at a visit."""
    out = _visit_panel(model, pop, keys, day, sequencing)
    for k, v in out.items():
        v = v.astype(np.float64)
        v[~attend] = np.nan
        out[k] = v
    return out


def _individual_effects(cfg, visit_scores, pop, sim_arm, arm, R, n, ctrl) -> dict[str, np.ndarray]:
    """Per-person effect of each active arm vs control on every score at each visit."""
    out = {"replicate": np.repeat(np.arange(R), n), "pid": pop.pids[: R * n].astype(np.int64),
           "assigned_arm": np.array([cfg.arms[a].name for a in arm.ravel()])}
    M = R * n
    for d, sc in visit_scores.items():
        for k, v in sc.items():
            base = v[ctrl * M:(ctrl + 1) * M]
            for a in range(len(cfg.arms)):
                if a != ctrl:
                    out[f"{k}_day{d}_{cfg.arms[a].name}_minus_{cfg.arms[ctrl].name}"] = v[a * M:(a + 1) * M] - base
    for k, v in pop.traits.items():
        out[f"trait_{k}"] = v[:M]
    return out


def _visit_panel(model, pop, keys, day, sequencing=True) -> dict[str, np.ndarray]:
    """What the lab reports at a visit: stool qPCR (log10 cells/g, detection
    limit 10^4), strain-specific qPCR (positive at >= 10^3.5 cells/g), 16S
    sequencing at 20,000 reads (Dirichlet-multinomial) with Shannon and
    Gini-Simpson diversity of the resident guilds, and the blood panel with
    assay error and limits of detection."""
    out = {}
    res = ~model.is_strain
    q = biomarkers.qpcr(pop.N[:, res], keys=keys, pids=pop.pids, day=day,
                        taxa=[t for t, s in zip(model.taxa, model.is_strain) if not s])
    rnames = [t for t, s in zip(model.taxa, model.is_strain) if not s]
    for k, t in enumerate(rnames):
        out[f"log10_{t}"] = q.log10_cells_per_g[:, k]
    if model.is_strain.any():
        det = biomarkers.strain_detection(pop.N[:, model.is_strain], keys=keys, pids=pop.pids, day=day)
        for k, t in enumerate(t for t, s in zip(model.taxa, model.is_strain) if s):
            out[f"detected_{t}"] = det[:, k].astype(np.float64)
    if sequencing:
        counts = biomarkers.sequence_16s(pop.N[:, res], keys=keys, pids=pop.pids, day=day)
        out["shannon"] = np.asarray(biomarkers.shannon(counts), dtype=np.float64)
        out["simpson"] = np.asarray(biomarkers.simpson(counts), dtype=np.float64)
    blood = biomarkers.blood_panel(pop.H[:, K.H_IL6], pop.H[:, K.H_CRP], pop.H[:, K.H_CORT], pop.H[:, K.H_KT],
                                   keys=keys, pids=pop.pids, day=day)
    out["il6_pg_ml"] = blood["il6_pg_per_ml"]
    out["crp_mg_l"] = blood["crp_mg_per_l"]
    out["cortisol_nmol_l"] = blood["cortisol_nmol_per_l"]
    out["kyn_trp"] = blood["kyn_trp"]
    return out
