"""Intention-to-treat by multiple imputation (normal linear model within arm,
proper draws from counter-based streams) and Rubin's rules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .ancova import _ancova_design, _ancova_fit
from .arrays import (
    _REL_VAR_FLOOR,
    BoolArray,
    FloatArray,
    IntArray,
    SeedLike,
    _check_alpha,
    _masked_stats,
    _prepare,
    _t_inference,
)

# --------------------------------------------------------------------------
# multiple imputation
# --------------------------------------------------------------------------


def _streams(seed: SeedLike, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """One Philox generator per named draw site, derived without mutating seed."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return {
        name: np.random.Generator(
            np.random.Philox(np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, i)))
        )
        for i, name in enumerate(names)
    }


def rubin_pool(
    estimates: ArrayLike, variances: ArrayLike, df_complete: ArrayLike, *, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """Combine m completed-data analyses with Rubin's rules.

    Barnard & Rubin (1999) small-sample degrees of freedom:
    ``nu = 1 / (1/nu_old + 1/nu_obs)``, ``nu_old = (m-1)/lambda^2``,
    ``nu_obs = (nu_com+1)/(nu_com+3) * nu_com * (1-lambda)``,
    ``lambda = (1 + 1/m) B / T`` (van Buuren 2018, sec. 2.3).

    Parameters
    ----------
    estimates, variances : array (m, R)
        Point estimates and squared standard errors of each completed data set.
    df_complete : array (R,)
        Complete-data residual df (nu_com).
    alpha : float

    Returns
    -------
    dict of arrays of length R
        ``estimate`` (mean), ``se`` (sqrt of T = W + (1 + 1/m) B), ``ci_low``,
        ``ci_high``, ``p`` (t on nu df), ``df`` (nu), ``within_var`` (W),
        ``between_var`` (B), ``lambda`` (share of T due to missingness).
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.ndim == 1:
        q, u = q[:, None], u[:, None]
    m = q.shape[0]
    if m < 2:
        raise ValueError("Rubin's rules need m >= 2 imputations")
    nu_com = np.asarray(df_complete, dtype=np.float64)
    qbar = q.mean(axis=0)
    W = u.mean(axis=0)
    B = q.var(axis=0, ddof=1)
    T = W + (1.0 + 1.0 / m) * B
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = (1.0 + 1.0 / m) * B / T
        inv_old = lam**2 / (m - 1)  # 1/nu_old, 0 when B == 0
        nu_obs = (nu_com + 1.0) / (nu_com + 3.0) * nu_com * (1.0 - lam)
        df = 1.0 / (inv_old + 1.0 / nu_obs)
    se = np.sqrt(T)
    lo, hi, p = _t_inference(qbar, se, df, alpha)
    return {
        "estimate": qbar,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "p": p,
        "df": df,
        "within_var": W,
        "between_var": B,
        "lambda": lam,
    }


def _impute_follow_up(
    y2: FloatArray, b2: FloatArray, a2: IntArray, obs: BoolArray, miss: BoolArray, m: int, seed: SeedLike,
    first: int = 0,
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Proper Bayesian regression imputation of y from baseline, within arm.

    Returns the (replicate, participant) indices of the missing cells, their
    ``m`` imputed values shaped (n_missing, m), and a per-replicate flag that
    every arm needing imputation had a fittable model. Row r takes the draws of
    replicate ``first + r`` (see :func:`multiple_imputation_ancova`).
    """
    R, n = y2.shape
    # --- imputation model per (replicate, arm); centred so (X'X)^-1 is diagonal
    arms = np.stack([a2 == 0, a2 == 1], axis=1)  # (R, 2, n)
    obs_a = obs[:, None, :] & arms
    miss_a = miss[:, None, :] & arms
    n_obs, b_mean, sxx = _masked_stats(np.broadcast_to(b2[:, None, :], arms.shape), obs_a)
    _, y_mean, _ = _masked_stats(np.broadcast_to(y2[:, None, :], arms.shape), obs_a)
    with np.errstate(invalid="ignore"):
        b_c = np.where(obs_a, b2[:, None, :] - b_mean[..., None], 0.0)
        y_c = np.where(obs_a, y2[:, None, :] - y_mean[..., None], 0.0)
    sxy = np.einsum("ran,ran->ra", b_c, y_c)
    syy = np.einsum("ran,ran->ra", y_c, y_c)
    b_scale = np.einsum("ran,ran->ra", np.where(obs_a, b2[:, None, :], 0.0), np.where(obs_a, b2[:, None, :], 0.0))
    fittable = (n_obs >= 3) & (sxx > _REL_VAR_FLOOR * b_scale)
    need = miss_a.any(axis=-1)
    can_impute = (fittable | ~need).all(axis=-1)  # (R,)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(fittable, sxy / sxx, 0.0)
        rss = np.where(fittable, np.maximum(syy - slope * sxy, 0.0), 0.0)
        df_imp = np.where(fittable, n_obs - 2, 1).astype(np.float64)

    # --- draws: fixed consumption per (replicate, imputation), data independent;
    # the streams fill (replicate, ...) in order, so the draws of replicates
    # first .. first+R-1 are rows first: of the draws of replicates 0 .. first+R-1
    rng = _streams(seed, ("sigma", "coef", "noise"))
    rd = first + R
    u_sigma = rng["sigma"].random((rd, m, 2))[first:]
    z_coef = rng["coef"].standard_normal((rd, m, 2, 2))[first:]
    eps = rng["noise"].standard_normal((rd, m, n))[first:]
    g = stats.chi2.ppf(u_sigma, df_imp[:, None, :])  # inverse CDF keeps streams aligned
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(rss[:, None, :] / g)  # (R, m, 2)
        a_star = y_mean[:, None, :] + sigma * z_coef[..., 0] / np.sqrt(n_obs)[:, None, :]
        c_star = slope[:, None, :] + sigma * z_coef[..., 1] / np.sqrt(sxx)[:, None, :]
    # only the missing cells are computed: (n_missing, m)
    r_idx, i_idx = np.nonzero(miss)
    arm_idx = (a2[r_idx, i_idx] == 1).astype(np.intp)
    with np.errstate(invalid="ignore"):
        y_imp = (
            a_star[r_idx, :, arm_idx]
            + c_star[r_idx, :, arm_idx] * (b2[r_idx, i_idx] - b_mean[r_idx, arm_idx])[:, None]
            + sigma[r_idx, :, arm_idx] * eps[r_idx, :, i_idx]
        )
    return r_idx, i_idx, y_imp, can_impute


def multiple_imputation_ancova(
    y: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    m: int = 20,
    seed: SeedLike,
    alpha: float = 0.05,
    first_replicate: int = 0,
) -> dict[str, np.ndarray]:
    """ITT ANCOVA with missing follow-up multiply imputed, per replicate.

    Imputation model (fitted separately in each arm of each replicate, on the
    participants with both scores): ``y = a + c (baseline - mean) + e``. Each
    imputation is a proper Bayesian draw (van Buuren 2018, Algorithm 3.1;
    Rubin 1987): ``sigma*^2 = RSS / g`` with ``g ~ chi2(n_obs - 2)``, then
    ``(a*, c*) ~ N((a, c), sigma*^2 (X'X)^-1)`` (diagonal because the
    baseline is centred), then ``y* = a* + c* (baseline - mean) + sigma* eps``.
    Each of the ``m`` completed data sets is analysed by :func:`ancova` on
    everyone randomized to arms 0/1 with an observed baseline, and the results
    are combined by :func:`rubin_pool` (Barnard-Rubin df).

    Valid under MAR given arm and baseline. A replicate with no missing
    follow-up is returned exactly as :func:`ancova` (df = n - 3), since the
    Barnard-Rubin df formula would otherwise shave ~2 df off a complete data
    set. A replicate in which an arm has missing follow-up but fewer than 3
    observed pairs (or a constant baseline) cannot be imputed and is NaN.
    Participants with a missing baseline are excluded.

    Parameters
    ----------
    y, baseline : array (R, n) or (n,)
    arm : int array (R, n) or (n,)
    m : int
        Number of imputations (>= 2).
    seed : int, sequence of int, or numpy SeedSequence
        Same seed => bit-identical output.
    alpha : float
    first_replicate : int
        Row r of the inputs is replicate ``first_replicate + r`` of a larger
        set: it gets the imputation draws that replicate gets when replicates
        0, 1, ... are analysed in one call, so the replicates of a run can be
        analysed in contiguous blocks with the result of one call.

    Returns
    -------
    dict of arrays, each of length R
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p``, ``df`` as in
        :func:`ancova`; ``n_used`` (ITT participants), ``n_imputed``,
        ``within_var``, ``between_var``, ``lambda`` (share of the total
        variance due to missingness).
    """
    _check_alpha(alpha)
    if int(m) != m or m < 2:
        raise ValueError(f"m must be an integer >= 2, got {m}")
    m = int(m)
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    R = y2.shape[0]
    itt = ((a2 == 0) | (a2 == 1)) & np.isfinite(b2)
    obs = itt & np.isfinite(y2)
    miss = itt & ~np.isfinite(y2)

    if int(first_replicate) != first_replicate or first_replicate < 0:
        raise ValueError(f"first_replicate must be an integer >= 0, got {first_replicate}")
    r_idx, i_idx, y_imp, can_impute = _impute_follow_up(y2, b2, a2, obs, miss, m, seed, int(first_replicate))

    # --- analyse each completed data set and pool
    design = _ancova_design(b2, a2, itt)
    est = np.empty((m, R))
    var = np.empty((m, R))
    y_j = y2.copy()
    for j in range(m):
        y_j[r_idx, i_idx] = y_imp[:, j]
        est[j], se_j, df_com, _ = _ancova_fit(design, y_j)
        var[j] = se_j**2
    pooled = rubin_pool(est, var, df_com, alpha=alpha)

    n_imputed = miss.sum(axis=-1)
    complete = n_imputed == 0
    if complete.any():
        est_c, se_c, df_c, _ = _ancova_fit(design, y2)
        lo_c, hi_c, p_c = _t_inference(est_c, se_c, df_c, alpha)
        complete_fit = {"estimate": est_c, "se": se_c, "ci_low": lo_c, "ci_high": hi_c, "p": p_c, "df": df_c}
        for key, val in complete_fit.items():
            pooled[key] = np.where(complete, val, pooled[key])
        pooled["lambda"] = np.where(complete & design.ok, 0.0, pooled["lambda"])
    for key in pooled:
        pooled[key] = np.where(can_impute & design.ok, pooled[key], np.nan)
    pooled["n_used"] = design.n_used
    pooled["n_imputed"] = n_imputed
    return pooled


