"""Standardized effects: Hedges' g between arms and the within-arm SMD."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .arrays import _as_2d_float, _check_alpha, _masked_stats, _prepare, _var

# --------------------------------------------------------------------------
# standardized mean differences
# --------------------------------------------------------------------------


def hedges_g(
    y: ArrayLike, arm: ArrayLike, *, lower_is_better: bool = False, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """Hedges' g (bias-corrected SMD) of y, treatment vs control, per replicate.

    ``g = J * (mean_t - mean_c) / s_pooled`` with
    ``J = 1 - 3 / (4 (n1 + n2) - 9)``; variance
    ``(n1 + n2) / (n1 n2) + g^2 / (2 (n1 + n2))`` (the large-sample variance
    metafor's ``escalc("SMD")`` uses); normal-theory CI ``g +- z se``.

    Parameters
    ----------
    y : array (R, n) or (n,)
        Scores (usually follow-up); NaN excluded.
    arm : int array (R, n) or (n,)
    lower_is_better : bool
        If true, the sign is flipped so that g > 0 means the treatment arm
        scored lower, i.e. benefit on a symptom scale. Default False: plain
        treatment - control.
    alpha : float

    Returns
    -------
    dict of arrays, each of length R
        ``g``, ``se``, ``var`` (= se**2), ``ci_low``, ``ci_high``, ``d``
        (uncorrected Cohen's d, same sign convention), ``n1`` (treatment),
        ``n2`` (control). NaN unless n1, n2 >= 1, n1 + n2 >= 4 and the pooled
        SD is positive (at N = 3 the small-sample factor J is 0, so g would be 0
        whatever the data).
    """
    _check_alpha(alpha)
    y2, _, a2 = _prepare(y, None, arm)
    fin = np.isfinite(y2)
    n1, m1, ss1 = _masked_stats(y2, fin & (a2 == 1))
    n2, m2, ss2 = _masked_stats(y2, fin & (a2 == 0))
    N = n1 + n2
    sign = -1.0 if lower_is_better else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        sp = np.sqrt((ss1 + ss2) / (N - 2))
        defined = (n1 >= 1) & (n2 >= 1) & (N >= 4) & (sp > 0)
        d = np.where(defined, sign * (m1 - m2) / sp, np.nan)
        J = 1.0 - 3.0 / (4.0 * N - 9.0)
        g = J * d
        var = np.where(defined, N / (n1 * n2) + g**2 / (2.0 * N), np.nan)
    se = np.sqrt(var)
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    return {
        "g": g,
        "se": se,
        "var": var,
        "ci_low": g - z * se,
        "ci_high": g + z * se,
        "d": d,
        "n1": n1,
        "n2": n2,
    }


def within_arm_smd(
    y_pre: ArrayLike, y_post: ArrayLike, mask: ArrayLike, *, lower_is_better: bool = False
) -> dict[str, np.ndarray]:
    """Within-group standardized change: mean(post - pre) / SD(pre), per replicate.

    The effect size placebo-response meta-analyses report (e.g. Rutherford
    2012). Computed over participants in ``mask`` with both scores observed;
    the SD (ddof=1) is of the baseline scores of those same participants.

    Parameters
    ----------
    y_pre, y_post : array (R, n) or (n,)
        Baseline and follow-up scores; NaN = missing.
    mask : bool array (R, n) or (n,)
        The group, e.g. ``arm == 0`` for the placebo arm.
    lower_is_better : bool
        If true the sign is flipped, so a fall in a symptom score gives a
        positive SMD (improvement).

    Returns
    -------
    dict of arrays, each of length R
        ``smd``, ``mean_change`` (post - pre, score units, unflipped),
        ``sd_baseline``, ``n``. NaN if fewer than 2 pairs or SD(pre) = 0.
    """
    pre = _as_2d_float(y_pre, "y_pre")
    post = _as_2d_float(y_post, "y_post")
    if pre.shape != post.shape:
        raise ValueError(f"y_pre shape {pre.shape} does not match y_post shape {post.shape}")
    msk = np.asarray(mask, dtype=bool)
    if msk.ndim == 1:
        msk = np.broadcast_to(msk, pre.shape)
    if msk.shape != pre.shape:
        raise ValueError(f"mask shape {msk.shape} does not match data shape {pre.shape}")
    pair = msk & np.isfinite(pre) & np.isfinite(post)
    n, mean_change, _ = _masked_stats(post - pre, pair)
    _, _, ss_pre = _masked_stats(pre, pair)
    sd = np.sqrt(_var(n, ss_pre))
    sign = -1.0 if lower_is_better else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        smd = np.where((n >= 2) & (sd > 0), sign * mean_change / sd, np.nan)
    return {"smd": smd, "mean_change": mean_change, "sd_baseline": sd, "n": n}


