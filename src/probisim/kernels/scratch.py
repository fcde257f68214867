"""The per-thread scratch of the day step: what each row holds, and the gather and
scatter phases that fill it from the participants' arrays and empty it back.

A thread advances one block of ``_VW`` participants at a time. Everything the day
step reads or writes about them is copied into the thread's scratch (a float64 row
of :func:`width` elements) as *rows* of ``_VW`` lanes, lane ``l`` holding
participant ``l`` of the block, so that one SIMD load gives a quantity for the
whole block. The rows, in memory order::

    offset                       rows       holds                                     in       out
    ---------------------------  ---------  ----------------------------------------  -------  -------
    ROW_TRAITS + T_x * _VW       N_TRAITS   traits, by T_* (TRAIT_NAMES)              gather
    ROW_DRIVERS + D_x * _VW      N_DRIVERS  today's drivers, by D_* (DRIVER_NAMES)    gather
    ROW_CODE                     1          the day's status code (failure checks)             scatter
    ROW_MOOD + M_x * _VW         N_MOOD     latent mood, by M_* (MOOD_NAMES)          gather   scatter
    ROW_HOST + H_x * _VW         N_HOST     host state, by H_* (HOST_NAMES)           gather   scatter
    TAXA + i * TAXON_STRIDE + r  10 per     taxon i's rows r (below), i = 0 .. S-1
                                 taxon

    taxon row r   holds                                                 set by
    ------------  ----------------------------------------------------  --------------------------------
    TR_N          abundance N, cells/g                                  gather (N); growth; -> scatter
    TR_CSENS      competition sensitivity (the person's CSENS)          gather
    TR_CPRESS     competition pressure (the person's CPRESS)            gather
    TR_BDT        self-limitation per substep, b dt = rho dt / (kref    gather (KAPPA), per-day constants
                  KAPPA)
    TR_IMM        immigration per substep, IMM dt                       gather (IMM), per-day constants
    TR_KILL       antibiotic kill, 1/day (only when someone has any)    gather
    TR_XI         the day's standard normal draw xi                     daily noise; -> scatter (WORK)
    TR_SHOCK      the day's noise term sigma dt xi                      per-day constants
    TR_W          weighted load w = CPRESS N / community reference      each substep; -> scatter (WORK)
    TR_MOD        host modulation of growth, exp(tanh(.))               each substep (modulated taxa)

The phases address rows through the accessors below (``_trait(sc, T_PSET)``,
``_host(sc, H_BAR)``, ``_taxon(sc, i, TR_N)``, ...), which inline to one vector
load or store at a constant offset. ``sc`` is a raw float64 pointer
(:func:`probisim.kernels.simd._dataptr`): an array passed to an inlined helper may
cost an atomic reference-count pair per call, a pointer costs nothing. Spare lanes
of a block's last, partial block repeat its last participant.

The uint32 scratch ``isc`` (``3 * _VW`` words) holds the Philox counter and key
words of the block's lanes: participant ids, then the two key words.
"""

from __future__ import annotations

from numba import njit

from .layout import D_FOS, D_GOS, D_INULIN, N_DRIVERS, N_HOST, N_MOOD, N_TRAITS, STATUS_OK
from .simd import _VW, _vload, _vload_u32, _vstore

#: participant rows (offsets in float64; each row is _VW lanes)
ROW_TRAITS = 0
ROW_DRIVERS = ROW_TRAITS + N_TRAITS * _VW
ROW_CODE = ROW_DRIVERS + N_DRIVERS * _VW
ROW_MOOD = ROW_CODE + _VW
ROW_HOST = ROW_MOOD + N_MOOD * _VW
#: first taxon row; taxon i's row r starts at TAXA + i * TAXON_STRIDE + r
TAXA = ROW_HOST + N_HOST * _VW
#: per-taxon rows (offsets within a taxon's rows)
TAXON_ROWS = ("N", "CSENS", "CPRESS", "BDT", "IMM", "KILL", "XI", "SHOCK", "W", "MOD")
(TR_N, TR_CSENS, TR_CPRESS, TR_BDT, TR_IMM, TR_KILL, TR_XI, TR_SHOCK, TR_W, TR_MOD) = (
    k * _VW for k in range(len(TAXON_ROWS)))
TAXON_STRIDE = len(TAXON_ROWS) * _VW
#: words of the uint32 scratch: participant ids, key word 0, key word 1
ISC_WORDS = 3 * _VW


@njit(cache=True, inline="always")
def width(S):
    """float64 elements of one thread's scratch at S taxa."""
    return TAXA + S * TAXON_STRIDE


# --------------------------------------------------------------------------
# Row accessors: one vector load or store each
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _trait(sc, k):
    """Trait T_k of the block's participants."""
    return _vload(sc, ROW_TRAITS + k * _VW)


@njit(cache=True, inline="always")
def _driver(sc, k):
    """Today's driver D_k."""
    return _vload(sc, ROW_DRIVERS + k * _VW)


@njit(cache=True, inline="always")
def _host(sc, k):
    """Host state H_k."""
    return _vload(sc, ROW_HOST + k * _VW)


@njit(cache=True, inline="always")
def _set_host(sc, k, v):
    _vstore(sc, ROW_HOST + k * _VW, v)


@njit(cache=True, inline="always")
def _mood(sc, k):
    """Latent mood M_k."""
    return _vload(sc, ROW_MOOD + k * _VW)


@njit(cache=True, inline="always")
def _set_mood(sc, k, v):
    _vstore(sc, ROW_MOOD + k * _VW, v)


@njit(cache=True, inline="always")
def _taxon(sc, i, r):
    """Row r (TR_*) of taxon i."""
    return _vload(sc, TAXA + i * TAXON_STRIDE + r)


@njit(cache=True, inline="always")
def _set_taxon(sc, i, r, v):
    _vstore(sc, TAXA + i * TAXON_STRIDE + r, v)


# --------------------------------------------------------------------------
# Gather: participant rows -> lanes (participants act[a0 : a0 + nl]; lanes from nl
# on repeat the last of them)
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _gather_taxa(sc, act, a0, nl, N, KAPPA, CSENS, CPRESS, IMM, KILL):
    """The taxon rows TR_N .. TR_KILL; returns whether any lane has antibiotic kill
    today (it is zero outside antibiotic courses, and then neither gathered nor used;
    KILL is (0, S) when nobody has any today)."""
    S = N.shape[1]
    any_kill = False
    if KILL.shape[0] != 0:
        for l in range(nl):
            p = act[a0 + l]
            for i in range(S):
                any_kill |= KILL[p, i] != 0.0
    for l in range(_VW):
        p = act[a0 + min(l, nl - 1)]
        for i in range(S):
            o = TAXA + i * TAXON_STRIDE + l
            sc[o + TR_N] = N[p, i]
            sc[o + TR_CSENS] = CSENS[p, i]
            sc[o + TR_CPRESS] = CPRESS[p, i]
            sc[o + TR_BDT] = KAPPA[p, i]  # -> b dt (per-day constants)
            sc[o + TR_IMM] = IMM[p, i]  # -> per substep (per-day constants)
            if any_kill:
                sc[o + TR_KILL] = KILL[p, i]
    return any_kill


@njit(cache=True, inline="always")
def _gather_participants(sc, act, a0, nl, T, DRV, H, M):
    """The trait, driver, mood and host rows; returns whether any lane has a prebiotic
    today (inulin, FOS or GOS)."""
    any_pre = False
    for l in range(_VW):
        p = act[a0 + min(l, nl - 1)]
        for k in range(N_TRAITS):
            sc[ROW_TRAITS + k * _VW + l] = T[p, k]
        for k in range(N_DRIVERS):
            sc[ROW_DRIVERS + k * _VW + l] = DRV[p, k]
        for k in range(N_HOST):
            sc[ROW_HOST + k * _VW + l] = H[p, k]
        for k in range(N_MOOD):
            sc[ROW_MOOD + k * _VW + l] = M[p, k]
        any_pre |= (DRV[p, D_INULIN] + DRV[p, D_FOS] + DRV[p, D_GOS]) != 0.0
    return any_pre


@njit(cache=True, inline="always")
def _gather_keys(isc, act, a0, nl, KEYS, PIDS):
    """(pid, key0, key1): the lanes' Philox counter word (participant id) and key words,
    as int64 lanes holding 32-bit words."""
    for l in range(_VW):
        p = act[a0 + min(l, nl - 1)]
        isc[l] = PIDS[p]
        isc[_VW + l] = KEYS[p, 0]
        isc[2 * _VW + l] = KEYS[p, 1]
    return _vload_u32(isc, 0), _vload_u32(isc, _VW), _vload_u32(isc, 2 * _VW)


# --------------------------------------------------------------------------
# Scatter: lanes -> participant rows (the block's nl real participants only)
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _scatter(sc, act, a0, nl, N, H, M, WORK, status, fail_day, day):
    """Abundances, host and mood state back to the participants' rows; the day's noise
    and last weighted loads to WORK unless it is (0, 2S); a failure code (ROW_CODE) to
    status and fail_day."""
    S = N.shape[1]
    keep_work = WORK.shape[0] != 0
    for l in range(nl):
        p = act[a0 + l]
        for j in range(S):
            N[p, j] = sc[TAXA + j * TAXON_STRIDE + l + TR_N]
        if keep_work:
            for j in range(S):
                o = TAXA + j * TAXON_STRIDE + l
                WORK[p, j] = sc[o + TR_XI]
                WORK[p, S + j] = sc[o + TR_W]
        for k in range(N_HOST):
            H[p, k] = sc[ROW_HOST + k * _VW + l]
        for k in range(N_MOOD):
            M[p, k] = sc[ROW_MOOD + k * _VW + l]
        st = int(sc[ROW_CODE + l])
        if st != STATUS_OK:
            status[p] = st
            fail_day[p] = day
