"""Random-effects meta-analysis against published outputs (metafor, as stored in
statsmodels' test data), and Hedges' g's small-sample limit."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from probisim import stats

# Kacker 2004 (k = 9); metafor rma(y, v, method=..., test=...) outputs kept in
# statsmodels' stats/tests/results/results_meta.py (exk1_metafor, exk1_dl, exk1_dl_hksj)
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])


def test_paule_mandel_matches_metafor_on_kacker():
    r = stats.random_effects_meta(KACKER_Y, KACKER_V, method="PM", prediction="z")
    assert_allclose(r["tau2"], 0.705395309224248, rtol=1e-9)
    assert_allclose(r["estimate"], 62.4076199113286, rtol=1e-11)
    assert_allclose(r["se"], 0.338030602684471, rtol=1e-9)
    assert_allclose([r["ci_low"], r["ci_high"]], [61.7450921043947, 63.0701477182625], rtol=1e-10)
    assert_allclose(r["q"], 24.801897741835, rtol=1e-10)


def test_dersimonian_laird_and_hksj_match_metafor_on_kacker():
    dl = stats.random_effects_meta(KACKER_Y, KACKER_V, method="DL")
    assert_allclose(dl["tau2"], 0.288049246973751, rtol=1e-10)
    assert_allclose(dl["estimate"], 62.3901386044504, rtol=1e-12)
    assert_allclose(dl["se"], 0.245749668040304, rtol=1e-10)
    assert_allclose([dl["ci_low"], dl["ci_high"]], [61.9084781058787, 62.8717991030221], rtol=1e-10)
    hk = stats.random_effects_meta(KACKER_Y, KACKER_V, method="DL", ci="hksj")
    assert_allclose(hk["se"], 0.29477605699879, rtol=1e-10)
    assert_allclose([hk["ci_low"], hk["ci_high"]], [61.710383798052, 63.0698934108488], rtol=1e-10)
    assert hk["ci_method"] == "hksj" and hk["estimate"] == dl["estimate"]


def test_pm_and_hksj_agree_with_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    g = np.random.default_rng(3)
    y, v = g.normal(0.3, 0.4, 12), g.uniform(0.02, 0.2, 12)
    ours = stats.random_effects_meta(y, v, method="PM", ci="hksj")
    sm = combine_effects(y, v, method_re="pm", use_t=True, atol=1e-12, maxiter=500)
    assert_allclose(ours["tau2"], sm.tau2, rtol=1e-7)
    assert_allclose(ours["estimate"], sm.mean_effect_re, rtol=1e-9)
    low, high = sm.conf_int(use_t=True)[3]
    assert_allclose([ours["ci_low"], ours["ci_high"]], [low, high], rtol=1e-7)


def test_pm_is_zero_without_excess_heterogeneity():
    r = stats.random_effects_meta([0.1, 0.1, 0.1], [0.1, 0.2, 0.3], method="PM")
    assert r["tau2"] == 0.0


@pytest.mark.parametrize("n_treat,n_control", [(1, 2), (2, 1), (1, 1)])
def test_hedges_g_is_nan_below_four_participants(n_treat, n_control):
    y = np.arange(n_treat + n_control, dtype=float) ** 2
    arm = np.array([1] * n_treat + [0] * n_control)
    r = stats.hedges_g(y, arm)
    assert np.isnan(r["g"]).all() and np.isnan(r["se"]).all()
    four = stats.hedges_g(np.array([1.0, 3.0, 2.0, 7.0]), np.array([1, 1, 0, 0]))
    assert np.isfinite(four["g"]).all() and four["g"][0] != 0.0
