"""Output safety beyond `probisim run`: sweep directories, `probisim plot` and the
calibration CSV only ever write into or remove what probisim created.

Each dangerous case runs in the sandbox of ``test_output_safety`` (a working
directory with files, folders and old results, plus folders outside it) and
checks that everything survives byte for byte.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from sandbox import one_line_error as _one_line_error
from sandbox import snapshot

from probisim.cli import main
from probisim.core import outdir

SWEEP = """
task = "sweep_tasks:ishigami"
seed = 11
outputs = ["y"]
[design]
kind = "lhs"
n = 4
seed = 3
[[parameters]]
path = "model.x1"
low = -3.0
high = 3.0
"""


@pytest.fixture
def sweep_file(sandbox):
    Path("sweep.toml").write_text(SWEEP)
    return sandbox


def _sweep(*args) -> list[str]:
    return ["sweep", "sweep.toml", "--quiet", *args]


@pytest.mark.parametrize("flag", [[], ["--force"], ["--resume"]])
@pytest.mark.parametrize("where", ["data", "results/other_experiment", ".", "data/..", "../..", "link"])
def test_sweep_never_writes_into_or_deletes_from_a_foreign_directory(sweep_file, capsys, flag, where):
    os.symlink(sweep_file / "outside", "link")
    before = snapshot(sweep_file)
    assert main(_sweep("--out", where, *flag)) == 2
    _one_line_error(capsys.readouterr().err)
    assert snapshot(sweep_file) == before


def test_force_starts_over_only_in_a_marked_sweep_directory(sweep_file, capsys):
    assert main(_sweep("--out", "s")) == 0
    assert outdir.is_results_dir("s", outdir.SWEEP_KIND)
    Path("s/mine.txt").write_text("kept")
    os.symlink(sweep_file / "outside", "s/tasks_link")
    assert main(_sweep("--out", "s")) == 2  # exists: needs --resume or --force
    assert "--resume" in _one_line_error(capsys.readouterr().err)
    assert main(_sweep("--out", "s", "--force")) == 0
    assert Path("s/mine.txt").read_text() == "kept"  # only the sweep's own files are replaced
    assert (sweep_file / "outside" / "precious.txt").read_text() == "do not touch\n"
    assert main(_sweep("--out", "s", "--resume")) == 0


def test_an_empty_directory_is_adopted_and_marked(sweep_file):
    Path("empty").mkdir()
    assert main(_sweep("--out", "empty")) == 0
    assert outdir.is_results_dir("empty", outdir.SWEEP_KIND)


def test_a_sweep_in_progress_holds_its_directory(sweep_file, capsys):
    assert main(_sweep("--out", "s")) == 0
    fd = os.open("s/.probisim-lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(_sweep("--out", "s", "--resume")) == 2
        assert "another probisim sweep" in _one_line_error(capsys.readouterr().err)
    finally:
        os.close(fd)


def test_default_sweep_output_is_named_after_a_plain_file_name(sweep_file, capsys):
    Path("..toml").write_text(SWEEP)
    before = snapshot(sweep_file)
    assert main(["sweep", "..toml", "--quiet"]) == 2
    assert "--out" in _one_line_error(capsys.readouterr().err)
    assert snapshot(sweep_file) == before


def test_plot_writes_only_into_a_marked_results_directory(sandbox, capsys):
    before = snapshot(sandbox)
    # an unmarked directory with a manifest (e.g. someone else's) is refused
    assert main(["plot", "results/other_experiment"]) == 2
    _one_line_error(capsys.readouterr().err)
    # a marked one whose figures/ is a link out of it is refused too
    fake = Path("results/fake")
    fake.mkdir()
    (fake / "manifest.json").write_text("{}")
    (fake / outdir.MARKER).write_text('{"kind": "probisim results directory"}')
    os.symlink(sandbox / "outside", fake / "figures")
    assert main(["plot", str(fake)]) == 2
    assert "link" in _one_line_error(capsys.readouterr().err)
    assert {k: v for k, v in snapshot(sandbox).items() if "fake" not in k} == before


def test_calibration_csv_is_never_written_through_a_link(sandbox, capsys):
    os.symlink(sandbox / "outside" / "precious.txt", "table.csv")
    assert main(["calibrate", "--replicates", "2", "--csv", "table.csv", "--force"]) == 2
    assert "symbolic link" in _one_line_error(capsys.readouterr().err)
    assert (sandbox / "outside" / "precious.txt").read_text() == "do not touch\n"
