"""Running a sweep: the resumable sweep directory, the executors, and
:func:`run_sweep` / :func:`run_sensitivity`.

Both check the sweep before they touch the output directory (a resume too:
:func:`check_sweep`, :mod:`probisim.sweep.checks`), claim the directory
(:class:`~probisim.core.outdir.SweepDirClaim`: marked as probisim's and locked),
then evaluate every task through an executor (:mod:`probisim.sweep.executors`:
serial, local processes or Dask, chosen per call; it never changes results).

Output directory
----------------
::

    DIR/sweep.toml          the resolved sweep config (extends/overrides applied,
                            ``base`` made absolute)
    DIR/design.csv          task_id, seed, [matrix,] one column per parameter
    DIR/tasks/<id>.json     one per finished task, written atomically as it ends
    DIR/failed/<id>.json    one per failed task: point, seed, error type,
                            message, traceback, and for a dead worker the
                            tasks that were in flight (deleted when a retry
                            succeeds)
    DIR/results.csv         task_id, parameters, outputs[, <output>__rep_var]
                            -- one row per finished task, sorted by task id,
                            floats written with ``repr``: byte-identical for
                            any executor, job count or completion order
    DIR/sobol.csv, sobol.json   (run_sensitivity only)

Every file is written atomically (:mod:`probisim.core.io`; CSVs with LF line
ends).  Re-running into a DIR that holds a sweep is an
:class:`~probisim.core.errors.OutputExistsError` unless ``resume=True`` (skip
tasks whose JSON exists, retry failed ones; the config and design must be
unchanged, else :class:`~probisim.core.errors.SweepMismatchError`) or
``force=True`` (delete the sweep's own files above, nothing else, and start
over).  A task that raises is recorded in ``failed/`` and the others carry on.
On ``KeyboardInterrupt`` only the in-flight tasks are lost: every finished
task's JSON is already on disk.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import config as _config
from ..core.errors import IncompleteSweepError, SweepMismatchError
from ..core.io import LF, csv_text, read_json, write_json, write_text_atomic
from ..core.outdir import SweepDirClaim
from .checks import check_sweep as _check_sweep
from .config import SweepConfig, _cerr, load_sweep_config, resolve_config, task_context
from .designs import Task, design_csv, make_design, make_tasks, saltelli_design
from .executors import Executor, WorkerLostError, get_executor
from .results import SensitivityResult, SweepResult, results_table, table_from_rows
from .sobol import sobol_analysis, write_sobol
from .tasks import TaskFailure, execute_task

__all__ = ["run_sweep", "run_sensitivity", "check_sweep"]

log = logging.getLogger(__name__)

_ARTIFACTS = ("sweep.toml", "design.csv", "results.csv", "sobol.csv", "sobol.json")
_ARTIFACT_DIRS = ("tasks", "failed")


def check_sweep(cfg: SweepConfig) -> None:
    """Check ``cfg`` before its first task: a one-line :class:`~probisim.config.ConfigError`,
    nothing run or written (see :mod:`probisim.sweep.checks`)."""
    _check_sweep(cfg, task_context(cfg))


def _read_json(path: Path) -> dict | None:
    """A finished task's record, or None if it is missing or unreadable."""
    try:
        return read_json(path)
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as exc:  # JSONDecodeError, UnicodeDecodeError
        log.warning("ignoring unreadable %s (%s); the task will be rerun", path, exc)
        return None


def _prepare_dir(out: Path, cfg: SweepConfig, design_text: str, *, resume: bool, force: bool) -> None:
    """Fill a claimed sweep directory (:class:`~probisim.core.outdir.SweepDirClaim`: marked as
    probisim's and locked): check that a resumed sweep is the same sweep, or remove the
    previous sweep's files with ``force``."""
    if resume:
        toml_path, design_path = out / "sweep.toml", out / "design.csv"
        if toml_path.exists():
            old = load_sweep_config(toml_path)
            if _config.config_hash(old) != _config.config_hash(cfg):
                raise SweepMismatchError(
                    f"{toml_path} differs from this run's config; resume only with the same sweep "
                    "(or use a new directory / force=True)"
                )
        if design_path.exists() and design_path.read_text(encoding="utf-8") != design_text:
            raise SweepMismatchError(
                f"{design_path} differs from this run's design (different kind of run or changed "
                "parameters); use a new directory or force=True"
            )
    elif force:
        import shutil

        for name in _ARTIFACTS:
            (out / name).unlink(missing_ok=True)  # a link is removed, never followed
        for name in _ARTIFACT_DIRS:
            shutil.rmtree(out / name, ignore_errors=True)  # refuses links; fd-based inside the tree
    (out / "tasks").mkdir(parents=True, exist_ok=True)
    (out / "failed").mkdir(parents=True, exist_ok=True)
    if not (out / "sweep.toml").exists():
        write_text_atomic(out / "sweep.toml", _config.dumps_toml(cfg))
    if not (out / "design.csv").exists():
        write_text_atomic(out / "design.csv", design_text)


def _claim(out: Path, resume: bool, force: bool):
    """The sweep directory, checked, created with its marker and locked for this run."""
    if resume and force:
        raise ValueError("pass either resume=True or force=True, not both")
    return SweepDirClaim(out, resume=resume, force=force, artifacts=_ARTIFACTS + _ARTIFACT_DIRS)


def _choose_executor(executor: Any, jobs: int | None, scheduler: Any) -> tuple[Executor, bool]:
    """(executor, owned): owned executors are opened and closed by the sweep."""
    if isinstance(executor, Executor):
        return executor, False
    if executor is None:
        if scheduler is not None:
            kind = "dask"
        elif jobs is not None and jobs != 1:
            kind = "processes"
        else:
            kind = "serial"
    else:
        kind = str(executor)
    return get_executor(kind, jobs=jobs, scheduler=scheduler), True


def _progress_bar(total: int, initial: int, enabled: bool, desc: str):
    from tqdm import tqdm

    disable = not enabled or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return tqdm(total=total, initial=initial, disable=disable, file=sys.stderr, unit="task", desc=desc,
                dynamic_ncols=True)


def _run_tasks(
    cfg: SweepConfig,
    out: Path,
    tasks: list[Task],
    design_labels: list[str] | None,
    *,
    jobs,
    scheduler,
    executor,
    resume: bool,
    force: bool,
    progress: bool,
    desc: str,
) -> SweepResult:
    t_start = time.perf_counter()
    design_text = design_csv(cfg, tasks, design_labels)
    # built (not started) before the directory is touched: a missing Dask fails here
    chosen, chosen_owned = _choose_executor(executor, jobs, scheduler)
    _prepare_dir(out, cfg, design_text, resume=resume, force=force)
    tasks_dir, failed_dir = out / "tasks", out / "failed"

    wanted = tuple(cfg.outputs)
    outputs_by_id: dict[str, dict[str, float]] = {}
    todo: list[Task] = []
    for t in tasks:
        rec = _read_json(tasks_dir / f"{t.task_id}.json") if resume else None
        if _valid_record(rec, t, wanted):
            outputs_by_id[t.task_id] = rec["outputs"]
        else:
            todo.append(t)
    n_skipped = len(tasks) - len(todo)
    previously_failed = {p.stem for p in failed_dir.glob("*.json")}
    for name in list(previously_failed):
        if not resume or name in outputs_by_id:  # stale record
            (failed_dir / f"{name}.json").unlink(missing_ok=True)
            previously_failed.discard(name)

    fn = functools.partial(execute_task, cfg.task, task_context(cfg), wanted)
    failed_now: set[str] = set()
    if todo:
        ex, owned = chosen, chosen_owned
    else:  # nothing to run: do not start a pool or a cluster
        ex, owned = get_executor("serial"), False
    ex_name = ex.describe()
    bar = _progress_bar(len(tasks), n_skipped, progress, desc)
    try:
        if owned:
            ex.__enter__()
        try:
            for task, result in ex.map_unordered(fn, todo):
                if isinstance(result, dict):
                    record = {
                        "task_id": task.task_id,
                        "index": task.index,
                        "seed": task.seed,
                        "point": task.point,
                        "outputs": result["outputs"],
                        "elapsed_s": result.get("elapsed_s"),
                    }
                    # compact, NaN kept as NaN: outputs are read back as they were returned
                    write_json(tasks_dir / f"{task.task_id}.json", record, indent=None, finite=False)
                    if task.task_id in previously_failed or task.task_id in failed_now:
                        (failed_dir / f"{task.task_id}.json").unlink(missing_ok=True)
                    outputs_by_id[task.task_id] = result["outputs"]
                else:
                    _record_failure(failed_dir, task, result)
                    failed_now.add(task.task_id)
                    bar.set_postfix(failed=len(failed_now), refresh=False)
                bar.update(1)
        except BaseException:
            if owned:
                ex.close(cancel=True)
                owned = False
            raise
        finally:
            if owned:
                ex.close()
    finally:
        bar.close()

    params, outs, noise, rows = results_table(cfg, tasks, outputs_by_id)
    header = ["task_id", *params, *outs, *noise]
    write_text_atomic(out / "results.csv", csv_text(header, rows, lineterminator=LF))
    failed = tuple(sorted(p.stem for p in failed_dir.glob("*.json")))
    if failed:
        log.warning(
            "%d of %d task(s) failed (see %s); rerun with resume=True to retry them",
            len(failed),
            len(tasks),
            failed_dir,
        )
    return SweepResult(
        out_dir=out,
        config=cfg,
        parameters=tuple(params),
        outputs=tuple(outs),
        noise_columns=tuple(noise),
        table=table_from_rows(header, rows),
        n_tasks=len(tasks),
        n_failed=len(failed),
        failed=failed,
        n_run=len(todo),
        n_skipped=n_skipped,
        elapsed_s=time.perf_counter() - t_start,
        executor=ex_name,
    )


def _valid_record(rec: Any, task: Task, wanted: Sequence[str]) -> bool:
    """A finished-task JSON that belongs to this task and has every wanted output."""
    if not isinstance(rec, dict) or rec.get("task_id") != task.task_id:
        return False
    outputs = rec.get("outputs")
    return isinstance(outputs, dict) and all(o in outputs for o in wanted)


def _record_failure(failed_dir: Path, task: Task, result: Any) -> None:
    if isinstance(result, TaskFailure):
        etype, msg, tb = result.error_type, result.message, result.traceback
    else:  # infrastructure: worker died, KilledWorker, cancelled, ...
        etype, msg = type(result).__name__, str(result)
        tb = "".join(traceback.format_exception(result)) if isinstance(result, BaseException) else ""
    record = {
        "task_id": task.task_id,
        "index": task.index,
        "seed": task.seed,
        "point": task.point,
        "error_type": etype,
        "message": msg,
        "traceback": tb,
        "in_flight": list(result.in_flight) if isinstance(result, WorkerLostError) else None,
    }
    write_json(failed_dir / f"{task.task_id}.json", record, indent=1)
    log.warning("task %s failed: %s: %s", task.task_id, etype, msg)


def run_sweep(
    config: SweepConfig | str | os.PathLike | Mapping | None,
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    executor: Executor | str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    overrides: Sequence[str] = (),
) -> SweepResult:
    """Evaluate the task function at every point of ``config.design``.

    ``config``: a :class:`SweepConfig`, a dict, or a path to a sweep TOML (then
    ``base`` is relative to that file); ``None`` with ``resume=True`` reuses
    ``out_dir/sweep.toml``.  ``overrides``: ``"dotted.key=value"`` strings
    applied to the sweep config.

    Where tasks run: ``executor`` (an :class:`~probisim.sweep.executors.Executor`,
    used as is and not closed, or a kind ``"serial" | "processes" | "dask"``);
    by default Dask if ``scheduler`` is given (``"local"`` or
    ``"tcp://host:port"``), a process pool if ``jobs`` is given and not 1, else
    serial.  Results do not depend on this choice.
    """
    out = Path(out_dir)
    cfg = resolve_config(config, out, resume, overrides)
    tasks = make_tasks(cfg, make_design(cfg))
    check_sweep(cfg)
    with _claim(out, resume, force):
        return _run_tasks(
            cfg, out, tasks, None,
            jobs=jobs, scheduler=scheduler, executor=executor,
            resume=resume, force=force, progress=progress, desc="sweep",
        )


def run_sensitivity(
    config: SweepConfig | str | os.PathLike | Mapping | None,
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    executor: Executor | str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    overrides: Sequence[str] = (),
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> SensitivityResult:
    """Sobol' first-order and total indices of every output.

    Evaluates the Saltelli design (:func:`saltelli_design`; ``design.kind``
    must be ``"sobol"``, ``design.n = N`` a power of 2, ``N*(d+2)`` tasks)
    through the same machinery as :func:`run_sweep` (same directory layout,
    resume, executors), then calls ``scipy.stats.sobol_indices`` with the
    ``{"f_A", "f_B", "f_AB"}`` dict form for each output and
    ``.bootstrap(confidence_level, n_resamples)`` for BCa confidence
    intervals (seeded from ``design.seed``, so ``sobol.csv`` is reproducible).
    Writes ``sobol.csv`` (one row per output x parameter) and ``sobol.json``.
    Raises :class:`IncompleteSweepError` (after saving everything finished) if
    tasks failed; resume to retry them.
    """
    out = Path(out_dir)
    cfg = resolve_config(config, out, resume, overrides)
    if cfg.design.kind != "sobol":
        raise _cerr("design.kind", cfg.design.kind, "'sobol' for run_sensitivity")
    points, labels = saltelli_design(cfg)
    tasks = make_tasks(cfg, points)
    check_sweep(cfg)
    with _claim(out, resume, force):
        sweep = _run_tasks(
            cfg, out, tasks, labels,
            jobs=jobs, scheduler=scheduler, executor=executor,
            resume=resume, force=force, progress=progress, desc="sobol",
        )
        if not sweep.complete:
            raise IncompleteSweepError(
                f"{sweep.n_tasks - sweep.n_completed} of {sweep.n_tasks} Sobol' tasks did not finish "
                f"(see {out / 'failed'}); rerun with resume=True",
                sweep.failed,
            )
        res = sobol_analysis(cfg, sweep, confidence_level=confidence_level, n_resamples=n_resamples)
        write_sobol(res, cfg)
    return res
