"""The real-data fixture: the Beat the Blues trial (tests/data/BtheB.csv, 100
patients, BDI-II at baseline and 2, 4, 6, 8 months, real dropout). probisim's
ANCOVA with covariates, MMRM and multiple imputation must equal statsmodels
fitting the same model to the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from probisim import stats

pd = pytest.importorskip("pandas")
sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

DATA = Path(__file__).parent / "data" / "BtheB.csv"
VISITS = ["bdi.2m", "bdi.4m", "bdi.6m", "bdi.8m"]


@pytest.fixture(scope="module")
def wide():
    d = pd.read_csv(DATA)
    d["treat"] = (d["treatment"] == "BtheB").astype(int)
    d["drug_yes"] = (d["drug"] == "Yes").astype(float)
    d["long_episode"] = (d["length"] == ">6m").astype(float)
    d["base"] = d["bdi.pre"].astype(float)
    return d


@pytest.fixture(scope="module")
def long(wide):
    out = wide.melt(id_vars=["rownames", "treat", "drug_yes", "long_episode", "base"], value_vars=VISITS,
                    var_name="visit", value_name="bdi")
    out["month"] = out["visit"].str.extract(r"(\d)")[0].astype(int)
    out = out.dropna(subset=["bdi"]).sort_values(["rownames", "month"]).reset_index(drop=True)
    # the MMRM centres baseline over the participants it analyses (those with a follow-up)
    out["base_c"] = out["base"] - out.groupby("rownames")["base"].first().mean()
    return out


def test_fixture_is_the_published_trial(wide):
    assert len(wide) == 100 and wide["treat"].sum() == 52
    # observed at 8 months: 52 of 100 (the real dropout of the trial)
    assert int(wide["bdi.8m"].notna().sum()) == 52


@pytest.mark.parametrize("visit", VISITS)
def test_ancova_with_covariates_equals_statsmodels_ols(wide, visit):
    cov = wide[["drug_yes", "long_episode"]].to_numpy()
    ours = stats.ancova(wide[visit].to_numpy(float), wide["base"].to_numpy(), wide["treat"].to_numpy(),
                        covariates=cov)
    cc = wide.dropna(subset=[visit])
    fit = smf.ols(f"Q('{visit}') ~ treat + base + drug_yes + long_episode", data=cc).fit()
    assert ours["n_used"][0] == len(cc) and ours["df"][0] == fit.df_resid
    assert_allclose(ours["estimate"][0], fit.params["treat"], rtol=1e-11)
    assert_allclose(ours["se"][0], fit.bse["treat"], rtol=1e-10)
    assert_allclose(ours["p"][0], fit.pvalues["treat"], rtol=1e-8)
    low, high = fit.conf_int().loc["treat"]
    assert_allclose([ours["ci_low"][0], ours["ci_high"][0]], [low, high], rtol=1e-10)
    assert_allclose(ours["baseline_slope"][0], fit.params["base"], rtol=1e-10)


def _mmrm(long, covariance):
    return stats.mmrm(long["bdi"], long["rownames"], long["month"], long["treat"], baseline=long["base"],
                      covariates=long[["drug_yes", "long_episode"]].to_numpy(),
                      covariate_names=["drug_yes", "long_episode"], covariance=covariance)


def model_exog(long, r):
    """The MMRM's design matrix over the observed rows, built independently of probisim."""
    first = long.groupby("rownames").first()
    return np.column_stack([(long["month"] == m).astype(float) for m in r.visits]
                           + [(long["month"] == m) * long["treat"] for m in r.visits]
                           + [(long["month"] == m) * long["base_c"] for m in r.visits]
                           + [long["drug_yes"] - first["drug_yes"].mean(),
                              long["long_episode"] - first["long_episode"].mean()])


def _block_sigma(long, S, months):
    """The (N, N) block-diagonal covariance of the observed rows implied by S."""
    pos = {m: k for k, m in enumerate(months)}
    N = len(long)
    big = np.zeros((N, N))
    for _, rows in long.groupby("rownames").groups.items():
        r = np.asarray(rows)
        k = np.array([pos[m] for m in long.loc[r, "month"]])
        big[np.ix_(r, r)] = S[np.ix_(k, k)]
    return big


@pytest.mark.parametrize("covariance", ["unstructured", "compound_symmetry", "ar1"])
def test_mmrm_fixed_effects_equal_statsmodels_gls_given_sigma(long, covariance):
    r = _mmrm(long, covariance)
    assert r.converged, r.message
    assert r.n_participants == 97 and r.n_observations == len(long)
    X = model_exog(long, r)
    gls = sm.GLS(long["bdi"].to_numpy(), X, sigma=_block_sigma(long, r.sigma, r.visits)).fit()
    assert_allclose(r.beta, gls.params, rtol=1e-9, atol=1e-10)
    # GLS scales its covariance by the residual variance of the whitened fit; REML's Sigma is the scale
    assert_allclose(r.cov_beta, gls.normalized_cov_params, rtol=1e-8, atol=1e-12)
    V = len(r.visits)
    assert_allclose(r.effects["estimate"], gls.params[V:2 * V], rtol=1e-9)


def test_mmrm_unstructured_reaches_the_statsmodels_reml_optimum(long):
    """statsmodels' MixedLM cannot put an unstructured covariance on the residuals;
    visit-indicator random effects with a free covariance plus a residual variance
    span the same covariances, so the two REML optima coincide."""
    r = _mmrm(long, "unstructured")
    model = smf.mixedlm("bdi ~ 0 + C(month) + C(month):treat + C(month):base_c + drug_yes + long_episode",
                        long, groups=long["rownames"], re_formula="0 + C(month)")
    fit = model.fit(reml=True, method=["lbfgs", "powell"], maxiter=4000)
    assert_allclose(r.minus2_reml, -2.0 * fit.llf, rtol=1e-6)
    sm_sigma = fit.cov_re.to_numpy() + fit.scale * np.eye(len(r.visits))
    assert_allclose(r.sigma, sm_sigma, rtol=5e-3)
    sm_eff = [fit.params[f"C(month)[{m}]:treat"] for m in r.visits]
    assert_allclose(r.effects["estimate"], sm_eff, atol=2e-3)


def test_mmrm_compound_symmetry_equals_statsmodels_random_intercept(long):
    """Compound symmetry with a non-negative correlation is exactly the random-intercept
    model: optimum, fixed effects and their standard errors must agree."""
    r = _mmrm(long, "compound_symmetry")
    fit = smf.mixedlm("bdi ~ 0 + C(month) + C(month):treat + C(month):base_c + drug_yes + long_episode",
                      long, groups=long["rownames"]).fit(reml=True, method=["lbfgs"], maxiter=4000)
    assert_allclose(r.minus2_reml, -2.0 * fit.llf, rtol=1e-7)
    names = [f"C(month)[{m}]:treat" for m in r.visits]
    assert_allclose(r.effects["estimate"], fit.params[names], rtol=1e-5)
    # statsmodels' bse comes from the observed information of (beta, theta) together; the
    # MMRM convention (SAS PROC MIXED, R mmrm) is (X' Sigma^-1 X)^-1, which statsmodels' GLS
    # gives on statsmodels' own Sigma
    S = fit.cov_re.to_numpy()[0, 0] * np.ones((4, 4)) + fit.scale * np.eye(4)
    exog = model_exog(long, r)
    gls = sm.GLS(long["bdi"].to_numpy(), exog, sigma=_block_sigma(long, S, r.visits)).fit()
    assert_allclose(r.effects["se"], np.sqrt(np.diag(gls.normalized_cov_params))[4:8], rtol=1e-5)
    assert_allclose(r.effects["se"], fit.bse[names], rtol=1e-2)


def test_mmrm_satterthwaite_df_is_between_the_bounds(long):
    r = _mmrm(long, "unstructured")
    n_at = [int((long["month"] == m).sum()) for m in r.visits]
    # a late visit borrows strength from the earlier ones through Sigma, so its df may exceed
    # the observations at that visit, never the participants; and it falls as dropout grows
    assert np.all(r.effects["df"] > 10) and np.all(r.effects["df"] < r.n_participants)
    assert np.all(np.diff(r.effects["df"]) < 0) and np.all(np.diff(n_at) <= 0)


def test_mi_history_analyses_equal_statsmodels_on_each_completed_dataset(wide):
    """Each imputation's analysis is the covariate ANCOVA of the completed endpoint
    (statsmodels OLS on it), and the pooled result is Rubin's rules over them."""
    Y = wide[VISITS].to_numpy(float)
    cov = wide[["drug_yes", "long_episode"]].to_numpy()
    res = stats.mi_ancova_history(Y, wide["base"].to_numpy(), wide["treat"].to_numpy(), covariates=cov, m=10,
                                  seed=7, keep_imputations=True)
    imp = res["imputed_endpoint"][:, 0, :]
    assert np.all(np.isfinite(imp))
    observed = np.isfinite(Y[:, -1])
    assert np.array_equal(imp[:, observed], np.broadcast_to(Y[observed, -1], (10, observed.sum())))
    est, var = [], []
    for j in range(10):
        d = wide.assign(y=imp[j])
        f = smf.ols("y ~ treat + base + drug_yes + long_episode", data=d).fit()
        est.append(f.params["treat"])
        var.append(f.bse["treat"] ** 2)
    qbar = np.mean(est)
    total = np.mean(var) + (1 + 1 / 10) * np.var(est, ddof=1)
    assert_allclose(res["estimate"][0], qbar, rtol=1e-10)
    assert_allclose(res["se"][0], np.sqrt(total), rtol=1e-10)
    assert res["n_imputed"][0] == 100 - observed.sum()


def test_mi_history_imputation_model_is_the_ols_of_the_history(wide):
    """The imputation model is the within-arm OLS of the visit on baseline and
    covariates (and earlier visits): the mean of many proper draws for a missing
    2-month value is statsmodels' OLS prediction, within Monte-Carlo error."""
    Y = wide[VISITS].to_numpy(float)[:, :1]  # one visit: the endpoint is the 2-month score
    cov = wide[["drug_yes", "long_episode"]].to_numpy()
    res = stats.mi_ancova_history(Y, wide["base"].to_numpy(), wide["treat"].to_numpy(), covariates=cov, m=4000,
                                  seed=11, keep_imputations=True)
    miss = ~np.isfinite(Y[:, 0])
    for arm in (0, 1):
        sel = wide["treat"].to_numpy() == arm
        fit = smf.ols("Q('bdi.2m') ~ base + drug_yes + long_episode", data=wide[sel].dropna(subset=["bdi.2m"])).fit()
        pred = fit.predict(wide[sel & miss])
        mean_imp = res["imputed_endpoint"][:, 0, sel & miss].mean(axis=0)
        # Monte-Carlo error of a mean of 4000 posterior-predictive draws: about sigma * 1.1 / 63
        assert_allclose(mean_imp, pred.to_numpy(), atol=4.0 * fit.mse_resid**0.5 / np.sqrt(4000) * 1.5)


def test_history_beats_baseline_only_when_dropout_follows_the_last_visit():
    """MAR given history: people whose 1st follow-up score is high drop out before the
    2nd. Baseline-only imputation is biased; imputation from the history is not."""
    rng = np.random.default_rng(2024)
    R, n = 200, 200
    arm = np.tile(np.r_[np.zeros(n // 2), np.ones(n // 2)].astype(int), (R, 1))
    base = rng.normal(25, 5, (R, n))
    effect = -3.0
    v1 = 0.5 * base + 10 + 0.5 * effect * arm + rng.normal(0, 4, (R, n))
    v2 = 0.9 * v1 + 1 + 0.5 * effect * arm + rng.normal(0, 3, (R, n))
    # true effect at visit 2 adjusted for baseline: 0.9 * 0.5 * effect + 0.5 * effect
    truth = 0.95 * effect
    drop = rng.random((R, n)) < 1 / (1 + np.exp(-(v1 - 24) / 2)) * 0.6 * (arm == 1) + 0.1
    v2_obs = np.where(drop, np.nan, v2)
    visits = np.stack([v1, v2_obs], axis=-1)
    hist = stats.mi_ancova_history(visits, base, arm, m=10, seed=1)
    base_only = stats.multiple_imputation_ancova(v2_obs, base, arm, m=10, seed=1)
    bias_hist = np.nanmean(hist["estimate"]) - truth
    bias_base = np.nanmean(base_only["estimate"]) - truth
    mc = np.nanstd(hist["estimate"]) / np.sqrt(R)
    assert abs(bias_hist) < 4 * mc
    assert bias_base < -8 * mc  # dropouts were the worse-off on treatment: baseline-only flatters it


def test_mi_history_without_missing_values_is_the_ancova(wide):
    Y = wide[VISITS].to_numpy(float)
    done = np.isfinite(Y).all(axis=1)
    cov = wide[["drug_yes", "long_episode"]].to_numpy()[done]
    res = stats.mi_ancova_history(Y[done], wide["base"].to_numpy()[done], wide["treat"].to_numpy()[done],
                                  covariates=cov, m=5, seed=3)
    a = stats.ancova(Y[done, -1], wide["base"].to_numpy()[done], wide["treat"].to_numpy()[done], covariates=cov)
    for key in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert_allclose(res[key], a[key], rtol=1e-12)


def test_sobol_indices_from_arrays_match_the_ishigami_analytic_values():
    """Ishigami (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)."""
    from scipy.stats import qmc

    d, n = 3, 2**14
    base = qmc.Sobol(2 * d, scramble=True, rng=5).random(n) * 2 * np.pi - np.pi
    A, B = base[:, :d], base[:, d:]

    def f(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    f_ab = np.stack([f(np.where(np.arange(d) == i, B, A)) for i in range(d)])
    r = stats.sobol_indices(f(A), f(B), f_ab, n_resamples=200, seed=1)
    assert_allclose(r["first_order"], [0.3139, 0.4424, 0.0], atol=0.02)
    assert_allclose(r["total_order"], [0.5576, 0.4424, 0.2437], atol=0.02)
    assert np.all(r["first_order_ci_low"] <= r["first_order"]) and np.all(r["first_order"] <= r["first_order_ci_high"])
    again = stats.sobol_indices(*stats.split_saltelli(np.concatenate([f(A), f(B), f_ab.ravel()]), n, d),
                                n_resamples=200, seed=1)
    for key in r:
        assert np.array_equal(r[key], again[key], equal_nan=True)
