"""The arithmetic floor of the day step, used only by the benchmark: the kernel's
microbiome arithmetic without noise, diet, host or mood, built exactly like it, so
its rate is the attainable rate of the bare arithmetic on this machine."""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from .blocks import (  # noqa: F401
    _block_ranges,
    _take_block,
    _thread_scratch,
)
from .layout import (  # noqa: F401
    TP_DELTA,
    TP_KREF,
    TP_NICHE,
    TP_RHO,
)
from .simd import (  # noqa: F401
    _VW,
    _dataptr,
    _sel,
    _vload,
    _vsplat,
    _vstore,
)
from .step import _check_optional_rows
from .vecmath import (  # noqa: F401
    _expm1,
)

#: the floor's per-taxon rows: row X of taxon i starts at i * _FTS + X
(_F_N, _F_CS, _F_CP, _F_BDT, _F_W) = (k * _VW for k in range(5))
_FTS = 5 * _VW


@njit(cache=True, inline="always", error_model="numpy")
def _floor_grow(sc, TP, i, comp, dt):
    """The floor's substep of taxon i: the kernel's exact logistic update without noise,
    diet, modulation, kill or immigration."""
    oi = i * _FTS
    A = (TP[i, TP_RHO] * (TP[i, TP_NICHE] - _vload(sc, oi + _F_CS) * comp) - TP[i, TP_DELTA]) * dt
    E1 = _expm1(A)
    phi = _sel(A != 0.0, E1 / A, 1.0)
    x0 = _vload(sc, oi + _F_N)
    _vstore(sc, oi + _F_N, x0 * (1.0 + E1) / (1.0 + _vload(sc, oi + _F_BDT) * x0 * phi))


@njit(cache=True, error_model="numpy")
def _floor_blocks(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, counters, t, nt, sc):
    n, S = N.shape
    scp = _dataptr(sc)  # as in _step_blocks
    keep_work = WORK.shape[0] != 0
    dt = 1.0 / nsub
    inv_comm = 1.0 / NORMS[9]
    nb = (n + _VW - 1) // _VW
    while True:  # blocks taken as in the kernel
        blk = _take_block(counters, t, nt, nb)
        if blk < 0:
            break
        p0 = blk * _VW
        nl = min(_VW, n - p0)
        for l in range(_VW):
            p = p0 + min(l, nl - 1)
            for i in range(S):
                o = i * _FTS + l
                sc[o + _F_N] = N[p, i]
                sc[o + _F_CS] = CSENS[p, i]
                sc[o + _F_CP] = CPRESS[p, i]
                sc[o + _F_BDT] = KAPPA[p, i]
        for i in range(S):
            _vstore(sc, i * _FTS + _F_BDT, TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * _vload(sc, i * _FTS + _F_BDT)))
        for _ in range(nsub):
            for j in range(S):
                oj = j * _FTS
                _vstore(sc, oj + _F_W, _vload(sc, oj + _F_CP) * _vload(sc, oj + _F_N) * inv_comm)
            i = 0
            while i < S:  # two taxa at a time, as in the kernel
                if i + 1 < S:
                    comp1 = _vsplat(0.0)
                    comp2 = _vsplat(0.0)
                    for j in range(S):
                        wj = _vload(sc, j * _FTS + _F_W)
                        comp1 = comp1 + ALPHA[i, j] * wj
                        comp2 = comp2 + ALPHA[i + 1, j] * wj
                    _floor_grow(scp, TP, i, comp1, dt)
                    _floor_grow(scp, TP, i + 1, comp2, dt)
                    i += 2
                else:
                    comp1 = _vsplat(0.0)
                    for j in range(S):
                        comp1 = comp1 + ALPHA[i, j] * _vload(sc, j * _FTS + _F_W)
                    _floor_grow(scp, TP, i, comp1, dt)
                    i += 1
        for l in range(nl):
            p = p0 + l
            for j in range(S):
                N[p, j] = sc[j * _FTS + _F_N + l]
            if keep_work:
                for j in range(S):
                    WORK[p, S + j] = sc[j * _FTS + _F_W + l]


def floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK):
    """Noise-free arithmetic floor of :func:`step_day`, used only by the benchmark as the
    attainable rate of the bare arithmetic. It is built exactly like the kernel: the same
    blocks of _VW SIMD lanes, gather and scatter (N, CSENS, CPRESS, KAPPA in; N and the
    weighted loads out), the same gLV matrix-vector product (same summation order,
    accumulated in registers, two taxa at a time) and the same exact logistic update with
    the same vectorised ``_expm1``, once per taxon and substep. It leaves out random
    numbers, diet, kill, immigration, host modulation, host state, mood and the failure
    checks. (Plain Python wrapper, like :func:`step_day`; WORK may be (0, 2S).)"""
    _check_optional_rows("WORK", WORK, N.shape[0], 2 * N.shape[1])
    _floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, int(nsub), WORK, get_num_threads())


@njit(cache=True, parallel=True, error_model="numpy")
def _floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, nthreads):
    n, S = N.shape
    if n == 0:
        return
    nb = (n + _VW - 1) // _VW
    nt = max(1, min(nthreads, nb))
    sc = _thread_scratch(nt, S * _FTS)  # spaced as in the kernel
    counters = _block_ranges(nb, nt)
    for t in prange(nt):
        _floor_blocks(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, counters, np.int64(t), nt, sc[t])
