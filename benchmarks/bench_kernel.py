"""Day-step throughput: the Numba kernel, its NumPy reference, and the arithmetic floor.

A *participant-step* is one participant advanced by one simulated day, i.e.
``substeps_per_day`` (default 4) generalized Lotka-Volterra substeps plus the
host and mood updates.  Three implementations do the same work on the same
20-taxon model (the 11 resident guilds plus 9 strains: the 8 default strains
and one synthetic strain added through ``ModelConfig``):

* ``kernel``    -- :func:`probisim.kernels.step.step_day` (Numba; blocks of ``simd._VW``
  participants on explicit SIMD lanes, ``prange`` over ranges of blocks)
* ``reference`` -- :func:`probisim.kernels.reference.step_day` (plain NumPy, vectorised over
  participants; single-threaded: BLAS is pinned to one thread)
* ``floor``     -- :func:`probisim.kernels.floor.floor_day`: built like the kernel (same blocks,
  lanes, gather/scatter), with the same gLV matrix-vector product and the same exact
  logistic update using the same ``vecmath._expm1`` per taxon and substep, but no noise,
  diet, host modulation, host state or mood, i.e. the attainable rate of the bare arithmetic

and, timed the same way, ``richness`` -- :func:`probisim.kernels.richness.richness_day`, the
species counts of the 11 resident guilds that the engine advances after each day step (its
cost adds to the kernel's: ``richness_over_kernel_1thread`` in the ratios).

Every configuration is timed in ``--reps`` batches of at least ``--min-s``
seconds after a warm-up call, the configurations interleaved so that a busy
neighbour on a shared machine hits them alike; the best batch is reported
(the median is in the JSON too).  Compilation is timed apart:
``compile_s`` is a cold compile of ``step_day`` + ``floor_day`` in a child
process with an empty Numba cache; ``cache_load_s`` is the first call in this
process (which loads the on-disk cache).

    python benchmarks/bench_kernel.py            # table
    python benchmarks/bench_kernel.py --json     # one JSON object
    python benchmarks/bench_kernel.py --quick    # smoke run (n = 1000 only, 2 reps)

Goals (``ratios`` in the JSON): kernel/floor single thread at 10k >= 0.5,
kernel 2 threads / 1 thread at 10k >= 1.7, kernel/reference at 10k >= 3.
"""

from __future__ import annotations

import os

# the reference must not get extra cores from a multithreaded BLAS behind our back
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import llvmlite.binding as llvm  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402
from _machine import cpu_name  # noqa: E402  (benchmarks/_machine.py)

from probisim.kernels import floor, richness, rng, simd, step  # noqa: E402
from probisim.kernels import layout as K  # noqa: E402
from probisim.kernels import reference as R  # noqa: E402
from probisim.model.compile import ModelConfig, compile_model  # noqa: E402
from probisim.model.engine import DAY_OFFSET  # noqa: E402
from probisim.model.population import PopulationConfig, generate  # noqa: E402
from probisim.model.taxa import Strain  # noqa: E402

N_TAXA = 20
SEED = 2024


def bench_model():
    """11 residents + the default strains + synthetic strains up to exactly 20 taxa."""
    cfg0 = ModelConfig()
    strains = dict(cfg0.strains)
    k = 0
    while len(cfg0.taxa) + len(strains) < N_TAXA:
        strains[f"bench_synthetic_{k}"] = Strain(long_name="synthetic benchmark strain", genus="Syntheticus",
                                                 gastric_survival=0.2, growth_per_day=0.8, niche=0.3,
                                                 gaba_capacity=2.0, anti_inflammatory=0.2, barrier_support=0.1,
                                                 vagal_activity=0.2)
        k += 1
    names = tuple(strains)[: N_TAXA - len(cfg0.taxa)]
    model = compile_model(ModelConfig(strains=strains), names)
    assert model.n_taxa == N_TAXA, model.n_taxa
    return model


class Work:
    """A population of n with drivers for one ordinary dosing day."""

    def __init__(self, model, n: int):
        self.model = model
        pids = np.arange(n, dtype=np.uint32)
        pop = generate(model, PopulationConfig(), pids, np.zeros(n, np.int64), SEED)
        self.pop = pop
        S = model.n_taxa
        st = model.is_strain
        N0 = pop.N.copy()
        N0[:, st] = 1e7  # every strain present: all terms do work
        self.N0, self.H0, self.M0 = N0, pop.H.copy(), pop.M.copy()
        tr = pop.traits
        DRV = np.zeros((n, K.N_DRIVERS))
        DRV[:, K.D_FIBRE] = tr["fibre_g_per_day"]
        DRV[:, K.D_SUGAR] = tr["sugar_g_per_day"]
        DRV[:, K.D_FERM] = tr["fermented_servings_per_day"]
        DRV[:, K.D_LOAD] = tr["background_stress_load"]
        DRV[:, K.D_INULIN] = 5.0
        DRV[:, K.D_PRODUCT] = 1.0
        self.DRV = DRV
        self.IMM = DRV[:, K.D_FERM, None] * model.fermented_cells[None, :]
        self.IMM[:, st] += model.config.micro.transit_washout_per_day * 1e7
        # as the engine passes them on a day without antibiotics and without diagnostics:
        # KILL (0, S), "nobody has any kill today", and no WORK output
        self.KILL = np.zeros((0, S))
        self.keys = rng.participant_keys(SEED, pop.replicate, "dynamics")
        self.FERM = np.ascontiguousarray(DRV[:, K.D_FERM])
        self.reset()

    def reset(self):
        n, S = self.N0.shape
        self.N, self.H, self.M = self.N0.copy(), self.H0.copy(), self.M0.copy()
        self.status = np.zeros(n, np.int64)
        self.fail_day = np.zeros(n, np.int64)
        self.WORK = np.zeros((0, 2 * S))
        self.day = DAY_OFFSET
        self.SPP, self.DORM = self.pop.SPP.copy(), self.pop.DORM.copy()

    def args(self):
        m, p = self.model, self.pop
        return (self.N, self.H, self.M, p.T, p.KAPPA, p.CSENS, p.CPRESS, self.DRV, self.IMM, self.KILL, m.TP,
                m.ALPHA, m.NORMS, m.PRM, self.keys, p.pids, np.int64(self.day), self.status, self.fail_day,
                self.WORK)

    def kernel(self):
        step.step_day(*self.args())
        self.day += 1

    def reference(self):
        R.step_day(*self.args())
        self.day += 1

    def richness(self):
        m, p = self.model, self.pop
        richness.richness_day(self.SPP, self.DORM, p.EXPO, self.N0, self.KILL, self.FERM, m.RG, m.RPRM, self.keys,
                              p.pids, np.int64(self.day), self.status)
        self.day += 1

    def floor(self):
        m, p = self.model, self.pop
        floor.floor_day(self.N, p.KAPPA, p.CSENS, p.CPRESS, m.TP, m.ALPHA, m.NORMS, int(m.PRM[K.P_NSUB]), self.WORK)


def time_batch(fn, n: int, min_s: float) -> float:
    """Participant-steps/s of one batch: fn called until >= min_s seconds have elapsed."""
    calls = 0
    t0 = time.perf_counter()
    while True:
        fn()
        calls += 1
        el = time.perf_counter() - t0
        if el >= min_s:
            return n * calls / el


_COLD = """
import time, numpy as np
t0 = time.perf_counter()
from probisim.kernels import layout as K
from probisim.kernels import floor, simd, step
t1 = time.perf_counter()
n, S = 2, 20
z = lambda *s: np.zeros(s)
N = np.ones((n, S)); H = np.ones((n, K.N_HOST)); M = z(n, K.N_MOOD); T = np.ones((n, K.N_TRAITS))
TP = np.ones((S, K.N_TAXON_PARAMS)); PRM = np.ones(len(K.PARAM_NAMES)); PRM[K.P_BAR_REF] = 0.5
step.step_day(N, H, M, T, np.ones((n, S)), np.ones((n, S)), np.ones((n, S)), z(n, K.N_DRIVERS), z(n, S), z(n, S),
           TP, z(S, S), np.ones(K.N_NORMS), PRM, np.zeros((n, 2), np.uint32), np.arange(n, dtype=np.uint32),
           np.int64(0), np.zeros(n, np.int64), np.zeros(n, np.int64), z(n, 2 * S))
t2 = time.perf_counter()
floor.floor_day(N, np.ones((n, S)), np.ones((n, S)), np.ones((n, S)), TP, z(S, S), np.ones(K.N_NORMS), 4, z(n, 2 * S))
t3 = time.perf_counter()
print(t2 - t1, t3 - t2)
"""


def cold_compile_s() -> dict:
    """Compile step_day and floor_day from scratch in a child with an empty cache dir."""
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "NUMBA_CACHE_DIR": d}
        out = subprocess.run([sys.executable, "-c", _COLD], env=env, capture_output=True, text=True, check=True)
    a, b = (float(x) for x in out.stdout.split())
    return {"step_day": a, "floor_day": b}


def machine() -> dict:
    cpu = cpu_name()
    return {"cpu": cpu, "cores": os.cpu_count(), "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
            "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
            "llvm": ".".join(map(str, llvm.llvm_version_info)), "simd_lanes": simd._VW,
            "platform": platform.platform(), "load_avg": os.getloadavg()}


def run(args) -> dict:
    model = bench_model()
    sizes = [1000] if args.quick else [int(x) for x in args.sizes.split(",")]
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    reps = 2 if args.quick else args.reps
    min_s = 0.05 if args.quick else args.min_s
    out = {"machine": machine(), "step": f"one participant advanced one day = {int(model.PRM[K.P_NSUB])} gLV "
                                        "substeps + host + mood", "taxa": N_TAXA, "results": []}
    # first call in this process: cache load (or compile if the cache is cold)
    w = Work(model, 16)
    t0 = time.perf_counter()
    w.kernel()
    t1 = time.perf_counter()
    w.floor()
    t2 = time.perf_counter()
    out["cache_load_s"] = {"step_day": t1 - t0, "floor_day": t2 - t1}
    cold = cold_compile_s() if not args.no_cold else None
    out["compile_s"] = (cold["step_day"] + cold["floor_day"]) if cold else None
    out["compile_detail_s"] = cold
    before = numba.get_num_threads()
    res = out["results"]
    try:
        for n in sizes:
            w = Work(model, n)
            configs = [(impl, t) for t in threads for impl in ("kernel", "floor", "richness")]
            if n <= args.ref_max_n:
                configs.append(("reference", 1))
            rates = {c: [] for c in configs}
            for c in configs:  # warm-up: first touch of the arrays, caches
                numba.set_num_threads(c[1])
                getattr(w, c[0])()
            # interleave the configurations so that a noisy neighbour hits all of them alike
            for _ in range(reps):
                for impl, t in configs:
                    numba.set_num_threads(t)
                    w.reset()
                    rates[(impl, t)].append(time_batch(getattr(w, impl), n, min_s))
                    assert (w.status == K.STATUS_OK).all()
            for (impl, t), r in rates.items():
                res.append({"impl": impl, "n": n, "taxa": N_TAXA, "threads": t,
                            "participant_steps_per_s": max(r), "median_participant_steps_per_s": statistics.median(r),
                            "reps": len(r)})
                _progress(res[-1], args)
    finally:
        numba.set_num_threads(before)

    def rate(impl, n, t):
        for r in res:
            if r["impl"] == impl and r["n"] == n and r["threads"] == t:
                return r["participant_steps_per_s"]
        return None

    nn = 10_000 if 10_000 in sizes else sizes[-1]

    def ratio(a, b):
        return a / b if a and b else None

    out["ratios"] = {
        "n": nn,
        "kernel_over_floor_1thread": ratio(rate("kernel", nn, 1), rate("floor", nn, 1)),
        "kernel_2threads_over_1thread": ratio(rate("kernel", nn, 2), rate("kernel", nn, 1)),
        "kernel_over_reference_1thread": ratio(rate("kernel", nn, 1), rate("reference", nn, 1)),
        "kernel_2threads_over_reference": ratio(rate("kernel", nn, 2), rate("reference", nn, 1)),
        "floor_2threads_over_1thread": ratio(rate("floor", nn, 2), rate("floor", nn, 1)),
        # participant-steps/s are inverse costs: this is the richness cost over the day step's
        "richness_over_kernel_1thread": ratio(rate("kernel", nn, 1), rate("richness", nn, 1)),
        "richness_2threads_over_1thread": ratio(rate("richness", nn, 2), rate("richness", nn, 1)),
    }
    out["goals"] = {"kernel_over_floor_1thread": 0.5, "kernel_2threads_over_1thread": 1.7,
                    "kernel_over_reference_1thread": 3.0}
    return out


def _progress(r, args):
    if not args.json:
        print(f"  {r['impl']:<9} n={r['n']:>7} threads={r['threads']}  "
              f"{r['participant_steps_per_s']:>12,.0f} participant-steps/s", file=sys.stderr, flush=True)


def table(out: dict) -> str:
    m = out["machine"]
    lines = [f"CPU: {m['cpu']} ({m['cores']} cores), numba {m['numba']} (LLVM {m['llvm']}), numpy {m['numpy']}, "
             f"{m['simd_lanes']} SIMD lanes, load avg {', '.join(f'{x:.2f}' for x in m['load_avg'])}",
             f"step = {out['step']}; {out['taxa']} taxa; best of reps", "",
             f"{'impl':<10} {'n':>8} {'threads':>7} {'participant-steps/s':>20} {'us/participant-step':>20}"]
    for r in out["results"]:
        v = r["participant_steps_per_s"]
        lines.append(f"{r['impl']:<10} {r['n']:>8} {r['threads']:>7} {v:>20,.0f} {1e6 / v:>20.2f}")
    lines.append("")
    cl = out["cache_load_s"]
    if out["compile_s"] is not None:
        d = out["compile_detail_s"]
        lines.append(f"cold compile: {out['compile_s']:.1f} s (step_day {d['step_day']:.1f} s, "
                     f"floor_day {d['floor_day']:.1f} s); cached first call: step_day {cl['step_day']:.2f} s, "
                     f"floor_day {cl['floor_day']:.2f} s")
    rt, goals = out["ratios"], out["goals"]
    lines.append(f"ratios at n = {rt['n']}:")
    for k, v in rt.items():
        if k == "n" or v is None:
            continue
        g = goals.get(k)
        lines.append(f"  {k:<32} {v:6.2f}" + (f"   (goal >= {g}: {'met' if v >= g else 'MISSED'})" if g else ""))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quick", action="store_true", help="smoke run: n = 1000, 2 short reps")
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated population sizes")
    ap.add_argument("--reps", type=int, default=7, help="timed batches per configuration (interleaved)")
    ap.add_argument("--min-s", type=float, default=0.15, help="minimum seconds per timed batch")
    ap.add_argument("--ref-max-n", type=int, default=100_000, help="largest n for the NumPy reference")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-compile child process")
    args = ap.parse_args(argv)
    out = run(args)
    if args.json:
        print(json.dumps(out))
    else:
        print(table(out))


if __name__ == "__main__":
    main()
