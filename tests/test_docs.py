"""The parameter tables in docs/model.md are generated from the code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_tables_match_the_code():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "make_param_tables.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
