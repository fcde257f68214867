"""What a trial is: its design as frozen config dataclasses, checked when built.

:class:`TrialConfig` holds the arms (:class:`Arm`), screening (:class:`Screening`
with its :class:`Criterion` thresholds), allocation (:class:`Randomization`), the
timeline of visits (:class:`Schedule`), the dropout hazard (:class:`Dropout`), the
analysed outcomes (:class:`Endpoint`) and the analysis settings
(:class:`AnalysisConfig`). Every cross-field check runs in
``TrialConfig.__post_init__``, so ``probisim validate`` rejects whatever a run would
reject, before anything is simulated. The small functions at the end answer
design questions the later stages ask: which scores screening measures, which
visit an endpoint is analysed at, which latent state the dropout hazard follows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import ConfigError, apply_overrides, check_label, closest, from_dict, load_raw, param
from ..measure import instruments
from ..model import (
    Intervention,
    ModelConfig,
    PopulationConfig,
    check_intervention_names,
    resolve_defaults,
    resolve_end_day,
)
from ..stats.multiplicity import MULTIPLICITY_METHODS

__all__ = ["Arm", "Criterion", "Screening", "Randomization", "Schedule", "Dropout", "Endpoint", "AnalysisConfig",
           "TrialConfig", "BIOMARKER_ENDPOINTS", "load_trial_config", "screening_instruments", "screening_scores",
           "endpoint_visit", "primary_latent", "control_index"]

#: biomarker endpoints available at biomarker visits
BIOMARKER_ENDPOINTS = ("crp_mg_l", "il6_pg_ml", "cortisol_nmol_l", "kyn_trp", "shannon", "simpson",
                       "observed_species", "log10_Bifidobacterium", "log10_Lactobacillus",
                       "log10_Faecalibacterium", "log10_Enterobacteriaceae")


#: tests whose p-values can decide a trial's success
DECISION_TESTS = ("ancova_itt", "ancova_completers")


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
            raise ConfigError(path="score", value=self.score,
                              expected=f"one of {', '.join(instruments.score_names())}",
                              suggestion=closest(self.score, instruments.score_names()))
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
    decision_test: str = param("ancova_itt", choices=DECISION_TESTS,
                               doc="the test whose p-values decide success: power curve, multiplicity and "
                                   "interim looks")
    multiplicity: str = param("none", choices=MULTIPLICITY_METHODS,
                              doc="adjustment across every (endpoint, arm) comparison: none, holm, hochberg, "
                                  "fixed_sequence (in the order of [[endpoints]]), gatekeeping (primary "
                                  "endpoints first, the others only if every primary succeeds; Holm within)")


@dataclass(frozen=True)
class PowerConfig:
    """Power by simulation at several sample sizes, with common random numbers: the
    trials are simulated once at ``n_randomized`` and each smaller n analyses the
    first n participants of each trial in randomization order."""

    n_randomized: tuple[int, ...] = param(default_factory=tuple,
                                          doc="sample sizes of the power curve (each at most the design's "
                                              "n_randomized; empty = no power curve)")
    target: float = param(0.8, bounds=(0.01, 0.999), doc="power the smallest sufficient n is reported for")


@dataclass(frozen=True)
class InterimConfig:
    """A group-sequential design on the primary comparison: looks after the first
    fraction of participants completed the endpoint visit."""

    fractions: tuple[float, ...] = param(default_factory=tuple,
                                         doc="information fractions of the looks, increasing, the last 1 "
                                             "(empty = no interim analysis)")
    boundary: str = param("ld_obf", choices=("obf", "pocock", "ld_obf", "ld_pocock"),
                          doc="efficacy boundary: classic O'Brien-Fleming or Pocock, or Lan-DeMets alpha "
                              "spending of O'Brien-Fleming or Pocock type")
    futility_z: tuple[float, ...] = param(default_factory=tuple,
                                          doc="non-binding futility: stop at interim look k if the benefit z "
                                              "is below futility_z[k] (one value per interim look)")


@dataclass(frozen=True)
class TrialConfig:
    """A replicated randomized trial."""

    name: str = param("trial", doc="experiment name")
    description: str = param("", doc="what the experiment asks")
    seed: int = param(1, bounds=(0, 2**63 - 1), integer=True, doc="master seed")
    replicates: int = param(100, bounds=(1, 1_000_000), integer=True, doc="replicate trials")
    n_randomized: int = param(80, bounds=(2, 1_000_000), integer=True, doc="participants randomized per trial")
    potential_outcomes: bool = param(False, doc="simulate every participant in every arm (individual effects)")
    product_viability_sd_log10: float = param(
        0.8, unit="log10", bounds=(0.0, 2.0),
        source="calibrated: C2b. Viable counts of commercial probiotics deviate from the label by up to ~10-fold "
               "between batches (e.g. Drago 2010); the wider spread also stands in for the strains, formulations "
               "and storage that differ between the trials of a meta-analysis (docs/model.md §5.2)",
        doc="between-trial SD of the viable dose relative to the label (each replicate trial gets one product batch)")
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
    power: PowerConfig = param(default_factory=PowerConfig, doc="power curve over sample sizes")
    interim: InterimConfig = param(default_factory=InterimConfig, doc="interim analyses")

    def __post_init__(self):
        # in this order: the first failing check is the error reported
        _check_name_and_strata(self)
        _check_arms(self)
        _check_schedule(self)
        _check_endpoints_and_criteria(self)
        _check_design(self)
        _check_power_and_interim(self)


def _check_arms(cfg: TrialConfig) -> None:
    """Distinct arm names, known intervention names, a control arm and an arm to
    compare with it."""
    names = [a.name for a in cfg.arms]
    if len(set(names)) != len(names):
        raise ConfigError(path="arms", value=names, expected="distinct arm names")
    for i, arm in enumerate(cfg.arms):
        check_intervention_names(cfg.model, arm.interventions, f"arms[{i}].interventions")
    _check_essentials(cfg)
    if cfg.analysis.control_arm not in names:
        raise ConfigError(path="analysis.control_arm", value=cfg.analysis.control_arm,
                          expected=f"one of the arms: {', '.join(names)}")


def _check_schedule(cfg: TrialConfig) -> None:
    """Visits within the trial with a baseline visit, biomarkers at visits, known instruments."""
    sched = cfg.schedule
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


def _check_endpoints_and_criteria(cfg: TrialConfig) -> None:
    """Endpoints on measured scores at visit days, screening criteria on known
    instruments, and a block size that is a multiple of the allocation ratios."""
    sched = cfg.schedule
    scores = set()
    for inst in sched.instruments:
        scores |= set(instruments.INSTRUMENTS[inst].scales)
    scores |= set(BIOMARKER_ENDPOINTS)
    if not sched.sequencing_16s:
        scores -= {"shannon", "simpson", "observed_species"}
    for k, e in enumerate(cfg.endpoints):
        if e.score not in scores:
            raise ConfigError(path=f"endpoints[{k}].score", value=e.score,
                              expected=f"a score of the scheduled instruments or a biomarker: {sorted(scores)}")
        if e.visit is not None and e.visit not in sched.visits:
            raise ConfigError(path=f"endpoints[{k}].visit", value=e.visit,
                              expected=f"one of the visit days {list(sched.visits)}")
    for k, c in enumerate(cfg.screening.criteria):
        inst = instruments.score_info(c.score)["instrument"]
        if inst not in instruments.INSTRUMENTS:
            raise ConfigError(path=f"screening.criteria[{k}].score", value=c.score, expected="a known score")
    if cfg.randomization.method != "simple":
        total = sum(a.ratio for a in cfg.arms)
        if cfg.randomization.block_size % total:
            raise ConfigError(path="randomization.block_size", value=cfg.randomization.block_size,
                              expected=f"a multiple of the sum of allocation ratios ({total})")


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


def _check_power_and_interim(cfg: TrialConfig) -> None:
    """Power-curve sizes within the simulated trial; looks that end at full information."""
    for k, n in enumerate(cfg.power.n_randomized):
        if not 4 <= n <= cfg.n_randomized:
            raise ConfigError(path=f"power.n_randomized[{k}]", value=n,
                              expected=f"a size in [4, n_randomized = {cfg.n_randomized}] (the power curve "
                                       "analyses the first n of each simulated trial; raise n_randomized)")
    if list(cfg.power.n_randomized) != sorted(set(cfg.power.n_randomized)):
        raise ConfigError(path="power.n_randomized", value=list(cfg.power.n_randomized),
                          expected="increasing sample sizes, each once")
    f = cfg.interim.fractions
    if f:
        if not (all(0 < a < b for a, b in zip(f, f[1:])) and f[0] > 0 and f[-1] == 1.0 and len(f) >= 2):
            raise ConfigError(path="interim.fractions", value=list(f),
                              expected="at least two increasing fractions in (0, 1], the last 1")
        if len(cfg.interim.futility_z) not in (0, len(f) - 1):
            raise ConfigError(path="interim.futility_z", value=list(cfg.interim.futility_z),
                              expected=f"one z value per interim look ({len(f) - 1}) or none")
        if not any(e.primary for e in cfg.endpoints):
            raise ConfigError(path="endpoints", value=[e.score for e in cfg.endpoints],
                              expected="a primary endpoint (primary = true): the interim looks test it")


def screening_scores(cfg: TrialConfig) -> list[str]:
    """The scores measured at the screening visit: every score of every instrument
    that a screening criterion uses."""
    return [s for inst in screening_instruments(cfg) for s in instruments.INSTRUMENTS[inst].scales]


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
            close = closest(strat, avail)
            if avail:
                expected = f"a score measured at screening (a score of an instrument used by a screening " \
                           f"criterion): {', '.join(avail)}"
            else:
                expected = "a score measured at screening, but no screening criterion measures any"
            known = strat if strat in instruments.score_names() else closest(strat, instruments.score_names())
            if not close and known:
                expected += f"; '{known}' is measured at screening only if a screening criterion uses its instrument"
            raise ConfigError(path="randomization.stratify_on", value=strat, expected=expected, suggestion=close)


def load_trial_config(path, overrides=()) -> TrialConfig:
    """Read a TrialConfig from TOML (``extends`` and ``--set`` overrides applied)."""
    raw = apply_overrides(load_raw(path), list(overrides), TrialConfig)
    return from_dict(TrialConfig, resolve_defaults(raw))


def screening_instruments(cfg: TrialConfig) -> list[str]:
    """Instruments administered at screening: those named by the inclusion criteria."""
    return list(dict.fromkeys(instruments.score_info(c.score)["instrument"] for c in cfg.screening.criteria))


def primary_latent(cfg: TrialConfig) -> int:
    """Column of the latent state (P, A, D) that the primary endpoint measures: the
    dropout hazard's worsening term follows it (a biomarker primary: depression)."""
    prim = next((e for e in cfg.endpoints if e.primary), cfg.endpoints[0])
    if prim.score in BIOMARKER_ENDPOINTS:
        return 2
    return {"P": 0, "A": 1, "D": 2}[instruments.score_info(prim.score)["latent"]]


def control_index(cfg: TrialConfig) -> int:
    """Index of ``analysis.control_arm`` among the arms."""
    return [a.name for a in cfg.arms].index(cfg.analysis.control_arm)
