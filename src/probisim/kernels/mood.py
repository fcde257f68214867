"""The mood phase of the day step: one Euler-Maruyama day step of the latent stress
P, anxiety A and depression D, driven only by host signals, on a block of ``_VW``
participants (SIMD lanes; rows named in :mod:`.scratch`):

    P' = P + th_P (P_set + S_P - P) + p_load reactivity load + p_cort c - p_vag (V - 1)
           - m_relief manage - relief + sd_P z0
    A' = A + th_A (A_set + S_A - A) + a_cort c + a_P (P - P_set) + a_infl infl - a_vag (V - 1)
           - m_relief manage / 2 - relief + sd_A z1
    D' = D + th_D (D_set + S_D - D) + d_cort c + d_P (P - P_set) + d_infl infl - d_vag (V - 1)
           - m_relief manage / 2 - relief + sd_D z2

(reactivity is stress reactivity after stress management, manage the day's stress
management, m_relief its relief) with c = ln cortisol - ln reference, infl = ln(1 + IL-6 / threshold) - its value at
the reference IL-6, V the vagal tone (all at the end of the day's substeps),
relief = expectancy_relief E + contact_relief C, and z0..z2 standard normals drawn
at SITE_MOOD (counter word 0). The slow states S_x (life circumstances, episodes)
are exact Ornstein-Uhlenbeck steps with stationary SD s_x and correlation time
tau_x, S_x' = f_x S_x + s_x sqrt(1 - f_x^2) w_x with f_x = exp(-1/tau_x), where
w_P = z3 and w_A, w_D come from the next counter word; P, A, D revert to the
set-point moved by yesterday's S_x. Expectancy E relaxes towards (trait expectancy x blinded product) and
study contact C decays and is topped up by visits, both with daily factors.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .layout import (
    D_PRODUCT,
    D_VISIT,
    H_CON,
    H_EXP,
    H_IL6,
    M_ANXIETY,
    M_DEPRESSION,
    M_SLOW_A,
    M_SLOW_D,
    M_SLOW_P,
    M_STRESS,
    P_A_CORT,
    P_A_INFL,
    P_A_P,
    P_A_VAG,
    P_CONTACT,
    P_CORT_REF,
    P_D_CORT,
    P_D_INFL,
    P_D_P,
    P_D_VAG,
    P_EXPECT,
    P_IL6_REF,
    P_INFL_THR,
    P_MANAGE,
    P_P_CORT,
    P_P_LOAD,
    P_P_VAG,
    P_SD_A,
    P_SD_D,
    P_SD_P,
    P_SLOW_SD_A,
    P_SLOW_SD_D,
    P_SLOW_SD_P,
    P_TAU_CON,
    P_TAU_EXP,
    P_TAU_SLOW_A,
    P_TAU_SLOW_D,
    P_TAU_SLOW_P,
    P_TH_A,
    P_TH_D,
    P_TH_P,
    SITE_MOOD,
    T_ASET,
    T_DSET,
    T_EXPECT,
    T_PSET,
)
from .philox import _box_muller_u, _philox_vec, _u01_vec
from .scratch import _driver, _host, _mood, _set_host, _set_mood, _trait
from .simd import _vsplati
from .vecmath import _log

#: per-call constants of the mood step: daily decay factors of expectancy and contact,
#: the inflammation threshold and its reference value, the log cortisol reference, and the
#: slow states' daily autocorrelations f and innovation SDs g = s sqrt(1 - f^2)
MoodConstants = namedtuple("MoodConstants", "eE eT thr infl_ref ln_cort_ref fP gP fA gA fD gD")


@njit(cache=True, inline="always", error_model="numpy")
def _ou_factors(sd, tau):
    f = math.exp(-1.0 / tau)
    return f, sd * math.sqrt(1.0 - f * f)


@njit(cache=True, inline="always", error_model="numpy")
def _mood_constants(PRM):
    thr = PRM[P_INFL_THR]
    fP, gP = _ou_factors(PRM[P_SLOW_SD_P], PRM[P_TAU_SLOW_P])
    fA, gA = _ou_factors(PRM[P_SLOW_SD_A], PRM[P_TAU_SLOW_A])
    fD, gD = _ou_factors(PRM[P_SLOW_SD_D], PRM[P_TAU_SLOW_D])
    return MoodConstants(math.exp(-1.0 / PRM[P_TAU_EXP]), math.exp(-1.0 / PRM[P_TAU_CON]), thr,
                         math.log(1.0 + PRM[P_IL6_REF] / thr), math.log(PRM[P_CORT_REF]), fP, gP, fA, gA, fD, gD)


@njit(cache=True, inline="always", error_model="numpy")
def _mood_step(sc, PRM, k, today, h, keys, vday):
    """Advance mood (M_* rows), expectancy and contact (H_EXP, H_CON rows) one day, from
    the host state h carried out of the substeps and the day's inputs (HostToday)."""
    pid, key0, key1 = keys
    r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MOOD), _vsplati(0), key0, key1)
    z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
    z2, z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
    r4, r5, _r6, _r7 = _philox_vec(pid, vday, _vsplati(SITE_MOOD), _vsplati(1), key0, key1)
    z4, z5 = _box_muller_u(_u01_vec(r4), _u01_vec(r5))
    c = h.ln_cort - k.ln_cort_ref
    infl = _log(1.0 + _host(sc, H_IL6) / k.thr) - k.infl_ref
    vag = h.vagal - 1.0
    manage = today.manage
    E = _host(sc, H_EXP)
    CT = _host(sc, H_CON)
    relief = PRM[P_EXPECT] * E + PRM[P_CONTACT] * CT
    P0 = _mood(sc, M_STRESS)
    A0 = _mood(sc, M_ANXIETY)
    D0 = _mood(sc, M_DEPRESSION)
    SP = _mood(sc, M_SLOW_P)
    SA = _mood(sc, M_SLOW_A)
    SD = _mood(sc, M_SLOW_D)
    pset = _trait(sc, T_PSET)
    dP = P0 - pset
    _set_mood(sc, M_STRESS, P0 + PRM[P_TH_P] * (pset + SP - P0) + PRM[P_P_LOAD] * today.react_eff * today.load
              + PRM[P_P_CORT] * c - PRM[P_P_VAG] * vag - PRM[P_MANAGE] * manage - relief
              + PRM[P_SD_P] * z0)
    _set_mood(sc, M_ANXIETY, A0 + PRM[P_TH_A] * (_trait(sc, T_ASET) + SA - A0) + PRM[P_A_CORT] * c + PRM[P_A_P] * dP
              + PRM[P_A_INFL] * infl - PRM[P_A_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
              + PRM[P_SD_A] * z1)
    _set_mood(sc, M_DEPRESSION, D0 + PRM[P_TH_D] * (_trait(sc, T_DSET) + SD - D0) + PRM[P_D_CORT] * c
              + PRM[P_D_P] * dP + PRM[P_D_INFL] * infl - PRM[P_D_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage
              - relief + PRM[P_SD_D] * z2)
    _set_mood(sc, M_SLOW_P, k.fP * SP + k.gP * z3)
    _set_mood(sc, M_SLOW_A, k.fA * SA + k.gA * z4)
    _set_mood(sc, M_SLOW_D, k.fD * SD + k.gD * z5)
    prod = _trait(sc, T_EXPECT) * _driver(sc, D_PRODUCT)
    _set_host(sc, H_EXP, prod + (E - prod) * k.eE)
    _set_host(sc, H_CON, CT * k.eT + _driver(sc, D_VISIT))
