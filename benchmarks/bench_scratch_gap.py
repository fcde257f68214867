"""Two threads, two scratch rows: how far apart must they be?

Each thread of :func:`probisim.kernels.step_day` advances its participants
through a private scratch row (about 30 KiB at 20 taxa). This benchmark puts
the two threads' rows at chosen distances inside one buffer and measures the
*two-thread efficiency*: the time of thread 0 alone on its half of the work
divided by the time of both threads, each on its own half, running together
(1.0 = the second thread costs the first nothing). The two halves are separate
populations of ``--n`` participants, so nothing but the scratch distance
changes between rows of the table. Rounds of "thread 0 alone" and "both
threads" are interleaved so a busy neighbour hits both alike; the efficiency
is the median over rounds of the paired ratio (and the ratio of the best
times).

    python benchmarks/bench_scratch_gap.py                 # default distances
    python benchmarks/bench_scratch_gap.py --kib 30,64,66,96 --rounds 30
    python benchmarks/bench_scratch_gap.py --json

The kernel's own spacing (``blocks._thread_scratch``) is always included as
the row marked ``kernel``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numba
import numpy as np
from numba import njit, prange

from probisim.kernels import blocks, scratch, simd, step
from probisim.kernels import layout as K

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_kernel import Work, bench_model, machine  # noqa: E402


@njit(error_model="numpy")
def _one_thread(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                status, fail_day, WORK, sc, isc):
    """What one thread of _step_day does, for all of one population, with the given scratch."""
    n = N.shape[0]
    act = np.arange(n)
    modidx, nmod = blocks._modulated_taxa(TP)
    counters = blocks._block_ranges((n + simd._VW - 1) // simd._VW, 1)
    step._step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                   status, fail_day, WORK, act, np.int64(n), modidx, nmod, counters, np.int64(0), np.int64(1),
                   sc, isc)


@njit(parallel=True, error_model="numpy")
def _pair(a, b, sc0, isc0, sc1, isc1, both):
    for t in prange(2):
        if t == 0:
            _one_thread(*a, sc0, isc0)
        elif both:
            _one_thread(*b, sc1, isc1)


def efficiency(wa, wb, sc0, sc1, isc, rounds, calls):
    def step(both):
        _pair(wa.args(), wb.args(), sc0, isc[0], sc1, isc[1], both)
        wa.day += 1
        wb.day += 1

    step(True)
    alone, together = [], []
    for _ in range(rounds):
        for both, acc in ((False, alone), (True, together)):
            wa.reset()
            wb.reset()
            t0 = time.perf_counter()
            for _ in range(calls):
                step(both)
            acc.append((time.perf_counter() - t0) / calls)
            assert (wa.status == K.STATUS_OK).all() and (wb.status == K.STATUS_OK).all()
    paired = statistics.median(a / b for a, b in zip(alone, together))
    return {"efficiency": paired, "efficiency_best": min(alone) / min(together),
            "alone_ms": 1e3 * min(alone), "together_ms": 1e3 * min(together)}


def _usage_error(msg: str):
    print(f"bench_scratch_gap.py: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def _kib_list(text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers of KiB") from None
    if not vals or any(not v > 0 for v in vals):
        raise argparse.ArgumentTypeError(f"{text!r}: expected positive numbers of KiB")
    return vals


def run(args) -> dict:
    if numba.config.NUMBA_NUM_THREADS < 2:
        _usage_error(f"needs 2 Numba threads, this machine allows {numba.config.NUMBA_NUM_THREADS}")
    numba.set_num_threads(2)
    model = bench_model()
    S = model.n_taxa
    width = scratch.width(S)
    kernel_stride = blocks._thread_scratch(2, width).shape[1]  # float64 between the kernel's rows
    gaps = [("kernel", kernel_stride)] + [(f"{k:g} KiB", int(round(k * 1024 / 8))) for k in args.kib]
    too_close = [name for name, d in gaps if d < width]
    if too_close:
        _usage_error(f"--kib: {', '.join(too_close)} is closer than one scratch row "
                     f"({width * 8 / 1024:.1f} KiB at {S} taxa); expected distances of at least that")
    wa, wb = Work(model, args.n), Work(model, args.n)
    isc = np.empty((2, scratch.ISC_WORDS + 16), np.uint32)
    buf = np.empty(max(d for _, d in gaps) + width + 512)
    base = (-buf.ctypes.data // 8) % 512  # first element on a 4 KiB boundary
    out = {"machine": machine(), "n_per_thread": args.n, "taxa": S, "row_kib": width * 8 / 1024,
           "rounds": args.rounds, "results": []}
    for name, d in gaps:
        sc0 = buf[base: base + width]
        sc1 = buf[base + d: base + d + width]
        r = {"distance": name, "distance_kib": d * 8 / 1024,
             **efficiency(wa, wb, sc0, sc1, isc, args.rounds, args.calls)}
        out["results"].append(r)
        if not args.json:
            print(f"  {name:>10}  {r['distance_kib']:8.1f} KiB apart: efficiency {r['efficiency']:.3f} "
                  f"(best/best {r['efficiency_best']:.3f})", file=sys.stderr, flush=True)
    return out


def table(out: dict) -> str:
    m = out["machine"]
    lines = [f"CPU: {m['cpu']} ({m['cores']} cores); {out['n_per_thread']} participants per thread, "
             f"{out['taxa']} taxa, scratch row {out['row_kib']:.1f} KiB, {out['rounds']} rounds",
             "", f"{'rows':>10} {'KiB apart':>10} {'efficiency':>11} {'best/best':>10} {'alone ms':>9} {'both ms':>8}"]
    for r in out["results"]:
        lines.append(f"{r['distance']:>10} {r['distance_kib']:>10.1f} {r['efficiency']:>11.3f} "
                     f"{r['efficiency_best']:>10.3f} {r['alone_ms']:>9.2f} {r['together_ms']:>8.2f}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kib", type=_kib_list, default="30,32,48,64,66,80,96,128,256",
                    help="comma-separated distances between the two rows, KiB (at least one row)")
    ap.add_argument("--n", type=int, default=5000, help="participants per thread (at least 1)")
    ap.add_argument("--rounds", type=int, default=20, help="interleaved rounds per distance")
    ap.add_argument("--calls", type=int, default=10, help="day steps per timed batch")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    for k in ("n", "rounds", "calls"):
        if getattr(args, k) < 1:
            ap.error(f"--{k} {getattr(args, k)}: expected at least 1")
    out = run(args)
    print(json.dumps(out) if args.json else table(out))


if __name__ == "__main__":
    main()
