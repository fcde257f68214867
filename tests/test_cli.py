"""CLI tests (tiny configs; whole file well under a minute)."""

import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox import TINY

from probisim.cli import main


@pytest.fixture(autouse=True)
def _hermetic_cwd(tmp_path, monkeypatch):
    """validate and run check the default output location results/<name> relative to
    the working directory: run every test in an empty one."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    return p


def _one_line_error(err):
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("probisim: error:")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    p = tmp / "tiny.toml"
    p.write_text(TINY)
    out = tmp / "res"
    assert main(["run", str(p), "--out", str(out), "--quiet"]) == 0
    return out


def test_run_writes_results(run_dir, capsys):
    for f in ("manifest.json", "summary.json", "report.md", "config.toml", "visits.csv", "participants.csv",
              "biomarkers.csv", "per_replicate.csv", "arm_summary.csv", "trajectories.npz"):
        assert (run_dir / f).stat().st_size > 0, f
    figs = list((run_dir / "figures").glob("*.png"))
    assert len(figs) >= 5 and all(f.stat().st_size > 0 for f in figs)
    assert not run_dir.with_name("res.partial").exists()
    import json
    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["replicates"] == 3 and man["seed"] == 7 and "visits.csv" in man["files"]
    rows = (run_dir / "per_replicate.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 3  # header + 3 replicates x 1 comparison
    assert "pss10|probiotic vs placebo" in (run_dir / "report.md").read_text()


def test_run_prints_dir_and_overrides(cfg, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--replicates", "2", "--seed", "3",
                 "--format", "svg"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert list((out / "figures").glob("*.svg"))
    import json
    man = json.loads((out / "manifest.json").read_text())
    assert man["replicates"] == 2 and man["seed"] == 3


def test_existing_output_needs_force(run_dir, tmp_path, capsys):
    cfgp = run_dir / "config.toml"
    assert main(["run", str(cfgp), "--out", str(run_dir), "--quiet"]) == 2
    assert "--force" in _one_line_error(capsys.readouterr().err)


def test_validate_prints_toml(cfg, capsys):
    assert main(["validate", str(cfg), "--set", "n_randomized=30"]) == 0
    d = tomllib.loads(capsys.readouterr().out)
    assert d["n_randomized"] == 30 and d["name"] == "tiny"


def test_plot_redraws(run_dir, capsys):
    assert main(["plot", str(run_dir), "--format", "png"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed and all(p.endswith(".png") for p in printed)


@pytest.mark.parametrize("what,expect", [("taxa", "Bifidobacterium"), ("strains", "L_helveticus_R0052"),
                                         ("instruments", "pss10"), ("interventions", "probiotic")])
def test_list(what, expect, capsys):
    assert main(["list", what]) == 0
    assert expect in capsys.readouterr().out


def test_list_experiments(cfg, capsys):
    assert main(["list", "experiments", "--dir", str(cfg.parent)]) == 0
    assert "tiny" in capsys.readouterr().out


def test_explain_shows_the_built_in_entry_value(capsys):
    assert main(["explain", "model.strains.L_helveticus_R0052.gaba_capacity"]) == 0
    out = capsys.readouterr().out
    assert "default: 10.0  (built-in L_helveticus_R0052; a new entry defaults to 0.0)" in out
    assert main(["explain", "population.traits.depression_setpoint.mean"]) == 0
    assert "default: -0.1  (built-in trait depression_setpoint, community" in capsys.readouterr().out


def test_explain(capsys):
    assert main(["explain", "host.il6_lps"]) == 0
    out = capsys.readouterr().out
    assert "il6_lps" in out and "unit:" in out and "default:" in out
    assert main(["explain", "dropout.hazard_per_day"]) == 0
    assert "1/day" in capsys.readouterr().out


@pytest.mark.parametrize("argv_tail,needle", [
    (["--set", "n_randomzed=30"], "did you mean 'n_randomized'"),
    (["--set", "n_randomized='many'"], "n_randomized"),
    (["--set", "n_randomized=1"], "n_randomized"),
    (["--set", "n_randomized"], "n_randomized"),
    # a growth rate the run would refuse when it builds the model
    (["--set", "model.taxa.Bifidobacterium.growth_per_day=0.06"], "model.taxa.Bifidobacterium.growth_per_day"),
])
def test_bad_overrides(cfg, argv_tail, needle, capsys):
    assert main(["validate", str(cfg), *argv_tail]) == 2
    assert needle in _one_line_error(capsys.readouterr().err)


def test_unknown_key_in_file(tmp_path, capsys):
    p = tmp_path / "c.toml"
    p.write_text(TINY.replace("seed = 7", "sede = 7"))
    assert main(["validate", str(p)]) == 2
    assert "did you mean 'seed'" in _one_line_error(capsys.readouterr().err)


def test_missing_file_and_syntax_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in _one_line_error(capsys.readouterr().err)
    p = tmp_path / "bad.toml"
    p.write_text("name = \n[[arms]")
    assert main(["run", str(p), "--quiet", "--out", str(tmp_path / "x")]) == 2
    _one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "x").exists()


def test_bad_usage(capsys):
    assert main(["frobnicate"]) == 2
    _one_line_error(capsys.readouterr().err)
    assert main(["plot", "/nonexistent/dir"]) == 2
    _one_line_error(capsys.readouterr().err)


def test_help(capsys):
    for sub in ("run", "validate", "plot", "list", "explain", "sweep", "sensitivity"):
        assert main([sub, "--help"]) == 0
        out = capsys.readouterr().out
        assert "examples:" in out, sub


toml_scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                         st.booleans(), st.text(max_size=8))
keys = st.sampled_from(["name", "seed", "replicates", "n_randomized", "potential_outcomes", "bogus",
                        "schedule", "dropout", "analysis", "population", "arms", "endpoints"])
junk = st.dictionaries(keys, st.one_of(toml_scalars, st.dictionaries(
    st.sampled_from(["treatment_days", "hazard_per_day", "alpha", "visits", "x"]), toml_scalars, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["name", "score", "kind"]), st.text(max_size=5), max_size=2),
             max_size=2)), max_size=4)


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=junk)
def test_validate_never_raises(tmp_path, data, capsys):
    from probisim.config import dumps_toml

    p = tmp_path / "junk.toml"
    p.write_text(dumps_toml(data))
    capsys.readouterr()
    rc = main(["validate", str(p)])
    out, err = capsys.readouterr()
    assert rc in (0, 2)
    assert "Traceback" not in err
    if rc == 2:
        _one_line_error(err)
    else:  # round trip: resolved output re-validates to the same text
        q = tmp_path / "resolved.toml"
        q.write_text(out)
        assert main(["validate", str(q)]) == 0
        assert capsys.readouterr().out == out


def test_sweep_local_scheduler_runs_on_a_local_dask_cluster(tmp_path, capsys):
    """`--scheduler local` starts a LocalCluster (loopback) and finishes the sweep."""
    pytest.importorskip("distributed")
    sweep_toml = tmp_path / "sweep.toml"
    sweep_toml.write_text(
        'task = "sweep_tasks:ishigami"\n'  # a test task: no base experiment (a base must exist)
        'seed = 1\nreplicates = 1\noutputs = ["y"]\n'
        '[design]\nkind = "lhs"\nn = 4\nseed = 2\n'
        '[[parameters]]\npath = "x1"\nlow = -3.14\nhigh = 3.14\n'
        '[[parameters]]\npath = "x2"\nlow = -3.14\nhigh = 3.14\n'
        '[[parameters]]\npath = "x3"\nlow = -3.14\nhigh = 3.14\n')
    out = tmp_path / "out"
    rc = main(["sweep", str(sweep_toml), "--scheduler", "local", "--jobs", "2", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert (out / "results.csv").read_text().count("\n") == 5
