"""Work sharing for the blocked kernels: per-thread scratch rows placed far apart,
atomic block counters (each thread takes its own range of participant blocks, then
helps with the others' leftovers), and the list of taxa whose growth the host
modulates."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .layout import (  # noqa: F401
    TP_CORT,
    TP_INFL,
)
from .simd import (  # noqa: F401
    _elem_ptr,
)


@intrinsic
def _fetch_add(typingctx, counters, k):
    """Atomically counters[k] += 1; returns the old value."""
    if not (isinstance(counters, types.Array) and counters.dtype == types.int64 and isinstance(k, types.Integer)):
        return None
    sig = types.int64(counters, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _elem_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, ir.Constant(ir.IntType(64), 1), "monotonic")
    return sig, codegen


#: gap between two threads' scratch rows, in float64: 66 KiB (the kernel's rows end up
#: 98 KiB apart at 20 taxa). On the 2-vCPU EPYC machine this was tuned on, rows 30-32 KiB
#: apart (adjacent rows) let the second thread cost the first 18-42% of its speed;
#: 48-256 KiB apart, 1-7% (`python benchmarks/bench_scratch_gap.py`).
_SCRATCH_GAP = 8448


@njit(cache=True, inline="always")
def _thread_scratch(nt, width):
    """Uninitialised per-thread scratch: nt rows of at least width float64; the row
    stride is width rounded up to whole 4 KiB pages plus _SCRATCH_GAP."""
    return np.empty((nt, (width + 511) // 512 * 512 + _SCRATCH_GAP))


@njit(cache=True, inline="always")
def _modulated_taxa(TP):
    """(modidx, nmod): the taxa with a cortisol or inflammation response, modidx[:nmod]."""
    S = TP.shape[0]
    modidx = np.empty(S, np.int64)
    nmod = np.int64(0)
    for i in range(S):
        if TP[i, TP_CORT] != 0.0 or TP[i, TP_INFL] != 0.0:
            modidx[nmod] = i
            nmod += 1
    return modidx, nmod


@njit(cache=True, inline="always")
def _block_ranges(nb, nt):
    """Per-thread block counters for _take_block: thread u owns blocks [u nb / nt, (u+1) nb / nt);
    its counter (one per 64-byte line) starts at the first."""
    counters = np.empty(8 * nt, np.int64)
    for u in range(nt):
        counters[8 * u] = u * nb // nt
    return counters


@njit(cache=True, inline="always")
def _take_block(counters, t, nt, nb):
    """Next block for thread t: from its own contiguous range first, then (when that is
    done) from the others' ranges, so a core slowed by a busy neighbour hands its tail to
    the others. Each block is taken exactly once; -1 when none is left."""
    for k in range(nt):
        u = (t + k) % nt
        blk = _fetch_add(counters, 8 * u)
        if blk < (u + 1) * nb // nt:
            return blk
    return -1


