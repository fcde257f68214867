"""Enrolment: candidates, burn-in and the screening visit, until every replicate is full.

Candidates are drawn from the source population in batches, each replicate
trial continuing its own participant-id sequence. A batch is burned in to its
own quasi-steady state over ``population.burn_in_days`` days ending the day
before screening, then screened on noisy instruments at the start of day
``-screening.days_before_baseline`` (screen failures are counted; regression to
the mean follows by itself). The first ``n_randomized`` eligible candidates of
each replicate, in pid order, are enrolled. Everything a candidate gets is keyed
by (replicate, pid), so batch sizes never change anyone's numbers, and neither
does which other replicates are enrolled in the same call: replicates ``first
.. first + R - 1`` enrolled alone are those replicates of a larger run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ConfigError
from ..kernels import rng
from ..model import Engine, Population, generate
from ..model.engine import _progress, habituation_day
from .design import TrialConfig, screening_instruments
from .recall import RecallRing
from .visits import administer_instruments

__all__ = ["Enrolment", "enrol", "concat_populations"]


@dataclass
class Enrolment:
    """The enrolled participants of every replicate, ordered by (replicate, pid)."""

    population: Population  # state at the start of the screening day
    screening_scores: dict[str, np.ndarray]  # every score of the screening instruments
    recall: RecallRing  # latent states of the days before screening (burn-in)
    screened: np.ndarray  # (R,) candidates screened per replicate
    first: int = 0  # replicate index of row block 0 (population.replicate holds first .. first + R - 1)


def enrol(cfg: TrialConfig, model, R: int, seed: int, progress: bool = False, first: int = 0) -> Enrolment:
    """Burn in candidates, screen them, keep the first ``n_randomized`` eligible per
    replicate, for the replicates ``first`` .. ``first + R - 1``."""
    n_need = cfg.n_randomized
    have = np.zeros(R, np.int64)  # enrolled so far, per replicate
    next_pid = np.zeros(R, np.int64)
    screened = np.zeros(R, np.int64)
    rate = 1.0  # running eligibility rate: sizes the next batch
    kept = []
    batch = 0
    while (have < n_need).any():
        short = np.flatnonzero(have < n_need)
        reps, pids = _candidates(cfg, short, have, next_pid, rate)
        batch += 1
        bar = f"burn-in and screening, batch {batch} ({pids.size} candidates)" if progress else None
        pop, recall = _burn_in(cfg, model, reps + first, pids, seed, bar)
        scores, ok = _screen(cfg, recall, reps + first, pids, seed)
        take = _take_first_eligible(short, reps, ok, have, screened, n_need)
        rate = max(ok.mean(), 1e-3)
        kept.append((pop.subset(np.flatnonzero(take)), {k: v[take] for k, v in scores.items()}, recall.take(take)))
    out = _in_pid_order(kept, screened)
    out.first = int(first)
    return out


def _candidates(cfg: TrialConfig, short, have, next_pid, rate):
    """The next batch's (replicate, pid) for the replicates still ``short``: enough to
    fill the shortfall at the running eligibility rate, with margin, but no more than
    the screening budget (``max_screened_per_randomized`` candidates per randomized
    participant) has left. Advances ``next_pid``; a replicate still short when its
    budget is spent is an error. (A small batch in which nobody happened to be
    eligible must not end the trial: the budget, not one batch's rate, decides.)"""
    n_need = cfg.n_randomized
    if cfg.screening.criteria:
        want = ((n_need - have[short]) / max(rate, 1e-3) * 1.15 + 4).astype(np.int64)
    else:  # everyone is eligible: no margin, no candidate burned in for nothing
        want = (n_need - have[short]).astype(np.int64)
    left = (int(cfg.screening.max_screened_per_randomized * n_need) - next_pid[short]).astype(np.int64)
    want = np.minimum(want, left)
    if (want <= 0).any():
        raise ConfigError(path="screening.criteria", value=[(c.score, c.min, c.max) for c in cfg.screening.criteria],
                          expected=f"criteria that at least 1 in {cfg.screening.max_screened_per_randomized:g} "
                                   f"candidates meet (observed eligibility {rate:.3%})")
    reps = np.repeat(short, want)
    pids = np.concatenate([np.arange(next_pid[r], next_pid[r] + w) for r, w in zip(short, want)]).astype(np.uint32)
    next_pid[short] += want
    return reps, pids


def _burn_in(cfg: TrialConfig, model, reps, pids, seed, bar_desc: str | None):
    """Generate the candidates and simulate the burn-in: the days before the screening
    visit, which measures the start of day ``-lead``. Every day's end state goes to
    the recall ring, so the screening instruments recall burn-in days. A progress
    bar titled ``bar_desc`` unless it is None."""
    burn, lead = cfg.population.burn_in_days, cfg.screening.days_before_baseline
    pop = generate(model, cfg.population, pids, reps, seed)
    eng = Engine(model, pop, seed)
    eng.habituation_day = habituation_day(-burn - lead, -lead)
    recall = RecallRing.filled_with(pop.M)
    bar = _progress(burn, bar_desc is not None, desc=bar_desc)
    # no interventions before screening: every burn-in day has the same drivers
    # (habitual diet and stress), which the kernel only reads
    DRV, IMM, KILL, _ = eng.drivers(-burn - lead)
    for d in range(-burn - lead, -lead):
        eng.advance(d, DRV, IMM, KILL)
        recall.record(d, pop.M)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return pop, recall


def _screen(cfg: TrialConfig, recall: RecallRing, reps, pids, seed):
    """The screening visit at the start of day ``-lead``: the scores of the instruments
    the criteria use, and who meets every criterion."""
    ikeys = rng.participant_keys(seed, reps, "instruments")
    scores = administer_instruments(screening_instruments(cfg), recall, -cfg.screening.days_before_baseline,
                                    ikeys, pids)
    ok = np.ones(pids.size, bool)
    for c in cfg.screening.criteria:
        s = scores[c.score]
        if c.min is not None:
            ok &= s >= c.min
        if c.max is not None:
            ok &= s <= c.max
    return scores, ok


def _take_first_eligible(short, reps, ok, have, screened, n_need) -> np.ndarray:
    """Mask of the batch's candidates enrolled: the first eligible ones of each short
    replicate, in pid order. Adds to ``have`` and ``screened`` (screened = up to and
    including the last one taken, or the whole batch if the replicate is still short)."""
    take = np.zeros(reps.size, bool)
    for r in short:
        sel = np.flatnonzero((reps == r) & ok)[: n_need - have[r]]
        take[sel] = True
        have[r] += sel.size
        last = np.flatnonzero(reps == r)
        screened[r] += (last.size if have[r] < n_need else int(np.searchsorted(last, sel[-1]) + 1)) \
            if sel.size else last.size
    return take


def _in_pid_order(kept, screened) -> Enrolment:
    """Stack the batches' enrolled participants and order them by (replicate, pid)."""
    pop = concat_populations([p for p, _, _ in kept])
    scores = {k: np.concatenate([s[k] for _, s, _ in kept]) for k in kept[0][1]}
    order = np.lexsort((pop.pids, pop.replicate))
    recall = RecallRing.concat([r for _, _, r in kept]).take(order)
    return Enrolment(population=pop.subset(order), screening_scores={k: v[order] for k, v in scores.items()},
                     recall=recall, screened=screened)


def concat_populations(pops: list[Population]) -> Population:
    """The participants of several populations, stacked in order (a copy)."""
    cat = np.concatenate
    return Population(pids=cat([p.pids for p in pops]), replicate=cat([p.replicate for p in pops]),
                      traits={k: cat([p.traits[k] for p in pops]) for k in pops[0].traits},
                      T=cat([p.T for p in pops]), KAPPA=cat([p.KAPPA for p in pops]),
                      CSENS=cat([p.CSENS for p in pops]), CPRESS=cat([p.CPRESS for p in pops]),
                      N=cat([p.N for p in pops]), H=cat([p.H for p in pops]), M=cat([p.M for p in pops]),
                      SPP=cat([p.SPP for p in pops]), DORM=cat([p.DORM for p in pops]),
                      EXPO=cat([p.EXPO for p in pops]))
