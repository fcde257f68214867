"""Responder and remission rates (>= 50% reduction; score <= threshold): risk
difference, risk ratio and Fisher's exact test."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .arrays import _FISHER_REL_TOL, FloatArray, IntArray, _check_alpha, _prepare

# --------------------------------------------------------------------------
# responders / remission
# --------------------------------------------------------------------------


def fisher_exact_two_sided(x1: IntArray, n1: IntArray, x0: IntArray, n0: IntArray) -> FloatArray:
    """Vectorized two-sided Fisher exact p for the tables [[x1, n1-x1], [x0, n0-x0]].

    Same definition as ``scipy.stats.fisher_exact`` (sum of the hypergeometric
    probabilities of all tables with the margins of the observed one that are
    no more probable than it), evaluated on a (R, max n1 + 1) grid instead of
    a per-table binary search. NaN where an arm is empty. The grid's width (the
    largest n1) enters the summation, so a table's p is reproduced to the bit
    only with the same set of tables: pool the counts of every replicate.
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
        f"{prefix}p": fisher_exact_two_sided(x1, n1, x0, n0),
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


