"""Sweep throughput: tasks per second, serial vs local processes vs a Dask LocalCluster.

Runs the same sweep (an LHS design of ``--tasks`` points) through every
executor, serial first as the reference, and prints a table; ``--json`` prints
one JSON object instead::

    {"task": ..., "busy_ms": ..., "cpu_count": ...,
     "results": [{"executor", "jobs", "tasks", "wall_s", "tasks_per_s",
                  "speedup_vs_serial", "startup_s"}, ...]}

``wall_s`` covers the sweep itself (design, task dispatch, atomic per-task
JSON writes, results.csv) on an executor that has already started and imported
the task module (``startup_s``, reported separately), so the numbers compare
dispatch overheads rather than process start-up.

The default task is the Ishigami function with ~20 ms of pure-Python busy work
per point (``--busy-ms``), cheap but not trivial: ``bench_tasks:ishigami`` in
this directory, which is put on ``PYTHONPATH`` for the workers.  Any task
function works: ``--task probisim.sweep.trial_task:evaluate_point --base
experiments/x.toml --param path:low:high ...`` benchmarks the real simulator.

Example::

    python benchmarks/bench_sweep.py --tasks 64 --jobs 1,2 --dask-workers 2
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path


def _tasks_importable() -> None:
    """Make ``bench_tasks`` importable here and in every worker (process pool, Dask)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if here not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([here, *filter(None, paths)])


def _warm(module_name: str) -> int:
    """Import the task module in a worker; returns the worker's pid."""
    importlib.import_module(module_name)
    return os.getpid()


def _parse_param(text: str):
    from probisim.sweep import Parameter

    path, low, high, *rest = text.split(":")
    return Parameter(path=path, low=float(low), high=float(high), log=bool(rest and rest[0] == "log"))


def build_config(args):
    from probisim.sweep import Design, Parameter, SweepConfig

    if args.param:
        params = tuple(_parse_param(p) for p in args.param)
    else:
        params = tuple(Parameter(path=f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3))
    context = {"busy_ms": float(args.busy_ms)}
    for item in args.context:
        key, _, value = item.partition("=")
        try:
            context[key] = float(value)
        except ValueError:
            context[key] = value
    return SweepConfig(
        base=str(Path(args.base).resolve()) if args.base else "",
        task=args.task,
        seed=args.seed,
        replicates=args.replicates,
        outputs=tuple(args.output),
        design=Design(kind="lhs", n=args.tasks, seed=1),
        parameters=params,
        context=context,
    )


def bench_one(cfg, kind: str, jobs: int, workdir: Path) -> dict:
    from probisim.sweep import run_sweep
    from probisim.sweep.executors import get_executor

    module = cfg.task.partition(":")[0]
    t0 = time.perf_counter()
    ex = get_executor(kind, jobs=jobs, scheduler="local" if kind == "dask" else None)
    with ex:
        # start every worker and import the task module there
        for _item, res in ex.map_unordered(_warm, [module] * (2 * jobs)):
            if isinstance(res, BaseException):
                raise res
        startup = time.perf_counter() - t0
        out = workdir / f"{kind}{jobs}"
        t1 = time.perf_counter()
        res = run_sweep(cfg, out, executor=ex, progress=False)
        wall = time.perf_counter() - t1
    if res.n_failed:
        raise RuntimeError(f"{res.n_failed} task(s) failed under {kind}; see {out / 'failed'}")
    return {
        "executor": kind,
        "jobs": jobs,
        "tasks": res.n_tasks,
        "wall_s": round(wall, 4),
        "tasks_per_s": round(res.n_tasks / wall, 3),
        "startup_s": round(startup, 3),
        "results_csv": (out / "results.csv").read_bytes(),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="bench_tasks:ishigami", help="task function 'module:function'")
    p.add_argument("--busy-ms", type=float, default=20.0, help="busy work per task (Ishigami task)")
    p.add_argument("--tasks", type=int, default=64, help="number of design points")
    p.add_argument("--jobs", default="1,2", help="comma-separated process counts")
    p.add_argument("--dask-workers", type=int, default=2, help="LocalCluster workers (0: skip Dask)")
    p.add_argument("--no-serial", action="store_true", help="skip the serial reference")
    p.add_argument("--base", default="", help="base experiment for the real task")
    p.add_argument("--param", action="append", default=[], help="varied parameter path:low:high[:log]")
    p.add_argument("--output", action="append", default=[], help="output to keep (repeatable)")
    p.add_argument("--context", action="append", default=[], help="extra context key=value")
    p.add_argument("--replicates", type=int, default=1)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    _tasks_importable()

    cfg = build_config(args)
    plan = [] if args.no_serial else [("serial", 1)]
    plan += [("processes", int(j)) for j in args.jobs.split(",") if j.strip()]
    if args.dask_workers > 0:
        try:
            import distributed  # noqa: F401

            plan.append(("dask", args.dask_workers))
        except ImportError:
            print("distributed not installed: skipping Dask", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        # untimed warm-up in this process (imports scipy.stats.qmc, the task module, ...)
        import dataclasses

        from probisim.sweep import Design, run_sweep

        run_sweep(dataclasses.replace(cfg, design=Design(kind="lhs", n=2, seed=1)), Path(tmp) / "warm", progress=False)
        for kind, jobs in plan:
            rows.append(bench_one(cfg, kind, jobs, Path(tmp)))
    serial = next((r for r in rows if r["executor"] == "serial"), None)
    identical = len({r.pop("results_csv") for r in rows}) == 1
    for r in rows:
        r["speedup_vs_serial"] = round(r["tasks_per_s"] / serial["tasks_per_s"], 3) if serial else None

    if args.json:
        print(json.dumps({
            "task": cfg.task,
            "busy_ms": args.busy_ms,
            "cpu_count": os.cpu_count(),
            "results_identical": identical,
            "results": rows,
        }))
    else:
        print(f"task {cfg.task}  busy {args.busy_ms} ms  tasks {args.tasks}  cpus {os.cpu_count()}")
        print(f"{'executor':<10} {'jobs':>4} {'tasks':>6} {'wall_s':>8} {'tasks/s':>9} {'speedup':>8} "
              f"{'startup_s':>10}")
        for r in rows:
            sp = "-" if r["speedup_vs_serial"] is None else f"{r['speedup_vs_serial']:.2f}"
            print(f"{r['executor']:<10} {r['jobs']:>4} {r['tasks']:>6} {r['wall_s']:>8.3f} "
                  f"{r['tasks_per_s']:>9.2f} {sp:>8} {r['startup_s']:>10.2f}")
        print("results.csv identical across executors:", identical)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
