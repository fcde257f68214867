"""The sandbox the output-safety tests run in: a working directory with a small
trial config, files, folders and an old (unmarked) result, and folders outside
it; :func:`snapshot` records every entry, so a test can check that nothing
changed byte for byte. The ``sandbox`` fixture in tests/conftest.py builds it."""

from __future__ import annotations

import os
from pathlib import Path

TINY = """
name = "tiny"
replicates = 3
n_randomized = 20
seed = 7
[population]
burn_in_days = 10
[screening]
days_before_baseline = 2
[schedule]
treatment_days = 14
follow_up_days = 0
visits = [0, 7, 14]
biomarker_visits = [0, 14]
[[arms]]
name = "placebo"
[[arms.interventions]]
kind = "placebo"
[[arms]]
name = "probiotic"
[[arms.interventions]]
kind = "probiotic"
strains = { L_helveticus_R0052 = 3e9 }
[[endpoints]]
score = "pss10"
primary = true
"""


def one_line_error(err: str) -> str:
    """The one line of a refused command's stderr (no traceback)."""
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("probisim: error:"), err
    assert "Traceback" not in err
    return lines[0]


def snapshot(root: Path) -> dict:
    """Every entry under root: files with their bytes, directories, links with their targets."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", p.read_bytes())
    return out


def make_sandbox(tmp_path: Path, monkeypatch) -> Path:
    """cwd = tmp/a/b/work holding a config, files, folders and an old (unmarked) result;
    tmp/outside and tmp/a/sibling lie outside it.  Deep enough that every '../' escape
    of the dangerous names still lands inside tmp."""
    work = tmp_path / "a" / "b" / "work"
    (work / "data" / "nested").mkdir(parents=True)
    (work / "data" / "nested" / "x.bin").write_bytes(bytes(range(256)))
    (work / "notes.txt").write_text("my notes\n")
    (work / "results" / "other_experiment").mkdir(parents=True)
    (work / "results" / "other_experiment" / "manifest.json").write_text('{"seed": 1}\n')
    (work / "trial.toml").write_text(TINY)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "precious.txt").write_text("do not touch\n")
    (tmp_path / "a" / "sibling").mkdir()
    (tmp_path / "a" / "sibling" / "s.txt").write_text("sibling\n")
    monkeypatch.chdir(work)
    return tmp_path
