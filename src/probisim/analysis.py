"""Trial statistics for probisim, batched over replicate trials.

What
----
The analyses a randomized placebo-controlled trial report would contain
(ANCOVA of follow-up on arm and baseline, change-score test, Hedges' g,
responder/remission rates, ITT by multiple imputation, completers), plus the
across-replicate summaries a simulation study needs (power / type-I error,
distribution of estimates, random-effects meta-analysis).

Why batched
-----------
A probisim experiment produces R replicate trials of n participants each, so
every per-trial statistic here takes arrays shaped ``(R, n)`` and returns
arrays of length R, computed in closed form with NumPy over all replicates at
once (a single trial is ``R = 1``; 1-D inputs are read as one trial). There is
no Python loop over replicates; the only loops are over the ``m`` imputations
and over the iterations of the REML solver.

Conventions (shared by every function)
--------------------------------------
* ``y`` = follow-up score, ``baseline`` = score at randomization, both float,
  ``NaN`` = missing (dropout).
* ``arm`` = integer array, ``0`` = control (placebo), ``1`` = treatment; any
  other value (probisim uses ``-1``) marks a participant outside the two
  compared arms, who is ignored. A 1-D ``arm`` of length n is broadcast to
  every replicate.
* Differences are always **treatment - control**.
* Raw-unit estimates (ANCOVA, change score) are reported in the units of the
  score, so on probisim's symptom scales (lower is better) a *negative*
  estimate means benefit, as in published trial reports.
* Standardized effects (:func:`hedges_g`, :func:`within_arm_smd`) take a
  ``lower_is_better`` keyword; when it is true the sign is flipped so that a
  *positive* value means improvement/benefit, the convention of the
  meta-analyses probisim is calibrated against (Liu 2019, Hofmeister 2021).
  The low-level functions default to ``lower_is_better=False`` (plain
  treatment - control); :func:`analyze_endpoint` defaults to ``True``.
* Responder rates count improvement (a reduction), so a positive risk
  difference means more responders on treatment.
* A replicate whose statistic is undefined (an empty arm, too few complete
  cases, a constant covariate) gets ``NaN`` rather than an exception, so one
  degenerate simulated trial cannot abort a batch of a thousand.

Randomness
----------
Only :func:`multiple_imputation_ancova` draws random numbers. Its draws come
from three counter-based Philox streams (residual variance, coefficients,
residual noise) derived from the user's seed, each laid out by
(replicate, imputation, ...). Hence the same seed gives bit-identical output,
and the imputations of replicate r do not depend on the data of any other
replicate, or on how many replicates follow it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "ancova",
    "completers",
    "change_score_test",
    "hedges_g",
    "within_arm_smd",
    "responders",
    "multiple_imputation_ancova",
    "rubin_pool",
    "power",
    "summarize",
    "random_effects_meta",
    "analyze_endpoint",
    "across_replicates",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
SeedLike = int | Sequence[int] | np.random.SeedSequence

# A covariate whose within-replicate spread is below this fraction of its
# magnitude is treated as constant (its regression slope is not identified).
_REL_VAR_FLOOR = 1e-20
# Below this Hadamard ratio det(X'X) / prod(diag(X'X)) the design is singular.
_HADAMARD_FLOOR = 1e-12
# Relative tolerance for ties in the two-sided Fisher exact test (as R's
# fisher.test); protects against rounding between mathematically equal pmfs.
_FISHER_REL_TOL = 1e-7


# --------------------------------------------------------------------------
# input handling and masked moments
# --------------------------------------------------------------------------


def _as_2d_float(x: ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name} must be shaped (R, n) or (n,), got {a.shape}")
    return a


def _as_arm(arm: ArrayLike, shape: tuple[int, int]) -> IntArray:
    a = np.asarray(arm)
    if a.dtype == np.bool_:
        a = a.astype(np.int64)
    elif not np.issubdtype(a.dtype, np.integer):
        af = a.astype(np.float64)
        if not np.all(np.isfinite(af)) or np.any(af != np.round(af)):
            raise ValueError("arm must hold integers (0 control, 1 treatment, other = ignored)")
        a = af.astype(np.int64)
    if a.ndim == 1:
        if a.shape[0] != shape[1]:
            raise ValueError(f"arm has {a.shape[0]} participants, data have {shape[1]}")
        a = np.broadcast_to(a, shape)
    if a.shape != shape:
        raise ValueError(f"arm shape {a.shape} does not match data shape {shape}")
    return a


def _prepare(
    y: ArrayLike, baseline: ArrayLike | None, arm: ArrayLike
) -> tuple[FloatArray, FloatArray | None, IntArray]:
    y2 = _as_2d_float(y, "y")
    b2 = None
    if baseline is not None:
        b2 = _as_2d_float(baseline, "baseline")
        if b2.shape != y2.shape:
            raise ValueError(f"baseline shape {b2.shape} does not match y shape {y2.shape}")
    return y2, b2, _as_arm(arm, y2.shape)


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def _masked_stats(x: FloatArray, mask: BoolArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Count, mean and sum of squared deviations of x over mask, per row.

    Two-pass (mean first, then deviations) for accuracy. Rows with no
    member get mean NaN and sum of squares 0.
    """
    n = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(mask, x, 0.0).sum(axis=-1) / n
        dev = np.where(mask, x - mean[..., None], 0.0)
    ss = np.einsum("...n,...n->...", dev, dev)
    return n, mean, ss


def _var(n: IntArray, ss: FloatArray) -> FloatArray:
    """Sample variance (ddof=1) from count and sum of squares; NaN if n < 2."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= 2, ss / np.maximum(n - 1, 1), np.nan)


def _t_inference(
    est: FloatArray, se: FloatArray, df: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Two-sided t CI and p-value; NaN where df or se is undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = stats.t.ppf(1.0 - alpha / 2.0, df)
        p = 2.0 * stats.t.sf(np.abs(est / se), df)
    return est - crit * se, est + crit * se, p


# --------------------------------------------------------------------------
# ANCOVA
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _AncovaDesign:
    """Per-replicate design [1, treatment, centred baseline] and its inverse.

    Built once and reused for every imputed data set (the design does not
    depend on y). Rows of X outside ``valid`` are zero, so they drop out of
    every cross-product.
    """

    X: FloatArray  # (R, n, 3)
    valid: BoolArray  # (R, n)
    inv: FloatArray  # (R, 3, 3), identity where not ok
    ok: BoolArray  # (R,)
    n_used: IntArray
    n_treat: IntArray
    n_control: IntArray


def _ancova_design(baseline: FloatArray, arm: IntArray, valid: BoolArray) -> _AncovaDesign:
    treat = valid & (arm == 1)
    n_used = valid.sum(axis=-1)
    n_treat = treat.sum(axis=-1)
    # Centring the baseline per replicate keeps X'X well conditioned on raw
    # score scales; it changes the intercept only, never the arm coefficient.
    _, b_mean, b_ss = _masked_stats(baseline, valid)
    b_c = np.where(valid, baseline - b_mean[:, None], 0.0)
    X = np.stack([valid.astype(np.float64), treat.astype(np.float64), b_c], axis=-1)
    xtx = np.einsum("rni,rnj->rij", X, X)
    b_scale = np.einsum("rn,rn->r", np.where(valid, baseline, 0.0), np.where(valid, baseline, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        hadamard = np.linalg.det(xtx) / np.prod(np.diagonal(xtx, axis1=1, axis2=2), axis=-1)
    ok = (
        (n_treat >= 1)
        & (n_used - n_treat >= 1)
        & (n_used >= 4)  # residual df >= 1
        & (b_ss > _REL_VAR_FLOOR * b_scale)
        & (hadamard > _HADAMARD_FLOOR)
    )
    inv = np.linalg.inv(np.where(ok[:, None, None], xtx, np.eye(3)))
    return _AncovaDesign(X, valid, inv, ok, n_used, n_treat, n_used - n_treat)


def _ancova_fit(design: _AncovaDesign, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return (arm coefficient, its se, residual df, baseline slope)."""
    X, valid = design.X, design.valid
    y0 = np.where(valid, y, 0.0)
    beta = np.einsum("rij,rj->ri", design.inv, np.einsum("rni,rn->ri", X, y0))
    resid = np.where(valid, y0 - np.einsum("rni,ri->rn", X, beta), 0.0)
    rss = np.einsum("rn,rn->r", resid, resid)
    df = np.where(design.ok, design.n_used - 3, np.nan).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(rss / df * design.inv[:, 1, 1])
    est = np.where(design.ok, beta[:, 1], np.nan)
    se = np.where(design.ok, se, np.nan)
    slope = np.where(design.ok, beta[:, 2], np.nan)
    return est, se, df, slope


def ancova(
    y: ArrayLike, baseline: ArrayLike, arm: ArrayLike, *, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """ANCOVA of follow-up on arm and baseline, per replicate (complete cases).

    Fits ``y = b0 + b1*treatment + b2*baseline + e`` by OLS in each replicate,
    using the participants of arms 0/1 with both scores observed, via the
    stacked 3x3 normal equations.

    Parameters
    ----------
    y, baseline : array (R, n) or (n,)
        Follow-up and baseline scores (score units); NaN = missing.
    arm : int array (R, n) or (n,)
        0 = control, 1 = treatment, anything else ignored.
    alpha : float
        Two-sided level of the confidence interval.

    Returns
    -------
    dict of arrays, each of length R
        ``estimate`` (adjusted mean difference treatment - control, score
        units), ``se``, ``ci_low``, ``ci_high`` (t interval), ``p`` (two-sided
        t test), ``df`` (= n_used - 3), ``n_used``, ``n_treat``, ``n_control``
        (complete cases), ``baseline_slope``. Undefined replicates are NaN.
    """
    _check_alpha(alpha)
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    valid = ((a2 == 0) | (a2 == 1)) & np.isfinite(y2) & np.isfinite(b2)
    design = _ancova_design(b2, a2, valid)
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
    y: ArrayLike, baseline: ArrayLike, arm: ArrayLike, *, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """Completers analysis: :func:`ancova` on the observed (non-missing) data.

    Identical to ``ancova(y, baseline, arm, alpha=alpha)``; named separately
    so that an analysis plan can say "completers" and mean exactly that.
    Unbiased when dropout is MCAR or depends only on baseline and arm.
    """
    return ancova(y, baseline, arm, alpha=alpha)


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
        ``n2`` (control). NaN unless n1, n2 >= 1, n1 + n2 >= 3 and the pooled
        SD is positive.
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
        defined = (n1 >= 1) & (n2 >= 1) & (N >= 3) & (sp > 0)
        d = np.where(defined, sign * (m1 - m2) / sp, np.nan)
        J = 1.0 - 3.0 / (4.0 * N - 9.0)
        g = J * d
        var = N / (n1 * n2) + g**2 / (2.0 * N)
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


# --------------------------------------------------------------------------
# responders / remission
# --------------------------------------------------------------------------


def _fisher_exact_two_sided(x1: IntArray, n1: IntArray, x0: IntArray, n0: IntArray) -> FloatArray:
    """Vectorized two-sided Fisher exact p for the tables [[x1, n1-x1], [x0, n0-x0]].

    Same definition as ``scipy.stats.fisher_exact`` (sum of the hypergeometric
    probabilities of all tables with the margins of the observed one that are
    no more probable than it), evaluated on a (R, max n1 + 1) grid instead of
    a per-table binary search. NaN where an arm is empty.
    """
    M = n1 + n0
    K = x1 + x0
    kmax = int(n1.max()) if n1.size else 0
    k = np.arange(kmax + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        pmf = stats.hypergeom.pmf(k, M[:, None], K[:, None], n1[:, None])
        p_obs = stats.hypergeom.pmf(x1, M, K, n1)
    pmf = np.nan_to_num(pmf, nan=0.0)
    le = pmf <= p_obs[:, None] * (1.0 + _FISHER_REL_TOL)
    p = np.minimum(np.where(le, pmf, 0.0).sum(axis=-1), 1.0)
    return np.where((n1 >= 1) & (n0 >= 1), p, np.nan)


def _two_proportions(
    x1: IntArray, n1: IntArray, x0: IntArray, n0: IntArray, alpha: float, prefix: str
) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = x1 / n1
        p0 = x0 / n0
        se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rd = p1 - p0
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    return {
        f"{prefix}n_treat": n1,
        f"{prefix}n_control": n0,
        f"{prefix}x_treat": x1,
        f"{prefix}x_control": x0,
        f"{prefix}rate_treat": p1,
        f"{prefix}rate_control": p0,
        f"{prefix}rd": rd,
        f"{prefix}rd_se": se,
        f"{prefix}rd_ci_low": rd - z * se,
        f"{prefix}rd_ci_high": rd + z * se,
        f"{prefix}p": _fisher_exact_two_sided(x1, n1, x0, n0),
    }


def responders(
    y: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    reduction: float = 0.5,
    remission_threshold: float | None = None,
    missing: Literal["exclude", "failure"] = "exclude",
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """Responder (and remission) rates per arm, risk difference and test.

    A responder has ``y <= (1 - reduction) * baseline`` (a relative fall of at
    least ``reduction``), which needs ``baseline > 0``; participants with a
    missing or non-positive baseline are not evaluable and are excluded. A
    remitter has ``y <= remission_threshold``.

    Parameters
    ----------
    y, baseline : array (R, n) or (n,)
        Symptom scores (lower is better).
    arm : int array (R, n) or (n,)
    reduction : float
        Fractional reduction defining response, in (0, 1]; 0.5 = 50%.
    remission_threshold : float or None
        Follow-up score at or below which a participant remits; None = skip.
    missing : {"exclude", "failure"}
        Missing follow-up: "exclude" = completers analysis; "failure" = ITT
        with non-responder imputation (counted in the denominator, not the
        numerator).
    alpha : float
        Level of the Wald interval of the risk difference.

    Returns
    -------
    dict of arrays, each of length R
        ``n_treat``, ``n_control`` (denominators), ``x_treat``, ``x_control``
        (responders), ``rate_treat``, ``rate_control``, ``rd`` (rate_treat -
        rate_control), ``rd_se``, ``rd_ci_low``, ``rd_ci_high`` (Wald; it is
        degenerate when a rate is 0 or 1, the known weakness of Wald), ``p``
        (two-sided Fisher exact test, vectorized, equal to
        ``scipy.stats.fisher_exact``). With a threshold, the same keys with a
        ``remission_`` prefix.
    """
    _check_alpha(alpha)
    if not 0.0 < reduction <= 1.0:
        raise ValueError(f"reduction must be in (0, 1], got {reduction}")
    if missing not in ("exclude", "failure"):
        raise ValueError(f"missing must be 'exclude' or 'failure', got {missing!r}")
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    fin_y = np.isfinite(y2)
    evaluable = np.isfinite(b2) & (b2 > 0)
    if missing == "exclude":
        evaluable &= fin_y
    with np.errstate(invalid="ignore"):
        resp = evaluable & fin_y & (y2 <= (1.0 - reduction) * b2)
    t, c = a2 == 1, a2 == 0
    out = _two_proportions(
        (resp & t).sum(-1), (evaluable & t).sum(-1), (resp & c).sum(-1), (evaluable & c).sum(-1), alpha, ""
    )
    if remission_threshold is not None:
        ev_r = fin_y if missing == "exclude" else np.ones_like(fin_y)
        with np.errstate(invalid="ignore"):
            rem = fin_y & (y2 <= remission_threshold)
        out.update(
            _two_proportions(
                (rem & t).sum(-1), (ev_r & t).sum(-1), (rem & c).sum(-1), (ev_r & c).sum(-1), alpha, "remission_"
            )
        )
    return out


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
    y2: FloatArray, b2: FloatArray, a2: IntArray, obs: BoolArray, miss: BoolArray, m: int, seed: SeedLike
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Proper Bayesian regression imputation of y from baseline, within arm.

    Returns the (replicate, participant) indices of the missing cells, their
    ``m`` imputed values shaped (n_missing, m), and a per-replicate flag that
    every arm needing imputation had a fittable model.
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

    # --- draws: fixed consumption per (replicate, imputation), data independent
    rng = _streams(seed, ("sigma", "coef", "noise"))
    u_sigma = rng["sigma"].random((R, m, 2))
    z_coef = rng["coef"].standard_normal((R, m, 2, 2))
    eps = rng["noise"].standard_normal((R, m, n))
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

    r_idx, i_idx, y_imp, can_impute = _impute_follow_up(y2, b2, a2, obs, miss, m, seed)

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


# --------------------------------------------------------------------------
# across replicates
# --------------------------------------------------------------------------


def power(
    p: ArrayLike,
    alpha: float = 0.05,
    *,
    ci_level: float = 0.95,
    method: Literal["exact", "wilson", "wilsoncc"] = "exact",
) -> dict[str, float]:
    """Fraction of replicate trials with p < alpha, with a binomial CI.

    This is power when the simulated effect is real and the type-I error rate
    when it is null. NaN p-values (undefined replicates) are left out of both
    numerator and denominator and counted in ``n_missing``.

    Parameters
    ----------
    p : array, any shape
        Per-replicate p-values.
    alpha : float
        Significance threshold (strict ``p < alpha``).
    ci_level : float
    method : {"exact", "wilson", "wilsoncc"}
        Interval of ``scipy.stats.binomtest(...).proportion_ci``; "exact" is
        Clopper-Pearson (default: never below nominal coverage).

    Returns
    -------
    dict of float
        ``power``, ``ci_low``, ``ci_high``, ``n_significant``, ``n``,
        ``n_missing``.
    """
    _check_alpha(alpha)
    pv = np.asarray(p, dtype=np.float64).ravel()
    keep = ~np.isnan(pv)
    k, n = int(np.sum(pv[keep] < alpha)), int(keep.sum())
    if n == 0:
        lo = hi = rate = float("nan")
    else:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=ci_level, method=method)
        lo, hi, rate = float(ci.low), float(ci.high), k / n
    return {"power": rate, "ci_low": lo, "ci_high": hi, "n_significant": k, "n": n, "n_missing": int(pv.size - n)}


def summarize(values: ArrayLike) -> dict[str, float]:
    """Distribution summary of per-replicate values (NaN ignored).

    Returns
    -------
    dict of float
        ``mean``, ``sd`` (ddof=1), ``median``, ``q025``, ``q975``, ``q10``,
        ``q90`` (linear-interpolation quantiles, numpy's default) and ``n``
        (number of non-NaN values). All NaN when n = 0; sd NaN when n < 2.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    n = int(v.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "sd": nan, "median": nan, "q025": nan, "q975": nan, "q10": nan, "q90": nan, "n": 0}
    q025, q10, med, q90, q975 = np.quantile(v, [0.025, 0.10, 0.5, 0.90, 0.975])
    return {
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if n >= 2 else float("nan"),
        "median": float(med),
        "q025": float(q025),
        "q975": float(q975),
        "q10": float(q10),
        "q90": float(q90),
        "n": n,
    }


def _reml_loglik(tau2: float, y: FloatArray, v: FloatArray) -> float:
    """Restricted log-likelihood of the random-effects model (up to a constant)."""
    w = 1.0 / (v + tau2)
    sw = w.sum()
    mu = (w * y).sum() / sw
    return float(-0.5 * (np.log(v + tau2).sum() + np.log(sw) + (w * (y - mu) ** 2).sum()))


def _reml_tau2(
    y: FloatArray, v: FloatArray, start: float, *, tol: float = 1e-12, max_iter: int = 500
) -> tuple[float, bool]:
    """REML tau^2 by Fisher scoring, truncated at 0, with step halving."""
    tau2 = max(start, 0.0)
    ll = _reml_loglik(tau2, y, v)
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        sw, sw2 = w.sum(), (w**2).sum()
        mu = (w * y).sum() / sw
        score = 0.5 * ((w**2 * (y - mu) ** 2).sum() - (sw - sw2 / sw))
        info = 0.5 * (sw2 - 2.0 * (w**3).sum() / sw + sw2**2 / sw**2)
        step = score / info
        new = max(0.0, tau2 + step)
        ll_new = _reml_loglik(new, y, v)
        halvings = 0
        while ll_new < ll - 1e-12 * abs(ll) and halvings < 60:
            step /= 2.0
            new = max(0.0, tau2 + step)
            ll_new = _reml_loglik(new, y, v)
            halvings += 1
        if abs(new - tau2) <= tol * (1.0 + tau2):
            return new, True
        tau2, ll = new, ll_new
    return tau2, False


def random_effects_meta(
    estimates: ArrayLike,
    variances: ArrayLike,
    *,
    method: Literal["DL", "REML"] = "REML",
    alpha: float = 0.05,
    prediction: Literal["t", "z"] = "t",
) -> dict[str, float]:
    """Inverse-variance random-effects meta-analysis.

    tau^2 by DerSimonian-Laird (closed form) or REML (Fisher scoring, as
    metafor's ``rma``). The pooled estimate uses weights ``1/(v + tau^2)``
    with a normal (z) CI and test. I^2 and H^2 follow metafor:
    ``I^2 = tau^2 / (tau^2 + s^2)``, ``H^2 = (tau^2 + s^2) / s^2`` with the
    "typical" within-study variance
    ``s^2 = (k-1) sum(w) / (sum(w)^2 - sum(w^2))`` (Higgins & Thompson 2002),
    so for DL ``I^2 = (Q - df)/Q`` when positive.

    Parameters
    ----------
    estimates, variances : array (k,)
        Study effects and their sampling variances (> 0). Studies where either
        is NaN/inf are dropped.
    method : {"DL", "REML"}
    alpha : float
    prediction : {"t", "z"}
        Prediction interval ``mu +- crit * sqrt(se^2 + tau^2)`` with
        crit from t(k-2) (Higgins, Thompson & Spiegelhalter 2009; Cochrane
        Handbook; NaN for k < 3) or from the normal (metafor's default).

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``p``, ``tau2``,
        ``tau``, ``q``, ``df`` (k-1), ``p_q`` (chi-square test of
        heterogeneity), ``i2_percent`` (0-100), ``h2``, ``pi_low``,
        ``pi_high``, ``estimate_fe`` (fixed-effect), ``k``, ``method``,
        ``converged``.
    """
    _check_alpha(alpha)
    if method not in ("DL", "REML"):
        raise ValueError(f"method must be 'DL' or 'REML', got {method!r}")
    if prediction not in ("t", "z"):
        raise ValueError(f"prediction must be 't' or 'z', got {prediction!r}")
    y = np.asarray(estimates, dtype=np.float64).ravel()
    v = np.asarray(variances, dtype=np.float64).ravel()
    if y.shape != v.shape:
        raise ValueError("estimates and variances must have the same length")
    keep = np.isfinite(y) & np.isfinite(v)
    y, v = y[keep], v[keep]
    if np.any(v <= 0):
        raise ValueError("sampling variances must be positive")
    k = int(y.size)
    nan = float("nan")
    if k == 0:
        keys = ("estimate", "se", "ci_low", "ci_high", "z", "p", "tau2", "tau", "q", "df", "p_q",
                "i2_percent", "h2", "pi_low", "pi_high", "estimate_fe")
        return {**dict.fromkeys(keys, nan), "k": 0, "method": method, "converged": False}

    w = 1.0 / v
    sw, sw2 = w.sum(), (w**2).sum()
    mu_fe = float((w * y).sum() / sw)
    q = float((w * (y - mu_fe) ** 2).sum())
    df = k - 1
    converged = True
    if k == 1:
        tau2, s2 = 0.0, nan
    else:
        c = sw - sw2 / sw
        tau2 = max(0.0, (q - df) / c)
        s2 = df * sw / (sw**2 - sw2)
        if method == "REML":
            tau2, converged = _reml_tau2(y, v, tau2)
    ws = 1.0 / (v + tau2)
    mu = float((ws * y).sum() / ws.sum())
    se = float(np.sqrt(1.0 / ws.sum()))
    zc = float(stats.norm.ppf(1.0 - alpha / 2.0))
    z = mu / se
    if prediction == "t":
        crit = float(stats.t.ppf(1.0 - alpha / 2.0, k - 2)) if k >= 3 else nan
    else:
        crit = zc
    half_pi = crit * np.sqrt(se**2 + tau2)
    return {
        "estimate": mu,
        "se": se,
        "ci_low": mu - zc * se,
        "ci_high": mu + zc * se,
        "z": z,
        "p": float(2.0 * stats.norm.sf(abs(z))),
        "tau2": float(tau2),
        "tau": float(np.sqrt(tau2)),
        "q": q,
        "df": df,
        "p_q": float(stats.chi2.sf(q, df)) if df > 0 else nan,
        "i2_percent": float(100.0 * tau2 / (tau2 + s2)) if k > 1 else nan,
        "h2": float((tau2 + s2) / s2) if k > 1 else nan,
        "pi_low": float(mu - half_pi),
        "pi_high": float(mu + half_pi),
        "estimate_fe": mu_fe,
        "k": k,
        "method": method,
        "converged": converged,
    }


# --------------------------------------------------------------------------
# one endpoint, all analyses
# --------------------------------------------------------------------------


def analyze_endpoint(
    y: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    lower_is_better: bool = True,
    alpha: float = 0.05,
    mi_m: int = 20,
    seed: SeedLike = 0,
    remission_threshold: float | None = None,
    responder_analysis: bool | None = None,
) -> dict[str, np.ndarray]:
    """Run every per-trial analysis of one endpoint; flat dict of length-R arrays.

    Keys (all arrays of length R):

    ========================================  ===========================================
    ``n_treat``, ``n_control``                randomized to each arm (arm == 1 / 0)
    ``n_completers_treat/_control``           with the follow-up observed
    ``dropout_treat``, ``dropout_control``    fraction of the arm with follow-up missing
    ``ancova_itt_{estimate,se,ci_low,``       ITT: :func:`multiple_imputation_ancova`
    ``ci_high,p,df,lambda}``                  (``mi_m`` imputations, ``seed``)
    ``ancova_completers_{estimate,se,``       :func:`completers` (ANCOVA, complete cases)
    ``ci_low,ci_high,p,df}``
    ``change_{estimate,se,ci_low,ci_high,``   :func:`change_score_test` (Welch)
    ``p,df}``
    ``mean_change_treat/_control``            mean follow-up - baseline (score units)
    ``hedges_g``, ``hedges_g_{se,ci_low,``    :func:`hedges_g` of follow-up scores,
    ``ci_high}``                              completers
    ``within_smd_treat/_control``             :func:`within_arm_smd` per arm
    ``responders_{treat,control}``            response rates (>= 50% reduction,
                                              completers), only if responder_analysis
    ``responders_{rd,rd_ci_low,rd_ci_high,``  risk difference (Wald CI), Fisher p
    ``p}``
    ``remission_{treat,control,rd,``          same for ``y <= remission_threshold``,
    ``rd_ci_low,rd_ci_high,p}``               only if a threshold is given
    ========================================  ===========================================

    Signs: ANCOVA and change estimates are raw treatment - control (negative =
    benefit on a lower-is-better scale); Hedges' g and the within-arm SMDs
    are flipped when ``lower_is_better`` so positive = benefit/improvement;
    responder/remission differences are positive when treatment has more.
    Responder analysis assumes a symptom scale (a relative fall of a score
    whose zero means no symptoms): ``responder_analysis`` switches it on or off
    (default: on when ``lower_is_better``); pass False for biomarkers, where a
    50% fall is not a defined response.
    """
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    t, c = a2 == 1, a2 == 0
    obs = np.isfinite(y2)
    n_t, n_c = t.sum(-1), c.sum(-1)
    out: dict[str, np.ndarray] = {
        "n_treat": n_t,
        "n_control": n_c,
        "n_completers_treat": (t & obs).sum(-1),
        "n_completers_control": (c & obs).sum(-1),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        out["dropout_treat"] = (t & ~obs).sum(-1) / n_t
        out["dropout_control"] = (c & ~obs).sum(-1) / n_c

    mi = multiple_imputation_ancova(y2, b2, a2, m=mi_m, seed=seed, alpha=alpha)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df", "lambda"):
        out[f"ancova_itt_{k}"] = mi[k]
    cc = completers(y2, b2, a2, alpha=alpha)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        out[f"ancova_completers_{k}"] = cc[k]
    ch = change_score_test(y2, b2, a2, alpha=alpha)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        out[f"change_{k}"] = ch[k]
    out["mean_change_treat"] = ch["mean_change_treat"]
    out["mean_change_control"] = ch["mean_change_control"]
    g = hedges_g(y2, a2, lower_is_better=lower_is_better, alpha=alpha)
    out["hedges_g"] = g["g"]
    for k in ("se", "ci_low", "ci_high"):
        out[f"hedges_g_{k}"] = g[k]
    out["within_smd_treat"] = within_arm_smd(b2, y2, t, lower_is_better=lower_is_better)["smd"]
    out["within_smd_control"] = within_arm_smd(b2, y2, c, lower_is_better=lower_is_better)["smd"]
    if lower_is_better if responder_analysis is None else responder_analysis:
        r = responders(y2, b2, a2, remission_threshold=remission_threshold, alpha=alpha)
        for prefix in ("", "remission_") if remission_threshold is not None else ("",):
            name = prefix.rstrip("_") or "responders"
            out[f"{name}_treat"] = r[f"{prefix}rate_treat"]
            out[f"{name}_control"] = r[f"{prefix}rate_control"]
            for k in ("rd", "rd_ci_low", "rd_ci_high", "p"):
                out[f"{name}_{k}"] = r[f"{prefix}{k}"]
    return out


def across_replicates(
    per_rep: Mapping[str, ArrayLike], alpha: float = 0.05, *, meta_method: Literal["DL", "REML"] = "REML"
) -> dict[str, object]:
    """Summaries over the replicate trials of one endpoint.

    Parameters
    ----------
    per_rep : mapping of name -> array (R,)
        Typically the output of :func:`analyze_endpoint`.
    alpha : float
        Significance level for the rejection rates and the meta-analysis CI.
    meta_method : {"DL", "REML"}

    Returns
    -------
    dict
        ``n_replicates``;
        ``power``: for every key ``<name>_p`` a :func:`power` dict under
        ``<name>`` (power if the effect is real, type-I error if null);
        ``summary``: a :func:`summarize` dict for every key;
        ``meta_hedges_g``: :func:`random_effects_meta` of the per-replicate
        ``hedges_g`` with variances ``hedges_g_se**2`` (present only if those
        keys are), i.e. the pooled SMD, tau^2 and I^2 a meta-analyst would
        get from these trials.
    """
    _check_alpha(alpha)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in per_rep.items()}
    out: dict[str, object] = {
        "n_replicates": max((a.size for a in arrays.values()), default=0),
        "power": {k[:-2]: power(a, alpha) for k, a in arrays.items() if k.endswith("_p")},
        "summary": {k: summarize(a) for k, a in arrays.items()},
    }
    if "hedges_g" in arrays and "hedges_g_se" in arrays:
        out["meta_hedges_g"] = random_effects_meta(
            arrays["hedges_g"], arrays["hedges_g_se"] ** 2, method=meta_method, alpha=alpha
        )
    return out
