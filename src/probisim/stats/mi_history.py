"""Multiple imputation that conditions on each participant's observed history:
missing values at every visit are imputed in time order, within arm, from the
baseline, the covariates and all earlier visits (observed or already imputed) —
valid under MAR given the history (dropout that depends on how a participant was
doing at the visits they attended), which the baseline-only model of
:func:`~probisim.stats.multiple_imputation_ancova` ignores.

Each imputation is a proper Bayesian draw from the normal linear model
(van Buuren 2018, Algorithm 3.1): ``sigma*^2 = RSS / g`` with
``g ~ chi2(n_obs - p)``, ``beta* ~ N(beta_hat, sigma*^2 (X'X)^-1)``, then
``y* = x beta* + sigma* eps``; with intermittent missingness the earlier
completed values enter as predictors (sequential regression, "chained" in time).
The completed endpoint is analysed by :func:`~probisim.stats.ancova` (with the
same covariates) and pooled by Rubin's rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .ancova import _ancova_design, _ancova_fit, covariate_array
from .arrays import _HADAMARD_FLOOR, SeedLike, _check_alpha, _prepare, _t_inference
from .imputation import _streams, rubin_pool

__all__ = ["mi_ancova_history"]


def _fit_and_draw(X, y, fit_mask, u_sigma, z_coef):
    """Per replicate: OLS of y on X over ``fit_mask`` and one proper posterior draw.

    X (R, n, p), y (R, n) (zeros outside the mask), u_sigma (R,), z_coef (R, p).
    Returns beta* (R, p), sigma* (R,), fittable (R,)."""
    R, n, p = X.shape
    Xm = np.where(fit_mask[..., None], X, 0.0)
    ym = np.where(fit_mask, y, 0.0)
    xtx = np.einsum("rni,rnj->rij", Xm, Xm)
    n_obs = fit_mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        hadamard = np.linalg.det(xtx) / np.prod(np.diagonal(xtx, axis1=1, axis2=2), axis=-1)
    fittable = (n_obs >= p + 1) & (hadamard > _HADAMARD_FLOOR)
    inv = np.linalg.inv(np.where(fittable[:, None, None], xtx, np.eye(p)))
    beta = np.einsum("rij,rj->ri", inv, np.einsum("rni,rn->ri", Xm, ym))
    resid = np.where(fit_mask, ym - np.einsum("rni,ri->rn", Xm, beta), 0.0)
    rss = np.einsum("rn,rn->r", resid, resid)
    df = np.where(fittable, n_obs - p, 1).astype(np.float64)
    g = stats.chi2.ppf(u_sigma, df)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(rss / g)
        chol = np.linalg.cholesky(np.where(fittable[:, None, None], inv, np.eye(p)))
    beta_star = beta + sigma[:, None] * np.einsum("rij,rj->ri", chol, z_coef)
    return beta_star, sigma, fittable


def mi_ancova_history(
    visits: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    covariates: ArrayLike | None = None,
    m: int = 20,
    seed: SeedLike,
    alpha: float = 0.05,
    keep_imputations: bool = False,
) -> dict[str, np.ndarray]:
    """ITT ANCOVA of the last of ``visits`` with every visit's missing values imputed
    from the history (see the module docstring), per replicate.

    Parameters
    ----------
    visits : array (R, n, V) or (n, V)
        Post-baseline scores at visits 1..V in time order (NaN = missing); the
        analysed endpoint is the last column.
    baseline : array (R, n) or (n,)
    arm : int array (R, n) or (n,): 0 control, 1 treatment, other ignored.
    covariates : array (n,), (n, k) or (R, n, k), optional
        Used both in the imputation models and in the analysis model.
    m : int (>= 2), seed, alpha : as in :func:`multiple_imputation_ancova`.
    keep_imputations : bool
        Also return ``imputed_endpoint`` (m, R, n): each completed endpoint
        (NaN outside the ITT set), e.g. to analyse them with other software.

    Returns
    -------
    dict of arrays of length R: ``estimate``, ``se``, ``ci_low``, ``ci_high``,
    ``p``, ``df`` (Barnard-Rubin), ``n_used`` (ITT: arms 0/1 with an observed
    baseline and covariates), ``n_imputed`` (missing endpoint values),
    ``within_var``, ``between_var``, ``lambda``. A replicate in which some
    visit's model cannot be fitted in an arm that needs imputing is NaN.
    """
    _check_alpha(alpha)
    if int(m) != m or m < 2:
        raise ValueError(f"m must be an integer >= 2, got {m}")
    m = int(m)
    Y = np.asarray(visits, dtype=np.float64)
    if Y.ndim == 2:
        Y = Y[None]
    if Y.ndim != 3:
        raise ValueError(f"visits must be shaped (R, n, V) or (n, V), got {Y.shape}")
    R, n, V = Y.shape
    y_end, b2, a2 = _prepare(Y[..., -1], baseline, arm)
    assert b2 is not None
    if b2.shape != (R, n):
        b2 = np.broadcast_to(b2, (R, n))
    cov = covariate_array(covariates, (R, n))
    k = 0 if cov is None else cov.shape[-1]
    itt = ((a2 == 0) | (a2 == 1)) & np.isfinite(b2)
    if cov is not None:
        itt &= np.isfinite(cov).all(axis=-1)
        cov = np.where(itt[..., None], cov, 0.0)
    b0 = np.where(itt, b2, 0.0)
    fixed = [np.ones((R, n)), b0] + ([cov[..., j] for j in range(k)])
    p_max = 2 + k + V - 1

    rng = _streams(seed, ("sigma", "coef", "noise"))
    u_sigma = rng["sigma"].random((R, m, V, 2))
    z_coef = rng["coef"].standard_normal((R, m, V, 2, p_max))
    eps = rng["noise"].standard_normal((R, m, V, n))

    observed = np.isfinite(Y) & itt[..., None]
    can_impute = np.ones(R, bool)
    design = _ancova_design(b2, a2, itt, cov)
    est = np.empty((m, R))
    var = np.empty((m, R))
    kept = np.empty((m, R, n)) if keep_imputations else None
    df_com = None
    for j in range(m):
        completed = np.where(observed, Y, 0.0)
        for v in range(V):
            X = np.stack(fixed + [completed[..., w] for w in range(v)], axis=-1)
            p = X.shape[-1]
            miss = itt & ~observed[..., v]
            for a in (0, 1):
                need = (miss & (a2 == a)).any(axis=-1)
                if not need.any():
                    continue
                beta, sigma, ok = _fit_and_draw(X, completed[..., v], observed[..., v] & (a2 == a),
                                                u_sigma[:, j, v, a], z_coef[:, j, v, a, :p])
                can_impute &= ok | ~need
                draw = np.einsum("rni,ri->rn", X, beta) + sigma[:, None] * eps[:, j, v, :]
                completed[..., v] = np.where(miss & (a2 == a), draw, completed[..., v])
        y_j = np.where(itt, completed[..., -1], np.nan)
        if kept is not None:
            kept[j] = y_j
        est[j], se_j, df_com, _ = _ancova_fit(design, y_j)
        var[j] = se_j**2
    pooled = rubin_pool(est, var, df_com, alpha=alpha)

    n_imputed = (itt & ~observed[..., -1]).sum(axis=-1)
    complete = n_imputed == 0
    if complete.any():  # nothing imputed at the endpoint: the complete-data ANCOVA exactly
        est_c, se_c, df_c, _ = _ancova_fit(design, np.where(itt, y_end, np.nan))
        lo_c, hi_c, p_c = _t_inference(est_c, se_c, df_c, alpha)
        for key, val in {"estimate": est_c, "se": se_c, "ci_low": lo_c, "ci_high": hi_c, "p": p_c,
                         "df": df_c}.items():
            pooled[key] = np.where(complete, val, pooled[key])
    bad = ~can_impute
    for key in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        pooled[key] = np.where(bad, np.nan, pooled[key])
    pooled["n_used"] = design.n_used
    pooled["n_imputed"] = n_imputed
    if kept is not None:
        pooled["imputed_endpoint"] = kept
    return pooled
