"""The model's day step on a population: microbiome (generalized Lotka-Volterra
substeps with noise, diet, immigration, washout and antibiotic kill), host gut-brain
state, latent mood, and the loud failure checks. :func:`step_day` is the entry
point; :func:`_step_blocks` advances ``_VW`` participants at a time on SIMD lanes
(:mod:`.simd`, :mod:`.vecmath`)."""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

from .layout import (  # noqa: F401
    D_FERM, D_FIBRE, D_FOS, D_GOS, D_INULIN, D_LOAD, D_MANAGE, D_PRODUCT,
    D_SUGAR, D_VISIT, H_BAR, H_BUT, H_CON, H_CORT, H_CRP, H_EXP,
    H_GABA, H_IL6, H_KT, H_LPS, H_SERO, H_VAG, MAX_CELLS_PER_G, N_HOST,
    N_MOOD, P_A_CORT, P_A_INFL, P_A_P, P_A_VAG, P_BAR_BUT, P_BAR_CORT, P_BAR_INFL,
    P_BAR_REF, P_CONTACT, P_CORT_INFL, P_CORT_REF, P_CORT_STRESS, P_CORT_VAG, P_CRP_EXP, P_D_CORT,
    P_D_INFL, P_D_P, P_D_VAG, P_EXPECT, P_FLOOR, P_HALF, P_IL6_BUT, P_IL6_CORT,
    P_IL6_FERM, P_IL6_LPS, P_IL6_REF, P_INFL_THR, P_KMF, P_KMP, P_KMS, P_KT_EXP,
    P_MANAGE, P_NSUB, P_P_CORT, P_P_LOAD, P_P_VAG, P_SD_A, P_SD_D, P_SD_P,
    P_SERO_B, P_SERO_SF, P_SM_REACT, P_SM_VAG, P_TAU_B, P_TAU_BAR, P_TAU_CON, P_TAU_CORT,
    P_TAU_CRP, P_TAU_EXP, P_TAU_GABA, P_TAU_IL6, P_TAU_SERO, P_TH_A, P_TH_D, P_TH_P,
    P_TRP_EXP, P_VAG_5, P_VAG_B, P_VAG_G, P_VAG_S, SITE_MICROBIOME, SITE_MOOD, STATUS_EXTINCT,
    STATUS_IMPLAUSIBLE, STATUS_NONFINITE, STATUS_OK, TP_ANTI, TP_BARRIER, TP_BUT, TP_CORT, TP_DELTA,
    TP_FIBRE, TP_FOS, TP_GABA, TP_GOS, TP_INFL, TP_INULIN, TP_KREF, TP_LPS,
    TP_NICHE, TP_RESIDENT, TP_RHO, TP_SERO, TP_SIGMA, TP_SUGAR, TP_VAGAL, T_ASET,
    T_CORT, T_CRP, T_DSET, T_EXPECT, T_IL6, T_KT, T_PSET, T_REACT,
    T_SUSC, T_TONE,
)
from .simd import (  # noqa: F401
    _VW, _dataptr, _sel, _tofloat, _vload, _vload_u32, _vsplat, _vsplati,
    _vstore,
)
from .vecmath import (  # noqa: F401
    _LN2, _exp, _exp_tanh, _expm1, _log,
)
from .philox import (  # noqa: F401
    _box_muller_u, _philox_vec, _u01_vec,
)
from .blocks import (  # noqa: F401
    _block_ranges, _modulated_taxa, _take_block, _thread_scratch,
)

@njit(cache=True, inline="always")
def _logit(p):
    return math.log(p / (1.0 - p))

# --------------------------------------------------------------------------
# Blocked day step. The kernels advance _VW participants ("lanes") at once: a
# block's per-taxon state is copied into a per-thread scratch with the lane as
# the fastest axis, per-participant scalars become lane vectors, and every
# operation acts on all lanes with one SIMD instruction (the vector types
# above). Lanes never interact: each runs exactly the IEEE operations it would
# run alone, in the same order (no fastmath, no reassociation, sums over taxa
# in a fixed order), so a participant's result does not depend on its block,
# lane, thread or neighbours.
# --------------------------------------------------------------------------
#: staging rows for per-participant scalars (gathered in, scattered out), _VW doubles each
(_G_TONE, _G_REACT, _G_SUSC, _G_TIL6, _G_TCRP, _G_TCORT, _G_TKT, _G_PSET, _G_ASET, _G_DSET, _G_TEXP,
 _G_FIBRE, _G_INU, _G_FOS, _G_GOS, _G_SUGAR, _G_FERM, _G_LOAD, _G_MANAGE, _G_PROD, _G_VISIT,
 _G_CODE, _G_M) = (k * _VW for k in range(23))
_G_H = _G_M + N_MOOD * _VW  # N_HOST rows of host state
_TB = _G_H + N_HOST * _VW  # start of the per-taxon rows
#: per-taxon rows: row X of taxon i starts at _TB + i * _TS + X
(_T_N, _T_CS, _T_CP, _T_BDT, _T_IMD, _T_KILL, _T_XI, _T_SH, _T_W, _T_MOD) = (k * _VW for k in range(10))
_TS = 10 * _VW


@njit(cache=True, inline="always", error_model="numpy")
def _grow(sc, TP, i, comp, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s):
    """One substep of taxon i on all lanes, given its competition comp = sum_j ALPHA[i, j] w[j]."""
    oi = _TB + i * _TS
    # niche + r_fibre phi_f + r_inulin phi_in + r_fos phi_fo + r_gos phi_go + r_sugar phi_s,
    # left to right; a zero coefficient adds exactly nothing and is skipped
    m = _vsplat(TP[i, TP_NICHE])
    if TP[i, TP_FIBRE] != 0.0:
        m = m + TP[i, TP_FIBRE] * phi_f
    if TP[i, TP_INULIN] != 0.0:
        m = m + TP[i, TP_INULIN] * phi_in
    if TP[i, TP_FOS] != 0.0:
        m = m + TP[i, TP_FOS] * phi_fo
    if TP[i, TP_GOS] != 0.0:
        m = m + TP[i, TP_GOS] * phi_go
    if TP[i, TP_SUGAR] != 0.0:
        m = m + TP[i, TP_SUGAR] * phi_s
    m = _sel(m < 0.0, 0.0, m)
    if TP[i, TP_CORT] != 0.0 or TP[i, TP_INFL] != 0.0:
        m = m * _vload(sc, oi + _T_MOD)  # host modulation exp(tanh(.)), computed beforehand
    # Exact logistic step: growth a (everything but self-limitation, held over the
    # substep) and self-limitation b*x solved in closed form,
    # x' = x e^A / (1 + b dt x (e^A - 1)/A), so a fast grower can never overshoot its
    # own capacity however long the substep.
    sig = TP[i, TP_SIGMA]
    a = TP[i, TP_RHO] * (m - _vload(sc, oi + _T_CS) * comp) - TP[i, TP_DELTA]
    if any_kill:  # (x - 0.0 is x exactly)
        a = a - _vload(sc, oi + _T_KILL)
    a = a - 0.5 * sig * sig
    A = a * dt + _vload(sc, oi + _T_SH)  # + sigma sqrt-dt-scaled daily noise
    E1 = _expm1(A)
    phi = _sel(A != 0.0, E1 / A, 1.0)
    x0 = _vload(sc, oi + _T_N)
    x = x0 * (1.0 + E1) / (1.0 + _vload(sc, oi + _T_BDT) * x0 * phi) + _vload(sc, oi + _T_IMD)
    _vstore(sc, oi + _T_N, _sel(x < floor, 0.0, x))


@njit(cache=True, error_model="numpy")
def _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                 status, fail_day, WORK, act, na, modidx, nmod, counters, t, nt, sc, isc):
    """Advance the active participants act[:na] one day, _VW lanes at a time: thread t of
    nt takes blocks of _VW with _take_block until none is left.

    modidx[:nmod] are the taxa with a cortisol or inflammation response; sc (float64)
    and isc (uint32, 3 * _VW) are this thread's scratch (allocated by the caller). A
    block's result does not depend on which thread takes it, so this dynamic
    schedule keeps results bit-identical while a slow or busy core takes fewer blocks."""
    S = N.shape[1]
    scp = _dataptr(sc)  # for the inlined _grow: no refcount traffic on the shared scratch
    nsub = int(PRM[P_NSUB])
    dt = 1.0 / nsub
    # relaxation factors over one substep (shared by everyone)
    eB = math.exp(-dt / PRM[P_TAU_B])
    eBar = math.exp(-dt / PRM[P_TAU_BAR])
    eI = math.exp(-dt / PRM[P_TAU_IL6])
    eC = math.exp(-dt / PRM[P_TAU_CRP])
    e5 = math.exp(-dt / PRM[P_TAU_SERO])
    eG = math.exp(-dt / PRM[P_TAU_GABA])
    eK = math.exp(-dt / PRM[P_TAU_CORT])
    eE = math.exp(-1.0 / PRM[P_TAU_EXP])
    eT = math.exp(-1.0 / PRM[P_TAU_CON])
    floor = PRM[P_FLOOR]
    half = PRM[P_HALF]
    il6_ref = PRM[P_IL6_REF]
    cort_ref = PRM[P_CORT_REF]
    ln_il6_ref = math.log(il6_ref)
    ln_cort_ref = math.log(cort_ref)
    logit_bref = _logit(PRM[P_BAR_REF])
    one_m_bref = 1.0 - PRM[P_BAR_REF]
    vag_wsum = PRM[P_VAG_G] + PRM[P_VAG_5] + PRM[P_VAG_B]
    sero_wsum = PRM[P_SERO_SF] + PRM[P_SERO_B]
    thr = PRM[P_INFL_THR]
    infl_ref = math.log(1.0 + il6_ref / thr)
    sqdt_scale = dt  # daily-held noise: sum over the day's substeps has variance sigma^2 * 1 day
    inv_comm = 1.0 / NORMS[9]
    kmf = PRM[P_KMF]
    kmp = PRM[P_KMP]
    kms = PRM[P_KMS]
    il6_lps = PRM[P_IL6_LPS]
    il6_cort = PRM[P_IL6_CORT]
    il6_but = PRM[P_IL6_BUT]
    crp_exp = PRM[P_CRP_EXP]
    kt_exp = PRM[P_KT_EXP]
    trp_exp = PRM[P_TRP_EXP]
    vday = _vsplati(np.int64(day) & 0xFFFFFFFF)
    nblk_noise = (S + 3) // 4
    zero = _vsplat(0.0)

    has_kill = KILL.shape[0] != 0  # (0, S): nobody has antibiotic kill today
    keep_work = WORK.shape[0] != 0  # (0, 2S): no diagnostic output
    nb = (na + _VW - 1) // _VW
    while True:
        blk = _take_block(counters, t, nt, nb)
        if blk < 0:
            break
        a0 = blk * _VW
        nl = min(_VW, na - a0)
        # ---- gather: participant rows -> lanes (spare lanes repeat the last participant)
        any_kill = False  # antibiotic kill is zero outside antibiotic courses: then skip it
        if has_kill:
            for l in range(nl):
                p = act[a0 + l]
                for i in range(S):
                    any_kill |= KILL[p, i] != 0.0
        any_pre = False
        for l in range(_VW):
            p = act[a0 + min(l, nl - 1)]
            isc[l] = PIDS[p]
            isc[_VW + l] = KEYS[p, 0]
            isc[2 * _VW + l] = KEYS[p, 1]
            for i in range(S):
                o = _TB + i * _TS + l
                sc[o + _T_N] = N[p, i]
                sc[o + _T_CS] = CSENS[p, i]
                sc[o + _T_CP] = CPRESS[p, i]
                sc[o + _T_BDT] = KAPPA[p, i]  # -> b dt below
                sc[o + _T_IMD] = IMM[p, i]
                if any_kill:
                    sc[o + _T_KILL] = KILL[p, i]
            sc[_G_TONE + l] = T[p, T_TONE]
            sc[_G_REACT + l] = T[p, T_REACT]
            sc[_G_SUSC + l] = T[p, T_SUSC]
            sc[_G_TIL6 + l] = T[p, T_IL6]
            sc[_G_TCRP + l] = T[p, T_CRP]
            sc[_G_TCORT + l] = T[p, T_CORT]
            sc[_G_TKT + l] = T[p, T_KT]
            sc[_G_PSET + l] = T[p, T_PSET]
            sc[_G_ASET + l] = T[p, T_ASET]
            sc[_G_DSET + l] = T[p, T_DSET]
            sc[_G_TEXP + l] = T[p, T_EXPECT]
            sc[_G_FIBRE + l] = DRV[p, D_FIBRE]
            sc[_G_INU + l] = DRV[p, D_INULIN]
            sc[_G_FOS + l] = DRV[p, D_FOS]
            sc[_G_GOS + l] = DRV[p, D_GOS]
            sc[_G_SUGAR + l] = DRV[p, D_SUGAR]
            sc[_G_FERM + l] = DRV[p, D_FERM]
            sc[_G_LOAD + l] = DRV[p, D_LOAD]
            sc[_G_MANAGE + l] = DRV[p, D_MANAGE]
            sc[_G_PROD + l] = DRV[p, D_PRODUCT]
            sc[_G_VISIT + l] = DRV[p, D_VISIT]
            for k in range(N_HOST):
                sc[_G_H + k * _VW + l] = H[p, k]
            for k in range(N_MOOD):
                sc[_G_M + k * _VW + l] = M[p, k]
            any_pre |= (DRV[p, D_INULIN] + DRV[p, D_FOS] + DRV[p, D_GOS]) != 0.0
        pid = _vload_u32(isc, 0)
        key0 = _vload_u32(isc, _VW)
        key1 = _vload_u32(isc, 2 * _VW)

        # ---- daily microbiome noise xi (held over the day's substeps); the same draws as
        # fill_normals, so xi equals rng.normals(KEYS, PIDS, day, SITE_MICROBIOME, S) exactly
        for b in range(nblk_noise):
            r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MICROBIOME), _vsplati(b), key0, key1)
            z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
            z2, z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
            oj = _TB + 4 * b * _TS + _T_XI
            _vstore(sc, oj, z0)
            if 4 * b + 1 < S:
                _vstore(sc, oj + _TS, z1)
            if 4 * b + 2 < S:
                _vstore(sc, oj + 2 * _TS, z2)
            if 4 * b + 3 < S:
                _vstore(sc, oj + 3 * _TS, z3)

        # ---- per-day constants: self-limitation b dt = rho dt / (kref kappa), immigration
        # per substep, and the noise term sigma sqrt(dt)-scaling times xi of each taxon
        for i in range(S):
            oi = _TB + i * _TS
            _vstore(sc, oi + _T_BDT, TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * _vload(sc, oi + _T_BDT)))
            _vstore(sc, oi + _T_IMD, _vload(sc, oi + _T_IMD) * dt)
            _vstore(sc, oi + _T_SH, TP[i, TP_SIGMA] * sqdt_scale * _vload(sc, oi + _T_XI))
        manage = _vload(sc, _G_MANAGE)
        tone_eff = _vload(sc, _G_TONE) * (1.0 + PRM[P_SM_VAG] * manage)
        react_eff = _vload(sc, _G_REACT) * (1.0 - PRM[P_SM_REACT] * manage)
        load = _vload(sc, _G_LOAD)
        ferm = _vload(sc, _G_FERM)
        fibre = _vload(sc, _G_FIBRE)
        inulin = _vload(sc, _G_INU)
        fos = _vload(sc, _G_FOS)
        gos = _vload(sc, _G_GOS)
        sugar = _vload(sc, _G_SUGAR)
        pre_tot = inulin + fos + gos
        phi_f = fibre / (fibre + kmf) - NORMS[4]
        phi_s = sugar / (sugar + kms) - NORMS[5]
        ferment_sub = (fibre + 0.5 * pre_tot) / (fibre + 0.5 * pre_tot + kmf) / (NORMS[4] + 1e-300)
        susc = _vload(sc, _G_SUSC)
        ln_il6_p = _log(_vload(sc, _G_TIL6))
        ln_crp_p = _log(_vload(sc, _G_TCRP))
        ferm_term = PRM[P_IL6_FERM] * ferm / (ferm + 1.0)
        # ln cortisol target without the substep terms
        cort_base = _log(_vload(sc, _G_TCORT)) + PRM[P_CORT_STRESS] * react_eff * load
        # host state; IL-6, CRP and cortisol are carried as logarithms through the substeps
        Bh = _vload(sc, _G_H + H_BUT * _VW)
        bar = _vload(sc, _G_H + H_BAR * _VW)
        ln_il6 = _log(_vload(sc, _G_H + H_IL6 * _VW))
        ln_crp = _log(_vload(sc, _G_H + H_CRP * _VW))
        ln_cort = _log(_vload(sc, _G_H + H_CORT * _VW))
        S5 = _vload(sc, _G_H + H_SERO * _VW)
        G = _vload(sc, _G_H + H_GABA * _VW)
        V = _vload(sc, _G_H + H_VAG * _VW)
        L = _vload(sc, _G_H + H_LPS * _VW)
        kt_rel = zero
        phi_in = zero
        phi_fo = zero
        phi_go = zero

        for sub in range(nsub):
            c = ln_cort - ln_cort_ref
            iota = ln_il6 - ln_il6_ref
            # -- substrate sharing: prebiotic per unit of its consumers' current load
            if any_pre:
                ld_in = zero
                ld_fo = zero
                ld_go = zero
                for j in range(S):
                    t_in = TP[j, TP_INULIN]
                    t_fo = TP[j, TP_FOS]
                    t_go = TP[j, TP_GOS]
                    # (r / kref) N rather than r (N / kref): no vector division; zero terms add
                    # exactly nothing and are skipped
                    Nj = _vload(sc, _TB + j * _TS + _T_N)
                    if t_in != 0.0:
                        ld_in = ld_in + (t_in / TP[j, TP_KREF]) * Nj
                    if t_fo != 0.0:
                        ld_fo = ld_fo + (t_fo / TP[j, TP_KREF]) * Nj
                    if t_go != 0.0:
                        ld_go = ld_go + (t_go / TP[j, TP_KREF]) * Nj
                x = ld_in * (1.0 / NORMS[6])
                phi_in = inulin / (inulin + kmp * _sel(x > 1e-3, x, 1e-3))
                x = ld_fo * (1.0 / NORMS[7])
                phi_fo = fos / (fos + kmp * _sel(x > 1e-3, x, 1e-3))
                x = ld_go * (1.0 / NORMS[8])
                phi_go = gos / (gos + kmp * _sel(x > 1e-3, x, 1e-3))
            # -- weighted loads w (start of substep)
            for j in range(S):
                oj = _TB + j * _TS
                _vstore(sc, oj + _T_W, _vload(sc, oj + _T_CP) * _vload(sc, oj + _T_N) * inv_comm)
            # -- host modulation of growth, saturating at a factor e^(+-1) so hormone swings
            # cannot drive unbounded growth or certain extinction; only for taxa with a
            # response (for the others the factor is exactly exp(tanh(0)) = 1), two at a
            # time so that the two dependency chains overlap
            for km in range(0, nmod - 1, 2):
                i1 = modidx[km]
                i2 = modidx[km + 1]
                f1 = _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota)
                f2 = _exp_tanh(TP[i2, TP_CORT] * c + TP[i2, TP_INFL] * iota)
                _vstore(sc, _TB + i1 * _TS + _T_MOD, f1)
                _vstore(sc, _TB + i2 * _TS + _T_MOD, f2)
            if nmod % 2 == 1:
                i1 = modidx[nmod - 1]
                _vstore(sc, _TB + i1 * _TS + _T_MOD, _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota))
            # -- microbiome: gLV growth, competition, noise, immigration, washout, kill; two
            # taxa at a time (each w row is loaded once for both, and two chains overlap)
            for i in range(0, S - 1, 2):
                comp1 = zero
                comp2 = zero
                for j in range(S):  # comp[i] = sum_j ALPHA[i, j] w[j], j ascending
                    wj = _vload(sc, _TB + j * _TS + _T_W)
                    comp1 = comp1 + ALPHA[i, j] * wj
                    comp2 = comp2 + ALPHA[i + 1, j] * wj
                _grow(scp, TP, i, comp1, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
                _grow(scp, TP, i + 1, comp2, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
            if S % 2 == 1:
                comp1 = zero
                for j in range(S):
                    comp1 = comp1 + ALPHA[S - 1, j] * _vload(sc, _TB + j * _TS + _T_W)
                _grow(scp, TP, S - 1, comp1, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
            # -- host: SCFA, barrier, LPS, IL-6, CRP, Kyn/Trp, 5-HT, GABA, vagus, cortisol
            but = zero
            lps = zero
            sero = zero
            gaba = zero
            anti = zero
            bsup = zero
            vs = zero
            for j in range(S):  # zero coefficients add exactly nothing and are skipped
                Nj = _vload(sc, _TB + j * _TS + _T_N)
                if TP[j, TP_BUT] != 0.0:
                    but = but + TP[j, TP_BUT] * Nj
                if TP[j, TP_LPS] != 0.0:
                    lps = lps + TP[j, TP_LPS] * Nj
                if TP[j, TP_SERO] != 0.0:
                    sero = sero + TP[j, TP_SERO] * Nj
                if TP[j, TP_GABA] != 0.0:
                    gaba = gaba + TP[j, TP_GABA] * Nj
                if TP[j, TP_RESIDENT] == 0.0:
                    h = Nj / (Nj + half)
                    anti = anti + TP[j, TP_ANTI] * h
                    bsup = bsup + TP[j, TP_BARRIER] * h
                    vs = vs + TP[j, TP_VAGAL] * h
            anti = _sel(anti > 0.95, 0.95, anti)
            # (divisions by constants are multiplications by their reciprocals here)
            bstar = but * (1.0 / NORMS[0]) * ferment_sub
            Bh = bstar + (Bh - bstar) * eB
            lnB = _log(_sel(Bh > 1e-6, Bh, 1e-6))
            xb = logit_bref + PRM[P_BAR_BUT] * lnB - PRM[P_BAR_CORT] * c - PRM[P_BAR_INFL] * iota + bsup
            e = _exp(-abs(xb))
            rb = 1.0 / (1.0 + e)
            btarget = _sel(xb >= 0.0, rb, e * rb)
            bar = btarget + (bar - btarget) * eBar
            L = lps * (1.0 / NORMS[1]) * (1.0 - bar) * (1.0 / one_m_bref)
            ln_il6_t = (ln_il6_p + susc * (il6_lps * (_log(1.0 + L * (1.0 - anti)) - _LN2)
                                           + il6_cort * c - il6_but * lnB)
                        - ferm_term)
            ln_il6 = ln_il6_t + (ln_il6 - ln_il6_t) * eI
            ln_crp_t = ln_crp_p + crp_exp * (ln_il6 - ln_il6_p)
            ln_crp = ln_crp_t + (ln_crp - ln_crp_t) * eC
            kt_rel = kt_exp * (ln_il6 - ln_il6_p)
            trp = _exp(-trp_exp * kt_rel)
            s5t = trp * (PRM[P_SERO_SF] * sero * (1.0 / NORMS[2]) + PRM[P_SERO_B] * Bh) * (1.0 / sero_wsum)
            S5 = s5t + (S5 - s5t) * e5
            gt = gaba * (1.0 / NORMS[3])
            G = gt + (G - gt) * eG
            # afferent drive, saturating: 1 at the reference gut, at most 2 x tone
            X = (PRM[P_VAG_G] * G + PRM[P_VAG_5] * S5 + PRM[P_VAG_B] * Bh) * (1.0 / vag_wsum) + PRM[P_VAG_S] * vs
            V = tone_eff * 2.0 * X / (1.0 + X)
            ln_cort_t = cort_base + PRM[P_CORT_INFL] * iota - PRM[P_CORT_VAG] * (V - 1.0)
            ln_cort = ln_cort_t + (ln_cort - ln_cort_t) * eK

        # ---- host state out of the substeps, back from logarithms
        il6 = _exp(ln_il6)
        _vstore(sc, _G_H + H_BUT * _VW, Bh)
        _vstore(sc, _G_H + H_BAR * _VW, bar)
        _vstore(sc, _G_H + H_IL6 * _VW, il6)
        _vstore(sc, _G_H + H_CRP * _VW, _exp(ln_crp))
        _vstore(sc, _G_H + H_KT * _VW, _vload(sc, _G_TKT) * _exp(kt_rel))  # Kyn/Trp is only an output
        _vstore(sc, _G_H + H_SERO * _VW, S5)
        _vstore(sc, _G_H + H_GABA * _VW, G)
        _vstore(sc, _G_H + H_VAG * _VW, V)
        _vstore(sc, _G_H + H_CORT * _VW, _exp(ln_cort))
        _vstore(sc, _G_H + H_LPS * _VW, L)

        # ---- mood: one Euler-Maruyama day step, driven only by host signals
        r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MOOD), _vsplati(0), key0, key1)
        z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
        z2, _z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
        c = ln_cort - ln_cort_ref
        infl = _log(1.0 + il6 / thr) - infl_ref
        vag = V - 1.0
        E = _vload(sc, _G_H + H_EXP * _VW)
        CT = _vload(sc, _G_H + H_CON * _VW)
        relief = PRM[P_EXPECT] * E + PRM[P_CONTACT] * CT
        P0 = _vload(sc, _G_M)
        A0 = _vload(sc, _G_M + _VW)
        D0 = _vload(sc, _G_M + 2 * _VW)
        pset = _vload(sc, _G_PSET)
        dP = P0 - pset
        _vstore(sc, _G_M, P0 + PRM[P_TH_P] * (pset - P0) + PRM[P_P_LOAD] * react_eff * load
                + PRM[P_P_CORT] * c - PRM[P_P_VAG] * vag - PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_P] * z0)
        _vstore(sc, _G_M + _VW, A0 + PRM[P_TH_A] * (_vload(sc, _G_ASET) - A0) + PRM[P_A_CORT] * c + PRM[P_A_P] * dP
                + PRM[P_A_INFL] * infl - PRM[P_A_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_A] * z1)
        _vstore(sc, _G_M + 2 * _VW, D0 + PRM[P_TH_D] * (_vload(sc, _G_DSET) - D0) + PRM[P_D_CORT] * c
                + PRM[P_D_P] * dP + PRM[P_D_INFL] * infl - PRM[P_D_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage
                - relief + PRM[P_SD_D] * z2)
        prod = _vload(sc, _G_TEXP) * _vload(sc, _G_PROD)
        _vstore(sc, _G_H + H_EXP * _VW, prod + (E - prod) * eE)
        _vstore(sc, _G_H + H_CON * _VW, CT * eT + _vload(sc, _G_VISIT))

        # ---- loud failure, per lane: non-finite state, an impossible load or a fully
        # extinct resident community
        nonfin = zero != zero
        huge = nonfin
        alive = nonfin
        for j in range(S):
            x = _vload(sc, _TB + j * _TS + _T_N)
            nonfin = nonfin | ((x - x) != 0.0)
            huge = huge | (x > MAX_CELLS_PER_G)
            if TP[j, TP_RESIDENT] != 0.0:
                alive = alive | (x > 0.0)
        for k in range(N_HOST):
            x = _vload(sc, _G_H + k * _VW)
            nonfin = nonfin | ((x - x) != 0.0)
        for k in range(N_MOOD):
            x = _vload(sc, _G_M + k * _VW)
            nonfin = nonfin | ((x - x) != 0.0)
        for k in (H_IL6, H_CRP, H_CORT):
            nonfin = nonfin | (_vload(sc, _G_H + k * _VW) <= 0.0)
        code = _sel(nonfin, STATUS_NONFINITE, _sel(huge, STATUS_IMPLAUSIBLE, _sel(alive, STATUS_OK, STATUS_EXTINCT)))
        _vstore(sc, _G_CODE, _tofloat(code))

        # ---- scatter lanes -> participant rows
        for l in range(nl):
            p = act[a0 + l]
            for j in range(S):
                o = _TB + j * _TS + l
                N[p, j] = sc[o + _T_N]
            if keep_work:
                for j in range(S):
                    o = _TB + j * _TS + l
                    WORK[p, j] = sc[o + _T_XI]
                    WORK[p, S + j] = sc[o + _T_W]
            for k in range(N_HOST):
                H[p, k] = sc[_G_H + k * _VW + l]
            for k in range(N_MOOD):
                M[p, k] = sc[_G_M + k * _VW + l]
            st = int(sc[_G_CODE + l])
            if st != STATUS_OK:
                status[p] = st
                fail_day[p] = day


def _check_optional_rows(name, a, n, width):
    """The kernels read or write a (n, width) array, or skip a (0, width) one."""
    if a.ndim != 2 or a.shape[1] != width or a.shape[0] not in (0, n):
        raise ValueError(f"{name} has shape {a.shape}; expected ({n}, {width}), or (0, {width}) to skip it")


def step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM,
             KEYS, PIDS, day, status, fail_day, WORK):
    """Advance every participant with ``status == STATUS_OK`` by one day, in place.

    N      (n, S)  abundances, cells/g
    H      (n, 12) host state (HOST_NAMES)
    M      (n, 3)  latent stress, anxiety, depression
    T      (n, 11) traits (TRAIT_NAMES)
    KAPPA, CSENS, CPRESS (n, S) person niche size, competition sensitivity, pressure
    DRV    (n, 10) today's drivers (DRIVER_NAMES)
    IMM    (n, S)  immigration, cells/g/day
    KILL   (n, S)  antibiotic kill, 1/day; or (0, S) when nobody has any today (not read)
    TP     (S, 20) taxon parameters;  ALPHA (S, S) competition of j's community share on i
    NORMS  (10,)    normalisers;  PRM  (P,) model parameters (PARAM_NAMES)
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
    sc = _thread_scratch(nt, _TB + S * _TS)
    isc = np.empty((nt, 3 * _VW + 16), np.uint32)
    modidx, nmod = _modulated_taxa(TP)
    counters = _block_ranges(nb, nt)
    for t in prange(nt):  # (np.int64(t): one compiled signature of _step_blocks)
        _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                     status, fail_day, WORK, act, na, modidx, nmod, counters, np.int64(t), nt, sc[t], isc[t])

