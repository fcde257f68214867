"""Interventions as schedules: what each one changes on a given day.

An intervention is active on days ``start_day <= day < end_day`` (day 0 is the
first day after burn-in, the day of the baseline visit). ``end_day`` may be
left out: a trial config then ends it with the treatment period
(``schedule.treatment_days``) and a :class:`~probisim.sim.SimConfig` with the
run (``days``); both resolve it when the config is read, so the resolved
config shows the day. (An intervention handed straight to the
:class:`~probisim.sim.Engine` without an ``end_day`` never ends.) In a trial an
intervention may start before day 0 only if it is declared ``run_in = true``.

Each one writes into the day's driver arrays of the
participants it applies to: diet and stress drivers (``DRV``), immigration of
live cells (``IMM``, cells/g/day) and antibiotic kill rates (``KILL``, 1/day).
Products taken by mouth (capsules, sachets) and stress-management sessions are
subject to daily adherence, decided per participant and day from the
counter-based ``adherence`` stream. The draw is chosen by what is taken, not
by its position in an arm's list: every arm's study product (probiotic,
placebo, prebiotic) uses the same daily draw, so a participant's adherence is
the same whichever arm they are in (common random numbers).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..config import ConfigError, param
from ..kernels import layout as K
from .compile import CompiledModel

__all__ = ["Probiotic", "Placebo", "Prebiotic", "Diet", "Stressor", "StressManagement", "Antibiotic",
           "Intervention", "INTERVENTION_KINDS", "DayContext", "resolve_end_day"]


@dataclass
class DayContext:
    """Everything an intervention may read or write for one day and one group."""

    day: int
    model: CompiledModel
    DRV: np.ndarray  # (m, N_DRIVERS) rows of this group
    IMM: np.ndarray  # (m, S)
    KILL: np.ndarray  # (m, S)
    took: np.ndarray  # (m,) bool: took an oral product / attended today (adherence)
    on_study: np.ndarray  # (m,) bool: still taking part (not dropped out)
    viability: np.ndarray | float = 1.0  # (m,) viable CFU delivered per labelled CFU (product batch)


def _check_window(obj):
    if obj.end_day is not None and obj.end_day <= obj.start_day:
        raise ConfigError(path="end_day", value=obj.end_day, expected=f"a day after start_day ({obj.start_day})")


@dataclass(frozen=True)
class _Window:
    start_day: int = param(0, bounds=(-100000, 100000), integer=True, unit="day", doc="first day (inclusive)")
    end_day: int | None = param(None, bounds=(-100000, 100000), integer=True, unit="day",
                                doc="last day (exclusive); default: the end of the treatment period "
                                    "(schedule.treatment_days) in a trial, the end of the run (days) in simulate()")
    run_in: bool = param(False, doc="declared run-in: in a trial, may start before day 0 (from the screening "
                                    "visit, -screening.days_before_baseline, on)")

    def active(self, day: int) -> bool:
        return self.start_day <= day and (self.end_day is None or day < self.end_day)


@dataclass(frozen=True)
class Probiotic(_Window):
    """A probiotic product: one or more strains at CFU/day, taken daily."""

    kind: ClassVar[str] = "probiotic"
    oral: ClassVar[bool] = True
    adherence_slot: ClassVar[int] = 0  # the study product: same daily draw in every arm
    strains: dict[str, float] = param(default_factory=dict, unit="CFU/day",
                                      bounds=(0.0, 1e13),
                                      source="typical doses 3e9 (Messaoudi 2011) to 1e10 CFU/day (Pinto-Sanchez 2017)",
                                      doc="strain name -> dose")
    blinded: bool = param(True, doc="participants do not know their arm (expectancy applies)")

    def __post_init__(self):
        _check_window(self)
        if not self.strains:
            raise ConfigError(path="strains", value={}, expected="at least one strain with its CFU/day")

    def strains_used(self) -> tuple[str, ...]:
        return tuple(self.strains)

    def apply(self, ctx: DayContext) -> None:
        m = ctx.model
        delta = m.config.micro.transit_washout_per_day
        stool = m.config.micro.stool_g_per_day
        took = ctx.took.astype(float)
        for name, cfu in self.strains.items():
            i = m.index(name)
            # steady fecal load of a non-growing strain = dose * survival / stool mass
            ctx.IMM[:, i] += took * ctx.viability * (delta * cfu * m.survival[i] / stool)
        if self.blinded:
            ctx.DRV[:, K.D_PRODUCT] = np.maximum(ctx.DRV[:, K.D_PRODUCT], ctx.on_study)


@dataclass(frozen=True)
class Placebo(_Window):
    """An identical-looking product without live strains; carries expectancy."""

    kind: ClassVar[str] = "placebo"
    oral: ClassVar[bool] = True
    adherence_slot: ClassVar[int] = 0

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        ctx.DRV[:, K.D_PRODUCT] = np.maximum(ctx.DRV[:, K.D_PRODUCT], ctx.on_study)


@dataclass(frozen=True)
class Prebiotic(_Window):
    """Inulin, FOS or GOS in g/day."""

    kind: ClassVar[str] = "prebiotic"
    oral: ClassVar[bool] = True
    adherence_slot: ClassVar[int] = 0
    type: str = param("inulin", choices=("inulin", "fos", "gos"), doc="prebiotic type")
    grams_per_day: float = param(8.0, unit="g/day", bounds=(0.0, 100.0),
                                 source="5-8 g/day bifidogenic: Kolida 2007; Ramnani 2015; So 2018",
                                 doc="daily dose")
    blinded: bool = param(True, doc="given as a blinded product (expectancy applies)")

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        col = {"inulin": K.D_INULIN, "fos": K.D_FOS, "gos": K.D_GOS}[self.type]
        ctx.DRV[:, col] += ctx.took * self.grams_per_day
        if self.blinded:
            ctx.DRV[:, K.D_PRODUCT] = np.maximum(ctx.DRV[:, K.D_PRODUCT], ctx.on_study)


@dataclass(frozen=True)
class Diet(_Window):
    """A diet shift: fibre, fermented foods, added sugar (set to, or add to, habitual)."""

    kind: ClassVar[str] = "diet"
    oral: ClassVar[bool] = False
    adherence_slot: ClassVar[int] = -1
    mode: str = param("add", choices=("add", "set"), doc="add to habitual intake, or set it")
    fibre_g_per_day: float | None = param(None, unit="g/day", bounds=(-100.0, 200.0),
                                          source="high-fibre arm ~45 g/day: Wastyk 2021", doc="fibre")
    fermented_servings_per_day: float | None = param(None, unit="servings/day", bounds=(-10.0, 10.0),
                                                     source="Wastyk 2021: up to ~6 servings/day",
                                                     doc="fermented foods")
    sugar_g_per_day: float | None = param(None, unit="g/day", bounds=(-300.0, 500.0), doc="added sugar")

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        # a prescribed diet stops when the participant leaves the study
        on = np.asarray(ctx.on_study, dtype=bool)
        for val, col in ((self.fibre_g_per_day, K.D_FIBRE), (self.fermented_servings_per_day, K.D_FERM),
                         (self.sugar_g_per_day, K.D_SUGAR)):
            if val is None:
                continue
            new = np.full(on.size, float(val)) if self.mode == "set" else np.maximum(ctx.DRV[:, col] + val, 0.0)
            ctx.DRV[:, col] = np.where(on, new, ctx.DRV[:, col])


@dataclass(frozen=True)
class Stressor(_Window):
    """A stressor: acute (e.g. an exam week) or chronic load, added to background load."""

    kind: ClassVar[str] = "stressor"
    oral: ClassVar[bool] = False
    adherence_slot: ClassVar[int] = -1
    type: str = param("acute", choices=("acute", "chronic"),
                      doc="acute: constant load over the window; chronic: load on 5 of every 7 days")
    load: float = param(1.0, unit="load units", bounds=(0.0, 10.0),
                        source="Bailey & Coe 1999; Knowles 2008 (exam stress)",
                        doc="stressor load (1 = a hard exam week)")

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        if self.type == "chronic" and (ctx.day - self.start_day) % 7 >= 5:
            return
        ctx.DRV[:, K.D_LOAD] += self.load


@dataclass(frozen=True)
class StressManagement(_Window):
    """Mindfulness, meditation or exercise: lowers reactivity, raises vagal tone."""

    kind: ClassVar[str] = "stress_management"
    oral: ClassVar[bool] = True  # subject to adherence (attending sessions)
    adherence_slot: ClassVar[int] = 1
    intensity: float = param(1.0, unit="fraction", bounds=(0.0, 1.0), doc="share of a full programme")

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        ctx.DRV[:, K.D_MANAGE] = np.maximum(ctx.DRV[:, K.D_MANAGE], self.intensity * ctx.took)


@dataclass(frozen=True)
class Antibiotic(_Window):
    """An antibiotic course: a kill rate scaled per taxon by its sensitivity."""

    kind: ClassVar[str] = "antibiotic"
    oral: ClassVar[bool] = True
    adherence_slot: ClassVar[int] = 2
    kills: ClassVar[bool] = True  # writes DayContext.KILL (the only kind that does)
    kill_per_day: float = param(2.0, unit="1/day", bounds=(0.0, 50.0),
                                source="Dethlefsen & Relman 2011: ciprofloxacin drops diversity within days",
                                doc="kill rate for a taxon of sensitivity 1")
    sensitivity: dict[str, float] = param(default_factory=dict, bounds=(0.0, 5.0),
                                          doc="per-taxon sensitivity overrides (taxon -> multiplier)")

    def __post_init__(self):
        _check_window(self)

    def strains_used(self) -> tuple[str, ...]:
        return ()

    def apply(self, ctx: DayContext) -> None:
        sens = ctx.model.antibiotic_sensitivity.copy()
        for name, v in self.sensitivity.items():
            sens[ctx.model.index(name)] = v
        ctx.KILL += ctx.took[:, None] * (self.kill_per_day * sens)[None, :]


def resolve_end_day(interventions, end: int, prefix: str, what: str) -> tuple:
    """``interventions`` with every missing ``end_day`` set to ``end`` (``what`` names
    that day in the error raised when an intervention starts on or after it)."""
    out = []
    for j, iv in enumerate(interventions):
        if iv.end_day is None:
            if iv.start_day >= end:
                raise ConfigError(path=f"{prefix}[{j}].start_day", value=iv.start_day,
                                  expected=f"a day before day {end}, {what}, where a missing end_day "
                                           "ends it; or an explicit end_day")
            iv = dataclasses.replace(iv, end_day=end)
        out.append(iv)
    return tuple(out)


# A runtime alias (types.UnionType), read by the config layer's type introspection (_is_union handles it).
Intervention = Probiotic | Placebo | Prebiotic | Diet | Stressor | StressManagement | Antibiotic
INTERVENTION_KINDS = {c.kind: c for c in (Probiotic, Placebo, Prebiotic, Diet, Stressor, StressManagement,
                                          Antibiotic)}
