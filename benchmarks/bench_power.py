"""Cost of a simulated power curve against one run at its largest n.

The workload is ``bench_trial.py``'s two-arm trial (R0052 + R0175 vs placebo,
community adults, 60-day burn-in, 7-day run-in, 6 weeks + 4 weeks follow-up,
DASS-21, ANCOVA with 20 multiple imputations, no 16S), at the largest sample
size of the curve. Two runs of ``run_trial`` with the same seed and replicates:

* ``single``: the design at n = max(sizes), no power curve;
* ``curve``: the same design with ``[power] n_randomized = sizes``. Every replicate
  trial is simulated once at the largest n, and each smaller n is analysed on the
  first participants in randomization order (common random numbers across n).

Goal (issue 12): with the six sizes 40, 60, 80, 120, 160, 240 and 1000
replicates, ``curve`` costs at most 1.5 times ``single`` (``ratio``). Both runs go
in one child process with ``NUMBA_NUM_THREADS`` (and BLAS threads) set to
``--threads`` before anything is imported, after an untimed warm-up that compiles
the kernels; with ``--rounds`` > 1 the two alternate, and the ratio of each
round and of the best times are reported, so a busy machine slows both alike.
The curve's power at the largest n must equal the single run's power (same
trials, same analysis); the benchmark checks it.

    python benchmarks/bench_power.py                 # 1000 replicates, 2 threads
    python benchmarks/bench_power.py --json
    python benchmarks/bench_power.py --replicates 50 --rounds 1   # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import cpu_name  # benchmarks/_machine.py
from bench_trial import raw_config  # the workload

GOAL_RATIO = 1.5
SIZES = (40, 60, 80, 120, 160, 240)


def _configs(seed: int, sizes: tuple[int, ...]):
    from probisim.config import from_dict
    from probisim.model.engine import resolve_defaults
    from probisim.trial import TrialConfig

    raw = raw_config(seed, [], no_16s=True)
    raw["name"] = "bench_power"
    raw["n_randomized"] = max(sizes)
    single = from_dict(TrialConfig, resolve_defaults(dict(raw)))
    curve = from_dict(TrialConfig, resolve_defaults({**raw, "power": {"n_randomized": list(sizes)}}))
    return single, curve


def child_main(args) -> int:
    from probisim.trial import run_trial

    sizes = tuple(int(x) for x in args.sizes.split(","))
    single, curve = _configs(args.seed, sizes)
    t0 = time.perf_counter()
    run_trial(curve, replicates=args.warmup_replicates, seed=args.seed + 1)
    warmup_s = time.perf_counter() - t0
    times = {"single": [], "curve": []}
    key = p_single = pc = None
    for _ in range(args.rounds):
        for name, cfg in (("single", single), ("curve", curve)):
            t0 = time.perf_counter()
            res = run_trial(cfg, replicates=args.replicates, seed=args.seed)
            times[name].append(time.perf_counter() - t0)
            if name == "single":  # keep only what is compared, not two runs' tables at once
                key = next(iter(res.summary))
                p_single = res.summary[key]["power"]["ancova_itt"]["power"]
            else:
                pc = res.power_curve
            del res
    row = {"sizes": list(sizes), "replicates": args.replicates, "rounds": args.rounds,
           "threads": int(os.environ.get("NUMBA_NUM_THREADS", "0")), "warmup_s": round(warmup_s, 3),
           "single_s": [round(t, 3) for t in times["single"]], "curve_s": [round(t, 3) for t in times["curve"]],
           "ratio_per_round": [round(c / s, 4) for s, c in zip(times["single"], times["curve"])],
           "ratio_best": round(min(times["curve"]) / min(times["single"]), 4),
           "primary": key, "power_single": p_single,
           "power_curve": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in pc.items()}}
    Path(args._child_out).write_text(json.dumps(row, default=str))
    return 0


def _curve_power_at_largest(row: dict) -> float | None:
    """The primary comparison's power at the largest n, from the curve's table."""
    pc = row["power_curve"]
    n, power = pc.get("n"), pc.get("power")
    if n is None or power is None:
        return None
    comp = pc.get("comparison")
    largest = max(n)
    for i, ni in enumerate(n):
        if ni == largest and (comp is None or comp[i] == row["primary"]):
            return float(power[i])
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicates", type=int, default=1000)
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="sample sizes of the curve")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=1, help="alternating single/curve pairs (default 1)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--warmup-replicates", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--_child-out", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        p.error(f"--sizes {args.sizes!r}: expected comma-separated integers, e.g. 40,60,80")
    if len(sizes) < 2 or sizes[0] < 4:
        p.error(f"--sizes {args.sizes!r}: expected at least two sizes of 4 or more")
    if args.replicates < 2 or args.rounds < 1 or args.threads < 1:
        p.error("--replicates >= 2, --rounds >= 1 and --threads >= 1 expected")
    if args._child_out:
        return child_main(args)

    env = dict(os.environ)
    for v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = str(args.threads)
    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench_power_") as tmp:
        out = Path(tmp) / "child.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_child-out", str(out),
               "--replicates", str(args.replicates), "--sizes", ",".join(map(str, sizes)),
               "--rounds", str(args.rounds), "--seed", str(args.seed),
               "--warmup-replicates", str(args.warmup_replicates)]
        proc = subprocess.Popen(cmd, env=env, stdout=sys.stderr.fileno())
        _, status, ru = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"bench_power: the child failed (exit {os.waitstatus_to_exitcode(status)})", file=sys.stderr)
            return 1
        row = json.loads(out.read_text())
    row["peak_rss_mib"] = round(ru.ru_maxrss / 1024, 1)
    at_largest = _curve_power_at_largest(row)
    row["curve_power_at_largest_n"] = at_largest
    row["curve_matches_single_at_largest_n"] = at_largest is not None and at_largest == row["power_single"]
    judged = args.replicates >= 1000 and tuple(sizes) == SIZES
    res = {"machine": {"cpu": cpu_name(), "load_avg_start": load, "python": sys.version.split()[0]},
           "result": row,
           "goal": {"ratio": GOAL_RATIO, "measured_ratio": row["ratio_best"], "judged": judged,
                    "met": bool(judged and row["ratio_best"] <= GOAL_RATIO),
                    "note": "judged at 1000 replicates on the sizes 40, 60, 80, 120, 160, 240 only"}}
    if args.json:
        print(json.dumps(res))
        return 0
    g = res["goal"]
    print(f"CPU: {res['machine']['cpu']}; load avg at start {load}; {row['threads']} threads")
    print(f"power curve at n = {', '.join(map(str, row['sizes']))}; {row['replicates']} replicate trials; "
          f"{row['rounds']} round(s); peak RSS {row['peak_rss_mib']:.0f} MiB")
    print("| run | wall s (each round) |")
    print("| --- | --- |")
    print(f"| single run at n = {max(sizes)} | {', '.join(f'{t:.2f}' for t in row['single_s'])} |")
    print(f"| power curve ({len(sizes)} sizes) | {', '.join(f'{t:.2f}' for t in row['curve_s'])} |")
    verdict = ("met" if g["met"] else "MISSED") if judged else "not judged"
    print(f"ratio curve / single: {row['ratio_best']:.3f} (per round {row['ratio_per_round']}); "
          f"goal <= {GOAL_RATIO}: {verdict}")
    print(f"power of {row['primary']} at n = {max(sizes)}: single {row['power_single']}, curve {at_largest} "
          f"({'equal' if row['curve_matches_single_at_largest_n'] else 'DIFFERENT'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
