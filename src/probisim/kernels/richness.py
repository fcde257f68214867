"""Species richness of the resident guilds: a small kernel of its own, run once a day
after the day step (:func:`richness_day`), with a plain NumPy twin in
:mod:`.richness_reference`.

Each resident guild g has a regional pool of ``POOL_g`` exchangeable species. For
each person a species of the pool is in one of three states, counted per guild:

* present   ``SPP[p, g]``  -- in the community (what a deep enough 16S run can see);
* dormant   ``DORM[p, g]`` -- within the person's reach but not in the community
  (below any detectable density in the gut, or in the household and habitual foods);
* absent    ``POOL_g - SPP - DORM`` -- not within reach.

Per species and day, with the guild's end-of-day load ``N_g`` (cells/g) and its
reference load ``KREF_g``, today's kill rate ``kill_g`` (1/day) and fermented-food
servings ``F``, the hazards (1/day) are

    present -> dormant   e0 (KREF_g / N_g)^beta + (1 - phi) lam kill_g   (local extinction, kill)
    present -> absent    phi lam kill_g                                  (eradicated by the course)
    dormant -> present   c0 (1 + f F)                                    (recolonisation)
    dormant -> absent    omega                                           (the reservoir fades)
    absent  -> present   ACQ_g x_p (1 + f F)                             (acquisition, x_p exposure)

A guild with no cells (``N_g = 0``) holds no species: all its present species turn
dormant and nothing colonises it; a guild with cells holds at least one species
(an empty guild with cells takes one back from its dormant, else absent, species).

Sampling, per participant and day (so the counts are integers and people differ by
chance as well as by their loads):

1. per guild: the present species that leave, ``XR ~ Bin(SPP, 1 - exp(-(e + lam
   kill)))``, and the dormant species that return, ``XC ~ Bin(DORM, 1 - exp(-c))``
   (guilds 2b and 2b + 1 share Philox block b: words 0, 1 and 2, 3); on a day with a
   kill, ``Bin(XR, phi lam kill / (e + lam kill))`` of the leavers are eradicated
   (block SPLIT_BLOCK + g // 4, word g % 4);
2. the slow exchanges with the regional pool (acquisitions and reservoir loss,
   about 10^-3 per species and day) pooled over guilds: ``M ~ Poisson(Lambda)`` events
   with ``Lambda`` the sum of their rates after step 1 (block B = ceil(G / 2), word
   0), each event then assigned to a (guild, kind) with probability proportional to
   the rates of the moment, updated after every event (event i: block B + 1 + i // 4,
   word i % 4);
3. the floor of one species in a guild with cells.

Binomials and the Poisson count are drawn by inverse CDF from one uniform each, by a
sequential search from 0 (mirrored above p = 1/2); all draws come from the
``dynamics`` stream at :data:`SITE_RICHNESS`, countered by (participant id, day,
site, block), so the result of a participant does not depend on threads, chunking,
order or who else is simulated.

The kernel runs blocks of ``_VW`` participants on SIMD lanes (as the day step does):
the common case of step 1 (hazard below ln 2, fewer than ``_VSEARCH`` leavers or
returners) is searched on all lanes at once; the rest, and every lane on a day with a
kill, goes through the scalar functions, which :mod:`.richness_reference` mirrors.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

from .blocks import _thread_scratch
from .layout import SITE_RICHNESS
from .philox import _philox_vec, _u01, _u01_vec, philox4x32_10
from .simd import _VW, _sel, _vload, _vload_u32, _vsplat, _vsplati, _vstore
from .vecmath import _exp, _expm1, _log

__all__ = ["RICH_PARAM_NAMES", "RG_NAMES", "richness_day", "binom_hazard", "binom_prob", "poisson"]

#: the richness parameter vector (model.richness fields, in this order)
RICH_PARAM_NAMES = ("extinction_per_day", "extinction_load_exponent", "recolonisation_per_day",
                    "reservoir_loss_per_day", "kill_per_unit", "eradicated_share", "fermented_receptivity")
RP_E0, RP_BETA, RP_C0, RP_OMEGA, RP_LAMBDA, RP_PHI, RP_FERM = range(len(RICH_PARAM_NAMES))
N_RICH_PARAMS = len(RICH_PARAM_NAMES)

#: per-guild columns: regional pool size, reference load (cells/g), acquisition rate
#: per absent species and day at exposure 1 without fermented food
RG_NAMES = ("pool", "kref", "acquisition")
RG_POOL, RG_KREF, RG_ACQ = range(len(RG_NAMES))
N_RG = len(RG_NAMES)

_LN2 = math.log(2.0)
#: Philox block of guild g's kill split (word g % 4): SPLIT_BLOCK + g // 4
SPLIT_BLOCK = 1 << 16


@njit(cache=True, inline="always")
def _slow_block(G):
    """Philox block of the slow-event count (word 0); event i: this + 1 + i // 4."""
    return (G + 1) // 2

#: the Poisson search gives up here (Lambda is ~0.2/day at the defaults; the model
#: refuses parameters that could make it large)
POISSON_MAX = 100000


@njit(cache=True, inline="always", error_model="numpy")
def _search(v, n, pmf, odds, strict):
    """The smallest j with F(j) >= v (strict: F(j) > v), F the binomial CDF summed from
    pmf(0) = ``pmf`` with pmf(j + 1) = pmf(j) (n - j) / (j + 1) odds; at most n."""
    F = pmf
    j = 0
    while (F <= v) if strict else (F < v):
        if j >= n:
            return n
        pmf = pmf * ((n - j) / (j + 1.0) * odds)
        j += 1
        F = F + pmf
    return j


@njit(cache=True, error_model="numpy")
def binom_hazard(u, n, h):
    """Inverse CDF at u of Bin(n, 1 - exp(-h)): how many of n species, each leaving at
    hazard h (per day), leave within the day."""
    if n <= 0 or not h > 0.0:
        return 0
    if h <= _LN2:  # p <= 1/2: search upwards from X = 0
        pmf = math.exp(-(n * h))
        if pmf >= u:
            return 0
        return _search(u, n, pmf, math.expm1(h), False)
    # p > 1/2: search the stayers Y = n - X ~ Bin(n, exp(-h)) at 1 - u
    em = -math.expm1(-h)
    q = math.exp(-h)
    pmf = math.exp(n * math.log(em))
    if pmf > 1.0 - u:
        return n
    return n - _search(1.0 - u, n, pmf, q / em, True)


@njit(cache=True, error_model="numpy")
def binom_prob(u, n, p):
    """Inverse CDF at u of Bin(n, p)."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    if p <= 0.5:
        pmf = math.exp(n * math.log1p(-p))
        if pmf >= u:
            return 0
        return _search(u, n, pmf, p / (1.0 - p), False)
    q = 1.0 - p
    pmf = math.exp(n * math.log1p(-q))
    if pmf > 1.0 - u:
        return n
    return n - _search(1.0 - u, n, pmf, q / (1.0 - q), True)


@njit(cache=True, error_model="numpy")
def poisson(u, lam):
    """Inverse CDF at u of Poisson(lam), by sequential search (lam of order 1)."""
    if not lam > 0.0:
        return 0
    pmf = math.exp(-lam)
    F = pmf
    k = 0
    while F < u and k < POISSON_MAX:
        k += 1
        pmf = pmf * (lam / k)
        F = F + pmf
    return k


@njit(cache=True, inline="always", error_model="numpy")
def _slow_total(SPP, DORM, N, RG, p, ax, om):
    """Sum over guilds (ascending; acquisition then reservoir loss) of the slow rates."""
    tot = 0.0
    for g in range(SPP.shape[1]):
        if N[p, g] > 0.0:
            tot = tot + RG[g, RG_ACQ] * ax * (RG[g, RG_POOL] - SPP[p, g] - DORM[p, g])
        tot = tot + om * DORM[p, g]
    return tot


@njit(cache=True, inline="always", error_model="numpy")
def _slow_event(SPP, DORM, N, RG, p, ax, om, target):
    """Apply the slow event whose cumulative rate (in the order of _slow_total) first
    exceeds ``target``; the last category with a positive rate if rounding leaves none."""
    G = SPP.shape[1]
    cum = 0.0
    last_g = -1
    last_kind = 0
    for g in range(G):
        if N[p, g] > 0.0:
            w = RG[g, RG_ACQ] * ax * (RG[g, RG_POOL] - SPP[p, g] - DORM[p, g])
            if w > 0.0:
                cum = cum + w
                last_g = g
                last_kind = 0
                if target < cum:
                    SPP[p, g] += 1
                    return
        w = om * DORM[p, g]
        if w > 0.0:
            cum = cum + w
            last_g = g
            last_kind = 1
            if target < cum:
                DORM[p, g] -= 1
                return
    if last_g >= 0:
        if last_kind == 0:
            SPP[p, last_g] += 1
        else:
            DORM[p, last_g] -= 1


@njit(cache=True, error_model="numpy")
def _slow_events(SPP, DORM, N, RG, p, ax, om, u, pid, day, k0, k1):
    """Step 2 of the module docstring on participant row p: M ~ Poisson(Lambda) slow events
    (``u`` the count's uniform), each assigned with the rates of the moment."""
    m = poisson(u, _slow_total(SPP, DORM, N, RG, p, ax, om))
    blk = -1
    v0 = v1 = v2 = v3 = np.uint32(0)
    for i in range(m):
        b = _slow_block(SPP.shape[1]) + 1 + i // 4
        if b != blk:
            v0, v1, v2, v3 = philox4x32_10(pid, day, SITE_RICHNESS, b, k0, k1)
            blk = b
        s = i % 4
        w = v0 if s == 0 else (v1 if s == 1 else (v2 if s == 2 else v3))
        tot = _slow_total(SPP, DORM, N, RG, p, ax, om)
        if not tot > 0.0:
            break
        _slow_event(SPP, DORM, N, RG, p, ax, om, _u01(w) * tot)


@njit(cache=True, inline="always", error_model="numpy")
def _vbinom_hazard(u, n, h, odds):
    """Lane-wise :func:`binom_hazard` (odds = expm1(h)) for the common case, as (X, need):
    lanes with h <= ln 2 and a count below _VSEARCH get the same search on lanes (a
    fixed number of steps, counting those whose CDF is still below u); ``need`` marks
    the others (a larger count, or h > ln 2), which the caller redoes with the scalar
    function."""
    pos = (n > 0.0) & (h > 0.0)
    pmf = _exp(-(n * h))
    F = pmf
    X = _vsplat(0.0)
    go = pos & (F < u)
    for j in range(_VSEARCH):
        go = go & (n > j)
        X = X + _sel(go, 1.0, 0.0)
        pmf = pmf * ((n - j) / (j + 1.0) * odds)
        F = F + pmf
        go = go & (F < u)
    need = (go & (n > _VSEARCH)) | (pos & (h > _LN2))
    return X, need


#: lane-search steps before the scalar fallback (a larger count is a few per cent of
#: guild-days at the defaults)
_VSEARCH = 3
# per-thread scratch rows (offsets in float64, lanes fastest), see _richness_blocks;
# guild g's rows follow: its load N, present R, dormant B, kill rate, at
# len(_T_ROWS) _VW + (4 g + r) _VW
_T_ROWS = ("R0", "B0", "XR", "XC", "FLAG", "EXPO", "FERM", "EVENTS")
_T_R0, _T_B0, _T_XR, _T_XC, _T_FLAG, _T_EXPO, _T_FERM, _T_EVENTS = (k * _VW for k in range(len(_T_ROWS)))
#: FLAG values: the lane's leavers (1), returners (2) or both (3) need the scalar
#: function; 4 = a kill today (everything scalar)
_F_R, _F_C, _F_KILL = 1.0, 2.0, 4.0


@njit(cache=True, inline="always")
def _scratch_width(G):
    """float64 elements of one thread's scratch."""
    return len(_T_ROWS) * _VW + 4 * G * _VW


@njit(cache=True, inline="always", error_model="numpy")
def _extinction(e0, beta, zinv):
    """e0 zinv^beta (scalar or lanes), exact for the exponents 0.5 and 1."""
    if beta == 0.5:
        return e0 * math.sqrt(zinv)
    if beta == 1.0:
        return e0 * zinv
    return e0 * _exp(beta * _log(zinv))


@njit(cache=True, error_model="numpy")
def _guild_scalar(sc, o, l, g, flag, RG, RPRM, c, kill, pid, day, k0, k1):
    """Step 1 of guild g for lane l by the scalar functions (the lanes the lane search
    left, and every lane on a kill day); writes the lane's present and dormant counts."""
    R = np.int64(sc[_T_R0 + l])
    B = np.int64(sc[_T_B0 + l])
    w0, w1, w2, w3 = philox4x32_10(pid, day, SITE_RICHNESS, g // 2, k0, k1)
    uR = _u01(w0) if g % 2 == 0 else _u01(w2)
    uC = _u01(w1) if g % 2 == 0 else _u01(w3)
    x = sc[o + l]
    e = _extinction(RPRM[RP_E0], RPRM[RP_BETA], RG[g, RG_KREF] / x)
    kk = RPRM[RP_LAMBDA] * kill
    h = e + kk
    xr = np.int64(sc[_T_XR + l])
    xc = np.int64(sc[_T_XC + l])
    if flag >= _F_KILL or flag == _F_R or flag == _F_R + _F_C:
        xr = binom_hazard(uR, R, h)
    if flag >= _F_KILL or flag >= _F_C:
        xc = binom_hazard(uC, B, c)
    xu = 0
    if kk > 0.0 and xr > 0:
        v0, v1, v2, v3 = philox4x32_10(pid, day, SITE_RICHNESS, SPLIT_BLOCK + g // 4, k0, k1)
        m = g % 4
        w = v0 if m == 0 else (v1 if m == 1 else (v2 if m == 2 else v3))
        xu = binom_prob(_u01(w), xr, RPRM[RP_PHI] * kk / h)
    sc[o + _VW + l] = float(R - xr + xc)
    sc[o + 2 * _VW + l] = float(B + (xr - xu) - xc)


@njit(cache=True, error_model="numpy")
def _richness_blocks(SPP, DORM, EXPO, N, KILL, has_kill, FERM, RG, RPRM, KEYS, PIDS, day, act, na, b0, b1, sc,
                     isc):
    """Blocks b0 .. b1-1 of _VW active participants (act[:na]): step 1 on lanes, the
    scalar functions for the lanes the lane search leaves (and every lane on a kill
    day); which lanes have slow events; the floor on lanes for the others; scatter;
    then steps 2 and 3 per participant for those with slow events."""
    G = SPP.shape[1]
    base = len(_T_ROWS) * _VW
    e0 = RPRM[RP_E0]
    beta = RPRM[RP_BETA]
    lam = RPRM[RP_LAMBDA]
    om = RPRM[RP_OMEGA]
    c0 = RPRM[RP_C0]
    fr = RPRM[RP_FERM]
    vday = _vsplati(np.int64(day) & 0xFFFFFFFF)
    vsite = _vsplati(SITE_RICHNESS)
    for blk in range(b0, b1):
        a0 = blk * _VW
        nl = min(_VW, na - a0)
        # gather (lanes from nl on repeat the last participant; their results are dropped)
        for l in range(_VW):
            p = act[a0 + min(l, nl - 1)]
            for g in range(G):
                o = base + 4 * g * _VW + l
                sc[o] = N[p, g]
                sc[o + _VW] = float(SPP[p, g])
                sc[o + 2 * _VW] = float(DORM[p, g])
                if has_kill:
                    sc[o + 3 * _VW] = KILL[p, g]
            sc[_T_EXPO + l] = EXPO[p]
            sc[_T_FERM + l] = FERM[p]
            isc[l] = PIDS[p]
            isc[_VW + l] = KEYS[p, 0]
            isc[2 * _VW + l] = KEYS[p, 1]
        pid = _vload_u32(isc, 0)
        k0 = _vload_u32(isc, _VW)
        k1 = _vload_u32(isc, 2 * _VW)
        recept = 1.0 + fr * _vload(sc, _T_FERM)
        c = c0 * recept
        odds_c = _expm1(c)
        ax = _vload(sc, _T_EXPO) * recept
        lam_slow = _vsplat(0.0)
        # 1. per guild on lanes; guilds 2b and 2b + 1 share Philox block b
        w0 = w1 = w2 = w3 = pid
        for g in range(G):
            o = base + 4 * g * _VW
            if g % 2 == 0:
                w0, w1, w2, w3 = _philox_vec(pid, vday, vsite, _vsplati(g // 2), k0, k1)
                uR = _u01_vec(w0)
                uC = _u01_vec(w1)
            else:
                uR = _u01_vec(w2)
                uC = _u01_vec(w3)
            x = _vload(sc, o)
            R = _vload(sc, o + _VW)
            B = _vload(sc, o + 2 * _VW)
            alive = x > 0.0
            e = _extinction(e0, beta, RG[g, RG_KREF] / _sel(alive, x, 1.0))
            if has_kill:
                kk = lam * _vload(sc, o + 3 * _VW)
                h = e + kk
                XR, needR = _vbinom_hazard(uR, R, h, _expm1(h))
            else:
                XR, needR = _vbinom_hazard(uR, R, e, _expm1(e))
            XC, needC = _vbinom_hazard(uC, B, c, odds_c)
            XR = _sel(alive, XR, R)
            XC = _sel(alive, XC, 0.0)
            R1 = R - XR + XC
            B1 = B + XR - XC
            flag = _sel(needR, _F_R, 0.0) + _sel(needC, _F_C, 0.0)
            if has_kill:
                flag = _sel(kk > 0.0, _F_KILL, flag)
            flag = _sel(alive, flag, 0.0)
            _vstore(sc, o + _VW, R1)
            _vstore(sc, o + 2 * _VW, B1)
            _vstore(sc, _T_FLAG, flag)
            _vstore(sc, _T_R0, R)
            _vstore(sc, _T_B0, B)
            _vstore(sc, _T_XR, XR)
            _vstore(sc, _T_XC, XC)
            for l in range(nl):  # the scalar fallback
                fl = sc[_T_FLAG + l]
                if fl != 0.0:
                    p = act[a0 + l]
                    cl = c0 * (1.0 + fr * sc[_T_FERM + l])
                    kl = sc[o + 3 * _VW + l] if has_kill else 0.0
                    _guild_scalar(sc, o, l, g, fl, RG, RPRM, cl, kl, PIDS[p], day, KEYS[p, 0], KEYS[p, 1])
            # the slow rates in _slow_total's order, from the counts after step 1
            R1 = _vload(sc, o + _VW)
            B1 = _vload(sc, o + 2 * _VW)
            lam_slow = lam_slow + _sel(alive, RG[g, RG_ACQ] * ax * ((RG[g, RG_POOL] - R1) - B1), 0.0)
            lam_slow = lam_slow + om * B1
        # 2. lanes with slow events today (Poisson count > 0, i.e. pmf(0) < u): their uniform
        wg0, _wg1, _wg2, _wg3 = _philox_vec(pid, vday, vsite, _vsplati(_slow_block(G)), k0, k1)
        u = _u01_vec(wg0)
        events = (lam_slow > 0.0) & (_exp(-lam_slow) < u)
        _vstore(sc, _T_EVENTS, _sel(events, u, 0.0))
        # 3. the floor on lanes, for the lanes without events (the others: after them)
        quiet = _sel(events, 0.0, 1.0) > 0.0
        for g in range(G):
            o = base + 4 * g * _VW
            R1 = _vload(sc, o + _VW)
            B1 = _vload(sc, o + 2 * _VW)
            fix = quiet & (_vload(sc, o) > 0.0) & (R1 < 1.0)
            _vstore(sc, o + _VW, _sel(fix, 1.0, R1))
            _vstore(sc, o + 2 * _VW, _sel(fix & (B1 > 0.0), B1 - 1.0, B1))
        # scatter, then steps 2 and 3 for the participants with events
        for l in range(nl):
            p = act[a0 + l]
            for g in range(G):
                o = base + 4 * g * _VW + l
                SPP[p, g] = np.int64(sc[o + _VW])
                DORM[p, g] = np.int64(sc[o + 2 * _VW])
            ul = sc[_T_EVENTS + l]
            if ul != 0.0:
                axl = sc[_T_EXPO + l] * (1.0 + fr * sc[_T_FERM + l])
                _slow_events(SPP, DORM, N, RG, p, axl, om, ul, PIDS[p], day, KEYS[p, 0], KEYS[p, 1])
                for g in range(G):
                    if N[p, g] > 0.0 and SPP[p, g] < 1:
                        if DORM[p, g] > 0:
                            DORM[p, g] -= 1
                        SPP[p, g] = 1


@njit(cache=True, parallel=True, error_model="numpy")
def _richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status, nthreads):
    n, G = SPP.shape
    act = np.empty(n, np.int64)
    na = np.int64(0)
    for p in range(n):
        if status[p] == 0:
            act[na] = p
            na += 1
    if na == 0:
        return
    has_kill = KILL.shape[0] > 0
    nb = (na + _VW - 1) // _VW
    nt = max(1, min(nthreads, nb))
    sc = _thread_scratch(nt, _scratch_width(G))
    isc = np.empty((nt, 3 * _VW + 16), np.uint32)
    for t in prange(nt):  # thread t: a contiguous range of blocks (results do not depend on it)
        _richness_blocks(SPP, DORM, EXPO, N, KILL, has_kill, FERM, RG, RPRM, KEYS, PIDS, day, act, na,
                         t * nb // nt, (t + 1) * nb // nt, sc[t], isc[t])


def richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status) -> None:
    """Advance the species counts of every participant with ``status == 0`` by one day,
    in place (the module docstring has the model).

    SPP, DORM (n, G) int64  present and dormant species per resident guild
    EXPO      (n,)          the person's exposure to the regional pool (1 = reference)
    N         (n, S)        end-of-day abundances, cells/g (residents in columns 0..G-1)
    KILL      (n, S)        today's kill rate, 1/day; or (0, S) on a day without any
    FERM      (n,)          today's fermented-food servings
    RG        (G, N_RG)     per-guild pool size, reference load, acquisition rate
    RPRM      (N_RICH_PARAMS,)  the model.richness parameters (RICH_PARAM_NAMES)
    KEYS      (n, 2) uint32 Philox keys of the ``dynamics`` stream;  PIDS (n,) ids
    day       the day's Philox counter word (day + DAY_OFFSET)
    status    (n,) int64: only rows with status 0 (STATUS_OK) are advanced
    """
    n, G = SPP.shape
    if DORM.shape != (n, G) or N.shape[0] != n or N.shape[1] < G or RG.shape != (G, N_RG):
        raise ValueError(f"richness arrays disagree: SPP {SPP.shape}, DORM {DORM.shape}, N {N.shape}, RG {RG.shape}")
    if KILL.shape[0] not in (0, n) or KILL.shape[1] != N.shape[1]:
        raise ValueError(f"KILL has shape {KILL.shape}; expected ({n}, {N.shape[1]}) or (0, {N.shape[1]})")
    _richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status, get_num_threads())
