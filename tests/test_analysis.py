"""Tests of probisim.analysis against scipy, numpy.linalg.lstsq and published values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats

from probisim import stats as A
from probisim.stats.imputation import _impute_follow_up

PROP = settings(deadline=None, max_examples=40)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_trials(
    seed: int,
    R: int,
    n: int,
    *,
    effect: float = -2.0,
    slope: float = 0.6,
    sd: float = 4.0,
    miss: float = 0.0,
    outsiders: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Baseline ~ N(20, 5); y = 5 + slope*b + effect*treat + N(0, sd); MCAR NaNs."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, (R, n))
    if outsiders:
        arm = np.where(rng.random((R, n)) < outsiders, -1, arm)
    b = rng.normal(20.0, 5.0, (R, n))
    y = 5.0 + slope * b + effect * (arm == 1) + rng.normal(0.0, sd, (R, n))
    y[rng.random((R, n)) < miss] = np.nan
    return y, b, arm


def ref_ancova(y, b, arm, alpha):
    """One replicate: lstsq on [1, treat, baseline] + scipy t; None if degenerate."""
    ok = np.isin(arm, (0, 1)) & np.isfinite(y) & np.isfinite(b)
    t = (arm[ok] == 1).astype(float)
    X = np.column_stack([np.ones(ok.sum()), t, b[ok]])
    n = X.shape[0]
    if n < 4 or t.sum() == 0 or t.sum() == n:
        return None
    beta, _, rank, _ = np.linalg.lstsq(X, y[ok], rcond=None)
    if rank < 3:
        return None
    resid = y[ok] - X @ beta
    df = n - 3
    se = np.sqrt(resid @ resid / df * np.linalg.inv(X.T @ X)[1, 1])
    crit = stats.t.ppf(1 - alpha / 2, df)
    p = 2 * stats.t.sf(abs(beta[1] / se), df)
    return dict(estimate=beta[1], se=se, ci_low=beta[1] - crit * se, ci_high=beta[1] + crit * se, p=p, df=df, n_used=n)


trial_params = dict(
    seed=st.integers(0, 2**32 - 1),
    R=st.integers(1, 4),
    n=st.integers(5, 40),
    miss=st.sampled_from([0.0, 0.1, 0.3]),
)


# --------------------------------------------------------------------------
# ANCOVA
# --------------------------------------------------------------------------


@PROP
@given(**trial_params, alpha=st.sampled_from([0.05, 0.1]))
def test_ancova_matches_lstsq_and_scipy_t(seed, R, n, miss, alpha):
    y, b, arm = make_trials(seed, R, n, miss=miss, outsiders=0.1)
    res = A.ancova(y, b, arm, alpha=alpha)
    assert all(v.shape == (R,) for v in res.values())
    for r in range(R):
        ref = ref_ancova(y[r], b[r], arm[r], alpha)
        if ref is None:
            assert np.isnan(res["estimate"][r]) and np.isnan(res["p"][r])
            continue
        for key, val in ref.items():
            assert_allclose(res[key][r], val, rtol=1e-8, atol=1e-10, err_msg=key)


def test_ancova_hand_calculation():
    # control b=10,12,14,16 y=9,12,12,15; treatment b=11,13,15,17 y=7,9,10,13.
    # Pooled within-arm slope = (18 + 19) / (20 + 20) = 0.925;
    # estimate = (9.75 - 12) - 0.925 * (14 - 13) = -3.175;
    # RSS = (18 + 18.75) - 37^2/40 = 2.525 on 5 df; var = RSS/5 * (1/4 + 1/4 + 1/40).
    b = np.array([10, 12, 14, 16, 11, 13, 15, 17], float)
    y = np.array([9, 12, 12, 15, 7, 9, 10, 13], float)
    arm = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    res = A.ancova(y, b, arm)
    se = np.sqrt(2.525 / 5 * 0.525)
    assert_allclose(res["estimate"], [-3.175], rtol=1e-12)
    assert_allclose(res["se"], [se], rtol=1e-12)
    assert_allclose(res["baseline_slope"], [0.925], rtol=1e-12)
    assert res["df"][0] == 5 and res["n_used"][0] == 8
    assert_allclose(res["p"], [2 * stats.t.sf(3.175 / se, 5)], rtol=1e-10)


@PROP
@given(**trial_params)
def test_ancova_equals_pooled_within_slope_formula(seed, R, n, miss):
    """Classical ANCOVA algebra: est = dy - b_w * db, var = s^2 (1/n1 + 1/n0 + db^2/Sxx_w)."""
    y, b, arm = make_trials(seed, R, n, miss=miss)
    res = A.ancova(y, b, arm)
    for r in range(R):
        ok = np.isfinite(y[r])
        g = [(b[r][ok & (arm[r] == a)], y[r][ok & (arm[r] == a)]) for a in (0, 1)]
        if min(len(g[0][0]), len(g[1][0])) < 1 or len(g[0][0]) + len(g[1][0]) < 4:
            assert np.isnan(res["estimate"][r])
            continue
        sxx = sum(((bb - bb.mean()) ** 2).sum() for bb, _ in g)
        sxy = sum(((bb - bb.mean()) * (yy - yy.mean())).sum() for bb, yy in g)
        syy = sum(((yy - yy.mean()) ** 2).sum() for _, yy in g)
        bw = sxy / sxx
        db = g[1][0].mean() - g[0][0].mean()
        est = (g[1][1].mean() - g[0][1].mean()) - bw * db
        s2 = (syy - sxy**2 / sxx) / (len(g[0][0]) + len(g[1][0]) - 3)
        se = np.sqrt(s2 * (1 / len(g[0][0]) + 1 / len(g[1][0]) + db**2 / sxx))
        assert_allclose(res["estimate"][r], est, rtol=1e-8, atol=1e-10)
        assert_allclose(res["se"][r], se, rtol=1e-8)


@PROP
@given(**trial_params, perm_seed=st.integers(0, 2**32 - 1))
def test_ancova_invariant_to_participant_order(seed, R, n, miss, perm_seed):
    y, b, arm = make_trials(seed, R, n, miss=miss)
    perm = np.random.default_rng(perm_seed).permutation(n)
    a = A.ancova(y, b, arm)
    p = A.ancova(y[:, perm], b[:, perm], arm[:, perm])
    for key in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert_allclose(p[key], a[key], rtol=1e-9, atol=1e-11, equal_nan=True)


@PROP
@given(**trial_params)
def test_swapping_arms_flips_signs(seed, R, n, miss):
    y, b, arm = make_trials(seed, R, n, miss=miss)
    swapped = np.where(arm == 1, 0, 1)
    for fn in (A.ancova, A.change_score_test):
        a, s = fn(y, b, arm), fn(y, b, swapped)
        assert_allclose(s["estimate"], -a["estimate"], rtol=1e-9, atol=1e-11, equal_nan=True)
        assert_allclose(s["se"], a["se"], rtol=1e-9, equal_nan=True)
        assert_allclose(s["p"], a["p"], rtol=1e-8, atol=1e-14, equal_nan=True)
        assert_allclose(s["ci_low"], -a["ci_high"], rtol=1e-9, atol=1e-11, equal_nan=True)
    ga, gs = A.hedges_g(y, arm), A.hedges_g(y, swapped)
    assert_allclose(gs["g"], -ga["g"], rtol=1e-12, equal_nan=True)


def test_ancova_degenerate_replicates_are_nan_not_errors():
    y, b, arm = make_trials(0, 4, 30)
    arm[1] = 0  # no treatment arm
    b[2] = 7.0  # constant baseline: slope not identified
    y[3, 3:] = np.nan  # 3 complete cases, 0 residual df
    res = A.ancova(y, b, arm)
    assert np.isfinite(res["estimate"][0])
    assert np.all(np.isnan(res["estimate"][1:])) and np.all(np.isnan(res["se"][1:]))
    alone = A.ancova(y[0], b[0], arm[0])  # 1-D = one trial, unaffected by the others
    assert_allclose(alone["estimate"], res["estimate"][:1], rtol=1e-12)


def test_outside_arms_are_ignored_and_arm_broadcasts():
    y, b, arm = make_trials(3, 3, 40)
    extra_y = np.full((3, 5), 1e6)
    y2 = np.concatenate([y, extra_y], axis=1)
    b2 = np.concatenate([b, -extra_y], axis=1)
    arm2 = np.concatenate([arm, np.full((3, 5), -1)], axis=1)
    assert_allclose(A.ancova(y2, b2, arm2)["estimate"], A.ancova(y, b, arm)["estimate"], rtol=1e-9)
    shared = arm[0]
    assert_allclose(
        A.ancova(y, b, shared)["estimate"], A.ancova(y, b, np.tile(shared, (3, 1)))["estimate"], rtol=0
    )
    with pytest.raises(ValueError):
        A.ancova(y, b, arm + 0.5)
    assert_array_equal(A.completers(y, b, arm)["estimate"], A.ancova(y, b, arm)["estimate"])


# --------------------------------------------------------------------------
# change score
# --------------------------------------------------------------------------


@PROP
@given(**trial_params, alpha=st.sampled_from([0.05, 0.2]))
def test_change_score_matches_scipy_welch(seed, R, n, miss, alpha):
    y, b, arm = make_trials(seed, R, n, miss=miss, outsiders=0.1)
    b[np.random.default_rng(seed).random(b.shape) < 0.05] = np.nan
    res = A.change_score_test(y, b, arm, alpha=alpha)
    for r in range(R):
        d = y[r] - b[r]
        d1, d0 = d[(arm[r] == 1) & np.isfinite(d)], d[(arm[r] == 0) & np.isfinite(d)]
        if len(d1) < 2 or len(d0) < 2:
            assert np.isnan(res["p"][r])
            continue
        tt = stats.ttest_ind(d1, d0, equal_var=False)
        ci = tt.confidence_interval(1 - alpha)
        assert_allclose(res["estimate"][r], d1.mean() - d0.mean(), rtol=1e-10, atol=1e-12)
        assert_allclose(res["estimate"][r] / res["se"][r], tt.statistic, rtol=1e-9)
        assert_allclose(res["p"][r], tt.pvalue, rtol=1e-8, atol=1e-15)
        assert_allclose(res["df"][r], tt.df, rtol=1e-9)
        assert_allclose([res["ci_low"][r], res["ci_high"][r]], [ci.low, ci.high], rtol=1e-8, atol=1e-10)
        assert res["n_treat"][r] == len(d1) and res["n_control"][r] == len(d0)


# --------------------------------------------------------------------------
# standardized mean differences
# --------------------------------------------------------------------------


def _exact_sample(mean: float, sd: float, n: int, rng) -> np.ndarray:
    z = rng.normal(size=n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


def test_hedges_g_textbook_example():
    """Borenstein et al. (2009) Introduction to Meta-Analysis, ch. 4:
    means 103 vs 100, SDs 5.5 and 4.5, n = 50 each -> d = 0.5970, J = 0.9923, g = 0.5924."""
    rng = np.random.default_rng(7)
    y = np.concatenate([_exact_sample(103, 5.5, 50, rng), _exact_sample(100, 4.5, 50, rng)])
    arm = np.repeat([1, 0], 50)
    res = A.hedges_g(y, arm)
    assert_allclose(res["d"], [0.5970], atol=5e-5)
    assert_allclose(res["g"], [0.5924], atol=5e-5)
    g = (1 - 3 / 391) * 3 / np.sqrt(25.25)
    var = 100 / 2500 + g**2 / 200  # (n1+n2)/(n1 n2) + g^2 / (2 (n1+n2))
    assert_allclose(res["g"], [g], rtol=1e-12)
    assert_allclose(res["var"], [var], rtol=1e-12)
    z = stats.norm.ppf(0.975)
    assert_allclose(res["ci_low"], [g - z * np.sqrt(var)], rtol=1e-12)
    assert res["n1"][0] == 50 and res["n2"][0] == 50
    # symptom-scale convention: lower follow-up on treatment = positive g
    flipped = A.hedges_g(y, arm, lower_is_better=True)
    assert_allclose(flipped["g"], -res["g"], rtol=1e-14)
    assert_allclose(flipped["ci_low"], -res["ci_high"], rtol=1e-14)
    assert_allclose(flipped["se"], res["se"], rtol=1e-14)


@PROP
@given(**trial_params, scale=st.floats(0.01, 100), shift=st.floats(-50, 50))
def test_hedges_g_matches_loop_and_is_affine_invariant(seed, R, n, miss, scale, shift):
    y, _, arm = make_trials(seed, R, n, miss=miss)
    res = A.hedges_g(y, arm)
    for r in range(R):
        y1 = y[r][(arm[r] == 1) & np.isfinite(y[r])]
        y0 = y[r][(arm[r] == 0) & np.isfinite(y[r])]
        n1, n0 = len(y1), len(y0)
        if n1 < 1 or n0 < 1 or n1 + n0 < 4:  # at N = 3 the small-sample factor J is 0
            assert np.isnan(res["g"][r])
            continue
        sp = np.sqrt((np.sum((y1 - y1.mean()) ** 2) + np.sum((y0 - y0.mean()) ** 2)) / (n1 + n0 - 2))
        g = (1 - 3 / (4 * (n1 + n0) - 9)) * (y1.mean() - y0.mean()) / sp
        assert_allclose(res["g"][r], g, rtol=1e-9)
        assert_allclose(res["se"][r] ** 2, (n1 + n0) / (n1 * n0) + g**2 / (2 * (n1 + n0)), rtol=1e-9)
    moved = A.hedges_g(scale * y + shift, arm)
    assert_allclose(moved["g"], res["g"], rtol=1e-7, atol=1e-9, equal_nan=True)


def test_within_arm_smd():
    pre = np.array([[20.0, 22, 24, 26, 30, np.nan], [10, 10, 10, 10, 10, 10]])
    post = np.array([[15.0, 20, 21, np.nan, 25, 18], [8, 9, 7, 9, 8, 9]])
    mask = np.array([True, True, True, True, False, True])
    res = A.within_arm_smd(pre, post, mask)
    # replicate 0: complete pairs in mask = first three; changes -5, -2, -3; SD(20, 22, 24) = 2
    assert_allclose(res["mean_change"][0], -10 / 3)
    assert_allclose(res["sd_baseline"][0], 2.0)
    assert_allclose(res["smd"][0], -10 / 6)
    assert res["n"][0] == 3
    assert np.isnan(res["smd"][1])  # constant baseline: undefined, not inf
    better = A.within_arm_smd(pre, post, mask, lower_is_better=True)
    assert_allclose(better["smd"][0], 10 / 6)


# --------------------------------------------------------------------------
# responders
# --------------------------------------------------------------------------


@PROP
@given(
    seed=st.integers(0, 2**32 - 1),
    R=st.integers(1, 5),
    n=st.integers(2, 40),
    missing=st.sampled_from(["exclude", "failure"]),
)
def test_responders_match_loop_and_scipy_fisher(seed, R, n, missing):
    rng = np.random.default_rng(seed)
    arm = rng.integers(-1, 2, (R, n))
    b = rng.integers(0, 30, (R, n)).astype(float)  # integer scores: ties and baseline 0 happen
    y = np.round(b * rng.uniform(0.2, 1.2, (R, n)))
    y[rng.random((R, n)) < 0.15] = np.nan
    res = A.responders(y, b, arm, remission_threshold=7, missing=missing)
    for r in range(R):
        x, m = [], []
        for a in (1, 0):
            ev = (arm[r] == a) & (b[r] > 0)
            if missing == "exclude":
                ev &= np.isfinite(y[r])
            resp = ev & np.isfinite(y[r]) & (y[r] <= 0.5 * b[r])
            x.append(resp.sum())
            m.append(ev.sum())
        got = (res["x_treat"][r], res["n_treat"][r], res["x_control"][r], res["n_control"][r])
        assert got == (x[0], m[0], x[1], m[1])
        if min(m) == 0:
            assert np.isnan(res["p"][r])
        else:
            p_ref = stats.fisher_exact([[x[0], m[0] - x[0]], [x[1], m[1] - x[1]]]).pvalue
            assert_allclose(res["p"][r], p_ref, rtol=1e-9)
            p1, p0 = x[0] / m[0], x[1] / m[1]
            se = np.sqrt(p1 * (1 - p1) / m[0] + p0 * (1 - p0) / m[1])
            assert_allclose(res["rd"][r], p1 - p0, atol=1e-15)
            assert_allclose(res["rd_ci_high"][r], p1 - p0 + stats.norm.ppf(0.975) * se, atol=1e-12)
        rem_t = ((arm[r] == 1) & (y[r] <= 7)).sum()
        assert res["remission_x_treat"][r] == rem_t


def test_responders_fisher_textbook():
    # scipy docs example [[8, 2], [1, 5]] -> 0.03497 (two-sided); and the tea-tasting table
    y = np.array([1.0] * 8 + [9] * 2 + [1] * 1 + [9] * 5)
    b = np.full(16, 10.0)
    arm = np.array([1] * 10 + [0] * 6)
    res = A.responders(y, b, arm)
    assert_allclose(res["p"], [0.034965034965034975], rtol=1e-10)
    tea = A.responders(np.array([0.0] * 3 + [9] + [0] + [9] * 3), np.full(8, 10.0), np.repeat([1, 0], 4))
    assert_allclose(tea["p"], [34 / 70], rtol=1e-10)  # Fisher's lady tasting tea


# --------------------------------------------------------------------------
# multiple imputation
# --------------------------------------------------------------------------


@PROP
@given(seed=st.integers(0, 2**32 - 1), R=st.integers(1, 4), n=st.integers(5, 40), m=st.integers(2, 8))
def test_mi_without_missing_equals_ancova(seed, R, n, m):
    y, b, arm = make_trials(seed, R, n, outsiders=0.1)
    mi = A.multiple_imputation_ancova(y, b, arm, m=m, seed=seed)
    an = A.ancova(y, b, arm)
    for key in ("estimate", "se", "ci_low", "ci_high", "p", "df", "n_used"):
        assert_allclose(mi[key], an[key], rtol=1e-12, equal_nan=True, err_msg=key)
    assert np.all(mi["n_imputed"] == 0)


def test_mi_deterministic_and_replicate_independent():
    y, b, arm = make_trials(11, 6, 50, miss=0.25)
    a = A.multiple_imputation_ancova(y, b, arm, m=10, seed=123)
    again = A.multiple_imputation_ancova(y, b, arm, m=10, seed=123)
    for key in a:
        assert_array_equal(a[key], again[key])
    other = A.multiple_imputation_ancova(y, b, arm, m=10, seed=124)
    assert not np.allclose(other["estimate"], a["estimate"])
    # the first k replicates of a batch are analysed exactly as on their own
    head = A.multiple_imputation_ancova(y[:2], b[:2], arm[:2], m=10, seed=123)
    for key in head:
        assert_array_equal(head[key], a[key][:2])
    # SeedSequence seeds are not consumed: reuse gives the same answer
    ss = np.random.SeedSequence(5)
    s1 = A.multiple_imputation_ancova(y, b, arm, m=4, seed=ss)
    s2 = A.multiple_imputation_ancova(y, b, arm, m=4, seed=ss)
    assert_array_equal(s1["estimate"], s2["estimate"])
    assert np.all(a["n_imputed"] == np.sum(np.isnan(y), axis=1))
    assert np.all(a["df"] < a["n_used"] - 3) and np.all(a["lambda"] > 0)


def test_mi_unbiased_and_covers_under_mcar():
    """400 trials, n = 80, true effect -2, 30% MCAR dropout."""
    R, effect = 400, -2.0
    y, b, arm = make_trials(2024, R, 80, effect=effect, miss=0.3)
    mi = A.multiple_imputation_ancova(y, b, arm, m=20, seed=1)
    est = mi["estimate"]
    assert np.all(np.isfinite(est))
    mc_se = est.std(ddof=1) / np.sqrt(R)
    assert abs(est.mean() - effect) < 3 * mc_se
    cover = np.mean((mi["ci_low"] <= effect) & (effect <= mi["ci_high"]))
    assert 0.92 <= cover <= 0.98, cover
    # Rubin's variance is honest: mean reported SE ~ empirical SD of estimates
    assert 0.88 < mi["se"].mean() / est.std(ddof=1) < 1.12
    # and MI recovers information the completers analysis throws away only via baseline,
    # so its SE should not be far below the completers' (no free precision)
    cc = A.completers(y, b, arm)
    assert np.median(mi["se"] / cc["se"]) > 0.9


def test_mi_draws_follow_the_bayesian_predictive_distribution():
    """Proper imputation: under the flat prior, (y* - yhat) / (s sqrt(1 + 1/n + (b - bbar)^2/Sxx))
    is Student t with n - 2 df (the regression prediction interval). An improper draw
    (sigma fixed at s, beta fixed at its estimate) would be normal and thinner; KS tells them apart."""
    rng = np.random.default_rng(8)
    n_obs, m = 6, 20000
    b = np.concatenate([rng.normal(20, 5, n_obs), [0.0], rng.normal(20, 5, n_obs), [0.0]])
    y = 3 + 0.7 * b + rng.normal(0, 2, b.size)
    arm = np.repeat([0, 1], n_obs + 1)
    for a in (0, 1):  # the missing participant sits far (15 units) above the arm mean baseline
        idx = np.flatnonzero(arm == a)
        b[idx[-1]] = b[idx[:-1]].mean() + 15.0
        y[idx[-1]] = np.nan
    y2, b2, a2 = y[None], b[None], arm[None]
    obs, miss = np.isfinite(y2), ~np.isfinite(y2)
    _, i_idx, y_imp, ok = _impute_follow_up(y2, b2, a2, obs, miss, m, seed=0)
    assert ok.all() and y_imp.shape == (2, m)
    for row, i in enumerate(i_idx):
        o = (arm == arm[i]) & np.isfinite(y)
        X = np.column_stack([np.ones(n_obs), b[o]])
        beta, rss, *_ = np.linalg.lstsq(X, y[o], rcond=None)
        s = np.sqrt(rss[0] / (n_obs - 2))
        sxx = np.sum((b[o] - b[o].mean()) ** 2)
        scale = s * np.sqrt(1 + 1 / n_obs + (b[i] - b[o].mean()) ** 2 / sxx)
        t = (y_imp[row] - (beta[0] + beta[1] * b[i])) / scale
        assert stats.kstest(t, stats.t(n_obs - 2).cdf).pvalue > 1e-3
        assert stats.kstest(t, stats.norm.cdf).pvalue < 1e-6


def test_mi_cannot_impute_gives_nan():
    y, b, arm = make_trials(4, 2, 20, miss=0.0)
    y[1, arm[1] == 1] = np.nan  # treatment arm entirely missing
    y[1, np.flatnonzero(arm[1] == 1)[:2]] = 5.0  # ... but 2 observed: too few to fit
    mi = A.multiple_imputation_ancova(y, b, arm, m=5, seed=0)
    assert np.isfinite(mi["estimate"][0]) and np.isnan(mi["estimate"][1])


def test_rubin_pool_hand_values():
    q = np.array([1.0, 1.2, 0.9])
    u = np.array([0.04, 0.05, 0.045])
    res = A.rubin_pool(q, u, 50)
    m, qbar, W = 3, q.mean(), u.mean()
    B = np.sum((q - qbar) ** 2) / 2
    T = W + (1 + 1 / m) * B
    lam = (1 + 1 / m) * B / T
    nu_old = (m - 1) / lam**2
    nu_obs = 51 / 53 * 50 * (1 - lam)
    nu = nu_old * nu_obs / (nu_old + nu_obs)
    assert_allclose(res["estimate"], [qbar])
    assert_allclose(res["se"], [np.sqrt(T)])
    assert_allclose(res["df"], [nu])
    assert_allclose(res["p"], [2 * stats.t.sf(qbar / np.sqrt(T), nu)])
    with pytest.raises(ValueError):
        A.rubin_pool(q[:1], u[:1], 50)


# --------------------------------------------------------------------------
# across replicates
# --------------------------------------------------------------------------


def test_power_matches_binomtest():
    p = np.concatenate([np.full(30, 0.01), np.full(70, 0.2), [np.nan, 0.05]])
    res = A.power(p, 0.05)
    ci = stats.binomtest(30, 101).proportion_ci(method="exact")
    assert res["power"] == 30 / 101 and res["n"] == 101 and res["n_missing"] == 1
    assert_allclose([res["ci_low"], res["ci_high"]], [ci.low, ci.high])
    w = A.power(p, 0.05, method="wilson")
    ciw = stats.binomtest(30, 101).proportion_ci(method="wilson")
    assert_allclose([w["ci_low"], w["ci_high"]], [ciw.low, ciw.high])
    assert np.isnan(A.power([np.nan])["power"])


@PROP
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=0, max_size=50))
def test_summarize_matches_numpy(values):
    v = np.array(values, dtype=float)
    s = A.summarize(v)
    finite = v[~np.isnan(v)]
    assert s["n"] == finite.size
    if finite.size == 0:
        assert np.isnan(s["mean"])
        return
    assert_allclose(s["mean"], finite.mean(), rtol=1e-12, atol=1e-9)
    # the median is the 0.5 linear-interpolation quantile (a + (b - a)/2), which can differ
    # from np.median's (a + b)/2 by rounding when a and b nearly cancel
    assert_allclose(s["median"], np.quantile(finite, 0.5), rtol=1e-12, atol=1e-9)
    assert_allclose(s["median"], np.median(finite), rtol=1e-9, atol=1e-9)
    assert_allclose(s["q025"], np.quantile(finite, 0.025), rtol=1e-12, atol=1e-9)
    assert_allclose(s["q90"], np.quantile(finite, 0.9), rtol=1e-12, atol=1e-9)
    if finite.size > 1:
        assert_allclose(s["sd"], finite.std(ddof=1), rtol=1e-9, atol=1e-9)
    assert s["q025"] <= s["q10"] <= s["median"] <= s["q90"] <= s["q975"]


# BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): tpos, tneg, cpos, cneg
BCG = np.array(
    [
        [4, 119, 11, 128],  # Aronson 1948
        [6, 300, 29, 274],  # Ferguson & Simes 1949
        [3, 228, 11, 209],  # Rosenthal et al 1960
        [62, 13536, 248, 12619],  # Hart & Sutherland 1977
        [33, 5036, 47, 5761],  # Frimodt-Moller et al 1973
        [180, 1361, 372, 1079],  # Stein & Aronson 1953
        [8, 2537, 10, 619],  # Vandiviere et al 1973
        [505, 87886, 499, 87892],  # TPT Madras 1980
        [29, 7470, 45, 7232],  # Coetzee & Berjak 1968
        [17, 1699, 65, 1600],  # Rosenthal et al 1961
        [186, 50448, 141, 27197],  # Comstock et al 1974
        [5, 2493, 3, 2338],  # Comstock & Webster 1969
        [27, 16886, 29, 17825],  # Comstock et al 1976
    ],
    dtype=float,
)


def bcg_log_rr():
    a, b, c, d = BCG.T
    yi = np.log(a / (a + b)) - np.log(c / (c + d))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return yi, vi


@pytest.mark.parametrize(
    "method, tau2, est, se, i2, h2",
    [
        # metafor: rma(yi, vi, data=dat, method=...) on escalc("RR", dat.bcg)
        ("DL", 0.3088, -0.7141, 0.1787, 92.12, 12.69),
        ("REML", 0.3132, -0.7145, 0.1798, 92.22, 12.86),
    ],
)
def test_meta_bcg_matches_metafor(method, tau2, est, se, i2, h2):
    yi, vi = bcg_log_rr()
    assert_allclose(yi[0], -0.8893, atol=5e-5)  # escalc's first row
    assert_allclose(vi[0], 0.3256, atol=5e-5)
    res = A.random_effects_meta(yi, vi, method=method, prediction="z")
    assert_allclose(res["tau2"], tau2, atol=1e-4)
    assert_allclose(res["estimate"], est, atol=1e-4)
    assert_allclose(res["se"], se, atol=1e-4)
    assert_allclose(res["q"], 152.2330, atol=1e-4)
    assert res["df"] == 12 and res["p_q"] < 1e-4
    assert_allclose(res["i2_percent"], i2, atol=5e-3)
    assert_allclose(res["h2"], h2, atol=5e-3)
    assert res["converged"]
    # metafor predict(): pi = est +- 1.96 sqrt(se^2 + tau^2); REML -> RR 0.1546 to 1.5490
    half = stats.norm.ppf(0.975) * np.sqrt(res["se"] ** 2 + res["tau2"])
    assert_allclose([res["pi_low"], res["pi_high"]], [res["estimate"] - half, res["estimate"] + half])
    if method == "REML":
        assert_allclose(np.exp([res["pi_low"], res["pi_high"]]), [0.1546, 1.5490], atol=1e-4)
        assert_allclose([res["ci_low"], res["ci_high"]], [-1.0669, -0.3622], atol=1e-4)
    t_pi = A.random_effects_meta(yi, vi, method=method)  # default: t with k - 2 = 11 df
    half_t = stats.t.ppf(0.975, 11) * np.sqrt(res["se"] ** 2 + res["tau2"])
    assert_allclose(t_pi["pi_high"] - t_pi["estimate"], half_t)


@PROP
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 30), tau=st.sampled_from([0.0, 0.1, 0.5]))
def test_meta_reml_maximizes_restricted_likelihood(seed, k, tau):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.3, k)
    y = 0.3 + rng.normal(0, tau, k) + rng.normal(0, np.sqrt(v))

    def neg_rll(t2):
        w = 1 / (v + t2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    res = A.random_effects_meta(y, v, method="REML")
    opt = optimize.minimize_scalar(neg_rll, bounds=(0, 10), method="bounded", options={"xatol": 1e-10})
    best = min(opt.x, 0.0, key=neg_rll)
    assert neg_rll(res["tau2"]) <= neg_rll(best) + 1e-9
    # order of studies does not matter
    perm = rng.permutation(k)
    again = A.random_effects_meta(y[perm], v[perm], method="REML")
    assert_allclose(again["tau2"], res["tau2"], rtol=1e-8, atol=1e-12)
    assert_allclose(again["estimate"], res["estimate"], rtol=1e-8, atol=1e-12)


def test_meta_homogeneous_studies_reduce_to_fixed_effect():
    y = np.array([0.2, 0.2, 0.2, 0.2])
    v = np.array([0.01, 0.02, 0.04, 0.08])
    for method in ("DL", "REML"):
        res = A.random_effects_meta(y, v, method=method)
        assert res["tau2"] == 0.0 and res["i2_percent"] == 0.0
        assert_allclose(res["estimate"], 0.2)
        assert_allclose(res["se"], 1 / np.sqrt(np.sum(1 / v)))
    one = A.random_effects_meta([0.5, np.nan], [0.04, 0.1])
    assert one["k"] == 1 and one["estimate"] == 0.5 and np.isnan(one["i2_percent"])


# --------------------------------------------------------------------------
# endpoint and replicate summaries
# --------------------------------------------------------------------------


def test_analyze_endpoint_keys_signs_and_consistency():
    y, b, arm = make_trials(9, 5, 60, effect=-3.0)
    out = A.analyze_endpoint(y, b, arm, remission_threshold=12, mi_m=5)
    for key in (
        "ancova_itt_estimate", "ancova_itt_p", "ancova_completers_estimate", "change_estimate",
        "hedges_g", "hedges_g_se", "within_smd_control", "responders_treat", "responders_p",
        "remission_rd", "dropout_treat",
    ):
        assert out[key].shape == (5,), key
    # no missing data: ITT by MI is the complete-data ANCOVA
    assert_allclose(out["ancova_itt_estimate"], out["ancova_completers_estimate"], rtol=1e-12)
    assert_allclose(out["ancova_itt_p"], out["ancova_completers_p"], rtol=1e-12)
    assert np.all(out["dropout_treat"] == 0)
    # lower is better: treatment lowers scores -> raw estimates negative, g positive
    assert np.all(out["ancova_completers_estimate"] < 0) and np.all(out["hedges_g"] > 0)
    raw = A.analyze_endpoint(y, b, arm, lower_is_better=False, mi_m=5)
    assert_allclose(raw["hedges_g"], -out["hedges_g"], rtol=1e-14)
    assert_allclose(raw["ancova_itt_estimate"], out["ancova_itt_estimate"], rtol=1e-14)
    assert "responders_p" not in raw and "remission_p" not in raw
    g = A.hedges_g(y, arm, lower_is_better=True)
    assert_allclose(out["hedges_g"], g["g"])


def test_across_replicates_type_one_error_and_meta():
    y, b, arm = make_trials(77, 300, 50, effect=0.0, miss=0.15)
    per = A.analyze_endpoint(y, b, arm, mi_m=5, seed=3)
    s = A.across_replicates(per, alpha=0.05)
    assert s["n_replicates"] == 300
    assert {"ancova_itt", "ancova_completers", "change", "responders"} <= set(s["power"])
    for name in ("ancova_itt", "ancova_completers", "change"):
        assert 0.02 <= s["power"][name]["power"] <= 0.09, (name, s["power"][name])
        assert s["power"][name]["n"] == 300
    meta = s["meta_hedges_g"]
    assert abs(meta["estimate"]) < 3 * meta["se"] + 0.02  # null effect, identical trials
    assert meta["tau2"] < 0.01 and meta["k"] == 300
    assert s["summary"]["hedges_g"]["n"] == 300
    # a real effect: ~42 completers/arm, residual SD 4, effect -3 -> z ~ 3.4, power ~ 0.9
    y1, b1, arm1 = make_trials(78, 100, 100, effect=-3.0, miss=0.15)
    s1 = A.across_replicates(A.analyze_endpoint(y1, b1, arm1, mi_m=5, seed=3))
    assert s1["power"]["ancova_itt"]["power"] > 0.8
    assert s1["power"]["ancova_completers"]["power"] > s1["power"]["change"]["power"] - 0.05


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_mean_ci_is_the_student_t_interval(xs, level):
    from scipy import stats as sps

    from probisim.stats import mean_ci

    y = np.array(xs + [np.nan])  # a missing value is left out
    c = mean_ci(y, level)
    x = np.array(xs)
    assert c["n"] == x.size and c["mean"] == pytest.approx(x.mean(), abs=1e-9)
    if x.std() > 0:
        lo, hi = sps.t.interval(level, x.size - 1, loc=x.mean(), scale=sps.sem(x))
        assert (c["ci_low"], c["ci_high"]) == pytest.approx((lo, hi), rel=1e-9, abs=1e-9)
    one = mean_ci([3.0], level)
    assert one["mean"] == 3.0 and np.isnan(one["ci_low"]) and np.isnan(one["sd"])
