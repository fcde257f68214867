"""Vectorisable elementary functions (exp, expm1, log, tanh, sin/cos) built from
plain IEEE operations, generic over float64 scalars and SIMD lanes, so the kernel
computes them on all lanes at once with bit-identical results per lane."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .simd import (  # noqa: F401
    _bits,
    _frombits,
    _sel,
    _tofloat,
    _toint,
)

# --------------------------------------------------------------------------
# Vectorisable elementary functions, generic over float64 scalars and _VecF
# lanes (bit-identical results for both). Built only from +, -, *, /, selects
# and exponent-bit manipulation. Against NumPy/libm: exp, log, sin, cos
# <= 1 ulp; expm1, tanh <= 2-3 ulp; including 0, -0, +-inf, NaN (propagated),
# subnormals, underflow and overflow (tests/test_kernel.py). That keeps the
# kernel within 1e-12 of the NumPy reference, which uses NumPy's own functions.
# --------------------------------------------------------------------------
_LOG2E = 1.4426950408889634
_LN2HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000: k * _LN2HI is exact for |k| < 2**20
_LN2LO = 1.90821492927058770002e-10  # ln 2 - _LN2HI
_LN2 = math.log(2.0)
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: (x + _SHIFT) - _SHIFT rounds x to an integer
# Taylor coefficients 1/k! of exp(r) - 1 - r on |r| <= ln(2)/2 (truncation < 2e-17 relative)
_E2, _E3, _E4, _E5, _E6, _E7 = 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040
_E8, _E9, _E10, _E11, _E12, _E13 = 1 / 40320, 1 / 362880, 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800


@njit(cache=True, error_model="numpy")
def _clamp800(x):
    """x clamped to [-800, 800], NaN -> 0 (so that the int conversion below stays defined)."""
    xc = _sel(x == x, x, 0.0)
    xc = _sel(xc < -800.0, -800.0, xc)
    return _sel(xc > 800.0, 800.0, xc)


@njit(cache=True, error_model="numpy")
def _expm1_reduced(x):
    """Cody-Waite reduction x = kd ln 2 + r, |r| <= ln(2)/2; returns (kd, expm1(r))."""
    kd = (x * _LOG2E + _SHIFT) - _SHIFT
    r = (x - kd * _LN2HI) - kd * _LN2LO
    # Estrin's scheme (short dependency chains) for r + r^2 (E2 + E3 r + ... + E13 r^11)
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q = ((_E2 + _E3 * r) + (_E4 + _E5 * r) * r2) + ((_E6 + _E7 * r) + (_E8 + _E9 * r) * r2) * r4
    q = q + ((_E10 + _E11 * r) + (_E12 + _E13 * r) * r2) * r8
    em = r + r2 * q
    return kd, em


@njit(cache=True, error_model="numpy")
def _scale2(p, kd):
    """p * 2**kd for integer-valued |kd| <= 1200, as two exact power-of-two factors built
    from exponent bits (so over- and underflow round as one multiplication would)."""
    k = _toint(kd)
    k1 = k >> 1
    return p * _frombits((k1 + 1023) << 52) * _frombits((k - k1 + 1023) << 52)


@njit(cache=True, error_model="numpy")
def _exp(x):
    """exp(x), <= 1 ulp."""
    kd, em = _expm1_reduced(_clamp800(x))
    res = _scale2(1.0 + em, kd)
    return _sel(x == x, res, x)


@njit(cache=True, error_model="numpy")
def _expm1(x):
    """expm1(x) = 2**k expm1(r) + (2**k - 1), <= 2 ulp (exact expm1(r) when k = 0)."""
    kd, em = _expm1_reduced(_clamp800(x))
    k = _toint(kd)
    big = (k > 1000) | (k < -1000)
    kc = _sel(big, 0, k)
    t = _frombits((kc + 1023) << 52)
    res = t * em + (t - 1.0)
    res = _sel(big, _scale2(1.0 + em, kd) - 1.0, res)
    return _sel(x == x, res, x)


@njit(cache=True, error_model="numpy")
def _tanh(x):
    """tanh(x) = expm1(2x) / (expm1(2x) + 2), <= 3 ulp (tanh(+-20) rounds to +-1)."""
    u = _sel(x > 20.0, 20.0, x)
    u = _sel(u < -20.0, -20.0, u)
    em = _expm1(2.0 * u)
    return em / (em + 2.0)


@njit(cache=True, error_model="numpy")
def _exp_tanh(x):
    """exp(tanh(x)), bit for bit _exp(_tanh(x)) but without the over/underflow paths,
    which |2 clamp(x)| <= 40 and |tanh| <= 1 never take."""
    v = 2.0 * _sel(_sel(x > 20.0, 20.0, x) < -20.0, -20.0, _sel(x > 20.0, 20.0, x))
    kd, em = _expm1_reduced(_sel(v == v, v, 0.0))
    t = _frombits((_toint(kd) + 1023) << 52)
    em = t * em + (t - 1.0)
    th = _sel(v == v, em, v)
    th = th / (th + 2.0)
    kd, em = _expm1_reduced(_sel(th == th, th, 0.0))
    res = (1.0 + em) * _frombits((_toint(kd) + 1023) << 52)
    return _sel(th == th, res, th)


# log: fdlibm's e_log.c (Sun Microsystems) coefficients, written branch-free
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


@njit(cache=True, error_model="numpy")
def _log(x):
    """log(x), <= 1 ulp: fdlibm's algorithm (x = 2**k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2))."""
    sub = x < 2.2250738585072014e-308
    xs = _sel(sub, x * 18014398509481984.0, x)
    ix = _bits(xs)
    hx = ix >> 32
    k = (hx >> 20) - _sel(sub, 1077, 1023)
    hm = hx & 0x000FFFFF
    i = (hm + 0x95F64) & 0x100000
    k = k + (i >> 20)
    f = _frombits(((hm | (i ^ 0x3FF00000)) << 32) | (ix & 0xFFFFFFFF)) - 1.0
    s = f / (2.0 + f)
    dk = _tofloat(k)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    res = dk * _LN2HI - ((hfsq - (s * (hfsq + R) + dk * _LN2LO)) - f)
    res = _sel(x < np.inf, res, x)
    res = _sel(x == 0.0, -np.inf, res)
    res = _sel(x < 0.0, np.nan, res)
    return _sel(x == x, res, x)


# sin/cos: fdlibm's k_sin.c / k_cos.c kernels after a 3-part Cody-Waite reduction by pi/2
_INVPIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e+00  # first 33 bits of pi/2
_PIO2_2 = 6.07710050630396597660e-11  # next 33 bits
_PIO2_3 = 2.02226624871116645580e-21  # next 33 bits
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11


@njit(cache=True, error_model="numpy")
def _sincos(t):
    """(sin t, cos t) for 0 <= t <= 2**19 pi, <= 1 ulp (the reduction is exact there)."""
    qd = (t * _INVPIO2 + _SHIFT) - _SHIFT
    y = ((t - qd * _PIO2_1) - qd * _PIO2_2) - qd * _PIO2_3
    z = y * y
    s = y + z * y * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    rc = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz) + z * rc)
    q = _toint(qd)
    odd = (q & 1) != 0
    sn = _sel(odd, c, s) * _tofloat(1 - (q & 2))
    cs = _sel(odd, s, c) * _tofloat(1 - ((q + 1) & 2))
    return sn, cs


