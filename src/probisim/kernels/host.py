"""The host phases of the day step: the gut-brain state that the microbiome drives,
advanced once per substep after the microbiome (:func:`_host_substep`), on a block
of ``_VW`` participants (SIMD lanes; rows named in :mod:`.scratch`).

Each state relaxes towards a target with its own time constant tau,
x <- x* + (x - x*) e^(-dt / tau):

    butyrate B      target  butyrate capacity sum_j TP_but N_j / NORMS[0] x fermentable substrate
    barrier         target  floor + (1 - floor) logistic(logit b~_ref + bar_but ln B - bar_cort c
                                     - bar_infl iota + strains' barrier support), b~_ref putting
                                     the reference person at b_ref
    LPS L           (no lag)  u L_max / (L_max - 1 + u), u = LPS capacity / NORMS[1]
                              x (1 - barrier) / (1 - b_ref): translocation saturates at L_max
    ln IL-6         target  ln IL-6 baseline + x / sqrt(1 + (max(x, 0) / ln F)^2), x = susceptibility
                                     (il6_lps (ln(1 + L (1 - anti)) - ln 2) + il6_cort c
                                     - il6_but ln B) - fermented-food term: production
                                     saturates at F times the person's baseline
    ln CRP          target  ln CRP baseline + crp_exp (ln IL-6 - its baseline)
    Kyn/Trp         (output) baseline x exp(kt_rel), kt_rel = kt_exp (ln IL-6 - its baseline)
    serotonin       target  Trp availability x weighted sporeformer and butyrate signal
    GABA            target  GABA capacity / NORMS[3]
    dopamine        target  dopamine capacity / NORMS[NORM_DOPA]
    vagal tone V    (no lag)  effective tone x 2 X / (1 + X), X the weighted GABA, 5-HT,
                              butyrate and dopamine afferent drive (1 at the reference gut)
                              + strains' vagal term
    ln cortisol     target  ln baseline + y / sqrt(1 + (y / ln F_K)^2), y = stressor (reactivity
                                     x load) + cort_infl iota - cort_vag (V - 1): the HPA
                                     response saturates at F_K times the person's baseline

c = ln cortisol - ln reference and iota = ln IL-6 - ln reference are the host
signals at the start of the substep (:func:`_host_signals`); they also modulate
microbial growth and the mood step. IL-6, CRP and cortisol are carried as
logarithms through the substeps (:class:`HostState`) and written back at the end of
the day (:func:`_host_state_out`).

Every function here is inlined into the day step (``inline="always"``); ``sc`` is
the scratch as a raw pointer.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .layout import (
    D_FERM,
    D_FIBRE,
    D_FOS,
    D_GOS,
    D_INULIN,
    D_LOAD,
    D_MANAGE,
    H_BAR,
    H_BUT,
    H_CORT,
    H_CRP,
    H_DOPA,
    H_GABA,
    H_IL6,
    H_KT,
    H_LPS,
    H_SERO,
    H_VAG,
    NORM_DOPA,
    P_BAR_BUT,
    P_BAR_CORT,
    P_BAR_FLOOR,
    P_BAR_INFL,
    P_BAR_REF,
    P_CORT_INFL,
    P_CORT_MAXF,
    P_CORT_REF,
    P_CORT_STRESS,
    P_CORT_VAG,
    P_CRP_EXP,
    P_HALF,
    P_IL6_BUT,
    P_IL6_CORT,
    P_IL6_FERM,
    P_IL6_LPS,
    P_IL6_MAXF,
    P_IL6_REF,
    P_KMF,
    P_KT_EXP,
    P_LPS_MAX,
    P_SERO_B,
    P_SERO_SF,
    P_SM_REACT,
    P_SM_VAG,
    P_TAU_B,
    P_TAU_BAR,
    P_TAU_CORT,
    P_TAU_CRP,
    P_TAU_DOPA,
    P_TAU_GABA,
    P_TAU_IL6,
    P_TAU_SERO,
    P_TRP_EXP,
    P_VAG_5,
    P_VAG_B,
    P_VAG_D,
    P_VAG_G,
    P_VAG_S,
    T_CORT,
    T_CRP,
    T_IL6,
    T_KT,
    T_REACT,
    T_SUSC,
    T_TONE,
    TP_ANTI,
    TP_BARRIER,
    TP_BUT,
    TP_DOPA,
    TP_GABA,
    TP_LPS,
    TP_RESIDENT,
    TP_SERO,
    TP_VAGAL,
)
from .scratch import TR_N, _driver, _host, _set_host, _taxon, _trait
from .simd import _sel, _vsplat
from .vecmath import _LN2, _exp, _log

#: per-call constants of the host substep: relaxation factors e^(-dt/tau) over one
#: substep, the strains' half-effect load, reference logs and weight sums, the
#: IL-6, CRP, Kyn/Trp and Trp exponents, and the saturations: the barrier floor and
#: the logit that puts the reference person at b_ref above it, the LPS ceiling,
#: 1 / (ln F)^2 of IL-6 and 1 / (ln F_K)^2 of cortisol (read once, outside the loops)
HostConstants = namedtuple("HostConstants", (
    "eB eBar eI eC e5 eG eK eD half ln_il6_ref ln_cort_ref logit_bref one_m_bref vag_wsum sero_wsum "
    "il6_lps il6_cort il6_but crp_exp kt_exp trp_exp bfloor one_m_bfloor lps_max inv_il6_a2 inv_cort_a2"))
#: per-lane quantities fixed for the day: stress management's effect on vagal tone and
#: stress reactivity, the stressor load and management, inflammatory susceptibility,
#: the log IL-6 and CRP baselines, the fermented-food IL-6 term, the log cortisol
#: baseline and the stressor's drive on it, and the fermentable-substrate factor of
#: butyrate
HostToday = namedtuple("HostToday", (
    "tone_eff react_eff load manage susc ln_il6_p ln_crp_p ferm_term ln_cort_p cort_load ferment_sub"))
#: the host state carried through the substeps (IL-6, CRP, cortisol as logarithms;
#: kt_rel is ln(Kyn/Trp over its baseline), an output only)
HostState = namedtuple("HostState", "but bar ln_il6 ln_crp ln_cort sero gaba vagal lps kt_rel dopa")


@njit(cache=True, inline="always")
def _logit(p):
    return math.log(p / (1.0 - p))


@njit(cache=True, inline="always", error_model="numpy")
def _host_constants(PRM, nsub):
    dt = 1.0 / nsub
    bfloor = PRM[P_BAR_FLOOR]
    lnf = math.log(PRM[P_IL6_MAXF])
    lnfk = math.log(PRM[P_CORT_MAXF])
    return HostConstants(
        math.exp(-dt / PRM[P_TAU_B]), math.exp(-dt / PRM[P_TAU_BAR]), math.exp(-dt / PRM[P_TAU_IL6]),
        math.exp(-dt / PRM[P_TAU_CRP]), math.exp(-dt / PRM[P_TAU_SERO]), math.exp(-dt / PRM[P_TAU_GABA]),
        math.exp(-dt / PRM[P_TAU_CORT]), math.exp(-dt / PRM[P_TAU_DOPA]), PRM[P_HALF], math.log(PRM[P_IL6_REF]),
        math.log(PRM[P_CORT_REF]), _logit((PRM[P_BAR_REF] - bfloor) / (1.0 - bfloor)), 1.0 - PRM[P_BAR_REF],
        PRM[P_VAG_G] + PRM[P_VAG_5] + PRM[P_VAG_B] + PRM[P_VAG_D], PRM[P_SERO_SF] + PRM[P_SERO_B],
        PRM[P_IL6_LPS], PRM[P_IL6_CORT], PRM[P_IL6_BUT], PRM[P_CRP_EXP], PRM[P_KT_EXP], PRM[P_TRP_EXP],
        bfloor, 1.0 - bfloor, PRM[P_LPS_MAX], 1.0 / (lnf * lnf), 1.0 / (lnfk * lnfk))


@njit(cache=True, inline="always", error_model="numpy")
def _host_today(sc, PRM, NORMS):
    """The day's fixed host inputs (:class:`HostToday`) from traits and drivers."""
    manage = _driver(sc, D_MANAGE)
    tone_eff = _trait(sc, T_TONE) * (1.0 + PRM[P_SM_VAG] * manage)
    react_eff = _trait(sc, T_REACT) * (1.0 - PRM[P_SM_REACT] * manage)
    load = _driver(sc, D_LOAD)
    ferm = _driver(sc, D_FERM)
    fibre = _driver(sc, D_FIBRE)
    pre_tot = _driver(sc, D_INULIN) + _driver(sc, D_FOS) + _driver(sc, D_GOS)
    ferment_sub = (fibre + 0.5 * pre_tot) / (fibre + 0.5 * pre_tot + PRM[P_KMF]) / (NORMS[4] + 1e-300)
    ferm_term = PRM[P_IL6_FERM] * ferm / (ferm + 1.0)
    # the stressor's drive on ln cortisol (before the HPA response saturates)
    cort_load = PRM[P_CORT_STRESS] * react_eff * load
    return HostToday(tone_eff, react_eff, load, manage, _trait(sc, T_SUSC), _log(_trait(sc, T_IL6)),
                     _log(_trait(sc, T_CRP)), ferm_term, _log(_trait(sc, T_CORT)), cort_load, ferment_sub)


@njit(cache=True, inline="always", error_model="numpy")
def _host_state_in(sc):
    """The host state at the start of the day, IL-6, CRP and cortisol as logarithms."""
    return HostState(_host(sc, H_BUT), _host(sc, H_BAR), _log(_host(sc, H_IL6)), _log(_host(sc, H_CRP)),
                     _log(_host(sc, H_CORT)), _host(sc, H_SERO), _host(sc, H_GABA), _host(sc, H_VAG),
                     _host(sc, H_LPS), _vsplat(0.0), _host(sc, H_DOPA))


@njit(cache=True, inline="always", error_model="numpy")
def _host_signals(h, k):
    """(c, iota): log cortisol and log IL-6 over their references."""
    return h.ln_cort - k.ln_cort_ref, h.ln_il6 - k.ln_il6_ref


@njit(cache=True, inline="always", error_model="numpy")
def _microbial_outputs(sc, TP, half):
    """What the community gives the host, sums over taxa j ascending (zero coefficients
    skipped): butyrate, LPS, serotonin, GABA and dopamine capacity, sum_j TP[j, .] N_j, and
    the strains' anti-inflammatory, barrier and vagal effects, sum_j TP[j, .] N_j / (N_j + half)."""
    zero = _vsplat(0.0)
    but = zero
    lps = zero
    sero = zero
    gaba = zero
    dopa = zero
    anti = zero
    bsup = zero
    vs = zero
    for j in range(TP.shape[0]):
        Nj = _taxon(sc, j, TR_N)
        if TP[j, TP_BUT] != 0.0:
            but = but + TP[j, TP_BUT] * Nj
        if TP[j, TP_LPS] != 0.0:
            lps = lps + TP[j, TP_LPS] * Nj
        if TP[j, TP_SERO] != 0.0:
            sero = sero + TP[j, TP_SERO] * Nj
        if TP[j, TP_GABA] != 0.0:
            gaba = gaba + TP[j, TP_GABA] * Nj
        if TP[j, TP_DOPA] != 0.0:
            dopa = dopa + TP[j, TP_DOPA] * Nj
        if TP[j, TP_RESIDENT] == 0.0:
            h = Nj / (Nj + half)
            anti = anti + TP[j, TP_ANTI] * h
            bsup = bsup + TP[j, TP_BARRIER] * h
            vs = vs + TP[j, TP_VAGAL] * h
    return but, lps, sero, gaba, dopa, anti, bsup, vs


@njit(cache=True, inline="always", error_model="numpy")
def _host_substep(sc, TP, PRM, NORMS, k, today, h, c, iota):
    """The host state h after one substep, driven by the microbiome just advanced and by
    the host signals (c, iota) of the substep's start. (Divisions by constants are
    multiplications by their reciprocals here.)"""
    but, lps, sero, gaba, dopa, anti, bsup, vs = _microbial_outputs(sc, TP, k.half)
    anti = _sel(anti > 0.95, 0.95, anti)
    # butyrate, then the barrier it supports: a logistic above the floor, b_ref at the
    # reference person
    bstar = but * (1.0 / NORMS[0]) * today.ferment_sub
    B = bstar + (h.but - bstar) * k.eB
    lnB = _log(_sel(B > 1e-6, B, 1e-6))
    xb = k.logit_bref + PRM[P_BAR_BUT] * lnB - PRM[P_BAR_CORT] * c - PRM[P_BAR_INFL] * iota + bsup
    e = _exp(-abs(xb))
    rb = 1.0 / (1.0 + e)
    btarget = k.bfloor + k.one_m_bfloor * _sel(xb >= 0.0, rb, e * rb)
    bar = btarget + (h.bar - btarget) * k.eBar
    # LPS through the barrier, saturating at lps_max (Michaelis-Menten, 1 at the reference)
    u = lps * (1.0 / NORMS[1]) * (1.0 - bar) * (1.0 / k.one_m_bref)
    L = u * k.lps_max / (k.lps_max - 1.0 + u)
    # IL-6: the drives ask for a log-fold x over the person's baseline; production
    # saturates at F times the baseline: a rise x > 0 gives x / sqrt(1 + (x / ln F)^2)
    # (within 5 % of x up to x = ln F / 3, never above ln F); a fall is not limited
    x = (today.susc * (k.il6_lps * (_log(1.0 + L * (1.0 - anti)) - _LN2) + k.il6_cort * c - k.il6_but * lnB)
         - today.ferm_term)
    xp = _sel(x > 0.0, x, 0.0)
    ln_il6_t = today.ln_il6_p + x / math.sqrt(1.0 + xp * xp * k.inv_il6_a2)
    ln_il6 = ln_il6_t + (h.ln_il6 - ln_il6_t) * k.eI
    ln_crp_t = today.ln_crp_p + k.crp_exp * (ln_il6 - today.ln_il6_p)
    ln_crp = ln_crp_t + (h.ln_crp - ln_crp_t) * k.eC
    kt_rel = k.kt_exp * (ln_il6 - today.ln_il6_p)
    # serotonin (tryptophan diverted to kynurenine is not available for it), GABA, dopamine
    trp = _exp(-k.trp_exp * kt_rel)
    s5t = trp * (PRM[P_SERO_SF] * sero * (1.0 / NORMS[2]) + PRM[P_SERO_B] * B) * (1.0 / k.sero_wsum)
    S5 = s5t + (h.sero - s5t) * k.e5
    gt = gaba * (1.0 / NORMS[3])
    G = gt + (h.gaba - gt) * k.eG
    dt_ = dopa * (1.0 / NORMS[NORM_DOPA])
    Dp = dt_ + (h.dopa - dt_) * k.eD
    # afferent drive, saturating: 1 at the reference gut, at most 2 x tone
    X = ((PRM[P_VAG_G] * G + PRM[P_VAG_5] * S5 + PRM[P_VAG_B] * B + PRM[P_VAG_D] * Dp) * (1.0 / k.vag_wsum)
         + PRM[P_VAG_S] * vs)
    V = today.tone_eff * 2.0 * X / (1.0 + X)
    # cortisol: the HPA drive y moves ln cortisol by y / sqrt(1 + (y / ln F_K)^2), within
    # ln F_K of the person's baseline either way
    y = today.cort_load + PRM[P_CORT_INFL] * iota - PRM[P_CORT_VAG] * (V - 1.0)
    ln_cort_t = today.ln_cort_p + y / math.sqrt(1.0 + y * y * k.inv_cort_a2)
    ln_cort = ln_cort_t + (h.ln_cort - ln_cort_t) * k.eK
    return HostState(B, bar, ln_il6, ln_crp, ln_cort, S5, G, V, L, kt_rel, Dp)


@njit(cache=True, inline="always", error_model="numpy")
def _host_state_out(sc, h):
    """The host state back to its rows, from logarithms; Kyn/Trp is only an output."""
    _set_host(sc, H_BUT, h.but)
    _set_host(sc, H_BAR, h.bar)
    _set_host(sc, H_IL6, _exp(h.ln_il6))
    _set_host(sc, H_CRP, _exp(h.ln_crp))
    _set_host(sc, H_KT, _trait(sc, T_KT) * _exp(h.kt_rel))
    _set_host(sc, H_SERO, h.sero)
    _set_host(sc, H_GABA, h.gaba)
    _set_host(sc, H_VAG, h.vagal)
    _set_host(sc, H_CORT, _exp(h.ln_cort))
    _set_host(sc, H_LPS, h.lps)
    _set_host(sc, H_DOPA, h.dopa)
