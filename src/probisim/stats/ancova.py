"""ANCOVA of follow-up on arm and baseline (batched closed-form least squares),
completers, and the change-score test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .arrays import (
    _HADAMARD_FLOOR,
    _REL_VAR_FLOOR,
    BoolArray,
    FloatArray,
    IntArray,
    _check_alpha,
    _masked_stats,
    _prepare,
    _t_inference,
    _var,
)

# --------------------------------------------------------------------------
# ANCOVA
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _AncovaDesign:
    """Per-replicate design [1, treatment, centred baseline, centred covariates...]
    and its inverse.

    Built once and reused for every imputed data set (the design does not
    depend on y). Rows of X outside ``valid`` are zero, so they drop out of
    every cross-product.
    """

    X: FloatArray  # (R, n, p), p = 3 + number of covariates
    valid: BoolArray  # (R, n)
    inv: FloatArray  # (R, p, p), identity where not ok
    ok: BoolArray  # (R,)
    n_used: IntArray
    n_treat: IntArray
    n_control: IntArray


def _ancova_design(baseline: FloatArray, arm: IntArray, valid: BoolArray,
                   covariates: FloatArray | None = None) -> _AncovaDesign:
    """``covariates``: (R, n, k) or None; must be finite where ``valid``."""
    treat = valid & (arm == 1)
    n_used = valid.sum(axis=-1)
    n_treat = treat.sum(axis=-1)
    # Centring the baseline per replicate keeps X'X well conditioned on raw
    # score scales; it changes the intercept only, never the arm coefficient.
    _, b_mean, b_ss = _masked_stats(baseline, valid)
    b_c = np.where(valid, baseline - b_mean[:, None], 0.0)
    cols = [valid.astype(np.float64), treat.astype(np.float64), b_c]
    for j in range(0 if covariates is None else covariates.shape[-1]):
        c = covariates[..., j]
        _, c_mean, _ = _masked_stats(c, valid)
        cols.append(np.where(valid, c - c_mean[:, None], 0.0))
    X = np.stack(cols, axis=-1)
    p = X.shape[-1]
    xtx = np.einsum("rni,rnj->rij", X, X)
    b_scale = np.einsum("rn,rn->r", np.where(valid, baseline, 0.0), np.where(valid, baseline, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        hadamard = np.linalg.det(xtx) / np.prod(np.diagonal(xtx, axis1=1, axis2=2), axis=-1)
    ok = (
        (n_treat >= 1)
        & (n_used - n_treat >= 1)
        & (n_used >= p + 1)  # residual df >= 1
        & (b_ss > _REL_VAR_FLOOR * b_scale)
        & (hadamard > _HADAMARD_FLOOR)
    )
    inv = np.linalg.inv(np.where(ok[:, None, None], xtx, np.eye(p)))
    return _AncovaDesign(X, valid, inv, ok, n_used, n_treat, n_used - n_treat)


def _ancova_fit(design: _AncovaDesign, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return (arm coefficient, its se, residual df, baseline slope)."""
    X, valid = design.X, design.valid
    y0 = np.where(valid, y, 0.0)
    beta = np.einsum("rij,rj->ri", design.inv, np.einsum("rni,rn->ri", X, y0))
    resid = np.where(valid, y0 - np.einsum("rni,ri->rn", X, beta), 0.0)
    rss = np.einsum("rn,rn->r", resid, resid)
    df = np.where(design.ok, design.n_used - X.shape[-1], np.nan).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(rss / df * design.inv[:, 1, 1])
    est = np.where(design.ok, beta[:, 1], np.nan)
    se = np.where(design.ok, se, np.nan)
    slope = np.where(design.ok, beta[:, 2], np.nan)
    return est, se, df, slope


def covariate_array(covariates: ArrayLike | None, shape: tuple[int, int]) -> FloatArray | None:
    """Covariates as an (R, n, k) float array, from (n,) (one covariate), (n, k) (the
    same for every replicate) or (R, n, k); None stays None."""
    if covariates is None:
        return None
    c = np.asarray(covariates, dtype=np.float64)
    R, n = shape
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim == 2:
        if c.shape[0] != n:
            raise ValueError(f"covariates have {c.shape[0]} rows, data have {n} participants")
        c = np.broadcast_to(c[None], (R, n, c.shape[1]))
    if c.ndim != 3 or c.shape[:2] != (R, n):
        raise ValueError(f"covariates must be shaped (n,), (n, k) or (R, n, k) for data {shape}, got {c.shape}")
    return c


def ancova(
    y: ArrayLike, baseline: ArrayLike, arm: ArrayLike, *, covariates: ArrayLike | None = None,
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """ANCOVA of follow-up on arm, baseline and covariates, per replicate (complete cases).

    Fits ``y = b0 + b1*treatment + b2*baseline + c'covariates + e`` by OLS in
    each replicate, using the participants of arms 0/1 with both scores and
    every covariate observed, via the stacked normal equations. Covariates are
    numeric columns (code a factor as 0/1 indicator columns, one level left
    out; :func:`probisim.stats.longdata` does this for named columns).

    Parameters
    ----------
    y, baseline : array (R, n) or (n,)
        Follow-up and baseline scores (score units); NaN = missing.
    arm : int array (R, n) or (n,)
        0 = control, 1 = treatment, anything else ignored.
    covariates : array (n,), (n, k) or (R, n, k), optional
        Further adjustment covariates (stratification factors, site, sex,
        age...); participants with a missing covariate are excluded.
    alpha : float
        Two-sided level of the confidence interval.

    Returns
    -------
    dict of arrays, each of length R
        ``estimate`` (adjusted mean difference treatment - control, score
        units), ``se``, ``ci_low``, ``ci_high`` (t interval), ``p`` (two-sided
        t test), ``df`` (= n_used - 3 - k), ``n_used``, ``n_treat``,
        ``n_control`` (complete cases), ``baseline_slope``. Undefined
        replicates are NaN.
    """
    _check_alpha(alpha)
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    cov = covariate_array(covariates, y2.shape)
    valid = ((a2 == 0) | (a2 == 1)) & np.isfinite(y2) & np.isfinite(b2)
    if cov is not None:
        valid &= np.isfinite(cov).all(axis=-1)
        cov = np.where(valid[..., None], cov, 0.0)
    design = _ancova_design(b2, a2, valid, cov)
    est, se, df, slope = _ancova_fit(design, y2)
    lo, hi, p = _t_inference(est, se, df, alpha)
    return {
        "estimate": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "p": p,
        "df": df,
        "n_used": design.n_used,
        "n_treat": design.n_treat,
        "n_control": design.n_control,
        "baseline_slope": slope,
    }


def completers(
    y: ArrayLike, baseline: ArrayLike, arm: ArrayLike, *, covariates: ArrayLike | None = None,
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """Completers analysis: :func:`ancova` on the observed (non-missing) data.

    Identical to ``ancova(y, baseline, arm, alpha=alpha)``; named separately
    so that an analysis plan can say "completers" and mean exactly that.
    Unbiased when dropout is MCAR or depends only on baseline and arm.
    """
    return ancova(y, baseline, arm, covariates=covariates, alpha=alpha)


# --------------------------------------------------------------------------
# change score (Welch)
# --------------------------------------------------------------------------


def change_score_test(
    y: ArrayLike, baseline: ArrayLike, arm: ArrayLike, *, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """Welch t test of the change from baseline (y - baseline), per replicate.

    Parameters
    ----------
    y, baseline : array (R, n) or (n,)
        Follow-up and baseline scores; participants missing either are
        excluded (complete cases).
    arm : int array (R, n) or (n,)
    alpha : float
        Two-sided level of the Welch confidence interval.

    Returns
    -------
    dict of arrays, each of length R
        ``estimate`` (mean change treatment - mean change control, score
        units), ``se``, ``ci_low``, ``ci_high``, ``p``, ``df``
        (Welch-Satterthwaite), ``mean_change_treat``, ``mean_change_control``,
        ``n_treat``, ``n_control``. Same numbers as
        ``scipy.stats.ttest_ind(equal_var=False)``; NaN unless each arm has at
        least 2 complete cases.
    """
    _check_alpha(alpha)
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    d = y2 - b2
    ok_d = np.isfinite(d)
    n1, m1, ss1 = _masked_stats(d, ok_d & (a2 == 1))
    n0, m0, ss0 = _masked_stats(d, ok_d & (a2 == 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        q1 = _var(n1, ss1) / n1
        q0 = _var(n0, ss0) / n0
        se = np.sqrt(q1 + q0)
        df = (q1 + q0) ** 2 / (q1**2 / (n1 - 1) + q0**2 / (n0 - 1))
    est = m1 - m0
    lo, hi, p = _t_inference(est, se, df, alpha)
    return {
        "estimate": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "p": p,
        "df": df,
        "mean_change_treat": m1,
        "mean_change_control": m0,
        "n_treat": n1,
        "n_control": n0,
    }


