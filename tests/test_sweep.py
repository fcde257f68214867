"""Tests for the sweep layer: designs, tasks, storage/resume, executors, Sobol' indices, plots.

Everything runs on the cheap Ishigami task functions in sweep_tasks.py, so
these tests do not depend on the simulator.  Process and Dask tests use at most
2 workers and a 16-point design.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys

import numpy as np
import pytest
from sweep_tasks import ISHIGAMI_S1, ISHIGAMI_ST

from probisim.config import ConfigError
from probisim.sweep import (
    REP_VAR_SUFFIX,
    Design,
    IncompleteSweepError,
    OutputExistsError,
    Parameter,
    SweepConfig,
    SweepMismatchError,
    executors,
    load_results,
    make_design,
    make_tasks,
    run_sensitivity,
    run_sweep,
    saltelli_design,
)

PI = math.pi


def ishigami_cfg(**kw) -> SweepConfig:
    base = dict(
        task="sweep_tasks:ishigami",
        seed=11,
        outputs=("y",),
        parameters=tuple(Parameter(path=f"model.x{i}", low=-PI, high=PI) for i in (1, 2, 3)),
        design=Design(kind="lhs", n=16, seed=3),
    )
    base.update(kw)
    return SweepConfig(**base)


def flaky_cfg(marker_dir, fail_ids, mode="raise", **kw) -> SweepConfig:
    marker_dir.mkdir(exist_ok=True)
    ctx = {"marker_dir": str(marker_dir), "fail_ids": ",".join(str(i) for i in fail_ids), "fail_mode": mode}
    ctx.update(kw.pop("context", {}))
    return ishigami_cfg(task="sweep_tasks:flaky", context=ctx, **kw)


def read(path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


# ---------------------------------------------------------------------------
# Sobol' indices
# ---------------------------------------------------------------------------


def test_ishigami_sobol_indices_match_analytic(tmp_path):
    cfg = ishigami_cfg(design=Design(kind="sobol", n=2**11, seed=5))
    res = run_sensitivity(cfg, tmp_path / "sens", progress=False, n_resamples=200)
    d = len(cfg.parameters)
    assert res.sweep.n_tasks == 2**11 * (d + 2) and res.sweep.complete
    assert res.first_order.shape == res.total_order.shape == (1, d)
    np.testing.assert_allclose(res.first_order[0], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(res.total_order[0], ISHIGAMI_ST, atol=0.03)
    # bootstrap CIs bracket the estimates and are not absurdly wide
    for est, ci in ((res.first_order, res.first_order_ci), (res.total_order, res.total_order_ci)):
        assert np.all(ci[0] <= est + 1e-12) and np.all(est <= ci[1] + 1e-12)
        assert np.all(ci[1] - ci[0] < 0.15)
    # files
    rows = read(tmp_path / "sens" / "sobol.csv").decode().splitlines()
    assert rows[0].startswith("output,parameter,S1,S1_low,S1_high,ST,ST_low,ST_high")
    assert [r.split(",")[1] for r in rows[1:]] == ["model.x1", "model.x2", "model.x3"]
    doc = json.loads(read(tmp_path / "sens" / "sobol.json"))
    assert doc["n_base"] == 2**11 and doc["parameters"] == list(cfg.parameter_names)
    np.testing.assert_allclose(doc["outputs"]["y"]["total_order"], res.total_order[0])
    # the Ishigami variance: a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2
    v = 49 / 8 + 0.1 * PI**4 / 5 + 0.01 * PI**8 / 18 + 0.5
    assert res.variance[0] == pytest.approx(v, rel=0.05)


def test_sobol_noise_crn_and_nugget_report(tmp_path):
    n = 256
    clean = run_sensitivity(ishigami_cfg(design=Design(kind="sobol", n=n, seed=1)), tmp_path / "clean",
                            progress=False, n_resamples=0)
    noisy = ishigami_cfg(design=Design(kind="sobol", n=n, seed=1), replicates=4, context={"noise": 0.5})
    # CRN: every point sees the same noise draws, so the indices equal the noiseless ones
    crn = run_sensitivity(noisy, tmp_path / "crn", progress=False, n_resamples=0)
    np.testing.assert_allclose(crn.first_order, clean.first_order, atol=1e-9)
    np.testing.assert_allclose(crn.total_order, clean.total_order, atol=1e-9)
    # independent seeds: the noise is visible and reported as a nugget
    ind = run_sensitivity(dataclasses.replace(noisy, crn=False), tmp_path / "ind", progress=False, n_resamples=0)
    assert not np.allclose(ind.first_order, clean.first_order, atol=1e-6)
    assert ind.noise_var[0] == pytest.approx(0.25, rel=0.1)  # sd 0.5 per replicate
    assert ind.noise_var_of_mean[0] == pytest.approx(ind.noise_var[0] / 4)
    assert 0 < ind.noise_fraction[0] < 0.01
    assert REP_VAR_SUFFIX and ("y" + REP_VAR_SUFFIX) in ind.sweep.table
    doc = json.loads(read(tmp_path / "ind" / "sobol.json"))
    assert doc["outputs"]["y"]["noise_var_of_mean"] == pytest.approx(ind.noise_var_of_mean[0])
    assert math.isnan(clean.noise_var[0])


def test_saltelli_design_structure():
    cfg = ishigami_cfg(design=Design(kind="sobol", n=64, seed=2))
    pts, labels = saltelli_design(cfg)
    n, d = 64, 3
    assert pts.shape == (n * (d + 2), d) and len(labels) == len(pts)
    a, b = pts[:n], pts[n : 2 * n]
    for i in range(d):
        ab = pts[(2 + i) * n : (3 + i) * n]
        assert np.array_equal(ab[:, i], b[:, i])
        others = [j for j in range(d) if j != i]
        assert np.array_equal(ab[:, others], a[:, others])
        assert set(labels[(2 + i) * n : (3 + i) * n]) == {f"AB{i}"}
    assert np.all(np.abs(pts) <= PI)
    with pytest.raises(ConfigError):
        saltelli_design(ishigami_cfg(design=Design(kind="sobol", n=100)))


# ---------------------------------------------------------------------------
# executors give byte-identical tables
# ---------------------------------------------------------------------------


def test_results_identical_across_executors(tmp_path):
    pytest.importorskip("distributed")
    # crn=False + noise: outputs depend on the per-task seeds too
    cfg = ishigami_cfg(crn=False, replicates=2, context={"noise": 0.3})
    ref = run_sweep(cfg, tmp_path / "serial", progress=False)
    assert ref.n_completed == 16 and ref.n_failed == 0
    runs = {
        "processes1": dict(executor="processes", jobs=1),
        "processes2": dict(executor="processes", jobs=2),
        "dask2": dict(scheduler="local", jobs=2),
    }
    for name, kw in runs.items():
        res = run_sweep(cfg, tmp_path / name, progress=False, **kw)
        assert res.executor.startswith(kw.get("executor", "dask")), res.executor
        assert read(res.results_csv) == read(ref.results_csv), name
        assert read(tmp_path / name / "design.csv") == read(tmp_path / "serial" / "design.csv")
    text = read(ref.results_csv).decode().splitlines()
    assert text[0] == "task_id,model.x1,model.x2,model.x3,y,y__rep_var"
    assert [r.split(",")[0] for r in text[1:]] == [f"{i:06d}" for i in range(16)]


def test_process_workers_get_thread_caps():
    with executors.get_executor("processes", jobs=2, threads_per_worker=1) as ex:
        got = [r for _item, r in ex.map_unordered(os.getenv, ["NUMBA_NUM_THREADS", "OMP_NUM_THREADS"])]
    assert got == ["1", "1"]
    ex = executors.get_executor("processes", jobs=2)
    assert ex.jobs * ex.threads_per_worker <= executors.cpu_count()


def test_serial_executor_reports_exceptions():
    def f(x):
        if x == 2:
            raise ValueError("two")
        return x * 10

    with executors.get_executor("serial") as ex:
        out = dict(ex.map_unordered(f, [1, 2, 3]))
    assert out[1] == 10 and out[3] == 30 and isinstance(out[2], ValueError)
    with pytest.raises(ValueError, match="unknown executor"):
        executors.get_executor("threads")


def test_missing_dask_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(executors.ExecutorUnavailableError, match=r"pip install 'probisim\[dask\]'"):
        executors.get_executor("dask", scheduler="local")


# ---------------------------------------------------------------------------
# failures, crashes and resume
# ---------------------------------------------------------------------------


def test_failed_tasks_recorded_then_resumed(tmp_path):
    ref = run_sweep(ishigami_cfg(), tmp_path / "ref", progress=False)
    cfg = flaky_cfg(tmp_path / "markers", [3, 7, 8])
    out = tmp_path / "run"
    first = run_sweep(cfg, out, progress=False)
    assert first.failed == ("000003", "000007", "000008") and first.n_completed == 13
    rec = json.loads(read(out / "failed" / "000007.json"))
    assert rec["error_type"] == "RuntimeError" and "simulated failure" in rec["message"]
    assert "Traceback" in rec["traceback"] and set(rec["point"]) == set(cfg.parameter_names)
    assert sorted(p.name for p in (out / "tasks").iterdir()) == [
        f"{i:06d}.json" for i in range(16) if i not in (3, 7, 8)
    ]
    second = run_sweep(cfg, out, progress=False, resume=True)
    assert second.n_run == 3 and second.n_skipped == 13 and second.complete
    assert list((out / "failed").iterdir()) == []
    assert read(out / "results.csv") == read(ref.results_csv)


def test_keyboard_interrupt_keeps_finished_tasks(tmp_path):
    ref = run_sweep(ishigami_cfg(), tmp_path / "ref", progress=False)
    cfg = flaky_cfg(tmp_path / "markers", [5], mode="interrupt")
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(cfg, out, progress=False)
    assert sorted(p.stem for p in (out / "tasks").glob("*.json")) == [f"{i:06d}" for i in range(5)]
    assert not (out / "results.csv").exists()
    assert list((out / "failed").iterdir()) == []  # an interrupt is not a task failure
    res = run_sweep(cfg, out, progress=False, resume=True)
    assert res.n_skipped == 5 and res.n_run == 11 and res.complete
    assert read(out / "results.csv") == read(ref.results_csv)


def test_lost_task_files_are_rerun_on_resume(tmp_path):
    cfg = ishigami_cfg()
    out = tmp_path / "run"
    ref = read(run_sweep(cfg, out, progress=False).results_csv)
    for i in (0, 9, 15):
        (out / "tasks" / f"{i:06d}.json").unlink()
    (out / "tasks" / "000004.json").write_text('{"task_id": "000004", "outp')  # torn by a crash
    (out / "results.csv").unlink()
    res = run_sweep(cfg, out, progress=False, resume=True)
    assert res.n_run == 4 and res.complete
    assert read(out / "results.csv") == ref


def test_worker_death_loses_only_in_flight_tasks(tmp_path):
    ref = run_sweep(ishigami_cfg(), tmp_path / "ref", progress=False)
    cfg = flaky_cfg(tmp_path / "markers", [6], mode="exit")  # os._exit in the worker
    out = tmp_path / "run"
    first = run_sweep(cfg, out, executor="processes", jobs=2, progress=False)
    assert "000006" in first.failed
    rec = json.loads(read(out / "failed" / "000006.json"))
    assert rec["error_type"] == "WorkerLostError" and "000006" in rec["in_flight"]
    # every task is either finished or recorded as failed: nothing silently lost
    done = {p.stem for p in (out / "tasks").glob("*.json")}
    assert done | set(first.failed) == {f"{i:06d}" for i in range(16)}
    assert done.isdisjoint(first.failed) and len(done) >= 16 - 2 * 2
    res = run_sweep(cfg, out, executor="processes", jobs=2, progress=False, resume=True)
    assert res.complete
    assert read(out / "results.csv") == read(ref.results_csv)


def test_existing_output_dir_needs_resume_or_force(tmp_path):
    cfg = ishigami_cfg()
    out = tmp_path / "run"
    run_sweep(cfg, out, progress=False)
    with pytest.raises(OutputExistsError) as info:
        run_sweep(cfg, out, progress=False)
    assert str(out) in str(info.value) and "resume" in str(info.value)
    # resume of a different sweep is refused
    with pytest.raises(SweepMismatchError):
        run_sweep(dataclasses.replace(cfg, seed=12), out, progress=False, resume=True)
    # force starts over (and removes stale task files)
    (out / "tasks" / "999999.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    res = run_sweep(dataclasses.replace(cfg, design=Design(kind="lhs", n=4, seed=3)), out, progress=False, force=True)
    assert res.n_completed == 4 and len(list((out / "tasks").glob("*.json"))) == 4
    assert (out / "notes.txt").read_text() == "mine"  # force touches only the sweep's own files
    # resume with no config reuses DIR/sweep.toml
    assert run_sweep(None, out, progress=False, resume=True).n_run == 0


def test_sensitivity_refuses_incomplete_results(tmp_path):
    cfg = flaky_cfg(tmp_path / "markers", [2], design=Design(kind="sobol", n=8, seed=0))
    with pytest.raises(IncompleteSweepError) as info:
        run_sensitivity(cfg, tmp_path / "s", progress=False, n_resamples=0)
    assert info.value.failed == ("000002",)
    res = run_sensitivity(cfg, tmp_path / "s", progress=False, n_resamples=0, resume=True)
    assert res.sweep.complete and (tmp_path / "s" / "sobol.json").exists()


# ---------------------------------------------------------------------------
# designs, seeds and config
# ---------------------------------------------------------------------------


def test_grid_design_values_and_log_spacing():
    cfg = SweepConfig(
        task="sweep_tasks:ishigami",
        seed=0,
        design=Design(kind="grid", n=3),
        parameters=(
            Parameter(path="a", values=(5.0, 1.0)),
            Parameter(path="b", low=1.0, high=100.0, log=True),
            Parameter(path="c", low=-1.0, high=1.0),
        ),
    )
    pts = make_design(cfg)
    assert pts.shape == (2 * 3 * 3, 3)
    assert list(pts[:, 0]) == [5.0] * 9 + [1.0] * 9  # first parameter slowest
    np.testing.assert_allclose(np.unique(pts[:, 1]), [1.0, 10.0, 100.0])
    np.testing.assert_allclose(np.unique(pts[:, 2]), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_qmc_designs_respect_bounds_and_log_scaling(kind):
    n = 64
    cfg = SweepConfig(
        task="sweep_tasks:ishigami",
        seed=0,
        design=Design(kind=kind, n=n, seed=7),
        parameters=(
            Parameter(path="lin", low=-2.0, high=3.0),
            Parameter(path="loga", low=1e-3, high=1e3, log=True),
            Parameter(path="logb", low=0.5, high=8.0, dist="loguniform"),
        ),
    )
    pts = make_design(cfg)
    assert pts.shape == (n, 3)
    assert np.all((pts[:, 0] >= -2) & (pts[:, 0] <= 3))
    assert np.all((pts[:, 1] >= 1e-3) & (pts[:, 1] <= 1e3))
    assert np.all((pts[:, 2] >= 0.5) & (pts[:, 2] <= 8.0))
    # both LHS and Sobol' (n a power of 2) put exactly one point in each of n
    # equal strata of the *scaled* coordinate: linear, or log for log params
    strata = [
        (pts[:, 0] + 2) / 5,
        (np.log(pts[:, 1]) - np.log(1e-3)) / (np.log(1e3) - np.log(1e-3)),
        (np.log(pts[:, 2]) - np.log(0.5)) / (np.log(8.0) - np.log(0.5)),
    ]
    for u in strata:
        counts = np.bincount(np.minimum((u * n).astype(int), n - 1), minlength=n)
        assert np.all(counts == 1)


def test_integer_parameters_are_whole_numbers(tmp_path):
    cfg = ishigami_cfg(
        task="sweep_tasks:ishigami",
        parameters=(
            Parameter(path="trial.n_randomized", low=20.0, high=200.0, integer=True, log=True),
            Parameter(path="model.x2", low=-PI, high=PI),
            Parameter(path="model.x3", low=-PI, high=PI),
        ),
    )
    tasks = make_tasks(cfg, make_design(cfg))
    sizes = [t.point["trial.n_randomized"] for t in tasks]
    assert all(type(v) is int and 20 <= v <= 200 for v in sizes) and len(set(sizes)) > 8
    res = run_sweep(cfg, tmp_path / "int", progress=False)
    col = [line.split(",")[1] for line in read(res.results_csv).decode().splitlines()[1:]]
    assert col == [str(v) for v in sizes]  # written as ints, not 40.0
    with pytest.raises(ConfigError):
        SweepConfig(seed=0, parameters=(Parameter(path="n", low=0.5, high=10.0, integer=True),))


def test_lhs_reproducible_by_seed():
    a = make_design(ishigami_cfg())
    b = make_design(ishigami_cfg())
    c = make_design(ishigami_cfg(design=Design(kind="lhs", n=16, seed=4)))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_task_ids_and_seeds():
    pts = make_design(ishigami_cfg())
    crn = make_tasks(ishigami_cfg(), pts)
    assert [t.task_id for t in crn] == [f"{i:06d}" for i in range(16)]
    assert {t.seed for t in crn} == {11}
    ind = make_tasks(ishigami_cfg(crn=False), pts)
    seeds = [t.seed for t in ind]
    assert len(set(seeds)) == 16 and all(0 <= s < 2**32 for s in seeds)
    assert seeds == [t.seed for t in make_tasks(ishigami_cfg(crn=False), pts)]
    assert seeds != [t.seed for t in make_tasks(ishigami_cfg(crn=False, seed=12), pts)]


def test_sweep_file_with_relative_base_and_overrides(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "base.toml").write_text("# base experiment\n")
    (tmp_path / "common.toml").write_text('task = "sweep_tasks:ishigami"\nseed = 3\n')
    (tmp_path / "sweep.toml").write_text(
        'extends = "common.toml"\n'
        'base = "exp/base.toml"\n'
        'outputs = ["y"]\n'
        "[design]\nkind = \"sobol\"\nn = 8\n"
        + "".join(f'[[parameters]]\npath = "x{i}"\nlow = -3.0\nhigh = 3.0\n' for i in (1, 2, 3))
    )
    res = run_sweep(tmp_path / "sweep.toml", tmp_path / "out", progress=False, overrides=["design.n=4"])
    assert res.n_completed == 4
    assert res.config.base == str((tmp_path / "exp" / "base.toml").resolve())
    again = load_results(tmp_path / "out")
    assert again.config == res.config and np.array_equal(again.table["y"], res.table["y"])
    with pytest.raises(ConfigError):
        SweepConfig(seed=0, parameters=(Parameter(path="x", values=(1.0,)),), design=Design(kind="lhs"))
    with pytest.raises(ConfigError):
        SweepConfig(seed=0, parameters=(Parameter(path="x", low=0.0, high=1.0, log=True),))
    with pytest.raises(ConfigError, match="base"):  # the real task needs a base experiment
        run_sweep(SweepConfig(seed=0, parameters=(Parameter(path="x", low=0.0, high=1.0),)), tmp_path / "o2")


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------


def test_sweep_plots_render_to_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from probisim.viz.sweep_plots import plot_response_1d, plot_response_2d, plot_sobol_indices

    sens = run_sensitivity(
        ishigami_cfg(design=Design(kind="sobol", n=32, seed=1)), tmp_path / "s", progress=False, n_resamples=50
    )
    grid = run_sweep(ishigami_cfg(design=Design(kind="grid", n=5)), tmp_path / "g", progress=False)
    figures = {
        "sobol": plot_sobol_indices(sens),
        "sobol_from_dir": plot_sobol_indices(tmp_path / "s", output="y"),
        "resp1d": plot_response_1d(sens, "model.x1", "y"),
        "binned": plot_response_2d(sens, "model.x1", "model.x3", "y"),
        "contour": plot_response_2d(sens, "model.x1", "model.x3", "y", kind="contour"),
        "heatmap": plot_response_2d(grid, "model.x1", "model.x2", "y"),
        "heatmap_csv": plot_response_2d(tmp_path / "g" / "results.csv", "model.x1", "model.x2", "y", kind="heatmap"),
    }
    for name, ax in figures.items():
        assert ax.get_xlabel().startswith(("model.x", "parameter")), name
        path = tmp_path / f"{name}.png"
        ax.figure.savefig(path, dpi=60)
        assert path.stat().st_size > 1000, name
    assert figures["resp1d"].get_xlabel() == "model.x1" and figures["resp1d"].get_ylabel() == "y"
    assert len(figures["heatmap"].figure.axes) == 2  # the colour bar
    plt.close("all")


# ---------------------------------------------------------------------------
# no orphaned workers (issue 9, item 7)
# ---------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a live process from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    rest = text[text.rfind(")") + 2 :].split()  # fields after "pid (comm)"
    return rest[0], int(rest[1]), int(rest[19])


def _children(ppid: int) -> dict[int, int]:
    """{pid: start time} of the processes whose parent is ``ppid``, and of theirs."""
    found: dict[int, int] = {}
    todo = [ppid]
    while todo:
        parent = todo.pop()
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _proc_stat(int(name))
                if st is not None and st[1] == parent and int(name) not in found:
                    found[int(name)] = st[2]
                    todo.append(int(name))
    return found


def _alive(procs: dict[int, int]) -> list[int]:
    """The processes of ``procs`` still running (zombies and recycled pids count as gone)."""
    out = []
    for pid, start in procs.items():
        st = _proc_stat(pid)
        if st is not None and st[0] != "Z" and st[2] == start:
            out.append(pid)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process table from /proc (Linux)")
def test_killing_the_parent_leaves_no_worker(tmp_path):
    """SIGKILL of `probisim sensitivity ... --jobs 2` while both workers are busy:
    the workers and the multiprocessing resource tracker are gone within seconds."""
    import signal
    import subprocess
    import time
    from pathlib import Path

    from probisim.config import dumps_toml

    tests = Path(__file__).resolve().parent
    src = Path(executors.__file__).resolve().parents[2]
    markers = tmp_path / "busy"
    markers.mkdir()
    sweep_file = tmp_path / "slow.toml"
    sweep_file.write_text(dumps_toml({
        "task": "sweep_tasks:sleepy",
        "seed": 1,
        "outputs": ["y"],
        "context": {"marker_dir": str(markers), "sleep_s": 120.0},
        "design": {"kind": "sobol", "n": 2},
        "parameters": [{"path": "a", "low": 0.0, "high": 1.0}, {"path": "b", "low": 0.0, "high": 1.0}],
    }))
    paths = [str(src), str(tests), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    log = open(tmp_path / "stderr.txt", "w+")
    parent = subprocess.Popen(
        [sys.executable, "-m", "probisim", "sensitivity", str(sweep_file), "--jobs", "2",
         "--out", str(tmp_path / "out"), "--quiet"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True,
    )
    children: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 120
        while len(list(markers.iterdir())) < 2:  # both workers are inside a task
            assert parent.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "the workers never started a task"
            time.sleep(0.1)
        children = _children(parent.pid)
        busy = {int(m.name.split(".")[0]) for m in markers.iterdir()}
        assert busy <= set(children), (busy, children)
        assert any("resource_tracker" in _cmdline(pid) for pid in children), [_cmdline(p) for p in children]

        parent.send_signal(signal.SIGKILL)
        parent.wait()
        t0 = time.monotonic()
        while _alive(children) and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        left = _alive(children)
        assert not left, [(pid, _cmdline(pid)) for pid in left]
        assert time.monotonic() - t0 < 5
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in _alive(children):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        log.close()


def test_watch_parent_only_in_a_child():
    assert executors.watch_parent() is None  # the test process has no multiprocessing parent
