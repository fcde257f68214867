"""Sobol' sensitivity indices from model outputs a user already has.

For d parameters and n base samples, a Saltelli design evaluates the model on
two independent sample matrices A and B (n rows each) and on the d matrices
AB_i (A with column i taken from B). With ``f_a``, ``f_b`` the outputs on A and
B and ``f_ab[i]`` those on AB_i, :func:`sobol_indices` returns the first-order
indices (Saltelli 2010) and total-order indices (Jansen 1999), the estimators of
:func:`scipy.stats.sobol_indices`, which computes them, with optional bootstrap
(BCa) confidence intervals drawn reproducibly from ``seed``.

The sweep's ``sensitivity`` command uses the same function on the outputs of its
Saltelli sweep, so indices from arrays and from a sweep agree exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["sobol_indices", "split_saltelli"]


def split_saltelli(y: ArrayLike, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split outputs ordered A, B, AB_0, ..., AB_{d-1} (n rows each) into
    ``(f_a (n,), f_b (n,), f_ab (d, n))``."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.size != (d + 2) * n:
        raise ValueError(f"expected (d + 2) * n = {(d + 2) * n} outputs for n = {n}, d = {d}; got {y.size}")
    return y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)


def sobol_indices(
    f_a: ArrayLike, f_b: ArrayLike, f_ab: ArrayLike, *, confidence_level: float = 0.95, n_resamples: int = 0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """First- and total-order Sobol' indices of one scalar output.

    Parameters
    ----------
    f_a, f_b : array (n,)
        The output on the base samples A and B.
    f_ab : array (d, n)
        The output on AB_i (A with parameter i's column from B), one row per
        parameter.
    confidence_level : float
        Of the bootstrap intervals.
    n_resamples : int
        Bootstrap resamples; 0 = no intervals (NaN).
    seed : int
        Seed of the bootstrap (the intervals are reproducible).

    Returns
    -------
    dict of arrays (d,)
        ``first_order``, ``total_order`` and, per index, ``*_ci_low``/``*_ci_high``.
    """
    from scipy.stats import sobol_indices as _scipy_sobol

    f_a = np.asarray(f_a, dtype=np.float64).reshape(-1)
    f_b = np.asarray(f_b, dtype=np.float64).reshape(-1)
    f_ab = np.asarray(f_ab, dtype=np.float64)
    if f_ab.ndim == 1:
        f_ab = f_ab[None, :]
    n = f_a.size
    if f_b.size != n or f_ab.shape[1] != n:
        raise ValueError(f"f_a, f_b and the rows of f_ab must have one value per base sample; got {f_a.size}, "
                         f"{f_b.size} and {f_ab.shape}")
    if not (0.0 < confidence_level < 1.0):
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    d = f_ab.shape[0]
    # scipy squeezes its results, which breaks for a single parameter: then
    # duplicate the page (the estimators are per page, so nothing changes).
    pages = f_ab if d > 1 else np.vstack([f_ab, f_ab])
    func = {"f_A": f_a[None, :], "f_B": f_b[None, :], "f_AB": pages[:, None, :]}
    res = _scipy_sobol(func=func, n=n)
    out = {"first_order": np.asarray(res.first_order, dtype=float).reshape(-1)[:d],
           "total_order": np.asarray(res.total_order, dtype=float).reshape(-1)[:d]}
    ci = np.full((4, d), np.nan)
    if n_resamples > 0:
        # SobolResult.bootstrap draws from NumPy's legacy global RandomState;
        # seed it for reproducible CIs and restore the caller's state after.
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    boot = res.bootstrap(confidence_level=confidence_level, n_resamples=n_resamples)
            ci[0] = np.asarray(boot.first_order.confidence_interval.low, dtype=float).reshape(-1)[:d]
            ci[1] = np.asarray(boot.first_order.confidence_interval.high, dtype=float).reshape(-1)[:d]
            ci[2] = np.asarray(boot.total_order.confidence_interval.low, dtype=float).reshape(-1)[:d]
            ci[3] = np.asarray(boot.total_order.confidence_interval.high, dtype=float).reshape(-1)[:d]
        finally:
            np.random.set_state(state)
    out["first_order_ci_low"], out["first_order_ci_high"], out["total_order_ci_low"], out["total_order_ci_high"] = ci
    return out
