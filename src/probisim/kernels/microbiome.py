"""The microbiome phases of the day step, on a block of ``_VW`` participants
(SIMD lanes; rows named in :mod:`.scratch`): the daily noise, the per-day
constants, and the substep of generalized Lotka-Volterra growth.

Taxon i grows over a substep of length dt as an exact logistic step (:func:`_grow`)

    a   = rho_i (m_i - CSENS_i comp_i) - delta_i - kill_i - sigma_i^2 / 2
    m_i = max(0, niche_i + r_fibre phi_fibre + r_inulin phi_inulin + r_fos phi_fos
                 + r_gos phi_gos + r_sugar phi_sugar) * exp(tanh(cort_i c + infl_i iota))
    A   = a dt + sigma_i dt xi_i
    N'  = N e^A / (1 + b dt N (e^A - 1) / A) + IMM dt,   b dt = rho_i dt / (kref_i KAPPA_i)

with competition comp_i = sum_j ALPHA[i, j] w_j over the weighted loads
w_j = CPRESS_j N_j / (community reference), xi_i one standard normal per taxon and
day (held over the day's substeps, so the day's noise has variance sigma^2), and
abundances under the extinction floor set to 0. The host modulates growth through
c (log cortisol over its reference) and iota (log IL-6 over its reference), each
saturating at a factor e^(+-1). Prebiotics are shared among their consumers in
proportion to the consumers' current loads (:func:`_prebiotic_shares`).

Every function here is inlined into the day step (``inline="always"``) and takes
the scratch as a raw pointer ``sc``. Lanes never interact: each runs exactly the
IEEE operations its participant would run alone, in the same order (sums over taxa
ascending, zero coefficients skipped as they add exactly nothing).
"""

from __future__ import annotations

from collections import namedtuple

from numba import njit

from .layout import (
    D_FIBRE,
    D_FOS,
    D_GOS,
    D_INULIN,
    D_SUGAR,
    P_FLOOR,
    P_KMF,
    P_KMP,
    P_KMS,
    SITE_MICROBIOME,
    TP_CORT,
    TP_DELTA,
    TP_FIBRE,
    TP_FOS,
    TP_GOS,
    TP_INFL,
    TP_INULIN,
    TP_KREF,
    TP_NICHE,
    TP_RHO,
    TP_SIGMA,
    TP_SUGAR,
)
from .philox import _box_muller_u, _philox_vec, _u01_vec
from .scratch import (
    TR_BDT,
    TR_CPRESS,
    TR_CSENS,
    TR_IMM,
    TR_KILL,
    TR_MOD,
    TR_N,
    TR_SHOCK,
    TR_W,
    TR_XI,
    _driver,
    _set_taxon,
    _taxon,
)
from .simd import _sel, _vsplat, _vsplati
from .vecmath import _exp_tanh, _expm1

#: per-call constants of the microbiome substep: substep length dt, the extinction
#: floor, 1 / community reference load, the prebiotic half-saturation kmp, and the
#: scale of the daily-held noise term (dt: summed over the day's 1/dt substeps, the
#: noise has variance sigma^2 per day)
MicroConstants = namedtuple("MicroConstants", "dt floor inv_comm kmp noise_scale")
#: today's diet, per lane: the prebiotic doses and the fibre and sugar saturations
#: relative to the reference diet; any_pre: does any lane have a prebiotic today
DietToday = namedtuple("DietToday", "inulin fos gos phi_fibre phi_sugar any_pre")
#: the substep's substrate terms phi, per lane (fibre and sugar from DietToday)
Substrates = namedtuple("Substrates", "fibre inulin fos gos sugar")


@njit(cache=True, inline="always", error_model="numpy")
def _micro_constants(PRM, NORMS, nsub):
    dt = 1.0 / nsub
    return MicroConstants(dt, PRM[P_FLOOR], 1.0 / NORMS[9], PRM[P_KMP], dt)


@njit(cache=True, inline="always", error_model="numpy")
def _daily_noise(sc, S, keys, vday):
    """xi (TR_XI) of every taxon: the same draws as ``fill_normals``, so that xi equals
    ``rng.normals(KEYS, PIDS, day, SITE_MICROBIOME, S)`` exactly."""
    pid, key0, key1 = keys
    for b in range((S + 3) // 4):
        r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MICROBIOME), _vsplati(b), key0, key1)
        z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
        z2, z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
        _set_taxon(sc, 4 * b, TR_XI, z0)
        if 4 * b + 1 < S:
            _set_taxon(sc, 4 * b + 1, TR_XI, z1)
        if 4 * b + 2 < S:
            _set_taxon(sc, 4 * b + 2, TR_XI, z2)
        if 4 * b + 3 < S:
            _set_taxon(sc, 4 * b + 3, TR_XI, z3)


@njit(cache=True, inline="always", error_model="numpy")
def _taxon_day_constants(sc, TP, k):
    """Per taxon, for the day: self-limitation b dt = rho dt / (kref KAPPA) (TR_BDT held
    KAPPA), immigration per substep (TR_IMM), and the noise term sigma dt xi (TR_SHOCK)."""
    for i in range(TP.shape[0]):
        _set_taxon(sc, i, TR_BDT, TP[i, TP_RHO] * k.dt / (TP[i, TP_KREF] * _taxon(sc, i, TR_BDT)))
        _set_taxon(sc, i, TR_IMM, _taxon(sc, i, TR_IMM) * k.dt)
        _set_taxon(sc, i, TR_SHOCK, TP[i, TP_SIGMA] * k.noise_scale * _taxon(sc, i, TR_XI))


@njit(cache=True, inline="always", error_model="numpy")
def _diet_today(sc, PRM, NORMS, any_pre):
    """Today's substrates: Michaelis-Menten saturations of fibre and sugar, relative to
    the reference diet's (NORMS[4], NORMS[5]), and the prebiotic doses."""
    fibre = _driver(sc, D_FIBRE)
    sugar = _driver(sc, D_SUGAR)
    phi_f = fibre / (fibre + PRM[P_KMF]) - NORMS[4]
    phi_s = sugar / (sugar + PRM[P_KMS]) - NORMS[5]
    return DietToday(_driver(sc, D_INULIN), _driver(sc, D_FOS), _driver(sc, D_GOS), phi_f, phi_s, any_pre)


@njit(cache=True, inline="always", error_model="numpy")
def _prebiotic_shares(sc, TP, NORMS, kmp, diet):
    """(phi_inulin, phi_fos, phi_gos): prebiotic p shared among its consumers,
    phi_p = dose_p / (dose_p + kmp max(L_p / NORMS[6 + p], 1e-3)), with L_p = sum_j
    (r_pj / kref_j) N_j its consumers' current load (NORMS[6:9]: at the reference
    community)."""
    zero = _vsplat(0.0)
    ld_in = zero
    ld_fo = zero
    ld_go = zero
    for j in range(TP.shape[0]):
        t_in = TP[j, TP_INULIN]
        t_fo = TP[j, TP_FOS]
        t_go = TP[j, TP_GOS]
        # (r / kref) N rather than r (N / kref): no vector division
        Nj = _taxon(sc, j, TR_N)
        if t_in != 0.0:
            ld_in = ld_in + (t_in / TP[j, TP_KREF]) * Nj
        if t_fo != 0.0:
            ld_fo = ld_fo + (t_fo / TP[j, TP_KREF]) * Nj
        if t_go != 0.0:
            ld_go = ld_go + (t_go / TP[j, TP_KREF]) * Nj
    x = ld_in * (1.0 / NORMS[6])
    phi_in = diet.inulin / (diet.inulin + kmp * _sel(x > 1e-3, x, 1e-3))
    x = ld_fo * (1.0 / NORMS[7])
    phi_fo = diet.fos / (diet.fos + kmp * _sel(x > 1e-3, x, 1e-3))
    x = ld_go * (1.0 / NORMS[8])
    phi_go = diet.gos / (diet.gos + kmp * _sel(x > 1e-3, x, 1e-3))
    return phi_in, phi_fo, phi_go


@njit(cache=True, inline="always", error_model="numpy")
def _weighted_loads(sc, S, inv_comm):
    """w_j = CPRESS_j N_j / (community reference), at the start of the substep (TR_W)."""
    for j in range(S):
        _set_taxon(sc, j, TR_W, _taxon(sc, j, TR_CPRESS) * _taxon(sc, j, TR_N) * inv_comm)


@njit(cache=True, inline="always", error_model="numpy")
def _host_modulation(sc, TP, modidx, nmod, c, iota):
    """exp(tanh(cort_i c + infl_i iota)) (TR_MOD), saturating at a factor e^(+-1) so that
    hormone swings cannot drive unbounded growth or certain extinction; only for the
    taxa with a response, modidx[:nmod] (for the others it is exactly 1), two at a time
    so that the two dependency chains overlap."""
    for km in range(0, nmod - 1, 2):
        i1 = modidx[km]
        i2 = modidx[km + 1]
        f1 = _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota)
        f2 = _exp_tanh(TP[i2, TP_CORT] * c + TP[i2, TP_INFL] * iota)
        _set_taxon(sc, i1, TR_MOD, f1)
        _set_taxon(sc, i2, TR_MOD, f2)
    if nmod % 2 == 1:
        i1 = modidx[nmod - 1]
        _set_taxon(sc, i1, TR_MOD, _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota))


@njit(cache=True, inline="always", error_model="numpy")
def _grow(sc, TP, i, comp, k, phi, any_kill):
    """One substep of taxon i on all lanes, given its competition comp = sum_j ALPHA[i, j] w_j
    and the substrate terms phi (Substrates)."""
    # niche + r_fibre phi_f + r_inulin phi_in + r_fos phi_fo + r_gos phi_go + r_sugar phi_s,
    # left to right; a zero coefficient adds exactly nothing and is skipped
    m = _vsplat(TP[i, TP_NICHE])
    if TP[i, TP_FIBRE] != 0.0:
        m = m + TP[i, TP_FIBRE] * phi.fibre
    if TP[i, TP_INULIN] != 0.0:
        m = m + TP[i, TP_INULIN] * phi.inulin
    if TP[i, TP_FOS] != 0.0:
        m = m + TP[i, TP_FOS] * phi.fos
    if TP[i, TP_GOS] != 0.0:
        m = m + TP[i, TP_GOS] * phi.gos
    if TP[i, TP_SUGAR] != 0.0:
        m = m + TP[i, TP_SUGAR] * phi.sugar
    m = _sel(m < 0.0, 0.0, m)
    if TP[i, TP_CORT] != 0.0 or TP[i, TP_INFL] != 0.0:
        m = m * _taxon(sc, i, TR_MOD)  # host modulation, computed beforehand
    # Exact logistic step: growth a (everything but self-limitation, held over the
    # substep) and self-limitation b*x solved in closed form,
    # x' = x e^A / (1 + b dt x (e^A - 1)/A), so a fast grower can never overshoot its
    # own capacity however long the substep.
    sig = TP[i, TP_SIGMA]
    a = TP[i, TP_RHO] * (m - _taxon(sc, i, TR_CSENS) * comp) - TP[i, TP_DELTA]
    if any_kill:  # (x - 0.0 is x exactly)
        a = a - _taxon(sc, i, TR_KILL)
    a = a - 0.5 * sig * sig
    A = a * k.dt + _taxon(sc, i, TR_SHOCK)  # + sigma dt xi, the daily-held noise
    E1 = _expm1(A)
    g = _sel(A != 0.0, E1 / A, 1.0)
    x0 = _taxon(sc, i, TR_N)
    x = x0 * (1.0 + E1) / (1.0 + _taxon(sc, i, TR_BDT) * x0 * g) + _taxon(sc, i, TR_IMM)
    _set_taxon(sc, i, TR_N, _sel(x < k.floor, 0.0, x))


@njit(cache=True, inline="always", error_model="numpy")
def _competition_and_growth(sc, TP, ALPHA, k, phi, any_kill):
    """comp_i = sum_j ALPHA[i, j] w_j (j ascending), then :func:`_grow`, for every taxon;
    two taxa at a time (each w row is loaded once for both, and two chains overlap)."""
    S = TP.shape[0]
    zero = _vsplat(0.0)
    for i in range(0, S - 1, 2):
        comp1 = zero
        comp2 = zero
        for j in range(S):
            wj = _taxon(sc, j, TR_W)
            comp1 = comp1 + ALPHA[i, j] * wj
            comp2 = comp2 + ALPHA[i + 1, j] * wj
        _grow(sc, TP, i, comp1, k, phi, any_kill)
        _grow(sc, TP, i + 1, comp2, k, phi, any_kill)
    if S % 2 == 1:
        comp1 = zero
        for j in range(S):
            comp1 = comp1 + ALPHA[S - 1, j] * _taxon(sc, j, TR_W)
        _grow(sc, TP, S - 1, comp1, k, phi, any_kill)


@njit(cache=True, inline="always", error_model="numpy")
def _microbiome_substep(sc, TP, ALPHA, NORMS, modidx, nmod, k, diet, c, iota, any_kill):
    """One gLV substep of every taxon: prebiotic shares, weighted loads, host modulation
    (from the host signals c, iota at the start of the substep), competition and growth."""
    zero = _vsplat(0.0)
    phi_in = zero
    phi_fo = zero
    phi_go = zero
    if diet.any_pre:
        phi_in, phi_fo, phi_go = _prebiotic_shares(sc, TP, NORMS, k.kmp, diet)
    _weighted_loads(sc, TP.shape[0], k.inv_comm)
    _host_modulation(sc, TP, modidx, nmod, c, iota)
    phi = Substrates(diet.phi_fibre, phi_in, phi_fo, phi_go, diet.phi_sugar)
    _competition_and_growth(sc, TP, ALPHA, k, phi, any_kill)
