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

1. per guild, from one Philox block (word 0, 1, 2): the present species that leave,
   ``XR ~ Bin(SPP, 1 - exp(-(e + lam kill)))``, of which ``Bin(XR, phi lam kill /
   (e + lam kill))`` are eradicated (only on days with a kill); the dormant species
   that return, ``XC ~ Bin(DORM, 1 - exp(-c))``;
2. the slow exchanges with the regional pool (acquisitions and reservoir loss,
   about 10^-3 per species and day) pooled over guilds: ``M ~ Poisson(Lambda)`` events
   with ``Lambda`` the sum of their rates after step 1 (one uniform, block G word 0),
   each event then assigned to a (guild, kind) with probability proportional to the
   current rates, which are updated after every event (event i: block G + 1 + i // 4,
   word i % 4);
3. the floor of one species in a guild with cells.

Binomials and the Poisson count are drawn by inverse CDF from one uniform each, by a
sequential search from 0 (mirrored above p = 1/2); all draws come from the
``dynamics`` stream at :data:`SITE_RICHNESS`, countered by (participant id, day,
site, block), so the result of a participant does not depend on threads, chunking,
order or who else is simulated.
"""

from __future__ import annotations

import math

from numba import njit, prange

from .layout import SITE_RICHNESS
from .philox import _u01, philox4x32_10

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
def _richness_one(SPP, DORM, EXPO, N, KILL, has_kill, FERM, RG, RPRM, KEYS, PIDS, day, p):
    """One day of participant row p (see the module docstring)."""
    G = SPP.shape[1]
    pid = PIDS[p]
    k0 = KEYS[p, 0]
    k1 = KEYS[p, 1]
    e0 = RPRM[RP_E0]
    beta = RPRM[RP_BETA]
    lam = RPRM[RP_LAMBDA]
    phi = RPRM[RP_PHI]
    om = RPRM[RP_OMEGA]
    recept = 1.0 + RPRM[RP_FERM] * FERM[p]
    c = RPRM[RP_C0] * recept
    ax = EXPO[p] * recept
    # 1. per guild: local extinction and kill of present species, recolonisation of dormant ones
    for g in range(G):
        R = SPP[p, g]
        B = DORM[p, g]
        w0, w1, w2, _w3 = philox4x32_10(pid, day, SITE_RICHNESS, g, k0, k1)
        x = N[p, g]
        if x > 0.0:
            zinv = RG[g, RG_KREF] / x
            if beta == 0.5:
                e = e0 * math.sqrt(zinv)
            elif beta == 1.0:
                e = e0 * zinv
            else:
                e = e0 * zinv ** beta
            kk = lam * KILL[p, g] if has_kill else 0.0
            h = e + kk
            XR = binom_hazard(_u01(w0), R, h)
            XU = 0
            if kk > 0.0 and XR > 0:
                XU = binom_prob(_u01(w2), XR, phi * kk / h)
            XC = binom_hazard(_u01(w1), B, c)
        else:
            XR = R
            XU = 0
            XC = 0
        SPP[p, g] = R - XR + XC
        DORM[p, g] = B + (XR - XU) - XC
    # 2. slow exchanges with the regional pool, pooled over guilds
    lam_slow = _slow_total(SPP, DORM, N, RG, p, ax, om)
    if lam_slow > 0.0:
        w0, _w1, _w2, _w3 = philox4x32_10(pid, day, SITE_RICHNESS, G, k0, k1)
        m = poisson(_u01(w0), lam_slow)
        blk = -1
        for i in range(m):
            b = G + 1 + i // 4
            if b != blk:
                v0, v1, v2, v3 = philox4x32_10(pid, day, SITE_RICHNESS, b, k0, k1)
                blk = b
            s = i % 4
            w = v0 if s == 0 else (v1 if s == 1 else (v2 if s == 2 else v3))
            tot = _slow_total(SPP, DORM, N, RG, p, ax, om)
            if not tot > 0.0:
                break
            _slow_event(SPP, DORM, N, RG, p, ax, om, _u01(w) * tot)
    # 3. a guild with cells holds at least one species
    for g in range(G):
        if N[p, g] > 0.0 and SPP[p, g] < 1:
            if DORM[p, g] > 0:
                DORM[p, g] -= 1
            SPP[p, g] = 1


@njit(cache=True, parallel=True, error_model="numpy")
def _richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status):
    n = SPP.shape[0]
    has_kill = KILL.shape[0] > 0
    for p in prange(n):
        if status[p] == 0:
            _richness_one(SPP, DORM, EXPO, N, KILL, has_kill, FERM, RG, RPRM, KEYS, PIDS, day, p)


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
    _richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status)
