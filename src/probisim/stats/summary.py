"""Across replicate trials: power (share of p < alpha with its binomial CI) and
the summary of a distribution of estimates."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .arrays import _check_alpha

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




def mean_ci(values: ArrayLike, level: float = 0.95) -> dict[str, float]:
    """Mean of the finite ``values`` with its two-sided Student t interval at
    ``level``: ``n``, ``mean``, ``sd`` (ddof 1), ``ci_low``, ``ci_high``. With no
    value the mean is NaN; with one, the SD and interval are NaN."""
    y = np.asarray(values, dtype=float).ravel()
    y = y[np.isfinite(y)]
    n = int(y.size)
    mean = float(y.mean()) if n else np.nan
    sd = float(y.std(ddof=1)) if n > 1 else np.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else np.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}
