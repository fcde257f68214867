"""Issue 9, items 1, 4, 5 (threads) and 8: output paths that cannot hurt, validate = run's
checks, the manifest's thread count, and the report's wording.

Every dangerous case runs ``probisim.cli.main`` inside a sandbox (a working
directory with files and folders, old results, and folders outside it) and
checks that everything in the sandbox survives byte for byte and that no
simulation started.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import numba
import pytest
from sandbox import TINY, snapshot
from sandbox import one_line_error as _one_line_error

import probisim
from probisim.cli import main
from probisim.config import ConfigError, check_label
from probisim.core import outdir

#: TINY with a remission-defining symptom scale (hads_d) and a biomarker endpoint (cortisol)
REPORT = TINY.replace('biomarker_visits = [0, 14]', 'biomarker_visits = [0, 14]\ninstruments = ["pss10", "hads"]') + """
[[endpoints]]
score = "hads_d"
[[endpoints]]
score = "cortisol_nmol_l"
"""


@pytest.fixture
def no_simulation(monkeypatch):
    """Record (and refuse) any simulation the CLI starts."""
    calls = []

    def fake(*a, **k):
        calls.append(a)
        raise AssertionError("a simulation was started")

    monkeypatch.setattr("probisim.trial.run_trial", fake)
    monkeypatch.setattr("probisim.trial.run.simulate_shard", fake)
    return calls


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    """One real TrialResult of TINY, reused by tests that only exercise the writing."""
    from probisim.trial import load_trial_config, run_trial

    p = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    p.write_text(TINY)
    return run_trial(load_trial_config(p))


@pytest.fixture
def cached_run(monkeypatch, tiny_result):
    """The CLI's run_trial returns the cached result (counting calls)."""
    calls = []

    def fake(cfg, **kw):
        calls.append(cfg)
        return tiny_result

    monkeypatch.setattr("probisim.trial.run_trial", fake)
    return calls


def _with_name(text: str, name: str) -> str:
    # a TOML basic string: json.dumps escapes '"', '\\', newline and NUL (\u0000) as TOML does
    return text.replace('name = "tiny"', f"name = {json.dumps(name)}", 1)


# ---------------------------------------------------------------------------
# item 1: names are labels
# ---------------------------------------------------------------------------
DANGEROUS_NAMES = ["..", "../..", "", ".", "../../../tmp/escape", "/ABSOLUTE/escape", "a\x00b", "a\nb",
                   "back\\slash", "x" * 101]


@pytest.mark.parametrize("name", DANGEROUS_NAMES, ids=repr)
@pytest.mark.parametrize("force", [False, True])
def test_dangerous_names_are_rejected_and_nothing_is_touched(sandbox, no_simulation, capsys, name, force):
    if name.startswith("/ABSOLUTE"):
        name = str(sandbox / "outside" / "escape")
    Path("bad.toml").write_text(_with_name(TINY, name))
    before = snapshot(sandbox)
    rc = main(["run", "bad.toml", "--quiet"] + (["--force"] if force else []))
    line = _one_line_error(capsys.readouterr().err)
    assert rc == 2
    assert "'name'" in line and "label" in line
    assert no_simulation == []
    assert snapshot(sandbox) == before


def test_check_label_accepts_ordinary_names():
    for ok in ("tiny", "stress anxiety 6wk", "trial-2024.v2", "é" * 100, "..x", "a.b"):
        check_label("name", ok)
    with pytest.raises(ConfigError, match="arms"):
        check_label("arms[0].name", "a/b")


def test_arm_names_are_labels_too(sandbox, no_simulation, capsys):
    # arm names become parts of figure file names
    Path("bad.toml").write_text(TINY.replace('name = "probiotic"', 'name = "../../probiotic"'))
    before = snapshot(sandbox)
    assert main(["run", "bad.toml", "--quiet"]) == 2
    assert "arms[1].name" in _one_line_error(capsys.readouterr().err)
    assert snapshot(sandbox) == before and no_simulation == []


# ---------------------------------------------------------------------------
# item 1: dangerous --out, all checked before simulating
# ---------------------------------------------------------------------------
def _dangerous_outs(sandbox: Path):
    work = Path.cwd()
    os.symlink(sandbox / "outside", "link_out")
    os.symlink(sandbox / "outside" / "precious.txt", "link_file")
    return {
        "dot": (["--out", "."], "must end in a new directory name"),
        "newdir/..": (["--out", "newdir/.."], "must end in a new directory name"),
        "data/..": (["--out", "data/.."], "must end in a new directory name"),
        "dotdot": (["--out", ".."], "must end in a new directory name"),
        "parent by name": (["--out", str(work.parent)], "working directory or one of its parents"),
        "cwd by name": (["--out", f"../{work.name}"], "working directory or one of its parents"),
        "cwd absolute": (["--out", str(work)], "working directory or one of its parents"),
        "root": (["--out", "/"], "must end in a new directory name"),
        "symlink outside": (["--out", "link_out"], "symbolic link"),
        "symlink to file": (["--out", "link_file"], "symbolic link"),
        "non-probisim dir": (["--out", "data"], "not a probisim results directory"),
        "old unmarked results": (["--out", "results/other_experiment"], "not a probisim results directory"),
        "sibling outside": (["--out", str(sandbox / "a" / "sibling")], "not a probisim results directory"),
        "existing file": (["--out", "notes.txt"], "not a directory"),
        "parent is a file": (["--out", "notes.txt/res"], "is a file"),
        "name too long": (["--out", "x" * 300], "too long for the file system"),
        "nested name too long": (["--out", "y" * 300 + "/res"], "too long for the file system"),
    }


CASES = ["dot", "newdir/..", "data/..", "dotdot", "parent by name", "cwd by name", "cwd absolute", "root",
         "symlink outside", "symlink to file", "non-probisim dir", "old unmarked results", "sibling outside",
         "existing file", "parent is a file", "name too long", "nested name too long"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("force", [True, False])
def test_dangerous_out_is_rejected_before_simulating(sandbox, no_simulation, capsys, case, force):
    argv, needle = _dangerous_outs(sandbox)[case]
    if not force and needle == "not a probisim results directory":
        needle = "already exists; use --force"
    before = snapshot(sandbox)
    rc = main(["run", "trial.toml", "--quiet", *argv] + (["--force"] if force else []))
    line = _one_line_error(capsys.readouterr().err)
    assert rc == 2, line
    assert needle in line, line
    assert no_simulation == []
    assert snapshot(sandbox) == before


def test_unwritable_parent_is_rejected_before_simulating(sandbox, no_simulation, capsys, monkeypatch):
    ro = Path("readonly")
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
    else:  # root may write anywhere: pretend the permission check says no
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p).resolve() == ro.resolve()
                            else real_access(p, mode, **kw))
    try:
        before = snapshot(sandbox)
        assert main(["run", "trial.toml", "--quiet", "--out", "readonly/res"]) == 2
        assert "is not writable" in _one_line_error(capsys.readouterr().err)
        assert no_simulation == [] and snapshot(sandbox) == before
    finally:
        ro.chmod(0o755)


def test_run_writes_only_the_results_directory(sandbox, cached_run, capsys):
    before = snapshot(sandbox)
    assert main(["run", "trial.toml", "--quiet", "--out", "new/deeper/res"]) == 0
    assert capsys.readouterr().out.strip() == "new/deeper/res"
    after = snapshot(sandbox)
    added = {k for k in after if k not in before}
    prefix = str(Path("a/b/work/new/deeper/res"))
    assert {k for k in added if not k.startswith(prefix + os.sep)} == \
        {str(Path("a/b/work/new")), str(Path("a/b/work/new/deeper")), prefix}
    assert all(after[k] == v for k, v in before.items())
    res = Path("new/deeper/res")
    assert outdir.is_results_dir(res) and (res / "manifest.json").is_file()
    assert sorted(os.listdir("new/deeper")) == ["res"]  # no lock file, no staging directory left


def test_force_replaces_only_a_marked_result_and_never_follows_links(sandbox, cached_run, capsys):
    assert main(["run", "trial.toml", "--quiet", "--out", "results/tiny", "--seed", "3"]) == 0
    res = Path("results/tiny")
    # links planted inside the result point outside: replacing it must not follow them
    os.symlink(sandbox / "outside", res / "evil_dir")
    os.symlink(sandbox / "outside" / "precious.txt", res / "evil_file")
    outside = snapshot(sandbox / "outside")
    assert main(["run", "trial.toml", "--quiet", "--out", "results/tiny", "--seed", "4"]) == 2
    assert "--force" in _one_line_error(capsys.readouterr().err)
    assert main(["run", "trial.toml", "--quiet", "--out", "results/tiny", "--seed", "4", "--force"]) == 0
    assert json.loads((res / "manifest.json").read_text())["seed"] == 4
    assert not (res / "evil_dir").exists() and not (res / "evil_dir").is_symlink()
    assert snapshot(sandbox / "outside") == outside
    assert sorted(os.listdir("results")) == ["other_experiment", "tiny"]
    # never the working directory, even a marked one
    os.chdir(res)
    assert main(["run", "../../trial.toml", "--quiet", "--out", "../tiny", "--force"]) == 2
    assert "working directory" in _one_line_error(capsys.readouterr().err)
    assert len(cached_run) == 2


def test_interrupt_and_write_failure_leave_nothing_behind(sandbox, monkeypatch, tiny_result, capsys):
    before = snapshot(sandbox)

    def interrupted(cfg, **kw):
        assert any(n.endswith(".probisim-lock") for n in os.listdir("fresh"))  # locked while simulating
        raise KeyboardInterrupt

    monkeypatch.setattr("probisim.trial.run_trial", interrupted)
    assert main(["run", "trial.toml", "--quiet", "--out", "fresh/res"]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert snapshot(sandbox) == before  # staging, lock and the created parent 'fresh' are gone

    monkeypatch.setattr("probisim.trial.run_trial", lambda cfg, **kw: tiny_result)

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("probisim.viz.trial_plots.plot_all", broken)
    assert main(["run", "trial.toml", "--quiet", "--out", "fresh/res"]) == 1
    assert "figures/" in _one_line_error(capsys.readouterr().err)
    assert snapshot(sandbox) == before


def test_leftovers_of_a_killed_run_are_removed_only_if_marked(sandbox, cached_run, capsys):
    Path("results/.tiny.probisim-lock").write_text("12345 host\n")  # a dead run's lock file (not held)
    stale = Path("results/.tiny.probisim-partial-12345-dead")
    stale.mkdir()
    (stale / outdir.MARKER).write_text(json.dumps({"kind": "probisim results directory"}))
    (stale / "visits.csv").write_text("half")
    foreign = Path("results/.tiny.probisim-partial-users-own")  # same prefix, not marked: not ours
    foreign.mkdir()
    (foreign / "keep").write_text("keep")
    assert main(["run", "trial.toml", "--quiet"]) == 0
    assert sorted(os.listdir("results")) == [".tiny.probisim-partial-users-own", "other_experiment", "tiny"]
    assert (foreign / "keep").read_text() == "keep"


def test_a_held_lock_fails_the_second_run_before_simulating(sandbox, no_simulation, capsys):
    with outdir.OutputClaim("results/tiny") as claim:
        assert claim.staging.is_dir() and outdir.is_results_dir(claim.staging)
        before = snapshot(sandbox)
        assert main(["run", "trial.toml", "--quiet"]) == 2
        assert "another probisim run is writing 'results/tiny'" in _one_line_error(capsys.readouterr().err)
        assert snapshot(sandbox) == before
    assert no_simulation == []
    assert sorted(os.listdir("results")) == ["other_experiment"]


def test_lock_file_replaced_under_a_waiter_is_not_trusted(tmp_path, monkeypatch):
    """A run that opened the lock file just before its holder removed it (and then
    released it) must not believe it holds the lock: the next run has a new lock
    file.  Simulated by swapping the file between our open() and our flock()."""
    plan = outdir.check_output(tmp_path / "r")
    real_flock = fcntl.flock
    other = []

    def flock(fd, op):
        if not other:  # the holder finishes: removes its file; a new run creates and locks a fresh one
            os.unlink(plan.lock_path)
            other.append(os.open(plan.lock_path, os.O_RDWR | os.O_CREAT))
            real_flock(other[0], fcntl.LOCK_EX)
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    try:
        with pytest.raises(outdir.OutputBusyError):
            with outdir.OutputClaim(tmp_path / "r"):
                pass
    finally:
        os.close(other[0])
    assert sorted(os.listdir(tmp_path)) == [".r.probisim-lock"]  # the other run's file, untouched


def _env():
    env = dict(os.environ)
    src = str(Path(probisim.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["MPLBACKEND"] = "Agg"
    return env


def test_two_concurrent_runs_one_wins_consistently(sandbox, capsys):
    cmd = [sys.executable, "-m", "probisim", "run", "trial.toml", "--quiet", "--out", "results/race"]
    procs = [subprocess.Popen(cmd + ["--seed", str(s)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env()) for s in (11, 12)]
    outs = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    loser = outs[[p.returncode for p in procs].index(2)][1]
    line = _one_line_error(loser)
    assert "another probisim run is writing" in line or "already exists" in line
    winner_seed = (11, 12)[[p.returncode for p in procs].index(0)]
    d = Path("results/race")
    man = json.loads((d / "manifest.json").read_text())
    cfg = tomllib.loads((d / "config.toml").read_text())
    assert man["seed"] == cfg["seed"] == winner_seed
    # the tables come from the same seed: a fresh run of that seed reproduces them exactly
    assert main(["run", "trial.toml", "--quiet", "--out", "check", "--seed", str(winner_seed)]) == 0
    for f in ("visits.csv", "participants.csv", "per_replicate.csv"):
        assert (d / f).read_bytes() == (Path("check") / f).read_bytes(), f
    assert sorted(os.listdir("results")) == ["other_experiment", "race"]


def test_sigterm_during_the_run_leaves_nothing_behind(sandbox):
    before = snapshot(sandbox)
    proc = subprocess.Popen([sys.executable, "-m", "probisim", "run", "trial.toml", "--quiet", "--out", "fresh/res"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    lock = Path("fresh/.res.probisim-lock")
    deadline = time.monotonic() + 120
    while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock.exists(), proc.communicate()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(sandbox) == before  # lock file, staging directory and the parent 'fresh' are gone


# ---------------------------------------------------------------------------
# item 4: validate rejects what run rejects, with the same message
# ---------------------------------------------------------------------------
CRIT = TINY.replace("days_before_baseline = 2", 'days_before_baseline = 2\n[[screening.criteria]]\nscore = "bdi2"\n'
                                                "min = 5\n", 1)


@pytest.mark.parametrize("text,argv,needle", [
    (CRIT, ["--set", "randomization.method='stratified'", "--set", "randomization.stratify_on='bdi-2'"],
     "did you mean 'bdi2'"),
    (TINY, ["--set", "randomization.stratify_on='bdi2'"], "no screening criterion"),
    (CRIT, ["--set", "screening.criteria[0].max=3"], "screening.criteria[0].max"),
    (_with_name(TINY, ".."), [], "'name'"),
    (TINY, ["--out", "."], "must end in a new directory name"),
    (TINY, ["--out", "notes.txt", "--force"], "not a directory"),
    (TINY, ["--out", "data", "--force"], "not a probisim results directory"),
    (TINY, ["--out", "results/other_experiment"], "already exists"),
    (TINY, ["--out", "x" * 300], "too long"),
    (REPORT, ["--set", "schedule.biomarker_visits=[0, 7]"], "biomarker endpoint sampled at day 0 and at its visit"),
    (TINY, ["--threads", "99"], "threads"),
    (TINY, ["--replicates", "0"], "replicates"),
])
def test_validate_rejects_what_run_rejects_with_the_same_message(sandbox, no_simulation, capsys, text, argv, needle):
    Path("c.toml").write_text(text)
    before = snapshot(sandbox)
    assert main(["validate", "c.toml", *argv]) == 2
    v = _one_line_error(capsys.readouterr().err)
    assert main(["run", "c.toml", "--quiet", *argv]) == 2
    r = _one_line_error(capsys.readouterr().err)
    assert v == r and needle in v, (v, r)
    assert no_simulation == [] and snapshot(sandbox) == before


def test_validate_checks_the_output_location_without_creating_it(sandbox, capsys):
    before = snapshot(sandbox)
    assert main(["validate", "trial.toml", "--out", "new/deeper/res"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["name"] == "tiny"
    assert main(["validate", "trial.toml"]) == 0  # default results/tiny
    assert snapshot(sandbox) == before


def test_valid_stratification_on_a_screening_score_runs(sandbox, capsys):
    Path("c.toml").write_text(CRIT)
    assert main(["validate", "c.toml", "--set", "randomization.method='stratified'",
                 "--set", "randomization.stratify_on='bdi2'"]) == 0


# ---------------------------------------------------------------------------
# item 5 (threads) and item 8 (report wording): one real run
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    (d / "r.toml").write_text(REPORT)
    out = d / "res"
    assert main(["run", str(d / "r.toml"), "--out", str(out), "--quiet", "--threads", "1"]) == 0
    return out


def test_manifest_records_the_threads_the_run_used(report_run):
    assert json.loads((report_run / "manifest.json").read_text())["threads"] == 1


def test_trial_result_records_threads(tiny_result):
    assert tiny_result.threads == numba.get_num_threads()


def test_report_states_power_and_target(report_run):
    text = (report_run / "report.md").read_text()
    assert "underpowered" not in text and "adequately" not in text
    assert len(re.findall(r"power \d+% \(target 80%; 95% CI \d+%-\d+%\)", text)) == 3
    for m in re.finditer(r"would need about (\d+) randomized per trial \(rough approximation, not simulated", text):
        assert int(m.group(1)) > 20


_FINDING = re.compile(r"is (-?\d+\.\d+) \(95% CI (-?\d+\.\d+) to (-?\d+\.\d+)\); the interval (includes|excludes) 0: "
                      r"(no clear effect|a benefit of treatment|a harm of treatment)")


def test_report_finding_agrees_with_the_pooled_interval(report_run):
    text = (report_run / "report.md").read_text()
    cond = json.loads((report_run / "summary.json").read_text())["condensed"]
    found = _FINDING.findall(text)
    assert len(found) == len(cond) == 3
    for (est, lo, hi, inc, verdict), c in zip(found, cond.values()):
        assert (float(est), float(lo), float(hi)) == tuple(round(c[k], 2) for k in
                                                           ("meta_pooled_smd", "meta_ci_low", "meta_ci_high"))
        lo, hi = c["meta_ci_low"], c["meta_ci_high"]
        expect = "a benefit of treatment" if lo > 0 else "a harm of treatment" if hi < 0 else "no clear effect"
        assert verdict == expect and (inc == "includes") == (expect == "no clear effect")


@pytest.mark.parametrize("lo,hi,verdict", [(0.05, 0.4, "a benefit of treatment"), (-0.5, -0.01, "a harm of treatment"),
                                           (-0.1, 0.3, "no clear effect")])
def test_finding_branches(lo, hi, verdict, tiny_result):
    from probisim.store.results_dir import _finding

    c = {"meta_pooled_smd": (lo + hi) / 2, "meta_ci_low": lo, "meta_ci_high": hi, "n_replicates": 50,
         "hedges_g_mean": 0.05}
    text = _finding(c, {"power": 0.9, "power_ci_low": 0.8, "power_ci_high": 0.95}, {}, "ancova_itt",
                    tiny_result.config)
    assert verdict in text and "power 90% (target 80%" in text and "would need" not in text


def test_report_dropout_table_is_per_trial(report_run):
    text = (report_run / "report.md").read_text()
    assert "| arm | randomized per trial |" in text and "averaged over the 3 replicate trials" in text
    rows = re.findall(r"^\| (placebo|probiotic) \| (\S+) \|", text, flags=re.M)
    assert rows == [("placebo", "10"), ("probiotic", "10")]  # 20 per trial, 1:1 blocks; not 3 x 10 pooled


def _section(text: str, score: str) -> str:
    return text.split(f"### {score}|")[1].split("###")[0].split("**Finding")[0]


def test_responder_rows_only_where_defined(report_run):
    text = (report_run / "report.md").read_text()
    assert "n/a to n/a" not in text
    pss, hads, cort = (_section(text, s) for s in ("pss10", "hads_d", "cortisol_nmol_l"))
    assert "| responders |" in pss and "| remission |" not in pss  # PSS-10 has no remission threshold
    assert "| responders |" in hads and "| remission |" in hads
    assert "| responders |" not in cort and "| remission |" not in cort
    cond = json.loads((report_run / "summary.json").read_text())["condensed"]
    cort_key = next(k for k in cond if k.startswith("cortisol"))
    assert set(cond[cort_key]["methods"]) == {"ancova_itt", "ancova_completers", "change"}
    with open(report_run / "per_replicate.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["endpoint"] == "cortisol_nmol_l":
                assert row["responders_rd"] == "nan" and row["responders_p"] == "nan"


def test_an_interrupt_swallowed_on_the_way_still_stops_the_result_landing(sandbox):
    """A SIGTERM whose KeyboardInterrupt is lost (as inside a ctypes callback of
    Numba's cache) must not let the run finish and put its result in place."""
    from probisim.core import interrupt

    before = snapshot(sandbox)
    with interrupt.interrupts_raise():
        with outdir.OutputClaim("fresh/res") as claim:
            (claim.staging / "visits.csv").write_text("x\n")
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(1.0)  # the handler runs here and raises
            except KeyboardInterrupt:
                pass  # swallowed, as a C callback would
            assert interrupt.requested()
            with pytest.raises(KeyboardInterrupt):
                claim.commit()
    assert not interrupt.requested()  # the block resets the record
    assert snapshot(sandbox) == before


def test_a_swallowed_interrupt_is_reported_once_not_as_a_traceback():
    """The 'Exception ignored' report of our own swallowed KeyboardInterrupt is
    silenced; an unraisable exception before any interrupt is still reported (run
    in a child process: pytest replaces the unraisable hook)."""
    script = textwrap.dedent("""
        import ctypes, os, signal, threading, time
        from probisim.core import interrupt

        @ctypes.CFUNCTYPE(None)
        def callback():
            time.sleep(1.0)  # SIGTERM lands here; its KeyboardInterrupt cannot leave a ctypes callback

        @ctypes.CFUNCTYPE(None)
        def failing():
            raise ValueError("a real problem")

        with interrupt.interrupts_raise():
            failing()  # before any interrupt: reported
            t = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
            t.start()
            callback()
            t.join()
            assert interrupt.requested()
        print("finished")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "finished", proc.stderr
    assert "KeyboardInterrupt" not in proc.stderr
    assert "Traceback" in proc.stderr and "a real problem" in proc.stderr
