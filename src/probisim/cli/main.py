"""Command-line interface: ``probisim`` / ``python -m probisim``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core import interrupt
from ..core.errors import ProbisimError
from ..core.interrupt import interrupts_raise

__all__ = ["main", "build_parser"]

PROG = "probisim"


class CLIError(ProbisimError):
    """A usage/input problem: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage first; keep it to one line)
        raise CLIError(f"{self.prog}: {message}" if " " in self.prog else message)


def _err(msg: str) -> None:
    print(f"{PROG}: error: {' '.join(str(msg).split())}", file=sys.stderr)


def _log(args, msg: str) -> None:
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr)


def _load(path: str, overrides) -> object:
    """The trial config at ``path``, or the shipped experiment of that name."""
    from ..config import ConfigError
    from ..trial import load_trial_config
    from ..trial.experiments import resolve_config

    path = resolve_config(path)
    try:
        return load_trial_config(path, list(overrides or ()))
    except (ConfigError, OSError):
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        # workaround: sim.resolve_defaults assumes `population` is a table (dict(pop) on a scalar)
        raise CLIError(f"config error in {path}: malformed structure ({type(exc).__name__}: {exc}); "
                       "is every table (e.g. [population]) a table?") from None


# ---------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------
def _preflight(args):
    """Every check ``run`` makes before it simulates, shared by ``run`` and ``validate``
    so the two cannot drift: the config (``--set``, ``--seed``, ``--replicates``
    applied), the model it compiles, ``--threads`` and the output location
    (``--out``/``--force``; checked without creating anything).  Returns
    ``(config, output plan)``; raises ConfigError/OutputError (exit 2)."""
    from ..core.outdir import check_output
    from ..model.engine import _check_threads

    overrides = list(args.set or ())
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.replicates is not None:
        overrides.append(f"replicates={args.replicates}")
    cfg = _load(args.config, overrides)
    _compile_check(cfg)
    _check_threads(args.threads)
    out = args.out if args.out is not None else str(Path("results") / cfg.name)
    return cfg, check_output(out, force=args.force)


def cmd_run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    cfg, plan = _preflight(args)
    executor = _open_scheduler(args)  # connected before anything is written: a bad address writes nothing
    try:
        return _run_claimed(args, cfg, plan, executor)
    finally:
        if executor is not None:
            executor.close()


def _open_scheduler(args):
    """The connected Dask executor of ``--scheduler`` (None without it), as the sweep
    makes it (:mod:`probisim.sweep.executors`: ``local`` is a LocalCluster of
    ``--jobs`` single-threaded workers with ``--threads`` Numba threads each).
    Raises CLIError (exit 2) for a missing Dask, bad options or an unreachable
    scheduler."""
    if args.shards is not None and args.shards < 1:
        raise CLIError(f"--shards {args.shards}: expected a positive integer")
    if args.scheduler is None:
        if args.jobs is not None:
            raise CLIError("--jobs sizes the local Dask cluster: give it with --scheduler local")
        return None
    if args.jobs is not None and (args.jobs < 1 or args.scheduler != "local"):
        raise CLIError(f"--jobs {args.jobs}: expected a positive integer, with --scheduler local")
    if args.threads is not None and args.scheduler != "local":
        raise CLIError("--threads: the workers of a remote Dask cluster keep the threads they were started with")
    from ..sweep.executors import ExecutorUnavailableError, get_executor

    try:
        ex = get_executor("dask", jobs=args.jobs, scheduler=args.scheduler, threads_per_worker=args.threads)
    except ExecutorUnavailableError as exc:
        raise CLIError(str(exc)) from None
    import dask

    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "10s"}):
            ex.__enter__()
    except Exception as exc:  # noqa: BLE001 - any failure to reach or start the cluster
        ex.close()
        raise CLIError(f"--scheduler {args.scheduler}: cannot connect to a Dask scheduler "
                       f"({type(exc).__name__}: {exc})") from None
    return ex


def _run_claimed(args, cfg, plan, executor) -> int:
    """Simulate and write under the output claim (taken before simulating)."""
    from ..core.outdir import OutputClaim
    from ..store import write_results
    from ..trial import run_trial

    # the claim (lock, marked staging directory) is taken before simulating; leaving
    # the block removes whatever of it is left, on success, error or interrupt
    with interrupts_raise(), OutputClaim(plan.given, force=args.force) as claim:
        where = "" if executor is None else f" on {executor.describe()}"
        _log(args, f"running '{cfg.name}': {cfg.replicates} replicates x {cfg.n_randomized} participants{where} "
                   f"(output '{plan.given}')")
        try:
            result = run_trial(cfg, threads=None if executor is not None else args.threads,
                               progress=not args.quiet, executor=executor,
                               shards=args.shards if args.shards is not None else
                               (None if executor is None else 2 * executor.slots()))
            interrupt.check()  # a signal whose KeyboardInterrupt was swallowed (e.g. inside Numba's cache)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted during simulation; nothing was written", file=sys.stderr)
            return 130
        _log(args, f"simulated in {result.wall_s:.1f} s; writing {plan.given}")
        try:
            path = write_results(result, plan.given, fmt=args.format, seed=cfg.seed, claim=claim)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted while writing; nothing was written to '{plan.given}'", file=sys.stderr)
            return 130
    print(path)
    return 0


def cmd_power(args) -> int:
    """``run`` with a power curve: the trials are simulated at the largest n and
    analysed at every n of ``--n`` (the first n of each trial)."""
    try:
        ns = sorted({int(x) for x in args.n.split(",") if x.strip()})
    except ValueError:
        raise CLIError(f"--n {args.n!r}: expected comma-separated sample sizes, e.g. --n 40,60,80,120") from None
    if not ns:
        raise CLIError("--n: expected at least one sample size, e.g. --n 40,60,80,120")
    args.set = list(args.set or ()) + [f"power.n_randomized={ns}", f"n_randomized={max(ns)}"]
    if args.target is not None:
        args.set.append(f"power.target={args.target}")
    return cmd_run(args)


def cmd_validate(args) -> int:
    from ..config import dumps_toml, to_dict

    cfg, _ = _preflight(args)
    sys.stdout.write(dumps_toml(to_dict(cfg)))
    return 0


def _compile_check(cfg) -> None:
    """The checks the run does when it builds the model (e.g. growth rates that cannot
    sustain a taxon), so validate rejects what run would."""
    from ..model import compile_model, strains_in

    ivs = [iv for a in getattr(cfg, "arms", ()) for iv in a.interventions] or list(getattr(cfg, "interventions", ()))
    compile_model(cfg.model, strains_in(ivs))


def cmd_plot(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ..core.outdir import MARKER, is_results_dir
    from ..store import read_results
    from ..viz.trial_plots import plot_all

    d = Path(args.results_dir)
    if not is_results_dir(d) or not (d / "manifest.json").is_file():
        raise CLIError(f"'{d}' is not a probisim results directory (no {MARKER} marker or no manifest.json); "
                       "plot redraws only the figures of a directory written by 'probisim run'")
    figs = d / "figures"
    if os.path.islink(figs) or (os.path.lexists(figs) and not figs.is_dir()):
        raise CLIError(f"'{figs}' is not a directory written by probisim (a link or a file); refusing to write there")
    res = read_results(d)
    paths = plot_all(res, d / "figures", fmt=args.format)
    for p in paths:
        print(p)
    return 0


def cmd_analyze(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ..analysis import analyze, load_plan
    from ..core.outdir import OutputClaim

    data = Path(args.data)
    if not data.is_file():
        raise CLIError(f"DATA = '{data}': no such file; expected a CSV table in long format")
    plan = load_plan(args.config)
    out = args.out if args.out is not None else str(Path("results") / plan.name)
    with interrupts_raise(), OutputClaim(out, force=args.force) as claim:
        result = analyze(data, plan)
        path = result.write(out, figures=not args.no_figures, fmt=args.format, claim=claim)
    print(path)
    return 0


def _table(rows: list[list[str]], head: list[str]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda r: "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in rows])


def _param_rows(objs: dict, cls) -> list[list[str]]:
    """One row per (object, numeric parameter with unit)."""
    import dataclasses

    rows = []
    for name, obj in objs.items():
        rows.append([name, "", "", "", getattr(obj, "long_name", "") or getattr(obj, "source", "")])
        for f in dataclasses.fields(cls):
            meta = f.metadata or {}
            unit = meta.get("unit") or ""
            if not unit:
                continue
            src = meta.get("source") or ""
            rows.append(["", f.name, repr(getattr(obj, f.name)), unit, src])
    return rows


def cmd_list(args) -> int:
    what = args.what
    if what == "taxa":
        from ..model import DEFAULT_TAXA, Taxon

        print(_table(_param_rows(DEFAULT_TAXA, Taxon), ["taxon", "parameter", "value", "unit", "source"]))
    elif what == "strains":
        from ..model import DEFAULT_STRAINS, Strain

        print(_table(_param_rows(DEFAULT_STRAINS, Strain), ["strain", "parameter", "value", "unit", "source"]))
    elif what == "instruments":
        from ..measure import instruments

        rows = []
        for name, inst in instruments.INSTRUMENTS.items():
            for sc in inst.scales.values():
                rows.append([name, sc.name, f"{sc.range[0]}-{sc.range[1]} score points",
                             "lower" if sc.lower_is_better else "higher", f"{inst.recall_days} d",
                             inst.long_name, inst.source])
        print(_table(rows, ["instrument", "score", "range (unit)", "better", "recall", "name", "source"]))
    elif what == "interventions":
        import dataclasses

        from ..model import INTERVENTION_KINDS

        rows = []
        for kind, cls in INTERVENTION_KINDS.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            rows.append([kind, "", "", "", doc])
            for f in dataclasses.fields(cls):
                meta = f.metadata or {}
                rows.append(["", f.name, meta.get("unit") or "", meta.get("source") or "", meta.get("doc") or ""])
        print(_table(rows, ["kind", "parameter", "unit", "source", "description"]))
    elif what == "experiments":
        from ..trial.experiments import describe_experiment, experiments_dir

        d = Path(args.dir) if args.dir else experiments_dir()
        if not d.is_dir():
            raise CLIError(f"--dir {d}: expected a directory of experiment configs (*.toml)")
        rows = []
        for p in sorted(d.glob("*.toml")):
            try:
                rows.append([p.stem, *describe_experiment(p)])
            except (OSError, ValueError) as exc:
                rows.append([p.stem, "", f"(unreadable: {exc})"])
        head = "shipped experiments (run one by name: probisim run NAME)" if not args.dir else f"configs in {d}"
        print(head + "\n\n" + _table(rows, ["experiment", "name", "description"]) if rows
              else f"no *.toml files in {d}")
    return 0


def cmd_calibrate(args) -> int:
    """Calibration targets: C1-C8 (effects) and D1-D8 (the people) from the simulation."""
    from .. import calibrate

    if args.replicates < 2:
        raise CLIError(f"--replicates {args.replicates}: expected at least 2")
    if args.population < 100:
        raise CLIError(f"--population {args.population}: expected at least 100")
    if args.people < 1000:
        raise CLIError(f"--people {args.people}: expected at least 1000")
    d = Path(args.experiments) if args.experiments else None
    needed = ("community_depression", "depression_mild_moderate", "stress_anxiety_6wk")
    if d is not None and not all((d / f"{n}.toml").is_file() for n in needed):
        raise CLIError(f"--experiments {d}: expected a directory holding {', '.join(n + '.toml' for n in needed)}")
    if args.csv and os.path.islink(args.csv):
        raise CLIError(f"--csv {args.csv}: is a symbolic link; expected a plain file path "
                       "(probisim never writes through links)")
    if args.csv and os.path.lexists(args.csv) and not (args.force and os.path.isfile(args.csv)):
        raise CLIError(f"--csv {args.csv}: exists; expected a new path, or --force to overwrite an existing file")
    targets = calibrate.run_calibration(args.replicates, args.population, n_people=args.people, only=args.only,
                                        experiments_dir=d)
    print(calibrate.format_table(targets))
    if args.csv:
        tmp = Path(f"{args.csv}.{os.getpid()}.tmp")
        tmp.write_text(calibrate.format_table(targets, "csv"))
        os.replace(tmp, args.csv)  # replaces the path itself, never writes through it
    failed = [t.id for t in targets if not t.passed]
    if failed:
        _err(f"{len(failed)} target(s) outside their range: {', '.join(failed)}")
        return 1
    return 0


def _builtin_entry_value(path: str):
    """(entry, value) when path names a field of a built-in taxon, strain or trait, whose
    value is not the field's class default; else None."""
    from ..model import DEFAULT_STRAINS, DEFAULT_TAXA, Traits

    parts = path.split(".")
    tables = {("model", "taxa"): DEFAULT_TAXA, ("model", "strains"): DEFAULT_STRAINS}
    if len(parts) == 4 and tuple(parts[:2]) in tables and parts[2] in tables[tuple(parts[:2])]:
        obj = tables[tuple(parts[:2])][parts[2]]
        if hasattr(obj, parts[3]):
            return parts[2], getattr(obj, parts[3])
    if len(parts) == 4 and parts[:2] == ["population", "traits"] and hasattr(Traits(), parts[2]):
        dist = getattr(Traits(), parts[2])
        if hasattr(dist, parts[3]):
            return f"trait {parts[2]}, community", getattr(dist, parts[3])
    return None


def cmd_explain(args) -> int:
    from ..config import lookup_field
    from ..trial import TrialConfig

    row = lookup_field(TrialConfig, args.param)
    b = row.get("bounds")
    default = f"  default: {row.get('default')!r}" + ("  (required)" if row.get("required") else "")
    builtin = _builtin_entry_value(args.param)
    if builtin is not None:
        entry, value = builtin
        default = f"  default: {value!r}  (built-in {entry}; a new entry defaults to {row.get('default')!r})"
    lines = [f"{row['path']}",
             f"  meaning: {row.get('doc') or '(undocumented)'}",
             f"  type:    {row.get('type')}",
             f"  unit:    {row.get('unit') or '-'}",
             default,
             f"  bounds:  {b if b else '-'}"]
    if row.get("choices"):
        lines.append(f"  choices: {', '.join(map(str, row['choices']))}")
    if row.get("variant"):
        lines.append(f"  variant: kind = {row['variant']!r}")
    lines.append(f"  source:  {row.get('source') or '-'}")
    print("\n".join(lines))
    return 0


def _sweep_common(args, fn_name: str) -> int:
    from .. import sweep

    fn = getattr(sweep, fn_name)
    if args.resume and args.force:
        raise CLIError("--resume continues a sweep and --force starts it over: give one of them")
    # "local" (a LocalCluster on this machine) and "tcp://..." both go to Dask
    kw = dict(jobs=args.jobs, scheduler=args.scheduler, resume=args.resume, force=args.force,
              progress=not args.quiet, overrides=list(args.set or ()))
    if args.out:
        out = args.out
    else:
        from ..config import ConfigError, check_label

        stem = Path(args.sweep).stem
        try:
            check_label("sweep file name", stem)
        except ConfigError:
            raise CLIError(f"cannot name the output directory after '{args.sweep}' ('{stem}' is not a plain "
                           "name): give --out") from None
        out = str(Path("results") / stem)
    try:
        fn(args.sweep, out, **kw)
    except (sweep.OutputExistsError, sweep.SweepMismatchError) as exc:
        raise CLIError(str(exc)) from None
    except ImportError as exc:  # the dask executor without the [dask] extra
        raise CLIError(str(exc)) from None
    except sweep.IncompleteSweepError as exc:
        _err(f"{exc} (failed tasks are recorded in '{out}/failed'; rerun with --resume)")
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished tasks are saved in '{out}/tasks' (continue with --resume)",
              file=sys.stderr)
        return 130
    print(out)
    return 0


def cmd_sweep(args) -> int:
    return _sweep_common(args, "run_sweep")


def cmd_sensitivity(args) -> int:
    return _sweep_common(args, "run_sensitivity")


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog=PROG, formatter_class=fmt,
                description="Simulate replicated probiotic trials: run, validate, plot and explore.",
                epilog="examples:\n  probisim run stress_anxiety_6wk --replicates 200\n  probisim run my_trial.toml\n"
                       "  probisim validate trial.toml --set n_randomized=120\n  probisim explain dose\n"
                       "  probisim list strains\n\nRun 'probisim COMMAND --help' for each command.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add_set(sp):
        sp.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", default=[],
                        help="override a config value (TOML literal; repeatable), e.g. --set n_randomized=120 "
                             "--set 'arms[1].interventions[0].strains.B_longum_R0175=1e10'")

    r = sub.add_parser("run", help="run a trial config and write a results directory", formatter_class=fmt,
                       description="Run the replicate trials of CONFIG and write a results directory "
                                   "(manifest.json, config.toml, CSV tables, summary.json, report.md, figures/). "
                                   "Prints the directory path on stdout; progress and logs go to stderr. "
                                   "The output location is checked and locked before simulating (a second run "
                                   "on the same --out fails at once); results appear there only when complete.",
                       epilog="examples:\n  probisim run stress_anxiety_6wk\n  probisim run trial.toml\n"
                              "  probisim run trial.toml --replicates 500 --seed 3 --threads 2 --out results/big\n"
                              "  probisim run trial.toml --set dropout.hazard_per_day=0.005 --force --format pdf")

    def add_run_checked(sp):
        """Options that run checks before simulating (validate checks them the same way)."""
        sp.add_argument("config", metavar="CONFIG", help="trial config: a TOML file, or the name of a shipped "
                                                         "experiment ('probisim list experiments')")
        add_set(sp)
        sp.add_argument("--seed", type=int, help="master seed (overrides the config's seed)")
        sp.add_argument("--replicates", type=int, help="number of replicate trials (overrides the config)")
        sp.add_argument("--threads", type=int, help="numba threads (default: numba's default)")
        sp.add_argument("--out", metavar="DIR", help="results directory (default: results/<config name>/); "
                                                     "a new directory, or with --force a previous probisim result")
        sp.add_argument("--force", action="store_true",
                        help="replace an existing results directory (only one written by probisim)")

    def add_scheduler(sp):
        sp.add_argument("--scheduler", metavar="ADDRESS|local",
                        help="run the replicate trials on a Dask cluster: a scheduler address "
                             "(tcp://host:8786) or 'local' (a LocalCluster on this machine); the results are "
                             "byte-identical to a run without it")
        sp.add_argument("--jobs", type=int, help="workers of --scheduler local (default: one per CPU)")
        sp.add_argument("--shards", type=int,
                        help="blocks of replicates simulated separately (default: 1, or twice the Dask worker "
                             "threads; at least 2 replicates each); no effect on the results")

    add_run_checked(r)
    add_scheduler(r)
    r.add_argument("--quiet", action="store_true", help="no progress bar or log messages")
    r.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (default png)")
    r.set_defaults(func=cmd_run)

    an = sub.add_parser("analyze", help="analyse one real trial (long-format CSV) and write a results directory",
                        formatter_class=fmt,
                        description="Analyse one trial's data with the statistics of the simulated trials "
                                    "(covariate ANCOVA at each visit, MI from the visit history and from baseline, "
                                    "MMRM, Hedges' g, responders and remission with non-responder imputation) and "
                                    "write effects.csv, visit_means.csv, flow.csv, summary.json, report.md, "
                                    "plan.toml and figures/.",
                        epilog="example:\n  probisim analyze trial_long.csv --config plan.toml --out results/mytrial\n"
                               "The plan's keys are described in docs/statistics.md.")
    an.add_argument("data", metavar="DATA", help="CSV, one row per participant and visit")
    an.add_argument("--config", required=True, metavar="PLAN", help="analysis plan (TOML)")
    an.add_argument("--out", metavar="DIR", help="results directory (default: results/<plan name>/)")
    an.add_argument("--force", action="store_true",
                    help="replace an existing results directory (only one written by probisim)")
    an.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (default png)")
    an.add_argument("--no-figures", action="store_true", help="write tables and report only")
    an.set_defaults(func=cmd_analyze)

    pw = sub.add_parser("power", help="power curve by simulation: run a config at several sample sizes",
                        formatter_class=fmt,
                        description="Simulate the replicate trials of CONFIG once at the largest n of --n and "
                                    "analyse each trial at every n (its first n participants in randomization "
                                    "order: common random numbers across n). Writes the results directory of "
                                    "'run' with power.csv, the power-curve figure and the smallest n reaching "
                                    "the target power in report.md. The same as 'run' with a [power] table.",
                        epilog="example:\n  probisim power depression_mild_moderate --n 40,60,80,120,160,240 "
                               "--replicates 1000")
    add_run_checked(pw)
    add_scheduler(pw)
    pw.add_argument("--n", required=True, metavar="N1,N2,...", help="sample sizes (participants randomized)")
    pw.add_argument("--target", type=float, help="target power (default: the config's power.target, 0.8)")
    pw.add_argument("--quiet", action="store_true", help="no progress bar or log messages")
    pw.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (default png)")
    pw.set_defaults(func=cmd_power)

    v = sub.add_parser("validate", help="check a config as 'run' would; print it resolved as TOML",
                       formatter_class=fmt,
                       description="Load CONFIG (extends, presets and --set applied), make every check 'probisim "
                                   "run' makes before simulating (the config, the model, --threads, and the output "
                                   "location --out/--force, default results/<config name>/), and print the "
                                   "resolved configuration as TOML on stdout. Nothing is simulated or written.",
                       epilog="examples:\n  probisim validate trial.toml\n"
                              "  probisim validate trial.toml --out results/big --force\n"
                              "  probisim validate trial.toml --set replicates=10 > resolved.toml")
    add_run_checked(v)
    v.set_defaults(func=cmd_validate)

    pl = sub.add_parser("plot", help="redraw every figure of a results directory", formatter_class=fmt,
                        description="Redraw all figures into RESULTS_DIR/figures from the saved tables, "
                                    "without rerunning the simulation. Prints the figure paths.",
                        epilog="examples:\n  probisim plot results/trial\n  probisim plot results/trial --format svg")
    pl.add_argument("results_dir", metavar="RESULTS_DIR", help="directory written by 'probisim run'")
    pl.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (default png)")
    pl.set_defaults(func=cmd_plot)

    ls = sub.add_parser("list", help="list taxa, strains, instruments, interventions or experiments",
                        formatter_class=fmt,
                        description="Print a table of built-in model components with units and sources, or of "
                                    "the experiment files (*.toml) in the experiments/ directory.",
                        epilog="examples:\n  probisim list strains\n  probisim list instruments\n"
                               "  probisim list experiments --dir path/to/experiments")
    ls.add_argument("what", choices=("taxa", "strains", "instruments", "interventions", "experiments"))
    ls.add_argument("--dir", help="list the configs in this directory instead of the shipped experiments")
    ls.set_defaults(func=cmd_list)

    ex = sub.add_parser("explain", help="describe one config parameter", formatter_class=fmt,
                        description="Show meaning, unit, default, bounds and source of a TrialConfig parameter. "
                                    "PARAM is a dotted path; an unambiguous trailing part is accepted.",
                        epilog="examples:\n  probisim explain dropout.hazard_per_day\n  probisim explain host.il6_lps\n"
                               "  probisim explain 'arms[].interventions[].strains'")
    ex.add_argument("param", metavar="PARAM", help="dotted parameter path, e.g. schedule.treatment_days")
    ex.set_defaults(func=cmd_explain)

    cal = sub.add_parser("calibrate", help="run the calibration targets and print their table", formatter_class=fmt,
                         description="Run the calibration targets of the model brief from the simulation: effect "
                                     "targets C1-C8 (replicate trials of the shipped experiments; microbiome targets "
                                     "on a simulated population) and distribution targets D1-D8 (generated cohorts: "
                                     "norms, reliabilities, blood tests, microbiome, placebo course). Prints target, "
                                     "range, simulated value (95%% CI) and pass/fail. Exit 1 if a target misses.",
                         epilog="examples:\n  probisim calibrate --replicates 200\n"
                                "  probisim calibrate --replicates 20 --population 1000 --csv table.csv")
    cal.add_argument("--replicates", type=int, default=200,
                     help="replicate trials per trial-based target (default 200)")
    cal.add_argument("--population", type=int, default=4000, help="participants for the microbiome effect targets "
                                                                   "C6, C7 (default 4000)")
    cal.add_argument("--people", type=int, default=100_000, help="people per generated cohort for the distribution "
                                                                 "targets D1-D8 (default 100,000)")
    cal.add_argument("--only", choices=("C", "D"), help="only the effect targets (C) or the distribution targets (D)")
    cal.add_argument("--experiments", metavar="DIR", help="directory with same-named experiment configs to use "
                                                          "instead of the shipped ones")
    cal.add_argument("--csv", help="also write the table as CSV to this path (a new file unless --force)")
    cal.add_argument("--force", action="store_true", help="overwrite an existing --csv file")
    cal.set_defaults(func=cmd_calibrate)

    for name, fn, what in (("sweep", cmd_sweep, "evaluate a parameter sweep (grid / LHS / Sobol' design)"),
                           ("sensitivity", cmd_sensitivity, "Sobol' sensitivity analysis (Saltelli design)")):
        s = sub.add_parser(name, help=what, formatter_class=fmt,
                           description=f"{what[0].upper() + what[1:]} defined by SWEEP.toml; results go to --out "
                                       "(default results/<sweep file stem>/). Finished tasks are saved as they end.",
                           epilog=f"examples:\n  probisim {name} sweep.toml --jobs 2\n"
                                  f"  probisim {name} sweep.toml --scheduler tcp://host:8786 --out results/s1\n"
                                  f"  probisim {name} sweep.toml --resume")
        s.add_argument("sweep", metavar="SWEEP.toml", help="sweep config (TOML)")
        add_set(s)
        s.add_argument("--jobs", type=int, help="parallel worker processes")
        s.add_argument("--scheduler", metavar="ADDRESS|local", help="dask scheduler address, or 'local'")
        s.add_argument("--out", metavar="DIR", help="output directory")
        s.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
        s.add_argument("--force", action="store_true", help="delete the sweep's previous files and start over")
        s.add_argument("--quiet", action="store_true", help="no progress bar")
        s.set_defaults(func=fn)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CLIError as exc:
        _err(exc)
        return 2
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    rc = _dispatch(args)
    if rc == 130 and argv is None:  # run as the program: one line after an interrupt, nothing more
        interrupt.quiet_teardown()
    return rc


def _dispatch(args) -> int:
    """Run the subcommand; every expected failure becomes one line and an exit code."""
    from ..config import ConfigError
    from ..core.errors import OutputError

    try:
        from ..model import SimulationError
    except ImportError:  # pragma: no cover
        SimulationError = RuntimeError  # noqa: N806
    try:
        return int(args.func(args) or 0)
    except (CLIError, ConfigError, OutputError) as exc:
        _err(exc)
        return 2
    except FileExistsError as exc:
        _err(exc)
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        _err(f"{exc.strerror or exc}: {exc.filename}" if getattr(exc, "filename", None) else exc)
        return 2
    except SimulationError as exc:
        _err(f"simulation failed: {exc}")
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `probisim list taxa | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as exc:
        from ..store import StoreError

        if isinstance(exc, StoreError):
            _err(exc)
            return 1
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
