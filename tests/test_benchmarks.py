"""The kernel benchmarks still run and report what their READMEs describe.

Smoke runs only: tiny sizes and one or two batches, no timings asserted (speed
is the benchmarks' business, not the tests').
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str, threads: int = 2) -> dict:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, str(BENCH / script), *args, "--json"], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_bench_kernel_quick_reports_every_impl_and_ratio():
    d = _run("bench_kernel.py", "--quick", "--no-cold")
    seen = {(r["impl"], r["threads"]) for r in d["results"]}
    assert seen == {("kernel", 1), ("kernel", 2), ("floor", 1), ("floor", 2), ("richness", 1), ("richness", 2),
                    ("reference", 1)}
    for r in d["results"]:
        assert r["n"] == 1000 and r["taxa"] == 20 and r["participant_steps_per_s"] > 0
    for k in ("kernel_over_floor_1thread", "kernel_2threads_over_1thread", "kernel_over_reference_1thread"):
        assert d["ratios"][k] > 0
        assert k in d["goals"]


def test_bench_scratch_gap_includes_the_kernels_own_spacing():
    d = _run("bench_scratch_gap.py", "--kib", "48", "--n", "64", "--rounds", "1", "--calls", "1")
    names = [r["distance"] for r in d["results"]]
    assert names == ["kernel", "48 KiB"]
    kernel = d["results"][0]
    assert kernel["distance_kib"] >= 48  # the kernel keeps its rows far apart
    for r in d["results"]:
        assert r["efficiency"] > 0 and r["alone_ms"] > 0 and r["together_ms"] > 0


def test_bench_scratch_gap_rejects_overlapping_rows():
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, str(BENCH / "bench_scratch_gap.py"), "--kib", "8", "--n", "32",
                          "--rounds", "1"], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 2
    assert "--kib: 8 KiB is closer than one scratch row" in out.stderr
    assert "Traceback" not in out.stderr


def test_bench_trial_times_every_stage_of_the_trial():
    """Its timers wrap the trial's functions by name: a renamed function fails here,
    and each simulated day is counted in the stage that simulates it."""
    d = _run("bench_trial.py", "--replicates", "2", "--warmup-replicates", "1", "--threads", "1", "--warm-cache",
             "--no-16s", "--criterion", "pss10:5:", threads=1)
    r = d["results"][0]
    assert r["sim_days_trial"] == 7 + 70  # the day loop: screening day -7 .. day 69 (day 70 is only its visit)
    assert r["sim_days_enrol"] % 60 == 0 and r["sim_days_enrol"] > 0  # burn-in of each candidate batch
    b = r["breakdown_s"]
    for key in ("enrol.instruments (administer_instruments)", "trial.instruments (administer_instruments)",
                "trial.kernel (Engine.advance: step_day)", "trial.biomarkers (measure_biomarkers)",
                "trial.trajectories (arm_rows)", "tables.randomize (randomize)",
                "tables.long tables (long_table)", "analysis.analyze_endpoint"):
        assert key in b, key
    assert "enrol.instruments (administer_instruments) :: administer (item simulation + scoring)" in b
    assert "trial.instruments (administer_instruments) :: administer (item simulation + scoring)" in b
    kern = b["enrol.kernel (Engine.advance: step_day)"] + b["trial.kernel (Engine.advance: step_day)"]
    # (the JSON rounds seconds to 1 ms and the share to 1e-4, so compare seconds)
    assert r["kernel_share"] * r["wall_s"] == pytest.approx(kern, abs=3e-3) and 0 < r["kernel_share"] < 1
    assert d["goal"]["kernel_share"] == 0.5


def test_bench_power_times_the_curve_against_one_run_at_its_largest_n():
    """A smoke run: both runs are timed, the ratio is theirs, and the curve's power at
    its largest n is the single run's (the same trials and analysis)."""
    d = _run("bench_power.py", "--replicates", "4", "--sizes", "8,16", "--threads", "1", "--rounds", "2",
             "--warmup-replicates", "2")
    r = d["result"]
    assert r["sizes"] == [8, 16] and r["replicates"] == 4 and r["threads"] == 1
    assert len(r["single_s"]) == len(r["curve_s"]) == 2
    # (the times are rounded to 1 ms, a few per cent of these tiny runs)
    assert r["ratio_best"] == pytest.approx(min(r["curve_s"]) / min(r["single_s"]), rel=0.05)
    assert r["curve_matches_single_at_largest_n"] is True
    assert d["goal"]["ratio"] == 1.5 and d["goal"]["judged"] is False  # only at 1000 replicates, six sizes


def test_bench_power_rejects_bad_sizes():
    out = subprocess.run([sys.executable, str(BENCH / "bench_power.py"), "--sizes", "8,x"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "--sizes '8,x': expected comma-separated integers" in out.stderr and "Traceback" not in out.stderr


def test_ablation_patches_still_apply_to_the_kernel():
    """Each part ablate_kernel.py cuts out must still be found in its module of kernels/."""
    sys.path.insert(0, str(BENCH))
    try:
        import ablate_kernel as A
    finally:
        sys.path.remove(str(BENCH))
    for name, (fname, patch) in A.PARTS.items():
        src = (A.KERNELS / fname).read_text()
        out = patch(src)
        assert out != src, name
        compile(out, f"_ablate_{name}.py", "exec")  # still valid Python


def test_ablate_kernel_rejects_unknown_parts():
    out = subprocess.run([sys.executable, str(BENCH / "ablate_kernel.py"), "--only", "noise,gravity"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "expected some of noise, modulation" in out.stderr and "Traceback" not in out.stderr


def test_bench_sweep_runs_its_own_task_in_workers():
    """The default task (benchmarks/bench_tasks.py, not a test helper in the package)
    imports in this process and in the pool's workers."""
    d = _run("bench_sweep.py", "--tasks", "4", "--jobs", "2", "--dask-workers", "0", "--busy-ms", "0")
    assert d["task"] == "bench_tasks:ishigami" and d["results_identical"] is True
    assert [(r["executor"], r["jobs"], r["tasks"]) for r in d["results"]] == [("serial", 1, 4), ("processes", 2, 4)]


@pytest.mark.parametrize("script", ["bench_kernel.py", "bench_scratch_gap.py", "bench_trial.py", "bench_sweep.py",
                                    "ablate_kernel.py"])
def test_benchmarks_have_help(script):
    out = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "usage" in out.stdout
