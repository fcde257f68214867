"""Plain-NumPy oracle of the species-richness kernel (:func:`.richness.richness_day`).

Written for clarity: the per-guild binomials are vectorised over participants (their
sequential inverse-CDF searches run on all participants at once, with the same
floating-point operations in the same order as the scalar search of the kernel), and
the rare slow events are applied participant by participant in Python. The uniforms
come from the NumPy Philox of :mod:`.reference`; only constants are taken from the
kernel's module, no jitted code, so a bug in the kernel cannot hide here. The tests
require the integer counts to be equal.
"""

from __future__ import annotations

import math

import numpy as np

from .layout import SITE_RICHNESS
from .reference import philox4x32_10, uniforms
from .richness import (
    POISSON_MAX,
    RG_ACQ,
    RG_KREF,
    RG_POOL,
    RP_BETA,
    RP_C0,
    RP_E0,
    RP_FERM,
    RP_LAMBDA,
    RP_OMEGA,
    RP_PHI,
    SPLIT_BLOCK,
)

__all__ = ["richness_day", "binom_hazard", "binom_prob"]

_LN2 = math.log(2.0)
_INV_2_32 = 2.0 ** -32


def _search(v, n, pmf, odds, strict):
    """Vectorised twin of the kernel's ``_search`` (same operations, same order)."""
    F = pmf.copy()
    pmf = pmf.copy()
    j = np.zeros(n.shape, np.int64)
    go = (F <= v) if strict else (F < v)
    while True:
        go &= j < n  # j reaching n ends the search at n
        if not go.any():
            return j
        pmf[go] = pmf[go] * ((n[go] - j[go]) / (j[go] + 1.0) * odds[go])
        j[go] += 1
        F[go] = F[go] + pmf[go]
        go &= (F <= v) if strict else (F < v)


def binom_hazard(u, n, h) -> np.ndarray:
    """Inverse CDF at u of Bin(n, 1 - exp(-h)), elementwise."""
    u, h = np.broadcast_arrays(np.asarray(u, float), np.asarray(h, float))
    n = np.broadcast_to(np.asarray(n, np.int64), u.shape)
    out = np.zeros(u.shape, np.int64)
    act = (n > 0) & (h > 0.0)
    lo = act & (h <= _LN2)
    if lo.any():
        nn, hh, uu = n[lo], h[lo], u[lo]
        pmf = np.exp(-(nn * hh))
        go = ~(pmf >= uu)
        res = np.zeros(nn.shape, np.int64)
        if go.any():
            res[go] = _search(uu[go], nn[go], pmf[go], np.expm1(hh[go]), False)
        out[lo] = res
    hi = act & (h > _LN2)
    if hi.any():
        nn, hh, uu = n[hi], h[hi], u[hi]
        em = -np.expm1(-hh)
        q = np.exp(-hh)
        pmf = np.exp(nn * np.log(em))
        res = nn.copy()
        go = ~(pmf > 1.0 - uu)
        if go.any():
            res[go] = nn[go] - _search(1.0 - uu[go], nn[go], pmf[go], q[go] / em[go], True)
        out[hi] = res
    return out


def binom_prob(u, n, p) -> np.ndarray:
    """Inverse CDF at u of Bin(n, p), elementwise."""
    u, p = np.broadcast_arrays(np.asarray(u, float), np.asarray(p, float))
    n = np.broadcast_to(np.asarray(n, np.int64), u.shape)
    out = np.zeros(u.shape, np.int64)
    act = (n > 0) & (p > 0.0)
    full = act & (p >= 1.0)
    out[full] = n[full]
    lo = act & (p <= 0.5)
    if lo.any():
        nn, pp, uu = n[lo], p[lo], u[lo]
        pmf = np.exp(nn * np.log1p(-pp))
        go = ~(pmf >= uu)
        res = np.zeros(nn.shape, np.int64)
        if go.any():
            res[go] = _search(uu[go], nn[go], pmf[go], pp[go] / (1.0 - pp[go]), False)
        out[lo] = res
    hi = act & (p > 0.5) & (p < 1.0)
    if hi.any():
        nn, pp, uu = n[hi], p[hi], u[hi]
        q = 1.0 - pp
        pmf = np.exp(nn * np.log1p(-q))
        res = nn.copy()
        go = ~(pmf > 1.0 - uu)
        if go.any():
            res[go] = nn[go] - _search(1.0 - uu[go], nn[go], pmf[go], q[go] / (1.0 - q[go]), True)
        out[hi] = res
    return out


def _poisson(u: float, lam: float) -> int:
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


def _u01(w) -> float:
    return (float(w) + 0.5) * _INV_2_32


def _slow_rates(spp, dorm, alive, RG, ax, om) -> list[tuple[int, int, float]]:
    """(guild, kind, rate) in the kernel's order: per guild, acquisition (kind 0, only a
    guild with cells) then reservoir loss (kind 1)."""
    out = []
    for g in range(spp.size):
        if alive[g]:
            out.append((g, 0, RG[g, RG_ACQ] * ax * (RG[g, RG_POOL] - spp[g] - dorm[g])))
        out.append((g, 1, om * dorm[g]))
    return out


def _slow_events(spp, dorm, alive, RG, ax, om, key, pid, day, G) -> None:
    """Step 2 of the kernel for one participant (in place on its rows)."""
    tot = 0.0
    for _, _, w in _slow_rates(spp, dorm, alive, RG, ax, om):
        tot = tot + w
    if not tot > 0.0:
        return
    slow = (G + 1) // 2
    w0 = philox4x32_10(pid, day, SITE_RICHNESS, slow, key[0], key[1])[0]
    m = _poisson(_u01(int(w0)), tot)
    for i in range(m):
        words = philox4x32_10(pid, day, SITE_RICHNESS, slow + 1 + i // 4, key[0], key[1])
        rates = _slow_rates(spp, dorm, alive, RG, ax, om)
        tot = 0.0
        for _, _, w in rates:
            tot = tot + w
        if not tot > 0.0:
            break
        target = _u01(int(words[i % 4])) * tot
        cum, chosen = 0.0, None
        for g, kind, w in rates:
            if w > 0.0:
                cum = cum + w
                chosen = (g, kind)
                if target < cum:
                    break
        if chosen is None:
            continue
        g, kind = chosen
        if kind == 0:
            spp[g] += 1
        else:
            dorm[g] -= 1


def richness_day(SPP, DORM, EXPO, N, KILL, FERM, RG, RPRM, KEYS, PIDS, day, status) -> None:
    """The oracle of :func:`.richness.richness_day`: same arguments, same result."""
    n, G = SPP.shape
    act = np.flatnonzero(np.asarray(status) == 0)
    if act.size == 0:
        return
    pids, keys = np.asarray(PIDS)[act], np.asarray(KEYS)[act]
    u = uniforms(keys, pids, day, SITE_RICHNESS, 2 * G)  # guild g: words 2g, 2g + 1
    usplit = None
    if KILL.shape[0]:  # guild g's kill split: block SPLIT_BLOCK + g // 4, word g % 4
        usplit = np.column_stack([(w.astype(np.float64) + 0.5) * _INV_2_32 for b in range((G + 3) // 4) for w in
                                  philox4x32_10(pids, day, SITE_RICHNESS, SPLIT_BLOCK + b, keys[:, 0], keys[:, 1])])
    e0, beta, lam, phi, om = RPRM[RP_E0], RPRM[RP_BETA], RPRM[RP_LAMBDA], RPRM[RP_PHI], RPRM[RP_OMEGA]
    recept = 1.0 + RPRM[RP_FERM] * np.asarray(FERM)[act]
    c = RPRM[RP_C0] * recept
    ax = np.asarray(EXPO)[act] * recept
    spp, dorm = SPP[act].copy(), DORM[act].copy()
    Nact = N[act, :G]
    for g in range(G):
        R, B, x = spp[:, g], dorm[:, g], Nact[:, g]
        alive = x > 0.0
        with np.errstate(divide="ignore"):
            zinv = np.where(alive, RG[g, RG_KREF] / np.where(alive, x, 1.0), 0.0)
        if beta == 0.5:
            e = e0 * np.sqrt(zinv)
        elif beta == 1.0:
            e = e0 * zinv
        else:
            e = e0 * zinv ** beta
        kk = lam * KILL[act, g] if KILL.shape[0] else np.zeros(act.size)
        h = e + kk
        XR = np.where(alive, binom_hazard(u[:, 2 * g], R, h), R)
        split = alive & (kk > 0.0) & (XR > 0)
        XU = np.zeros(act.size, np.int64)
        if split.any():
            XU[split] = binom_prob(usplit[split, g], XR[split], phi * kk[split] / h[split])
        XC = np.where(alive, binom_hazard(u[:, 2 * g + 1], B, c), 0)
        spp[:, g] = R - XR + XC
        dorm[:, g] = B + (XR - XU) - XC
    alive = Nact > 0.0
    for r in range(act.size):
        _slow_events(spp[r], dorm[r], alive[r], RG, float(ax[r]), om, keys[r], int(pids[r]), day, G)
    fix = alive & (spp < 1)
    dorm[fix & (dorm > 0)] -= 1
    spp[fix] = 1
    SPP[act] = spp
    DORM[act] = dorm
