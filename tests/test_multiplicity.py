"""Multiplicity adjustments: Holm and Hochberg equal statsmodels' multipletests;
fixed-sequence and gatekeeping follow their definitions; every method controls
the familywise error under the global null (Monte Carlo)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from probisim import stats

multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests

pvals = st.lists(st.floats(min_value=1e-6, max_value=1.0, allow_nan=False), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(pvals)
def test_holm_and_hochberg_equal_statsmodels(p):
    p = np.array(p)
    for ours, theirs in (("holm", "holm"), ("hochberg", "simes-hochberg")):
        adj = stats.adjust_pvalues(p, ours)
        rej_sm, adj_sm, _, _ = multipletests(p, alpha=0.05, method=theirs)
        assert_allclose(adj, adj_sm, rtol=1e-12, atol=1e-15)
        assert np.array_equal(stats.reject(p, ours, 0.05), rej_sm)


@settings(max_examples=100, deadline=None)
@given(st.lists(pvals, min_size=1, max_size=5).filter(lambda rows: len({len(r) for r in rows}) == 1))
def test_batched_equals_row_by_row(rows):
    P = np.array(rows)
    for m in stats.MULTIPLICITY_METHODS:
        batched = stats.adjust_pvalues(P, m, families=np.arange(P.shape[1]) % 2)
        for i in range(P.shape[0]):
            assert_allclose(batched[i], stats.adjust_pvalues(P[i], m, families=np.arange(P.shape[1]) % 2))


def test_fixed_sequence_stops_at_the_first_failure():
    p = np.array([0.01, 0.04, 0.20, 0.001])
    assert stats.reject(p, "fixed_sequence").tolist() == [True, True, False, False]
    assert_allclose(stats.adjust_pvalues(p, "fixed_sequence"), [0.01, 0.04, 0.20, 0.20])


def test_gatekeeping_tests_secondaries_only_after_every_primary():
    fam = [0, 0, 1, 1]
    # both primaries pass Holm (0.01*2, 0.02*1): secondaries tested with Holm at full alpha
    assert stats.reject([0.01, 0.02, 0.001, 0.03], "gatekeeping", families=fam).tolist() == [True, True, True, True]
    # one primary fails: nothing of the second family is rejected, however small
    assert stats.reject([0.01, 0.2, 1e-9, 1e-9], "gatekeeping", families=fam).tolist() == [True, False, False,
                                                                                           False]
    # a NaN primary blocks the secondaries
    assert stats.reject([np.nan, 0.001, 1e-9, 1e-9], "gatekeeping", families=fam).tolist() == [False, True, False,
                                                                                               False]


def test_every_method_controls_the_familywise_error_under_the_global_null():
    rng = np.random.default_rng(12)
    R, k = 40_000, 4
    # positively correlated test statistics, as endpoints of one trial are
    z = rng.standard_normal((R, 1)) * 0.6 + rng.standard_normal((R, k)) * 0.8
    from scipy.stats import norm

    p = 2 * norm.sf(np.abs(z))
    mc = np.sqrt(0.05 * 0.95 / R)
    for m in ("holm", "hochberg", "fixed_sequence", "gatekeeping"):
        fwer = stats.familywise_summary(stats.reject(p, m, families=[0, 0, 1, 1]))["any"]
        assert fwer <= 0.05 + 3 * mc, (m, fwer)
    assert stats.familywise_summary(stats.reject(p, "none"))["any"] > 0.12  # why adjusting matters


def test_bad_method_is_named():
    with pytest.raises(ValueError, match="method = 'bonf'"):
        stats.adjust_pvalues([0.1], "bonf")
