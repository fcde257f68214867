"""Installed, not only checked out: a plain (non-editable) install of the package,
run from a directory that has nothing of the checkout, lists and runs the shipped
experiments by name and finds its data files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package built and installed (no dependencies: they come from this environment)
    into a fresh target directory; returns (environment, an empty working directory)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(ROOT)], check=True, capture_output=True)
    # reuse what this checkout has already compiled (same sources: the same cache keys)
    src = ROOT / "src" / "probisim"
    for pkg in ("kernels", "measure"):
        cache = src / pkg / "__pycache__"
        if cache.is_dir():
            shutil.copytree(cache, target / "probisim" / pkg / "__pycache__", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.pyc"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    work = tmp_path_factory.mktemp("elsewhere")
    return env, work, target


def _probisim(installed, *args) -> subprocess.CompletedProcess:
    env, work, _ = installed
    return subprocess.run([sys.executable, "-m", "probisim", *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_installed_package_is_the_one_imported(installed):
    env, work, target = installed
    out = subprocess.run([sys.executable, "-c", "import probisim; print(probisim.__file__)"], cwd=work, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert Path(out.strip()).is_relative_to(target)
    assert (target / "probisim" / "measure" / "data" / "instruments.toml").is_file()


def test_installed_package_lists_and_runs_shipped_experiments(installed):
    listed = _probisim(installed, "list", "experiments")
    assert listed.returncode == 0, listed.stderr
    for name in ("stress_anxiety_6wk", "depression_mild_moderate", "community_depression"):
        assert name in listed.stdout
    run = _probisim(installed, "run", "stress_anxiety_6wk", "--replicates", "2", "--set", "n_randomized=12",
                    "--quiet", "--out", "r")
    assert run.returncode == 0, run.stderr
    assert (installed[1] / "r" / "report.md").is_file()


def test_installed_package_runs_calibrate(installed):
    cal = _probisim(installed, "calibrate", "--only", "C", "--replicates", "2", "--population", "200")
    assert cal.returncode in (0, 1), cal.stderr  # 1: a target missed at this tiny size
    assert "| C6 |" in cal.stdout and "| C1 |" in cal.stdout
