"""Randomized placebo-controlled trials on top of the engine: :func:`run_trial`.

One call runs R replicate trials, as one population through the kernel or in
contiguous blocks of replicates ("shards", :func:`simulate_shard`), in five
stages around one :class:`~.state.TrialState` per shard:

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
4. **tables** (:mod:`.tables`): participants, visits and biomarkers, per-arm
   trajectory rows, individual effects;
5. **analysis** (:mod:`.analyse`): every endpoint per replicate, and the decision
   tests the interim looks and the power curve need.

Every random number of a replicate depends only on (seed, replicate index,
participant id), never on which other replicates share its shard, so a shard
gives exactly the rows a run of all replicates gives for those replicates.
:func:`combine` stacks the shards in replicate order and computes everything
across replicates once (long tables, trajectories, summaries, multiplicity,
interim decisions, power curve). A run of one shard goes the same way, so any
number of shards, run here or on Dask workers (``executor``), writes the same
bytes.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..model import compile_model, strains_in
from ..model.engine import _progress, numba_threads
from .analyse import analyse_block, comparison_list, summarize_endpoints
from .decisions import curve_pvalues, multiplicity_summary, n_for_target, power_curve
from .design import TrialConfig
from .enrol import enrol
from .interim import interim_analysis, interim_z
from .loop import run_days
from .randomize import randomize
from .state import start_trial
from .tables import Tables, build_tables, combine_tables

__all__ = ["TrialResult", "run_trial", "ShardSpec", "Shard", "shard_specs", "simulate_shard", "combine"]


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
    threads: int | None = None  # Numba threads the run used (per worker with an executor)
    power_curve: dict[str, np.ndarray] | None = None  # comparison x n: simulated power (see .decisions)
    decisions: dict = field(default_factory=dict)  # multiplicity, n for the target power, interim looks
    executor: str = "local"  # where the shards ran: "local" (this process) or the executor's description
    shards: int = 1  # blocks of replicates simulated separately (no effect on the results)

    def comparisons(self) -> list[str]:
        return list(self.per_replicate)


class ShardSpec(NamedTuple):
    """The replicates ``first`` .. ``first + count - 1``."""

    first: int
    count: int

    @property
    def task_id(self) -> str:  # the label executors give the task
        return f"replicates-{self.first}-{self.first + self.count - 1}"


def shard_specs(R: int, shards: int = 1) -> list[ShardSpec]:
    """``shards`` contiguous blocks covering replicates 0 .. R-1, sizes differing by at
    most one (the first ``R % shards`` one larger). Every block holds at least two
    replicates (at most R // 2 blocks): NumPy reduces a single row of a (m, R) array
    in another summation order than two or more, so a one-replicate block would not
    give the bits of its row in a larger block (e.g. Rubin's rules over imputations)."""
    k = max(1, min(int(shards), int(R) // 2))
    q, r = divmod(int(R), k)
    sizes = [q + 1] * r + [q] * (k - r)
    firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    return [ShardSpec(int(f), int(c)) for f, c in zip(firsts, sizes)]


@dataclass
class Shard:
    """What one block of replicates contributes to a run (see :func:`combine`)."""

    spec: ShardSpec
    tables: Tables  # participants, observed visit scores and biomarkers, trajectory rows, individual effects
    screened: np.ndarray  # (count,) candidates screened per replicate
    per_rep: dict[str, dict[str, np.ndarray]]  # the per-replicate analysis of every comparison
    counts: dict[str, dict]  # responder / remission counts of every comparison (Fisher tests at combine)
    interim_z: np.ndarray | None  # (count, looks) primary comparison's benefit z
    curve_p: np.ndarray | None  # (sizes, count, comparisons) decision test p at each n of the power curve
    timings: dict[str, float]
    threads: int  # Numba threads it ran with


def run_trial(cfg: TrialConfig, *, replicates: int | None = None, seed: int | None = None,
              threads: int | None = None, progress: bool = False, shards: int | None = None,
              executor=None) -> TrialResult:
    """Run ``replicates`` replicate trials of ``cfg``; see the module docstring.

    ``threads`` (Numba threads) applies to this call only. ``shards`` splits the
    replicates into that many contiguous blocks (default 1), simulated one after
    another here or, with ``executor`` (anything with the ``map_unordered(fn,
    items)`` of :mod:`probisim.sweep.executors`, e.g. a Dask executor), on its
    workers (with their own thread setting; ``threads`` is not used there). The
    results are the same bytes for any ``shards`` and executor."""
    t0 = time.perf_counter()
    R = int(replicates if replicates is not None else cfg.replicates)
    seed = int(seed if seed is not None else cfg.seed)
    specs = shard_specs(R, shards or 1)
    if executor is None:
        blocks = [simulate_shard(cfg, seed, s, progress=progress, threads=threads) for s in specs]
    else:
        blocks = _map_shards(executor, functools.partial(simulate_shard, cfg, seed), specs, progress)
    res = combine(cfg, blocks)
    res.wall_s = time.perf_counter() - t0
    if executor is not None:
        res.executor = executor.describe()
    return res


def _map_shards(executor, fn, specs: list[ShardSpec], progress: bool) -> list[Shard]:
    """``fn(spec)`` of every shard through ``executor``; a shard's exception is raised."""
    bar = _progress(len(specs), progress, desc=f"{len(specs)} shards on {executor.describe()}", unit="shard")
    out = []
    try:
        for _, res in executor.map_unordered(fn, specs):
            if isinstance(res, BaseException):
                raise res
            out.append(res)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return out


def simulate_shard(cfg: TrialConfig, seed: int, spec: ShardSpec, progress: bool = False,
                   threads: int | None = None) -> Shard:
    """Stages 1-5 of the module docstring for the replicates of ``spec``, timed."""
    import numba

    first, R = spec
    with numba_threads(threads):
        t0 = time.perf_counter()
        model = compile_model(cfg.model, strains_in([iv for a in cfg.arms for iv in a.interventions]))
        enrolled = enrol(cfg, model, R, seed, progress, first=first)  # 1. enrol
        timings = {"enrol_s": time.perf_counter() - t0}
        state = start_trial(cfg, model, enrolled, randomize(cfg, enrolled, R, seed), seed)  # 2. randomize
        t1 = time.perf_counter()
        run_days(state, progress)  # 3. the day loop
        timings["simulate_s"] = time.perf_counter() - t1
        tables = build_tables(state, enrolled.screening_scores)  # 4. tables
        t2 = time.perf_counter()
        per_rep, counts = analyse_block(state, tables.order)  # 5. analysis of the block
        z = interim_z(state, tables.order, primary_key(cfg))
        p = curve_pvalues(state, tables.order)
        timings["analysis_s"] = time.perf_counter() - t2
        used = int(numba.get_num_threads())  # read inside: the caller's setting is restored on exit
    return Shard(spec=spec, tables=tables._replace(order=None), screened=enrolled.screened, per_rep=per_rep,
                 counts=counts, interim_z=z, curve_p=p, timings=timings, threads=used)


def combine(cfg: TrialConfig, shards: list[Shard]) -> TrialResult:
    """The result of a run from its shards (any order; together they must cover
    replicates 0 .. R-1): stacked in replicate order, then every across-replicate
    summary, computed once."""
    blocks = sorted(shards, key=lambda b: b.spec.first)
    expect = 0
    for b in blocks:
        if b.spec.first != expect:
            raise ValueError(f"shards do not cover the replicates contiguously: replicate {expect} is missing "
                             f"or duplicated (next shard starts at {b.spec.first})")
        expect += b.spec.count
    R = expect
    cat = np.concatenate
    tabs = combine_tables([b.tables for b in blocks], [a.name for a in cfg.arms])
    t0 = time.perf_counter()  # the tables are not timed (as in a shard); the rest is analysis
    per_rep = {k: {f: cat([b.per_rep[k][f] for b in blocks]) for f in v} for k, v in blocks[0].per_rep.items()}
    counts = {k: {name: tuple(cat([b.counts[k][name][i] for b in blocks]) for i in range(4)) for name in v}
              for k, v in blocks[0].counts.items()}
    summary = summarize_endpoints(cfg, per_rep, counts)
    decisions = {"multiplicity": multiplicity_summary(cfg, per_rep, summary)}
    z = None if blocks[0].interim_z is None else cat([b.interim_z for b in blocks])
    primary = primary_key(cfg)
    interim = interim_analysis(cfg, z, per_rep, primary)
    if interim is not None:
        decisions["interim"] = interim
    curve = power_curve(cfg, None if blocks[0].curve_p is None else cat([b.curve_p for b in blocks], axis=1))
    if curve is not None:
        decisions["n_for_target"] = n_for_target(curve, primary, cfg.power.target,
                                                 adjusted=cfg.analysis.multiplicity != "none")
    timings = {k: float(sum(b.timings[k] for b in blocks)) for k in blocks[0].timings}
    timings["analysis_s"] += time.perf_counter() - t0
    return TrialResult(config=cfg, visits=tabs["visits"], participants=tabs["participants"],
                       biomarkers=tabs["biomarkers"], per_replicate=per_rep, summary=summary,
                       screening={"replicate": np.arange(R), "screened": cat([b.screened for b in blocks]),
                                  "randomized": np.full(R, cfg.n_randomized)},
                       trajectories=tabs["trajectories"], individual_effects=tabs["individual_effects"],
                       wall_s=float(sum(b.timings[k] for b in blocks for k in b.timings)), timings=timings,
                       threads=max(b.threads for b in blocks), power_curve=curve, decisions=decisions,
                       shards=len(blocks))


def primary_key(cfg: TrialConfig) -> str:
    """The first comparison of a primary endpoint (else the first comparison), from the config."""
    comps = comparison_list(cfg)
    return next((k for k, e, _, _ in comps if e.primary), comps[0][0])

