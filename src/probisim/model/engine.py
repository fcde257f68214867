"""Running the model: the engine that steps a population day by day, and the
one-call simulation API.

>>> import probisim
>>> res = probisim.simulate(probisim.SimConfig(n=200, days=28))
>>> res.abundance.sel(taxon="Bifidobacterium").values.shape
(200, 29)
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..config import ConfigError, deep_merge, from_dict, load_raw, param, to_dict
from ..core.errors import SimulationError
from ..core.named_array import NamedArray
from ..kernels import layout as K
from ..kernels import rng
from ..kernels.richness import richness_day
from ..kernels.step import step_day
from .compile import CompiledModel, ModelConfig, check_intervention_names, compile_model
from .interventions import DayContext, Intervention, resolve_end_day
from .population import Population, PopulationConfig, generate, preset_traits

__all__ = ["Engine", "SimConfig", "SimResult", "SimulationError", "simulate", "load_sim_config",
           "resolve_defaults", "DAY_OFFSET", "HOST_UNITS"]

#: Counter offset so that burn-in days (negative) map to non-negative counters.
DAY_OFFSET = 1 << 20

#: habituation (:meth:`Engine.habituate`) happens this many days before the end of a
#: burn-in: after the host has settled, and before every recall window of the first
#: visit (the longest, PSS-10's, is 30 days), so no visit recalls days on both sides
HABITUATION_LEAD = 31


def habituation_day(first: int, end: int) -> int:
    """The burn-in day (of days ``first``..``end - 1``) at whose start mood habituates:
    :data:`HABITUATION_LEAD` days before ``end``, or the first day of a shorter burn-in."""
    return max(first, end - HABITUATION_LEAD)

HOST_UNITS = {"butyrate": "index (1 = reference)", "barrier": "fraction intact", "il6_pg_ml": "pg/mL",
              "crp_mg_l": "mg/L", "kyn_trp": "umol/mmol", "serotonin": "index (1 = reference)",
              "gaba": "index (1 = reference)", "vagal": "index (1 = reference)", "cortisol_nmol_l": "nmol/L",
              "lps": "index (1 = reference)", "expectancy": "latent relief units", "contact": "visits (decaying)",
              "dopamine": "index (1 = reference)"}


def _check_threads(threads: int | None) -> None:
    if threads is None:
        return
    import numba

    if threads < 1 or threads > numba.config.NUMBA_NUM_THREADS:
        raise ConfigError(path="threads", value=threads,
                          expected=f"an integer in [1, {numba.config.NUMBA_NUM_THREADS}] (cores available to Numba)")


@contextmanager
def numba_threads(threads: int | None):
    """Run the block with ``threads`` Numba threads (None: leave as is), then restore
    the caller's setting."""
    _check_threads(threads)
    if threads is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _fmt(A: np.ndarray, i: int, k: int) -> str:
    """A[i, k], or 0 for the (0, S) "none today" form."""
    return f"{A[i, k]:.3g}" if A.shape[0] else "0"


def _fmt_row(A: np.ndarray, i: int, taxa, names) -> str:
    if not A.shape[0] or not A[i].any():
        return "0"
    return ", ".join(f"{t} {A[i, taxa.index(t)]:.3g}" for t in names)


class Engine:
    """Steps a :class:`Population` through days with groups of interventions.

    ``groups`` is a list of ``(rows, interventions)``: the participants at
    ``rows`` receive ``interventions``. Everyone not in a group gets only their
    habitual diet and background stress.
    """

    def __init__(self, model: CompiledModel, pop: Population, seed: int, *, record_noise: bool = False):
        self.model = model
        self.pop = pop
        self.seed = int(seed)
        n, S = pop.n, model.n_taxa
        self.keys = rng.participant_keys(seed, pop.replicate, "dynamics")
        self.adh_keys = rng.participant_keys(seed, pop.replicate, "adherence")
        self.status = np.zeros(n, dtype=np.int64)
        self.fail_day = np.zeros(n, dtype=np.int64)
        #: the kernel's diagnostic output, kept only with ``record_noise=True``: the last
        #: day's microbiome noise ``WORK[:, :S]`` and weighted loads ``WORK[:, S:]``
        self.WORK = np.zeros((n if record_noise else 0, 2 * S))
        tr = pop.traits
        base = np.zeros((n, K.N_DRIVERS))
        base[:, K.D_FIBRE] = tr["fibre_g_per_day"]
        base[:, K.D_SUGAR] = tr["sugar_g_per_day"]
        base[:, K.D_FERM] = tr["fermented_servings_per_day"]
        base[:, K.D_LOAD] = tr["background_stress_load"]
        self.base_drivers = base
        #: viable CFU per labelled CFU of the product each participant receives
        #: (the trial layer sets one value per replicate trial: one product batch)
        self.viability = np.ones(n)
        #: the day at whose start :meth:`habituate` runs (set by the burn-in; None = never)
        self.habituation_day: int | None = None

    # -- one day -------------------------------------------------------------
    def drivers(self, day: int, groups=(), on_study: np.ndarray | None = None,
                visit: np.ndarray | None = None):
        """Today's (DRV, IMM, KILL, took) where ``took[g][k]`` is the adherence
        mask of intervention k of group g (None when inactive). KILL is (0, S)
        on days when no antibiotic course is active for anyone."""
        n, S = self.pop.n, self.model.n_taxa
        DRV = self.base_drivers.copy()
        IMM = np.zeros((n, S))
        # only antibiotic courses write KILL; without one active today it stays (0, S)
        # and the kernel skips it
        kill_today = any(getattr(iv, "kills", False) and iv.active(day) for _, ivs in groups for iv in ivs)
        KILL = np.zeros((n if kill_today else 0, S))
        if visit is not None:
            DRV[:, K.D_VISIT] = visit
        took_all = []
        for rows, ivs in groups:
            rows = np.asarray(rows)
            took_g = []
            active = [iv for iv in ivs if iv.active(day)]
            if not active:
                took_all.append([None] * len(ivs))
                continue
            sub_on = np.ones(rows.size, bool) if on_study is None else on_study[rows]
            # (without a course, a read-only zero view: an intervention writing kill would fail loudly)
            kill = KILL[rows] if kill_today else np.broadcast_to(0.0, (rows.size, S))
            ctx = DayContext(day=day, model=self.model, DRV=DRV[rows], IMM=IMM[rows], KILL=kill,
                             took=np.zeros(rows.size, bool), on_study=sub_on, viability=self.viability[rows])
            u = rng.uniforms(self.adh_keys[rows], self.pop.pids[rows], day + DAY_OFFSET, 0, 3)
            for iv in ivs:
                if not iv.active(day):
                    took_g.append(None)
                    continue
                if iv.oral:
                    ctx.took = (u[:, iv.adherence_slot] < self.pop.traits["adherence_propensity"][rows]) & sub_on
                else:
                    ctx.took = np.ones(rows.size, bool)
                iv.apply(ctx)
                took_g.append(ctx.took.copy())
            DRV[rows], IMM[rows] = ctx.DRV, ctx.IMM
            if kill_today:
                KILL[rows] = ctx.KILL
            took_all.append(took_g)
        IMM += DRV[:, K.D_FERM, None] * self.model.fermented_cells[None, :]
        return DRV, IMM, KILL, took_all

    def advance(self, day: int, DRV: np.ndarray, IMM: np.ndarray, KILL: np.ndarray) -> None:
        """Run the kernel for one day and fail loudly on any broken participant
        (habituating first if ``day`` is :attr:`habituation_day`)."""
        if day == self.habituation_day:
            self.habituate()
        p, m = self.pop, self.model
        step_day(p.N, p.H, p.M, p.T, p.KAPPA, p.CSENS, p.CPRESS, DRV, IMM, KILL, m.TP, m.ALPHA, m.NORMS,
                   m.PRM, self.keys, p.pids, np.int64(day + DAY_OFFSET), self.status, self.fail_day, self.WORK)
        # the species of each guild, from the day's end-of-day loads, kill and fermented food
        richness_day(p.SPP, p.DORM, p.EXPO, p.N, KILL, np.ascontiguousarray(DRV[:, K.D_FERM]), m.RG, m.RPRM,
                     self.keys, p.pids, np.int64(day + DAY_OFFSET), self.status)
        bad = np.flatnonzero(self.status != K.STATUS_OK)
        if bad.size:
            self._fail(bad, day, IMM, KILL)

    def _culprits(self, i: int, IMM: np.ndarray, KILL: np.ndarray) -> str:
        """What went wrong for participant row i, and the parameters that act on it."""
        p, m = self.pop, self.model
        st = int(self.status[i])
        if st == K.STATUS_PHYSIOLOGY:
            return self._beyond_limits(i)
        if st == K.STATUS_EXTINCT:
            res = [t for t, s in zip(m.taxa, m.is_strain) if not s]
            return (f"every resident taxon at 0 cells/g ({', '.join(res)}); acting on them: antibiotic kill "
                    f"{_fmt_row(KILL, i, m.taxa, res)}/day, model.micro.transit_washout_per_day="
                    f"{m.PRM[K.P_DELTA]:.3g}, model.micro.extinction_floor_cells_per_g={m.PRM[K.P_FLOOR]:.3g}")
        parts = []
        bad_taxa = [k for k in range(m.n_taxa)
                    if not np.isfinite(p.N[i, k]) or p.N[i, k] > K.MAX_CELLS_PER_G]
        for k in bad_taxa[:3]:
            where = "model.strains" if m.is_strain[k] else "model.taxa"
            parts.append(f"{m.taxa[k]} = {p.N[i, k]:.3g} cells/g ({where}.{m.taxa[k]}.growth_per_day="
                         f"{m.TP[k, K.TP_RHO]:.3g}, niche={m.TP[k, K.TP_NICHE]:.3g}; today's immigration "
                         f"{_fmt(IMM, i, k)} cells/g/day, kill {_fmt(KILL, i, k)}/day)")
        if len(bad_taxa) > 3:
            parts.append(f"and {len(bad_taxa) - 3} more taxa")
        for k, name in enumerate(K.HOST_NAMES):
            x = p.H[i, k]
            if not np.isfinite(x) or (k in (K.H_IL6, K.H_CRP, K.H_CORT) and x <= 0):
                parts.append(f"host {name} = {x:.3g}")
        for k, name in enumerate(K.MOOD_NAMES):
            if not np.isfinite(p.M[i, k]):
                parts.append(f"latent {name} = {p.M[i, k]:.3g}")
        return "; ".join(parts) if parts else "state outside the valid range"

    def _beyond_limits(self, i: int) -> str:
        """The blood values of participant row i beyond their physiological limits
        (kernels.layout.PHYSIOLOGICAL_LIMITS), and what acts on each."""
        p, m = self.pop, self.model
        hp = m.config.host
        acting = {
            K.H_CRP: (f"population.traits.crp_baseline_mg_l (this person {p.T[i, K.T_CRP]:.3g}), "
                      f"model.host.crp_il6_exponent={hp.crp_il6_exponent:g} and IL-6 below"),
            K.H_IL6: (f"population.traits.il6_baseline_pg_ml (this person {p.T[i, K.T_IL6]:.3g}), "
                      f"model.host.il6_max_fold={hp.il6_max_fold:g}"),
            K.H_CORT: (f"population.traits.cortisol_baseline_nmol_l (this person {p.T[i, K.T_CORT]:.3g}), "
                       f"model.host.cortisol_max_fold={hp.cortisol_max_fold:g}"),
        }
        units = {K.H_CRP: "mg/L", K.H_IL6: "pg/mL", K.H_CORT: "nmol/L"}
        parts = []
        for k, lo, hi in K.PHYSIOLOGICAL_LIMITS:
            x = p.H[i, k]
            if x > hi or x < lo:
                bound = f"above the limit {hi:g}" if x > hi else f"below the limit {lo:g}"
                parts.append(f"{K.HOST_NAMES[k]} = {x:.4g} {units[k]}, {bound} {units[k]} "
                             f"(acting on it: {acting[k]})")
        return "; ".join(parts) if parts else "blood value beyond a physiological limit"

    def _fail(self, bad: np.ndarray, day: int, IMM: np.ndarray, KILL: np.ndarray) -> None:
        p = self.pop
        lines = []
        for i in bad[:5]:
            what = {K.STATUS_NONFINITE: "non-finite or non-positive state",
                    K.STATUS_EXTINCT: "whole resident community extinct",
                    K.STATUS_IMPLAUSIBLE: f"abundance above {K.MAX_CELLS_PER_G:.0e} cells/g (physically impossible)",
                    K.STATUS_PHYSIOLOGY: "blood value beyond a physiological limit (septic shock or adrenal "
                                         "crisis, not an outpatient)",
                    }[int(self.status[i])]
            tr = ", ".join(f"{k}={v[i]:.3g}" for k, v in p.traits.items())
            lines.append(f"  participant {int(p.pids[i])} (replicate {int(p.replicate[i])}): {what} on day "
                         f"{int(self.fail_day[i]) - DAY_OFFSET}: {self._culprits(int(i), IMM, KILL)}; "
                         f"traits: {tr}")
        more = f"\n  ... and {bad.size - 5} more" if bad.size > 5 else ""
        raise SimulationError(f"{bad.size} participant(s) failed on day {day}:\n" + "\n".join(lines) + more,
                              p.pids[bad], day)

    def habituate(self) -> None:
        """Absorb a share (``mood.vagal_habituation``) of each person's habitual vagal
        signal into their mood set-points: the mood step reads the vagal signal as
        ``-c (V - 1)``, so a reference of ``1 + a (V_hab - 1)`` instead of 1 is the
        same as set-points raised by ``c a (V_hab - 1) / theta`` (c the latent's vagal
        coupling, theta its reversion). The latent states move with their set-points,
        so nobody drifts afterwards. Changes of V from the habitual level (a probiotic,
        stress management) act on mood in full."""
        p, prm = self.pop, self.model.PRM
        a = prm[K.P_VAG_HAB]
        if a == 0.0:
            return
        dv = a * (p.H[:, K.H_VAG] - 1.0)
        for m, t, c, th, name in ((K.M_STRESS, K.T_PSET, K.P_P_VAG, K.P_TH_P, "stress_setpoint"),
                                  (K.M_ANXIETY, K.T_ASET, K.P_A_VAG, K.P_TH_A, "anxiety_setpoint"),
                                  (K.M_DEPRESSION, K.T_DSET, K.P_D_VAG, K.P_TH_D, "depression_setpoint")):
            if prm[th] > 0.0 and prm[c] != 0.0:
                shift = prm[c] * dv / prm[th]
                p.T[:, t] += shift
                p.M[:, m] += shift
                p.traits[name] = p.T[:, t].copy()

    def burn_in(self, days: int, progress=None) -> None:
        """Simulate ``days`` days of habitual life before day 0 (habituating
        :data:`HABITUATION_LEAD` days before its end)."""
        self.habituation_day = habituation_day(-days, 0)
        for d in range(-days, 0):
            DRV, IMM, KILL, _ = self.drivers(d)
            self.advance(d, DRV, IMM, KILL)
            if progress is not None:
                progress.update(1)


# ---------------------------------------------------------------------------
# the notebook-level API
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SimConfig:
    """One population, one schedule of interventions, daily records."""

    seed: int = param(1, bounds=(0, 2**63 - 1), integer=True, doc="master seed")
    n: int = param(100, bounds=(1, 10_000_000), integer=True, doc="participants")
    days: int = param(84, bounds=(1, 3650), integer=True, unit="day", doc="days simulated after burn-in")
    record_every: int = param(1, bounds=(1, 3650), integer=True, unit="day",
                              doc="record state every k days (and on the last day)")
    model: ModelConfig = param(default_factory=ModelConfig, doc="the model")
    population: PopulationConfig = param(default_factory=PopulationConfig, doc="the source population")
    interventions: tuple[Intervention, ...] = param(default_factory=tuple,
                                                    doc="interventions given to everyone")

    def __post_init__(self):
        check_intervention_names(self.model, self.interventions, "interventions")
        for j, iv in enumerate(self.interventions):
            if iv.start_day < 0:
                raise ConfigError(path=f"interventions[{j}].start_day", value=iv.start_day,
                                  expected="a day >= 0 (simulate() gives no interventions during burn-in)")
        # a missing end_day ends with the run; resolved here so the saved config shows it
        object.__setattr__(self, "interventions",
                           resolve_end_day(self.interventions, self.days, "interventions", "the end of the run"))


@dataclass
class SimResult:
    """Trajectories as named arrays (participant x day x variable)."""

    config: SimConfig
    abundance: NamedArray
    host: NamedArray
    mood: NamedArray
    traits: dict[str, np.ndarray]
    wall_s: float
    extra: dict = field(default_factory=dict)
    #: species present per resident guild (participant x day x guild), the richness state
    species: NamedArray | None = None

    def summary(self) -> dict:
        """Mean of every recorded variable on the first and last recorded day."""
        out = {}
        for arr in (self.host, self.mood):
            for k, name in enumerate(arr.coords["variable"]):
                v = arr.values[:, :, k]
                out[name] = (float(np.mean(v[:, 0])), float(np.mean(v[:, -1])))
        return out


def resolve_defaults(raw: dict, cls=SimConfig) -> dict:
    """Fill partial tables from the built-in defaults, so a config can change
    one field of a built-in taxon, strain or trait without restating the rest.

    * ``model.taxa.<name>`` / ``model.strains.<name>``: merged over the
      built-in entry of that name; built-in entries not mentioned are kept;
    * ``population.traits.<name>``: built-in marginal < preset < user fields.
    """
    from .population import Traits
    from .taxa import DEFAULT_STRAINS, DEFAULT_TAXA

    raw = dict(raw)
    pop = raw.get("population", {})
    if not isinstance(pop, dict):
        raise ConfigError(path="population", value=pop, expected="a table of population settings")
    pop = dict(pop)
    preset = pop.get("preset", "community")
    user_traits = pop.get("traits", {})
    if isinstance(user_traits, dict):
        traits = preset_traits(preset) if isinstance(preset, str) else to_dict(Traits())
        pop["traits"] = deep_merge(traits, user_traits)
        raw["population"] = pop
    model = raw.get("model")
    if isinstance(model, dict):
        model = dict(model)
        for key, defaults in (("taxa", DEFAULT_TAXA), ("strains", DEFAULT_STRAINS)):
            if isinstance(model.get(key), dict):
                model[key] = deep_merge({k: to_dict(v) for k, v in defaults.items()}, model[key])
        raw["model"] = model
    return raw


def load_sim_config(path, overrides=()) -> SimConfig:
    """Read a SimConfig from TOML (with ``extends`` and ``--set`` overrides)."""
    from ..config import apply_overrides

    raw = apply_overrides(load_raw(path), list(overrides), SimConfig)
    return from_dict(SimConfig, resolve_defaults(raw))


def strains_in(interventions) -> tuple[str, ...]:
    out = []
    for iv in interventions:
        out.extend(iv.strains_used())
    return tuple(dict.fromkeys(out))


def simulate(cfg: SimConfig | dict, *, threads: int | None = None, progress: bool = False) -> SimResult:
    """Build the population, burn it in, apply the interventions and record every
    ``record_every`` days and on the last day. ``threads`` (Numba threads) applies to
    this call only.

    Timing (as for trial visits, see :mod:`probisim.trial`): the record of day d is the
    state at the *start* of day d, before that day's interventions; so day 0 is the
    state at the end of burn-in (no dose yet) and day ``days`` the state after the last
    simulated day (days 0 .. days-1 are simulated). Like one replicate trial, the population recruits at its own site:
    every trait score is shifted by a draw with SD ``population.between_trial_sd``
    (default 0.3); set it to 0 for a population at the community norm."""
    if isinstance(cfg, dict):
        cfg = from_dict(SimConfig, resolve_defaults(cfg))
    with numba_threads(threads):
        return _simulate(cfg, progress)


def _simulate(cfg: SimConfig, progress: bool) -> SimResult:
    t0 = time.perf_counter()
    model = compile_model(cfg.model, strains_in(cfg.interventions))
    pids = np.arange(cfg.n, dtype=np.uint32)
    pop = generate(model, cfg.population, pids, np.zeros(cfg.n, np.int64), cfg.seed)
    eng = Engine(model, pop, cfg.seed)
    bar = _progress(cfg.population.burn_in_days + cfg.days, progress)
    eng.burn_in(cfg.population.burn_in_days, bar)
    rec_days = list(range(0, cfg.days + 1, cfg.record_every))
    if rec_days[-1] != cfg.days:
        rec_days.append(cfg.days)  # the end of the run is always recorded
    ab = np.empty((cfg.n, len(rec_days), model.n_taxa))
    ho = np.empty((cfg.n, len(rec_days), K.N_HOST))
    mo = np.empty((cfg.n, len(rec_days), K.N_MOOD))
    sp = np.empty((cfg.n, len(rec_days), pop.SPP.shape[1]), np.int64)
    groups = [(np.arange(cfg.n), cfg.interventions)] if cfg.interventions else []
    r = 0
    for day in range(0, cfg.days + 1):
        if day == rec_days[r]:  # start of day `day`: before its interventions
            ab[:, r], ho[:, r], mo[:, r], sp[:, r] = pop.N, pop.H, pop.M, pop.SPP
            r += 1
            if r == len(rec_days):
                break
        DRV, IMM, KILL, _ = eng.drivers(day, groups)
        eng.advance(day, DRV, IMM, KILL)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    pc = {"participant": pids, "day": np.asarray(rec_days)}
    return SimResult(
        config=cfg,
        abundance=NamedArray("abundance", ab, ("participant", "day", "taxon"),
                             {**pc, "taxon": np.asarray(model.taxa)}, "cells/g"),
        host=NamedArray("host", ho, ("participant", "day", "variable"),
                        {**pc, "variable": np.asarray(K.HOST_NAMES)}, HOST_UNITS),
        mood=NamedArray("mood", mo, ("participant", "day", "variable"),
                        {**pc, "variable": np.asarray(K.MOOD_NAMES)}, "latent (community SD units)"),
        traits=pop.traits, wall_s=time.perf_counter() - t0,
        species=NamedArray("species", sp, ("participant", "day", "guild"),
                           {**pc, "guild": np.asarray([t for t, s in zip(model.taxa, model.is_strain) if not s])},
                           "species present"))


def _progress(total: int, enabled: bool, desc: str | None = None, unit: str = "day"):
    if not enabled:
        return None
    import sys

    if not sys.stderr.isatty() and not os.environ.get("PROBISIM_FORCE_PROGRESS"):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, leave=False, desc=desc)
