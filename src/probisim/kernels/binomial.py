"""Binomial quantiles in Numba, equal to ``scipy.stats.binom.ppf`` (tested): the
16S read chains and the initial species counts of the richness model draw with
them, so that neither calls scipy once per element."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_HALF_LN_2PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True)
def _stirlerr(k):
    """ln(k!) - [(k + 1/2) ln k - k + ln sqrt(2 pi)] for an integer k >= 1, to about
    1e-15 absolute: directly for k <= 15, else the Stirling series (coefficients
    1/12, 1/360, 1/1260, 1/1680, 1/1188), as in Loader (2000)."""
    x = float(k)
    if k <= 15:
        return math.lgamma(x + 1.0) - (x + 0.5) * math.log(x) + x - _HALF_LN_2PI
    xx = x * x
    if k > 500:
        return (1.0 / 12.0 - (1.0 / 360.0) / xx) / x
    if k > 80:
        return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0) / xx) / xx) / x
    if k > 35:
        return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0) / xx) / xx) / xx) / x
    return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - (1.0 / 1188.0) / xx) / xx) / xx) / xx) / x


@njit(cache=True)
def _bd0(x, m):
    """x ln(x / m) + m - x, without cancellation when x is near m (Loader 2000)."""
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2.0 * x * v
        v = v * v
        for j in range(1, 1000):
            ej *= v
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
    return x * math.log(x / m) + m - x


@njit(cache=True)
def _binom_logpmf(k, n, p):
    """ln P(X = k), X ~ Bin(n, p), 0 <= k <= n, 0 < p < 1: Loader's saddle-point form,
    accurate to about 1e-15 absolute for any n (log-gamma differences lose digits as n
    grows: about 1e-9 at n = 10^6)."""
    if k == 0:
        return n * math.log1p(-p)
    if k == n:
        return n * math.log(p)
    x, nx = float(k), float(n - k)
    lc = _stirlerr(n) - _stirlerr(k) - _stirlerr(n - k) - _bd0(x, n * p) - _bd0(nx, n * (1.0 - p))
    return lc - 0.5 * math.log(2.0 * math.pi * x * nx / n)


@njit(cache=True)
def _binom_search(v, n, q, strict):
    """Smallest j with F(j) >= v (strict: F(j) > v), F the Bin(n, q) CDF, q <= 1/2.

    F is summed from the pmf at s = mean - 10 sqrt(mean) upwards with the ratio
    recurrence; the mass below s is below e^-50 (Chernoff), far beneath the 2^-32
    spacing of the uniforms."""
    mean = n * q
    s = max(0, int(math.floor(mean - 10.0 * math.sqrt(mean) - 1.0)))
    pmf = math.exp(_binom_logpmf(s, n, q))
    F = pmf
    ratio = q / (1.0 - q)
    j = s
    while (F <= v) if strict else (F < v):
        if j >= n:
            return n
        pmf *= (n - j) / (j + 1.0) * ratio
        j += 1
        F += pmf
    return j


@njit(cache=True)
def binom_ppf(u, n, p):
    """Binomial quantile: the smallest k with P(X <= k) >= u for X ~ Bin(n, p), u in (0, 1).

    Exact up to floating-point rounding of the CDF (it agrees with
    ``scipy.stats.binom.ppf``, checked in the tests), and in O(sd) steps. For
    p > 1/2 it searches the mirror Y = n - X ~ Bin(n, 1 - p): k = n - (the
    smallest j with P(Y <= j) > 1 - u)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p <= 0.5:
        return _binom_search(u, n, p, False)
    return n - _binom_search(1.0 - u, n, 1.0 - p, True)


@njit(cache=True, parallel=True)
def binom_ppf_array(u, n, p):
    """:func:`binom_ppf` elementwise over equally shaped 1-D arrays ``u``, ``n`` (int64), ``p``.
    Each element is independent, so any thread count gives the same result."""
    out = np.empty(u.size, np.int64)
    for i in prange(u.size):
        out[i] = binom_ppf(u[i], n[i], p[i])
    return out


def binom_ppf_nd(u, n, p) -> np.ndarray:
    """:func:`binom_ppf` with NumPy broadcasting over ``u``, ``n``, ``p`` (int64 result)."""
    u, n, p = np.broadcast_arrays(np.asarray(u, float), np.asarray(n, np.int64), np.asarray(p, float))
    flat = binom_ppf_array(np.ascontiguousarray(u).ravel(), np.ascontiguousarray(n).ravel(),
                           np.ascontiguousarray(p).ravel())
    return flat.reshape(u.shape)
