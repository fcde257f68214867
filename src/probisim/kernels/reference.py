"""Plain-NumPy oracle of the Numba day step (:func:`probisim.kernels.step.step_day`).

This module is an *independent* second implementation of the per-day
population update, written for clarity rather than speed: it is vectorised
over participants (loops run over substeps only) and draws the same random
numbers from its own NumPy implementation of Philox4x32-10 (uint64 array
arithmetic), with the same counter layout

    counter = (participant id, day, draw site, block),  key = KEYS[p]

and the same Box–Muller mapping ``u = (w + 0.5) * 2**-32``.  The tests run the
kernel and this oracle on random populations and require agreement to ~1e-12
relative; the benchmark uses it as the "obvious NumPy" baseline.

Only index constants and names are taken from :mod:`probisim.kernels.layout`; no
jitted code is imported, so a bug in the kernel cannot hide in the oracle.
Transcendentals come from NumPy rather than libm, so results agree to a few
ulps per operation, not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from .layout import (
    CORTISOL_MAX_NMOL_L,
    CORTISOL_MIN_NMOL_L,
    CRP_MAX_MG_L,
    D_FERM,
    D_FIBRE,
    D_FOS,
    D_GOS,
    D_INULIN,
    D_LOAD,
    D_MANAGE,
    D_PRODUCT,
    D_SUGAR,
    D_VISIT,
    H_BAR,
    H_BUT,
    H_CON,
    H_CORT,
    H_CRP,
    H_DOPA,
    H_EXP,
    H_GABA,
    H_IL6,
    H_KT,
    H_LPS,
    H_SERO,
    H_VAG,
    IL6_MAX_PG_ML,
    MAX_CELLS_PER_G,
    NORM_DOPA,
    P_A_CORT,
    P_A_INFL,
    P_A_P,
    P_A_VAG,
    P_BAR_BUT,
    P_BAR_CORT,
    P_BAR_FLOOR,
    P_BAR_INFL,
    P_BAR_REF,
    P_CONTACT,
    P_CORT_INFL,
    P_CORT_MAXF,
    P_CORT_REF,
    P_CORT_STRESS,
    P_CORT_VAG,
    P_CRP_EXP,
    P_D_CORT,
    P_D_INFL,
    P_D_P,
    P_D_VAG,
    P_EXPECT,
    P_FLOOR,
    P_HALF,
    P_IL6_BUT,
    P_IL6_CORT,
    P_IL6_FERM,
    P_IL6_LPS,
    P_IL6_MAXF,
    P_IL6_REF,
    P_INFL_THR,
    P_KMF,
    P_KMP,
    P_KMS,
    P_KT_EXP,
    P_LPS_MAX,
    P_MANAGE,
    P_NSUB,
    P_P_CORT,
    P_P_LOAD,
    P_P_VAG,
    P_SD_A,
    P_SD_D,
    P_SD_P,
    P_SERO_B,
    P_SERO_SF,
    P_SLOW_SD_A,
    P_SLOW_SD_D,
    P_SLOW_SD_P,
    P_SM_REACT,
    P_SM_VAG,
    P_TAU_B,
    P_TAU_BAR,
    P_TAU_CON,
    P_TAU_CORT,
    P_TAU_CRP,
    P_TAU_DOPA,
    P_TAU_EXP,
    P_TAU_GABA,
    P_TAU_IL6,
    P_TAU_SERO,
    P_TAU_SLOW_A,
    P_TAU_SLOW_D,
    P_TAU_SLOW_P,
    P_TH_A,
    P_TH_D,
    P_TH_P,
    P_TRP_EXP,
    P_VAG_5,
    P_VAG_B,
    P_VAG_D,
    P_VAG_G,
    P_VAG_S,
    SITE_MICROBIOME,
    SITE_MOOD,
    STATUS_EXTINCT,
    STATUS_IMPLAUSIBLE,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_PHYSIOLOGY,
    T_ASET,
    T_CORT,
    T_CRP,
    T_DSET,
    T_EXPECT,
    T_IL6,
    T_KT,
    T_PSET,
    T_REACT,
    T_SUSC,
    T_TONE,
    TP_ANTI,
    TP_BARRIER,
    TP_BUT,
    TP_CORT,
    TP_DELTA,
    TP_DOPA,
    TP_FIBRE,
    TP_FOS,
    TP_GABA,
    TP_GOS,
    TP_INFL,
    TP_INULIN,
    TP_KREF,
    TP_LPS,
    TP_NICHE,
    TP_RESIDENT,
    TP_RHO,
    TP_SERO,
    TP_SIGMA,
    TP_SUGAR,
    TP_VAGAL,
)

__all__ = ["philox4x32_10", "uniforms", "normals", "step_day", "floor_day"]

# --------------------------------------------------------------------------
# Philox4x32-10 on uint64 arrays (Salmon et al. 2011; Random123 constants)
# --------------------------------------------------------------------------
_MASK = np.uint64(0xFFFFFFFF)
_SH = np.uint64(32)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_INV_2_32 = 2.0 ** -32


def _u64(x) -> np.ndarray:
    """Any integer array-like -> uint64 array holding its low 32 bits (two's complement wrap)."""
    a = np.asarray(x)
    if a.dtype.kind == "i":
        a = a.astype(np.int64).view(np.uint64)
    elif a.dtype.kind == "u":
        a = a.astype(np.uint64)
    else:
        raise TypeError(f"Philox words must be integers, got dtype {a.dtype}")
    return a & _MASK


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on broadcastable arrays; returns four uint64 arrays of 32-bit words.

    One round: ``(hi0, lo0) = M0 * c0``, ``(hi1, lo1) = M1 * c2`` (32x32 -> 64
    bit products), new counter ``(hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)``;
    the key is bumped by the Weyl constants before every round but the first.
    """
    c0, c1, c2, c3, k0, k1 = np.broadcast_arrays(*(_u64(v) for v in (c0, c1, c2, c3, k0, k1)))
    c0, c1, c2, c3, k0, k1 = (v.copy() for v in (c0, c1, c2, c3, k0, k1))
    for r in range(10):
        if r:
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
        p0 = _M0 * c0  # < 2**64: exact in uint64
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> _SH) ^ c1 ^ k0, p1 & _MASK, (p0 >> _SH) ^ c3 ^ k1, p0 & _MASK)
    return c0, c1, c2, c3


def _u01(w) -> np.ndarray:
    """32-bit word -> double strictly inside (0, 1)."""
    return (np.asarray(w).astype(np.float64) + 0.5) * _INV_2_32


def _box_muller(w0, w1):
    r = np.sqrt(-2.0 * np.log(_u01(w0)))
    t = (2.0 * np.pi) * _u01(w1)
    return r * np.cos(t), r * np.sin(t)


def _blocks(keys, pids, step, site, count):
    keys = np.asarray(keys, dtype=np.uint32).reshape(-1, 2)
    pids = np.asarray(pids).reshape(-1)
    nblk = (count + 3) // 4
    b = np.arange(nblk, dtype=np.uint64)[None, :]
    return philox4x32_10(pids[:, None], np.uint64(int(step) & 0xFFFFFFFF), np.uint64(site), b,
                         keys[:, 0, None], keys[:, 1, None])


def uniforms(keys, pids, step, site, count) -> np.ndarray:
    """Uniforms (n, count) laid out like :func:`probisim.rng.uniforms`."""
    keys = np.broadcast_to(np.asarray(keys, dtype=np.uint32), (np.size(pids), 2))
    r = _blocks(keys, pids, step, site, count)
    out = np.stack([_u01(x) for x in r], axis=-1)
    return out.reshape(np.size(pids), -1)[:, :count]


def normals(keys, pids, step, site, count) -> np.ndarray:
    """Standard normals (n, count) laid out like :func:`probisim.rng.normals`:
    block b yields (cos, sin) of words (0, 1) then (cos, sin) of words (2, 3)."""
    keys = np.broadcast_to(np.asarray(keys, dtype=np.uint32), (np.size(pids), 2))
    r0, r1, r2, r3 = _blocks(keys, pids, step, site, count)
    z0, z1 = _box_muller(r0, r1)
    z2, z3 = _box_muller(r2, r3)
    out = np.stack([z0, z1, z2, z3], axis=-1)
    return out.reshape(np.size(pids), -1)[:, :count]


def _expit(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


# --------------------------------------------------------------------------
# the day step
# --------------------------------------------------------------------------
def step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM,
             KEYS, PIDS, day, status, fail_day, WORK=None) -> None:
    """Advance every participant with ``status == STATUS_OK`` by one day, in place.

    Same arguments and semantics as :func:`probisim.kernels.step.step_day`:
    ``KILL`` may be (0, S) for "no antibiotic kill today"; ``WORK``, if given
    with n rows, receives the day's noise and the last substep's weighted
    loads, as in the kernel.
    """
    n, S = N.shape
    if WORK is not None and WORK.shape[0] == 0:
        WORK = None
    act = np.flatnonzero(np.asarray(status) == STATUS_OK)
    if act.size == 0:
        return
    nsub = int(PRM[P_NSUB])
    dt = 1.0 / nsub
    with np.errstate(all="ignore"):
        _step_rows(act, N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS,
                   day, status, fail_day, WORK, nsub, dt)


def _step_rows(act, N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS,
               day, status, fail_day, WORK, nsub, dt):
    S = N.shape[1]
    eB = np.exp(-dt / PRM[P_TAU_B])
    eBar = np.exp(-dt / PRM[P_TAU_BAR])
    eI = np.exp(-dt / PRM[P_TAU_IL6])
    eC = np.exp(-dt / PRM[P_TAU_CRP])
    e5 = np.exp(-dt / PRM[P_TAU_SERO])
    eG = np.exp(-dt / PRM[P_TAU_GABA])
    eK = np.exp(-dt / PRM[P_TAU_CORT])
    eD = np.exp(-dt / PRM[P_TAU_DOPA])
    eE = np.exp(-1.0 / PRM[P_TAU_EXP])
    eT = np.exp(-1.0 / PRM[P_TAU_CON])
    floor = PRM[P_FLOOR]
    half = PRM[P_HALF]
    il6_ref = PRM[P_IL6_REF]
    cort_ref = PRM[P_CORT_REF]
    bref = PRM[P_BAR_REF]
    bfloor = PRM[P_BAR_FLOOR]
    bt = (bref - bfloor) / (1.0 - bfloor)  # the reference person's place between floor and 1
    logit_bt = np.log(bt / (1.0 - bt))
    lps_max = PRM[P_LPS_MAX]
    il6_f = PRM[P_IL6_MAXF]
    cort_a = np.log(PRM[P_CORT_MAXF])
    vag_wsum = PRM[P_VAG_G] + PRM[P_VAG_5] + PRM[P_VAG_B] + PRM[P_VAG_D]
    sero_wsum = PRM[P_SERO_SF] + PRM[P_SERO_B]
    thr = PRM[P_INFL_THR]
    infl_ref = np.log(1.0 + il6_ref / thr)
    inv_comm = 1.0 / NORMS[9]

    # per-taxon columns
    rho, delta, sig, kref = TP[:, TP_RHO], TP[:, TP_DELTA], TP[:, TP_SIGMA], TP[:, TP_KREF]
    strain = TP[:, TP_RESIDENT] == 0.0
    resident = ~strain

    # rows of the active participants (copies; written back at the end)
    Np = N[act].astype(np.float64)
    Hp = H[act].astype(np.float64)
    Mp = M[act].astype(np.float64)
    Tp = T[act]
    D = DRV[act]
    kap, csens, cpress = KAPPA[act], CSENS[act], CPRESS[act]
    imm = IMM[act]
    kill = KILL[act] if KILL.shape[0] else 0.0  # (x - 0.0 is x exactly)

    xi = normals(KEYS[act], PIDS[act], day, SITE_MICROBIOME, S)
    manage = D[:, D_MANAGE]
    tone_eff = Tp[:, T_TONE] * (1.0 + PRM[P_SM_VAG] * manage)
    react_eff = Tp[:, T_REACT] * (1.0 - PRM[P_SM_REACT] * manage)
    load = D[:, D_LOAD]
    ferm = D[:, D_FERM]
    fibre = D[:, D_FIBRE]
    sugar = D[:, D_SUGAR]
    inulin, fos, gos = D[:, D_INULIN], D[:, D_FOS], D[:, D_GOS]
    pre_tot = inulin + fos + gos
    phi_f = fibre / (fibre + PRM[P_KMF]) - NORMS[4]
    phi_s = sugar / (sugar + PRM[P_KMS]) - NORMS[5]
    ferment_sub = (fibre + 0.5 * pre_tot) / (fibre + 0.5 * pre_tot + PRM[P_KMF]) / (NORMS[4] + 1e-300)
    ln_il6_p = np.log(Tp[:, T_IL6])
    ln_crp_p = np.log(Tp[:, T_CRP])
    half_var = 0.5 * sig * sig  # Ito correction
    shock = (sig * dt)[None, :] * xi  # daily-held noise: summed over the day, variance sig^2
    w = None
    for _sub in range(nsub):
        c = np.log(Hp[:, H_CORT] / cort_ref)
        iota = np.log(Hp[:, H_IL6] / il6_ref)
        z = Np / kref
        w = cpress * Np * inv_comm
        load_in = z @ TP[:, TP_INULIN]
        load_fo = z @ TP[:, TP_FOS]
        load_go = z @ TP[:, TP_GOS]
        phi_in = inulin / (inulin + PRM[P_KMP] * np.maximum(load_in / NORMS[6], 1e-3))
        phi_fo = fos / (fos + PRM[P_KMP] * np.maximum(load_fo / NORMS[7], 1e-3))
        phi_go = gos / (gos + PRM[P_KMP] * np.maximum(load_go / NORMS[8], 1e-3))
        # microbiome: gLV growth, competition, noise, immigration, washout, kill
        comp = w @ ALPHA.T
        m = (TP[:, TP_NICHE] + np.outer(phi_f, TP[:, TP_FIBRE]) + np.outer(phi_in, TP[:, TP_INULIN])
             + np.outer(phi_fo, TP[:, TP_FOS]) + np.outer(phi_go, TP[:, TP_GOS])
             + np.outer(phi_s, TP[:, TP_SUGAR]))
        m = np.where(m < 0.0, 0.0, m)
        m = m * np.exp(np.tanh(np.outer(c, TP[:, TP_CORT]) + np.outer(iota, TP[:, TP_INFL])))
        a = rho * (m - csens * comp) - delta - kill - half_var
        A = a * dt + shock
        E1 = np.expm1(A)
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(A != 0.0, E1 / np.where(A != 0.0, A, 1.0), 1.0)
        bdt = rho * dt / (kref * kap)
        x = Np * (1.0 + E1) / (1.0 + bdt * Np * phi) + imm * dt
        x[x < floor] = 0.0
        Np = x
        # host
        but = Np @ TP[:, TP_BUT]
        lps = Np @ TP[:, TP_LPS]
        sero = Np @ TP[:, TP_SERO]
        gaba = Np @ TP[:, TP_GABA]
        dopa = Np @ TP[:, TP_DOPA]
        Ns = Np[:, strain]
        hs = Ns / (Ns + half)
        anti = hs @ TP[strain, TP_ANTI]
        bsup = hs @ TP[strain, TP_BARRIER]
        vs = hs @ TP[strain, TP_VAGAL]
        anti = np.where(anti > 0.95, 0.95, anti)
        bstar = but / NORMS[0] * ferment_sub
        B = bstar + (Hp[:, H_BUT] - bstar) * eB
        Hp[:, H_BUT] = B
        lnB = np.log(np.where(B > 1e-6, B, 1e-6))
        # barrier: a logistic above its floor (the reference person at bref)
        btarget = bfloor + (1.0 - bfloor) * _expit(logit_bt + PRM[P_BAR_BUT] * lnB - PRM[P_BAR_CORT] * c
                                                   - PRM[P_BAR_INFL] * iota + bsup)
        bar = btarget + (Hp[:, H_BAR] - btarget) * eBar
        Hp[:, H_BAR] = bar
        # LPS translocation saturates at lps_max (Michaelis-Menten, 1 at the reference)
        u = lps / NORMS[1] * (1.0 - bar) / (1.0 - bref)
        L = u * lps_max / (lps_max - 1.0 + u)
        Hp[:, H_LPS] = L
        # IL-6 production saturates at il6_f times the baseline: a rise in the log-fold x
        # counts x / sqrt(1 + (x / ln il6_f)^2)
        x = (Tp[:, T_SUSC] * (PRM[P_IL6_LPS] * (np.log(1.0 + L * (1.0 - anti)) - np.log(2.0))
                              + PRM[P_IL6_CORT] * c - PRM[P_IL6_BUT] * lnB)
             - PRM[P_IL6_FERM] * ferm / (ferm + 1.0))
        ln_il6_t = ln_il6_p + x / np.sqrt(1.0 + (np.maximum(x, 0.0) / np.log(il6_f)) ** 2)
        ln_il6 = ln_il6_t + (np.log(Hp[:, H_IL6]) - ln_il6_t) * eI
        Hp[:, H_IL6] = np.exp(ln_il6)
        ln_crp_t = ln_crp_p + PRM[P_CRP_EXP] * (ln_il6 - ln_il6_p)
        Hp[:, H_CRP] = np.exp(ln_crp_t + (np.log(Hp[:, H_CRP]) - ln_crp_t) * eC)
        kt_rel = PRM[P_KT_EXP] * (ln_il6 - ln_il6_p)
        Hp[:, H_KT] = Tp[:, T_KT] * np.exp(kt_rel)
        trp = np.exp(-PRM[P_TRP_EXP] * kt_rel)
        s5t = trp * (PRM[P_SERO_SF] * sero / NORMS[2] + PRM[P_SERO_B] * B) / sero_wsum
        S5 = s5t + (Hp[:, H_SERO] - s5t) * e5
        Hp[:, H_SERO] = S5
        gt = gaba / NORMS[3]
        G = gt + (Hp[:, H_GABA] - gt) * eG
        Hp[:, H_GABA] = G
        dtar = dopa / NORMS[NORM_DOPA]
        Dp = dtar + (Hp[:, H_DOPA] - dtar) * eD
        Hp[:, H_DOPA] = Dp
        X = ((PRM[P_VAG_G] * G + PRM[P_VAG_5] * S5 + PRM[P_VAG_B] * B + PRM[P_VAG_D] * Dp) / vag_wsum
             + PRM[P_VAG_S] * vs)
        V = tone_eff * 2.0 * X / (1.0 + X)
        Hp[:, H_VAG] = V
        # the HPA response saturates within ln(cortisol_max_fold) of the baseline
        y = PRM[P_CORT_STRESS] * react_eff * load + PRM[P_CORT_INFL] * iota - PRM[P_CORT_VAG] * (V - 1.0)
        ln_cort_t = np.log(Tp[:, T_CORT]) + y / np.sqrt(1.0 + (y / cort_a) ** 2)
        Hp[:, H_CORT] = np.exp(ln_cort_t + (np.log(Hp[:, H_CORT]) - ln_cort_t) * eK)

    # mood: one Euler-Maruyama day step
    r0, r1, r2, r3 = philox4x32_10(PIDS[act], np.uint64(int(day) & 0xFFFFFFFF), np.uint64(SITE_MOOD),
                                   np.uint64(0), KEYS[act, 0], KEYS[act, 1])
    z0, z1 = _box_muller(r0, r1)
    z2, z3 = _box_muller(r2, r3)
    r4, r5, _r6, _r7 = philox4x32_10(PIDS[act], np.uint64(int(day) & 0xFFFFFFFF), np.uint64(SITE_MOOD),
                                     np.uint64(1), KEYS[act, 0], KEYS[act, 1])
    z4, z5 = _box_muller(r4, r5)
    c = np.log(Hp[:, H_CORT] / cort_ref)
    infl = np.log(1.0 + Hp[:, H_IL6] / thr) - infl_ref
    vag = Hp[:, H_VAG] - 1.0
    E = Hp[:, H_EXP].copy()
    CT = Hp[:, H_CON].copy()
    relief = PRM[P_EXPECT] * E + PRM[P_CONTACT] * CT
    P0, A0, D0 = Mp[:, 0].copy(), Mp[:, 1].copy(), Mp[:, 2].copy()
    SP, SA, SD = Mp[:, 3].copy(), Mp[:, 4].copy(), Mp[:, 5].copy()
    dP = P0 - Tp[:, T_PSET]
    Mp[:, 0] = (P0 + PRM[P_TH_P] * (Tp[:, T_PSET] + SP - P0) + PRM[P_P_LOAD] * react_eff * load
                + PRM[P_P_CORT] * c - PRM[P_P_VAG] * vag - PRM[P_MANAGE] * manage - relief + PRM[P_SD_P] * z0)
    Mp[:, 1] = (A0 + PRM[P_TH_A] * (Tp[:, T_ASET] + SA - A0) + PRM[P_A_CORT] * c + PRM[P_A_P] * dP
                + PRM[P_A_INFL] * infl - PRM[P_A_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_A] * z1)
    Mp[:, 2] = (D0 + PRM[P_TH_D] * (Tp[:, T_DSET] + SD - D0) + PRM[P_D_CORT] * c + PRM[P_D_P] * dP
                + PRM[P_D_INFL] * infl - PRM[P_D_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_D] * z2)
    for col, sd, tau, z in ((3, P_SLOW_SD_P, P_TAU_SLOW_P, z3), (4, P_SLOW_SD_A, P_TAU_SLOW_A, z4),
                            (5, P_SLOW_SD_D, P_TAU_SLOW_D, z5)):
        f = math.exp(-1.0 / PRM[tau])
        Mp[:, col] = f * Mp[:, col] + PRM[sd] * math.sqrt(1.0 - f * f) * z
    prod = Tp[:, T_EXPECT] * D[:, D_PRODUCT]
    Hp[:, H_EXP] = prod + (E - prod) * eE
    Hp[:, H_CON] = CT * eT + D[:, D_VISIT]

    # loud failure: non-finite state, an impossible load, a blood value beyond its
    # physiological limit, or the whole resident community extinct
    bad = ~(np.isfinite(Np).all(axis=1) & np.isfinite(Hp).all(axis=1) & np.isfinite(Mp).all(axis=1))
    alive = (Np[:, resident] > 0.0).any(axis=1)
    with np.errstate(invalid="ignore"):
        bad |= ~((Hp[:, H_IL6] > 0) & (Hp[:, H_CRP] > 0) & (Hp[:, H_CORT] > 0))
        huge = (Np > MAX_CELLS_PER_G).any(axis=1) & ~bad
        limit = ((Hp[:, H_CRP] > CRP_MAX_MG_L) | (Hp[:, H_IL6] > IL6_MAX_PG_ML)
                 | (Hp[:, H_CORT] < CORTISOL_MIN_NMOL_L) | (Hp[:, H_CORT] > CORTISOL_MAX_NMOL_L))
    new_status = np.where(bad, STATUS_NONFINITE,
                          np.where(huge, STATUS_IMPLAUSIBLE,
                                   np.where(limit, STATUS_PHYSIOLOGY,
                                            np.where(alive, STATUS_OK, STATUS_EXTINCT))))
    failed = new_status != STATUS_OK
    status[act[failed]] = new_status[failed]
    fail_day[act[failed]] = day

    N[act] = Np
    H[act] = Hp
    M[act] = Mp
    if WORK is not None:
        WORK[act, :S] = xi
        WORK[act, S:2 * S] = w


def floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK=None) -> None:
    """NumPy version of :func:`probisim.kernels.floor.floor_day` (noise-free gLV arithmetic), in place."""
    if WORK is not None and WORK.shape[0] == 0:
        WORK = None
    nsub = int(nsub)
    dt = 1.0 / nsub
    inv_comm = 1.0 / NORMS[9]
    rho, delta, kref, niche = TP[:, TP_RHO], TP[:, TP_DELTA], TP[:, TP_KREF], TP[:, TP_NICHE]
    x = N.astype(np.float64)
    w = None
    for _ in range(nsub):
        w = CPRESS * x * inv_comm
        comp = w @ ALPHA.T
        A = (rho * (niche - CSENS * comp) - delta) * dt
        E1 = np.expm1(A)
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(A != 0.0, E1 / np.where(A != 0.0, A, 1.0), 1.0)
        x = x * (1.0 + E1) / (1.0 + (rho * dt / (kref * KAPPA)) * x * phi)
    N[...] = x
    if WORK is not None:
        WORK[:, N.shape[1]:2 * N.shape[1]] = w
