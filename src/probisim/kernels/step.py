"""The model's day step on a population: :func:`step_day` is the entry point.

The active participants are advanced ``_VW`` at a time, one block of SIMD lanes per
iteration of :func:`_step_blocks`, through a per-thread scratch whose rows are named
in :mod:`.scratch`. One block's day, in order (this list is the day plan: each
phase is an inlined function, and ``_step_blocks`` calls them in this order)::

     1. gather          scratch._gather_taxa, scratch._gather_participants, scratch._gather_keys
                        participants' rows (abundances, person-level competition and
                        capacity, immigration, kill; traits, drivers, host and mood
                        state; Philox ids and keys) -> lanes of the scratch
     2. daily noise     microbiome._daily_noise
                        one standard normal per taxon, held over the day's substeps
     3. day constants   microbiome._taxon_day_constants, microbiome._diet_today,
                        host._host_today, host._host_state_in
                        self-limitation b dt, immigration and noise term per taxon;
                        today's substrates; the day's fixed host inputs; the host
                        state, IL-6, CRP and cortisol as logarithms
     4. substeps        nsub times (PRM[P_NSUB]), each:
        4a. signals     host._host_signals: c = ln cortisol, iota = ln IL-6 over references
        4b. microbiome  microbiome._microbiome_substep: prebiotic shares, weighted loads,
                        host modulation, gLV competition and exact logistic growth (_grow)
        4c. host        host._host_substep: SCFA (butyrate), barrier, LPS, IL-6, CRP,
                        Kyn/Trp, 5-HT, GABA, vagal tone, cortisol
     5. host out        host._host_state_out: host state back from logarithms
     6. mood            mood._mood_step: one Euler-Maruyama day step of stress, anxiety and
                        depression; expectancy and study contact
     7. failure checks  step._failure_checks: non-finite state, an impossible load, a blood
                        value beyond a physiological limit, or a fully extinct resident
                        community -> the lane's status code
     8. scatter         scratch._scatter: lanes -> participants' rows, WORK, status

The equations are in the phases' modules: :mod:`.microbiome`, :mod:`.host`,
:mod:`.mood`. Constants derived from the parameters (relaxation factors, reference
logarithms) are computed once per call (``_micro_constants``, ``_host_constants``,
``_mood_constants``); the phases read the other parameters by name from ``PRM``.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from .blocks import _block_ranges, _modulated_taxa, _take_block, _thread_scratch
from .host import _host_constants, _host_signals, _host_state_in, _host_state_out, _host_substep, _host_today
from .layout import (
    CORTISOL_MAX_NMOL_L,
    CORTISOL_MIN_NMOL_L,
    CRP_MAX_MG_L,
    H_CORT,
    H_CRP,
    H_IL6,
    IL6_MAX_PG_ML,
    MAX_CELLS_PER_G,
    N_DRIVERS,
    N_HOST,
    N_MOOD,
    N_NORMS,
    N_TAXON_PARAMS,
    N_TRAITS,
    P_NSUB,
    PARAM_NAMES,
    STATUS_EXTINCT,
    STATUS_IMPLAUSIBLE,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_PHYSIOLOGY,
    TP_RESIDENT,
)
from .microbiome import _daily_noise, _diet_today, _micro_constants, _microbiome_substep, _taxon_day_constants
from .mood import _mood_constants, _mood_step
from .scratch import (
    ISC_WORDS,
    ROW_CODE,
    TR_N,
    _gather_keys,
    _gather_participants,
    _gather_taxa,
    _host,
    _mood,
    _scatter,
    _taxon,
    width,
)
from .simd import _VW, _borrow, _dataptr, _sel, _tofloat, _vsplat, _vsplati, _vstore


@njit(cache=True, inline="always", error_model="numpy")
def _failure_checks(sc, TP):
    """Loud failure, per lane: the status code (ROW_CODE) is STATUS_NONFINITE for any
    non-finite state or a non-positive IL-6, CRP or cortisol, else STATUS_IMPLAUSIBLE for
    an abundance above MAX_CELLS_PER_G, else STATUS_PHYSIOLOGY for a CRP, IL-6 or cortisol
    beyond its physiological limit (layout.PHYSIOLOGICAL_LIMITS), else STATUS_EXTINCT if
    no resident is left, else STATUS_OK."""
    zero = _vsplat(0.0)
    nonfin = zero != zero
    huge = nonfin
    alive = nonfin
    for j in range(TP.shape[0]):
        x = _taxon(sc, j, TR_N)
        nonfin = nonfin | ((x - x) != 0.0)
        huge = huge | (x > MAX_CELLS_PER_G)
        if TP[j, TP_RESIDENT] != 0.0:
            alive = alive | (x > 0.0)
    for k in range(N_HOST):
        x = _host(sc, k)
        nonfin = nonfin | ((x - x) != 0.0)
    for k in range(N_MOOD):
        x = _mood(sc, k)
        nonfin = nonfin | ((x - x) != 0.0)
    for k in (H_IL6, H_CRP, H_CORT):
        nonfin = nonfin | (_host(sc, k) <= 0.0)
    cort = _host(sc, H_CORT)
    limit = ((_host(sc, H_CRP) > CRP_MAX_MG_L) | (_host(sc, H_IL6) > IL6_MAX_PG_ML)
             | (cort < CORTISOL_MIN_NMOL_L) | (cort > CORTISOL_MAX_NMOL_L))
    code = _sel(nonfin, STATUS_NONFINITE,
                _sel(huge, STATUS_IMPLAUSIBLE,
                     _sel(limit, STATUS_PHYSIOLOGY, _sel(alive, STATUS_OK, STATUS_EXTINCT))))
    _vstore(sc, ROW_CODE, _tofloat(code))


@njit(cache=True, error_model="numpy")
def _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                 status, fail_day, WORK, act, na, modidx, nmod, counters, t, nt, scratch, isc):
    """Advance the active participants act[:na] one day, _VW lanes at a time, by the
    day plan of the module docstring: thread t of nt takes blocks of _VW with
    _take_block until none is left.

    modidx[:nmod] are the taxa with a cortisol or inflammation response; scratch
    (float64, at least ``width(S)``) and isc (uint32, ``ISC_WORDS``) are this thread's
    scratch (allocated by the caller). A block's result does not depend on which
    thread takes it, so this dynamic schedule keeps results bit-identical while a slow
    or busy core takes fewer blocks."""
    # The phases are inlined: they take the scratch as a raw pointer and the arrays
    # borrowed (no reference count, see simd._borrow), so no loop below counts references.
    sc = _dataptr(scratch)
    (N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, status, fail_day, WORK,
     act, modidx, counters, isc) = _borrow((N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS,
                                            PRM, KEYS, PIDS, status, fail_day, WORK, act, modidx, counters, isc))
    S = N.shape[1]
    nsub = int(PRM[P_NSUB])
    micro_k = _micro_constants(PRM, NORMS, nsub)
    host_k = _host_constants(PRM, nsub)
    mood_k = _mood_constants(PRM)
    vday = _vsplati(np.int64(day) & 0xFFFFFFFF)
    nb = (na + _VW - 1) // _VW
    while True:
        blk = _take_block(counters, t, nt, nb)
        if blk < 0:
            break
        a0 = blk * _VW
        nl = min(_VW, na - a0)
        # 1. gather
        any_kill = _gather_taxa(sc, act, a0, nl, N, KAPPA, CSENS, CPRESS, IMM, KILL)
        any_pre = _gather_participants(sc, act, a0, nl, T, DRV, H, M)
        keys = _gather_keys(isc, act, a0, nl, KEYS, PIDS)
        # 2. daily noise
        _daily_noise(sc, S, keys, vday)
        # 3. day constants
        _taxon_day_constants(sc, TP, micro_k)
        diet = _diet_today(sc, PRM, NORMS, any_pre)
        today = _host_today(sc, PRM, NORMS)
        h = _host_state_in(sc)
        # 4. substeps
        for _sub in range(nsub):
            c, iota = _host_signals(h, host_k)
            _microbiome_substep(sc, TP, ALPHA, NORMS, modidx, nmod, micro_k, diet, c, iota, any_kill)
            h = _host_substep(sc, TP, PRM, NORMS, host_k, today, h, c, iota)
        # 5. host out
        _host_state_out(sc, h)
        # 6. mood
        _mood_step(sc, PRM, mood_k, today, h, keys, vday)
        # 7. failure checks
        _failure_checks(sc, TP)
        # 8. scatter
        _scatter(sc, act, a0, nl, N, H, M, WORK, status, fail_day, day)


def _check_optional_rows(name, a, n, width):
    """The kernels read or write a (n, width) array, or skip a (0, width) one."""
    if a.ndim != 2 or a.shape[1] != width or a.shape[0] not in (0, n):
        raise ValueError(f"{name} has shape {a.shape}; expected ({n}, {width}), or (0, {width}) to skip it")


def _check_shapes(n, S, **arrays):
    """Every array has the shape the kernel indexes without bounds checks (a narrower
    one would be read or written out of bounds)."""
    expect = {"H": (n, N_HOST), "M": (n, N_MOOD), "T": (n, N_TRAITS), "KAPPA": (n, S), "CSENS": (n, S),
              "CPRESS": (n, S), "DRV": (n, N_DRIVERS), "IMM": (n, S), "TP": (S, N_TAXON_PARAMS), "ALPHA": (S, S),
              "NORMS": (N_NORMS,), "PRM": (len(PARAM_NAMES),), "KEYS": (n, 2), "PIDS": (n,), "status": (n,),
              "fail_day": (n,)}
    for name, a in arrays.items():
        if a.shape != expect[name]:
            raise ValueError(f"{name} has shape {a.shape}; expected {expect[name]}")


def step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM,
             KEYS, PIDS, day, status, fail_day, WORK):
    """Advance every participant with ``status == STATUS_OK`` by one day, in place.

    N      (n, S)  abundances, cells/g
    H      (n, N_HOST) host state (HOST_NAMES)
    M      (n, N_MOOD) latent stress, anxiety, depression and their slow states (MOOD_NAMES)
    T      (n, N_TRAITS) traits (TRAIT_NAMES)
    KAPPA, CSENS, CPRESS (n, S) person niche size, competition sensitivity, pressure
    DRV    (n, 10) today's drivers (DRIVER_NAMES)
    IMM    (n, S)  immigration, cells/g/day
    KILL   (n, S)  antibiotic kill, 1/day; or (0, S) when nobody has any today (not read)
    TP     (S, N_TAXON_PARAMS) taxon parameters;  ALPHA (S, S) competition of j's community
           share on i
    NORMS  (N_NORMS,) normalisers;  PRM  (P,) model parameters (PARAM_NAMES)
    KEYS   (n, 2)  Philox keys (seed, replicate, 'dynamics');  PIDS (n,) stable ids
    status, fail_day (n,) int64: first failure, never overwritten
    WORK   (n, 2S) out, diagnostics: the day's microbiome noise (equal to
           ``rng.normals(KEYS, PIDS, day, SITE_MICROBIOME, S)``) and the last substep's
           weighted loads; or (0, 2S) to skip them

    The active participants are advanced _VW at a time (:func:`_step_blocks`): each
    thread has its own scratch, allocated before the parallel loop, works through its
    own contiguous range of blocks and then takes over what is left of the others'
    (atomic counters). This is a plain Python wrapper because Numba cannot cache a
    function that asks for the thread count itself.
    """
    n, S = N.shape
    _check_shapes(n, S, H=H, M=M, T=T, KAPPA=KAPPA, CSENS=CSENS, CPRESS=CPRESS, DRV=DRV, IMM=IMM, TP=TP,
                  ALPHA=ALPHA, NORMS=NORMS, PRM=PRM, KEYS=KEYS, PIDS=PIDS, status=status, fail_day=fail_day)
    _check_optional_rows("KILL", KILL, n, S)
    _check_optional_rows("WORK", WORK, n, 2 * S)
    _step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
              status, fail_day, WORK, get_num_threads())


@njit(cache=True, parallel=True, error_model="numpy")
def _step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
              status, fail_day, WORK, nthreads):
    n, S = N.shape
    act = np.empty(n, np.int64)
    na = np.int64(0)  # (not a literal 0: keeps _step_blocks to one compiled signature)
    for p in range(n):
        if status[p] == STATUS_OK:
            act[na] = p
            na += 1
    if na == 0:
        return
    nb = (na + _VW - 1) // _VW
    nt = max(1, min(nthreads, nb))
    # per-thread scratch rows, far apart (see _SCRATCH_GAP)
    sc = _thread_scratch(nt, width(S))
    isc = np.empty((nt, ISC_WORDS + 16), np.uint32)
    modidx, nmod = _modulated_taxa(TP)
    counters = _block_ranges(nb, nt)
    for t in prange(nt):  # (np.int64(t): one compiled signature of _step_blocks)
        _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                     status, fail_day, WORK, act, na, modidx, nmod, counters, np.int64(t), nt, sc[t], isc[t])

