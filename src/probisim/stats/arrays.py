"""Input handling shared by the statistics: (R, n) float and arm arrays, masked
moments and t inference; the conventions are in the package docstring."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

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

