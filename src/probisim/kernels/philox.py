"""Philox4x32-10 (Salmon et al. 2011; constants from Random123): the counter-based
generator behind every random number of the model, as a scalar function, as
fills of per-participant uniforms and normals, and on SIMD lanes inside the kernel.
A draw depends only on (key, participant id, step, site, block), never on threads,
chunking or participant order."""

from __future__ import annotations

import math

from numba import njit, prange, uint32, uint64

from .simd import (  # noqa: F401
    _tofloat,
    _vlshr,
)
from .vecmath import (  # noqa: F401
    _log,
    _sincos,
)

# --------------------------------------------------------------------------
# Philox4x32-10 (Salmon et al. 2011; constants from Random123)
# --------------------------------------------------------------------------
_M0 = uint64(0xD2511F53)
_M1 = uint64(0xCD9E8D57)
_W0 = uint32(0x9E3779B9)
_W1 = uint32(0xBB67AE85)
_MASK32 = uint64(0xFFFFFFFF)
_TWO_PI = 2.0 * math.pi
_INV_2_32 = 1.0 / 4294967296.0


@njit(cache=True, inline="always")
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on counter (c0..c3) with key (k0, k1); four uint32 out."""
    c0 = uint64(c0)
    c1 = uint64(c1)
    c2 = uint64(c2)
    c3 = uint64(c3)
    k0 = uint64(k0)
    k1 = uint64(k1)
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> uint64(32)
        lo0 = p0 & _MASK32
        hi1 = p1 >> uint64(32)
        lo1 = p1 & _MASK32
        c0 = (hi1 ^ c1 ^ k0) & _MASK32
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & _MASK32
        c3 = lo0
        k0 = (k0 + uint64(_W0)) & _MASK32
        k1 = (k1 + uint64(_W1)) & _MASK32
    return uint32(c0), uint32(c1), uint32(c2), uint32(c3)


@njit(cache=True, inline="always")
def _u01(w):
    """uint32 -> double strictly inside (0, 1)."""
    return (float(w) + 0.5) * _INV_2_32


@njit(cache=True, error_model="numpy")
def _box_muller_u(u0, u1):
    """Box-Muller on two uniforms (float64 scalars or lane vectors alike), with the
    in-module log and sin/cos below (<= 1 ulp from libm; vectorisable)."""
    r = math.sqrt(-2.0 * _log(u0))
    sn, cs = _sincos(_TWO_PI * u1)
    return r * cs, r * sn


@njit(cache=True, inline="always")
def _box_muller(w0, w1):
    return _box_muller_u(_u01(w0), _u01(w1))


@njit(cache=True, inline="always")
def _normals_into(k0, k1, pid, step, site, out, count):
    """Fill out[:count] with standard normals; block b covers draws 4b..4b+3."""
    nblk = (count + 3) // 4
    for b in range(nblk):
        r0, r1, r2, r3 = philox4x32_10(pid, step, site, uint32(b), k0, k1)
        z0, z1 = _box_muller(r0, r1)
        z2, z3 = _box_muller(r2, r3)
        j = 4 * b
        out[j] = z0
        if j + 1 < count:
            out[j + 1] = z1
        if j + 2 < count:
            out[j + 2] = z2
        if j + 3 < count:
            out[j + 3] = z3


@njit(cache=True, parallel=True)
def fill_normals(keys, pids, step, site, out):
    """out[p, :] = standard normals for participant p at (step, site)."""
    n, count = out.shape
    for p in prange(n):
        _normals_into(keys[p, 0], keys[p, 1], pids[p], step, site, out[p], count)


@njit(cache=True, parallel=True)
def fill_uniforms(keys, pids, step, site, out):
    """out[p, :] = uniforms in (0, 1) for participant p at (step, site)."""
    n, count = out.shape
    nblk = (count + 3) // 4
    for p in prange(n):
        for b in range(nblk):
            r0, r1, r2, r3 = philox4x32_10(pids[p], step, site, uint32(b), keys[p, 0], keys[p, 1])
            j = 4 * b
            out[p, j] = _u01(r0)
            if j + 1 < count:
                out[p, j + 1] = _u01(r1)
            if j + 2 < count:
                out[p, j + 2] = _u01(r2)
            if j + 3 < count:
                out[p, j + 3] = _u01(r3)

# --------------------------------------------------------------------------
# Philox and Box-Muller on lanes
# --------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _philox_vec(c0, c1, c2, c3, k0, k1):
    """philox4x32_10 on int64 lanes that hold 32-bit words (the same ten rounds)."""
    for _ in range(10):
        p0 = c0 * 0xD2511F53
        p1 = c2 * 0xCD9E8D57
        hi0 = _vlshr(p0, 32)
        lo0 = p0 & 0xFFFFFFFF
        hi1 = _vlshr(p1, 32)
        lo1 = p1 & 0xFFFFFFFF
        c0 = (hi1 ^ c1 ^ k0) & 0xFFFFFFFF
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & 0xFFFFFFFF
        c3 = lo0
        k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
        k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c0, c1, c2, c3


@njit(cache=True, error_model="numpy")
def _u01_vec(w):
    """As _u01, on int64 lanes holding 32-bit words."""
    return (_tofloat(w) + 0.5) * _INV_2_32


