"""Sweeps check before they start (issue 9, item 6).

A missing base, a misspelt parameter path, a float range on an integer setting,
a misspelt output name or a bad task spec must stop ``probisim sweep`` /
``probisim sensitivity`` with exit 2 and one line on stderr, before any task
runs and without leaving anything in the output directory; ``--resume``
checks again.  Nothing here simulates except the last test.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from sandbox import TINY

from probisim import cli
from probisim.config import ConfigError, dumps_toml
from probisim.sweep import runner as sweep
from probisim.sweep import trial_task
from probisim.sweep.config import DEFAULT_TASK, SweepConfig, resolve_config
from probisim.trial import load_trial_config

TESTS = Path(__file__).resolve().parent

# a two-arm trial with one endpoint (pss10), small enough to simulate in the last test (the
# output-safety sandbox's config with two replicates)
BASE = TINY.replace("replicates = 3", "replicates = 2", 1)


def sweep_doc(**kw) -> dict:
    """A valid sweep of the tiny trial (the default task), changed by ``kw``."""
    doc = {
        "base": "base.toml",
        "seed": 3,
        "replicates": 1,
        "outputs": ["pss10.g_mean", "pss10.power"],
        "design": {"kind": "sobol", "n": 2, "seed": 1},
        "parameters": [
            {"path": "n_randomized", "low": 20.0, "high": 40.0, "integer": True},
            {"path": "model.strains.L_helveticus_R0052.anti_inflammatory", "low": 0.2, "high": 0.8},
        ],
    }
    doc.update(kw)
    return doc


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder with base.toml; every task evaluation and every trial run is recorded."""
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    calls = []

    def no_task(*args, **kwargs):  # stands in for running a task anywhere (serial executor)
        calls.append(args)
        raise AssertionError("a task ran")

    def no_trial(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a trial was simulated")

    monkeypatch.setattr(sweep, "execute_task", no_task)
    monkeypatch.setattr(trial_task, "run_trial", no_trial)
    monkeypatch.syspath_prepend(str(TESTS))  # task = "sweep_tasks:..."
    monkeypatch.chdir(tmp_path)
    return SimpleNamespace(dir=tmp_path, calls=calls)


def write_sweep(folder: Path, doc: dict, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(dumps_toml(doc), encoding="utf-8")
    return path


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("probisim: error:") and "Traceback" not in captured.err
    return lines[0]


SENSITIVITY_CASES = {
    # name: (changes to the valid sweep, words the one error line must hold)
    "missing base": (dict(base="no_such_base.toml"), ["'base'", "no_such_base.toml", "no file"]),
    "misspelt parameter path": (
        dict(parameters=[{"path": "n_randomised", "low": 20.0, "high": 40.0, "integer": True}]),
        ["'parameters[0].path'", "n_randomised", "did you mean 'n_randomized'"],
    ),
    "float range on an integer setting": (
        dict(parameters=[{"path": "n_randomized", "low": 40.0, "high": 160.5}]),
        ["'parameters[0].integer'", "n_randomized", "integer setting"],
    ),
    "whole-number float range on an integer setting": (
        dict(parameters=[{"path": "n_randomized", "low": 40.0, "high": 160.0}]),
        ["'parameters[0].integer'", "n_randomized", "integer setting"],
    ),
    "integer parameter with a fractional bound": (
        dict(parameters=[{"path": "n_randomized", "low": 40.0, "high": 160.5, "integer": True}]),
        ["'parameters[0].high'", "160.5", "whole number"],
    ),
    "misspelt output name": (
        dict(outputs=["pss10.g_maen"]),
        ["'outputs[0]'", "pss10.g_maen", "g_mean, power, estimate_mean, p_median, dropout",
         "did you mean 'pss10.g_mean'"],
    ),
    "output of a score that is no endpoint": (
        dict(outputs=["pss10.power", "bdi2.power"]), ["'outputs[1]'", "bdi2.power", "endpoints (pss10)"],
    ),
    "no outputs": (dict(outputs=[]), ["'outputs'", "at least one"]),
    "misspelt strain (would be a new, unused entry)": (
        dict(parameters=[{"path": "model.strains.L_helveticus_R0025.anti_inflammatory", "low": 0.2, "high": 0.8}]),
        ["'parameters[0].path'", "L_helveticus_R0025", "did you mean 'L_helveticus_R0052'"],
    ),
    "bound outside the setting's range": (
        dict(parameters=[{"path": "model.strains.L_helveticus_R0052.anti_inflammatory", "low": 0.2, "high": 1.5}]),
        ["'parameters[0].high'", "1.5", "[0, 1]"],
    ),
    "bound that breaks a cross-field rule": (
        dict(parameters=[{"path": "schedule.treatment_days", "low": 5.0, "high": 20.0, "integer": True}]),
        ["'parameters[0].low'", "schedule.treatment_days = 5", "schedule.visits"],
    ),
    "array index out of range": (
        dict(parameters=[{"path": "arms[4].ratio", "low": 1.0, "high": 3.0, "integer": True}]),
        ["'parameters[0].path'", "arms[4].ratio", "out of range"],
    ),
    "base that does not load": (dict(base="broken.toml"), ["'base'", "broken.toml", "n_randomized"]),
    "task that does not import": (
        dict(task="no_such_module_9x:evaluate"), ["'task'", "no_such_module_9x:evaluate", "ModuleNotFoundError"],
    ),
    "task function that does not exist": (
        dict(task="probisim.sweep.trial_task:evaluate_pont"),
        ["'task'", "probisim.sweep.trial_task:evaluate_pont", "AttributeError"],
    ),
    "task without seed and context": (
        dict(task="sweep_tasks:bad_signature"), ["'task'", "sweep_tasks:bad_signature", "fn(point, *, seed, context)"],
    ),
    "custom task with a missing base": (
        dict(task="sweep_tasks:sleepy", base="gone.toml", outputs=["y"]), ["'base'", "gone.toml"],
    ),
    "custom task whose check rejects a path": (
        dict(task="sweep_tasks:counted", base="", outputs=["y"],
             parameters=[{"path": "nn", "low": 1.0, "high": 4.0, "integer": True}]),
        ["'parameters[0].path'", "'nn'", "unknown setting"],
    ),
    "custom task whose check knows an integer setting": (
        dict(task="sweep_tasks:counted", base="", outputs=["y"], parameters=[{"path": "n", "low": 1.0, "high": 4.0}]),
        ["'parameters[0].integer'", "'n' is an integer setting"],
    ),
}


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
@pytest.mark.parametrize("case", list(SENSITIVITY_CASES))
def test_bad_sweep_stops_before_any_task_with_one_line(workdir, capsys, command, case):
    changes, words = SENSITIVITY_CASES[case]
    (workdir.dir / "broken.toml").write_text(BASE.replace("n_randomized = 20", "n_randomized = 1"), encoding="utf-8")
    path = write_sweep(workdir.dir, sweep_doc(**changes))
    out = workdir.dir / "out"
    assert cli.main([command, str(path), "--out", str(out), "--quiet"]) == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, (word, line)
    assert workdir.calls == []  # no task ran, no trial was simulated
    assert not out.exists()  # nothing written, no empty directory left behind


def test_parallel_and_dask_sweeps_check_before_starting_workers(workdir, capsys):
    path = write_sweep(workdir.dir, sweep_doc(outputs=["pss10.g_maen"]))
    for extra in (["--jobs", "2"], ["--scheduler", "local"]):
        out = workdir.dir / "out"
        assert cli.main(["sweep", str(path), "--out", str(out), "--quiet", *extra]) == 2
        assert "'outputs[0]'" in one_error_line(capsys)
        assert not out.exists()


def test_valid_sweep_passes_the_check(workdir):
    cfg = resolve_config(write_sweep(workdir.dir, sweep_doc()), workdir.dir / "out", False, ())
    sweep.check_sweep(cfg)  # raises nothing, runs nothing
    assert workdir.calls == []


def test_existing_out_dir_is_untouched_by_a_failed_check(workdir, capsys):
    out = workdir.dir / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    path = write_sweep(workdir.dir, sweep_doc(outputs=["pss10.g_maen"]))
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet", "--force"]) == 2
    one_error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_resume_checks_again(workdir, monkeypatch, capsys):
    """A sweep started with a good base, resumed after the base broke: exit 2, the
    directory (finished tasks included) unchanged."""
    def fake_task(task_spec, context, wanted, task):
        return {"outputs": {name: 0.5 for name in wanted}, "elapsed_s": 0.0}

    monkeypatch.setattr(sweep, "execute_task", fake_task)
    path = write_sweep(workdir.dir, sweep_doc())
    out = workdir.dir / "out"
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "tasks" / "000003.json").unlink()  # one task to redo

    monkeypatch.setattr(sweep, "execute_task", lambda *a: pytest.fail("a task ran on resume"))
    (workdir.dir / "base.toml").write_text(BASE.replace('score = "pss10"', 'score = "pss10"\nvisit = 99'))
    for argv in (["sensitivity", str(path), "--out", str(out), "--resume", "--quiet"],
                 ["sensitivity", str(out / "sweep.toml"), "--out", str(out), "--resume", "--quiet"]):
        assert cli.main(argv) == 2
        line = one_error_line(capsys)
        assert "'base'" in line and "endpoints[0].visit" in line, line
    with pytest.raises(ConfigError, match="base"):
        sweep.run_sensitivity(None, out, resume=True, progress=False)  # sweep.toml of the directory
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    del before[out / "tasks" / "000003.json"]
    assert after == before


def test_resume_and_force_together_is_one_line(workdir, capsys):
    path = write_sweep(workdir.dir, sweep_doc())
    assert cli.main(["sweep", str(path), "--out", str(workdir.dir / "o"), "--resume", "--force"]) == 2
    assert "--resume" in one_error_line(capsys)


def test_check_point_and_evaluate_point_share_the_output_names(tmp_path):
    """Every name the check accepts is one evaluate_point returns (one list: trial_task.SWEEP_STATS)."""
    base = tmp_path / "base.toml"
    base.write_text(BASE, encoding="utf-8")
    cfg = load_trial_config(base)
    names = trial_task.sweep_output_names(cfg)
    assert names == tuple(f"pss10.{stat}" for stat in trial_task.SWEEP_STATS)
    assert set(trial_task.SWEEP_STATS) == {"g_mean", "power", "estimate_mean", "p_median", "dropout"}
    context = {"base": str(base), "replicates": 2, "outputs": list(names), "crn": True}
    resolved = trial_task.check_point({}, context=context)
    assert resolved["n_randomized"] == 20
    out = trial_task.evaluate_point({"n_randomized": 24}, seed=5, context=context)
    assert set(out) == set(names) | {f"{n}__rep_var" for n in names}
    with pytest.raises(ConfigError, match=r"outputs\[0\]"):
        trial_task.evaluate_point({}, seed=5, context={**context, "outputs": ["pss10.mean"]})
    assert all(type(v) is float for v in out.values())
    assert trial_task.evaluate_point.check is trial_task.check_point  # the hook check_sweep calls


def test_the_old_name_of_the_default_task_still_works(workdir):
    """Sweep files (and sweep directories) written before the trial task moved to
    probisim.sweep.trial_task name it 'probisim.trial:evaluate_point'."""
    assert DEFAULT_TASK == "probisim.sweep.trial_task:evaluate_point"
    doc = sweep_doc(task="probisim.trial:evaluate_point")
    cfg = resolve_config(write_sweep(workdir.dir, doc), workdir.dir / "out", False, ())
    assert cfg.task == DEFAULT_TASK
    sweep.check_sweep(cfg)  # the new function's check hook runs; nothing is simulated
    assert workdir.calls == []
    explicit = resolve_config(write_sweep(workdir.dir, sweep_doc(task=DEFAULT_TASK), "new.toml"),
                              workdir.dir / "out", False, ())
    assert explicit == cfg  # same config hash: a directory started under the old name resumes
    with pytest.raises(ConfigError, match="base"):  # still the default task: it needs a base
        resolve_config(SweepConfig(task="probisim.trial:evaluate_point", seed=0,
                                   parameters=cfg.parameters), workdir.dir / "o", False, ())
