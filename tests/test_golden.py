"""Every test run compares fixed-seed results with the committed golden baseline
(see ``tests/golden_baseline.py``: what is stored, and how to regenerate it)."""

from __future__ import annotations

import json

import pytest
from golden_baseline import BASELINE, compute, differences, environment


@pytest.fixture(scope="module")
def recomputed():
    return compute()


def test_results_equal_the_golden_baseline(recomputed):
    doc = json.loads(BASELINE.read_text(encoding="utf-8"))
    diff = differences(doc["records"], recomputed)
    assert not diff, ("results differ from the golden baseline (regenerate with "
                      "`python tests/golden_baseline.py --write` only for a deliberate change, and say why "
                      f"in the commit); baseline made with {doc['environment']}, now {environment()}:\n"
                      + "\n".join(diff))


def test_the_comparison_can_fail(recomputed):
    """A changed figure or array is reported."""
    doc = json.loads(BASELINE.read_text(encoding="utf-8"))["records"]
    altered = json.loads(json.dumps(recomputed))
    rec = next(iter(altered))
    key = next(iter(altered[rec]["hashes"]))
    altered[rec]["hashes"][key] = "0" * 64
    fig = next(iter(altered["simulate"]["figures"]))
    altered["simulate"]["figures"][fig] = [-1.0, -1.0]
    diff = differences(doc, altered)
    assert any(f"{key} arrays changed" in d for d in diff)
    assert any(d.startswith(f"simulate: {fig}:") for d in diff)
