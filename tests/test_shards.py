"""Replicate trials in shards (blocks of replicates), here or on Dask workers, give
the bytes of one local run (issue #12 item 4: ``probisim run/power --scheduler``).

Every file of the results directory is compared byte for byte, except:

- ``manifest.json``: its fields ``wall_s``, ``timings``, ``threads`` (Numba
  threads per worker), ``executor`` and ``shards`` record where and how long the
  run went; every other field must be equal;
- ``report.md``: its line with the wall time (the same ``wall_s``) is masked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from probisim.cli.main import main
from probisim.trial import load_trial_config, run_trial
from probisim.trial.run import shard_specs

#: manifest fields that record the executor and the wall time, kept out of the comparison
RUN_ONLY = ("wall_s", "timings", "threads", "executor", "shards")

#: a small design with everything that spans replicates: three arms with stratified blocks,
#: product batches, dropout (imputation), responders and remission (Fisher), a biomarker
#: endpoint, potential outcomes, interim looks and a power curve
CONFIG = """
name = "shards"
replicates = 7
n_randomized = 24
seed = 11
product_viability_sd_log10 = 0.5
potential_outcomes = true
[population]
burn_in_days = 10
[screening]
days_before_baseline = 3
criteria = [{ score = "hads_d", min = 2 }]
[randomization]
method = "stratified"
block_size = 6
stratify_on = "hads_d"
[schedule]
treatment_days = 14
follow_up_days = 7
visits = [0, 7, 14, 21]
biomarker_visits = [0, 14]
instruments = ["pss10", "hads"]
trajectory_every = 7
[dropout]
hazard_per_day = 0.02
[[arms]]
name = "placebo"
interventions = [{ kind = "placebo", start_day = 0, end_day = 14 }]
[[arms]]
name = "probiotic"
interventions = [{ kind = "probiotic", start_day = 0, end_day = 14, strains = { L_helveticus_R0052 = 3e9 } }]
[[arms]]
name = "prebiotic"
interventions = [{ kind = "prebiotic", type = "gos", grams_per_day = 5.0, start_day = 0, end_day = 14 }]
[[endpoints]]
score = "hads_d"
primary = true
[[endpoints]]
score = "pss10"
[[endpoints]]
score = "crp_mg_l"
[analysis]
control_arm = "placebo"
[interim]
fractions = [0.5, 1.0]
[power]
n_randomized = [12, 18, 24]
"""


@pytest.fixture(scope="module")
def cfg_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("cfg") / "shards.toml"
    p.write_text(CONFIG)
    return p


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def assert_same_results(a: Path, b: Path) -> None:
    """Every file byte-identical, but the RUN_ONLY manifest fields and report.md's wall time."""
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        if name == "manifest.json":
            ma, mb = json.loads(fa[name]), json.loads(fb[name])
            for k in RUN_ONLY:
                assert k in ma and k in mb, k
                ma.pop(k), mb.pop(k)
            assert ma == mb
        elif name == "report.md":
            mask = lambda t: re.sub(rb"wall time [0-9.]+ s", b"wall time - s", t)  # noqa: E731
            assert mask(fa[name]) == mask(fb[name])
        else:
            assert fa[name] == fb[name], f"{name} differs"


@pytest.fixture(scope="module")
def local_run(cfg_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    assert main(["run", str(cfg_path), "--out", str(out), "--quiet"]) == 0
    return out


def test_shard_specs_cover_the_replicates_in_blocks_of_at_least_two():
    assert shard_specs(7, 1) == [(0, 7)]
    assert shard_specs(7, 3) == [(0, 3), (3, 2), (5, 2)]  # 3 does not divide 7
    assert shard_specs(7, 100) == [(0, 3), (3, 2), (5, 2)]  # at most R // 2 blocks
    assert shard_specs(1, 4) == [(0, 1)]
    for R in range(1, 30):
        for k in range(1, 12):
            s = shard_specs(R, k)
            assert sum(c for _, c in s) == R and all(f == sum(c for _, c in s[:i]) for i, (f, _) in enumerate(s))
            assert len(s) == 1 or min(c for _, c in s) >= 2


def test_shards_in_process_give_the_arrays_of_one_run(cfg_path):
    """3 shards of 7 replicates (3 + 2 + 2), simulated one after another here."""
    cfg = load_trial_config(cfg_path)
    one, three = run_trial(cfg), run_trial(cfg, shards=3)
    assert three.shards == 3 and one.shards == 1
    for name in ("visits", "participants", "biomarkers", "screening", "trajectories", "individual_effects",
                 "power_curve"):
        a, b = getattr(one, name), getattr(three, name)
        assert list(a) == list(b), name
        for k in a:
            assert np.asarray(a[k]).tobytes() == np.asarray(b[k]).tobytes(), f"{name}.{k}"
    for key in one.per_replicate:
        for k, v in one.per_replicate[key].items():
            assert v.tobytes() == three.per_replicate[key][k].tobytes(), f"{key}.{k}"
    assert json.dumps(one.summary, default=str) == json.dumps(three.summary, default=str)
    assert json.dumps(one.decisions, default=str) == json.dumps(three.decisions, default=str)


def test_cli_shards_without_dask_write_the_same_bytes(cfg_path, local_run, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(cfg_path), "--out", str(out), "--quiet", "--shards", "2"]) == 0
    assert_same_results(local_run, out)
    assert json.loads((out / "manifest.json").read_text())["shards"] == 2


@pytest.mark.parametrize("jobs,shards", [(1, None), (2, 3)])
def test_dask_local_cluster_run_is_byte_identical_to_the_local_run(cfg_path, local_run, tmp_path, jobs, shards):
    """A Dask LocalCluster run of `probisim run` is byte-identical to the local run:
    1 worker (default shards), and 2 workers with 3 shards of 7 replicates."""
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    argv = ["run", str(cfg_path), "--out", str(out), "--quiet", "--scheduler", "local", "--jobs", str(jobs)]
    if shards:
        argv += ["--shards", str(shards)]
    assert main(argv) == 0
    assert_same_results(local_run, out)
    man = json.loads((out / "manifest.json").read_text())
    assert man["executor"].startswith("dask(local") and man["shards"] == (shards or min(2 * jobs, 3))


def test_power_with_a_scheduler_is_byte_identical(cfg_path, tmp_path):
    pytest.importorskip("distributed")
    a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"  # the marker file names the directory
    common = [str(cfg_path), "--n", "12,24", "--replicates", "5", "--quiet"]
    assert main(["power", *common, "--out", str(a)]) == 0
    assert main(["power", *common, "--out", str(b), "--scheduler", "local", "--jobs", "2", "--shards", "2"]) == 0
    assert (a / "power.csv").is_file()
    assert_same_results(a, b)


def test_bad_scheduler_address_is_one_line_exit_2_nothing_written(cfg_path, tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    rc = main(["run", str(cfg_path), "--out", str(out), "--quiet", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("probisim: error: --scheduler tcp://127.0.0.1:9: cannot connect") and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []  # the claim is taken after connecting


@pytest.mark.parametrize("argv,msg", [(["--jobs", "2"], "--jobs sizes the local Dask cluster"),
                                      (["--shards", "0"], "--shards 0: expected a positive integer"),
                                      (["--scheduler", "tcp://h:1", "--threads", "1"], "--threads: the workers")])
def test_scheduler_option_errors(cfg_path, tmp_path, capsys, argv, msg):
    out = tmp_path / "out"
    assert main(["run", str(cfg_path), "--out", str(out), "--quiet", *argv]) == 2
    assert msg in capsys.readouterr().err
    assert not out.exists()
