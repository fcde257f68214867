"""Numba kernels: the counter-based generator and the per-day population step.

Everything jitted lives in this one module on purpose: Numba's on-disk cache
keys a function by its own source file, so a kernel that called a helper in
another module would keep running a stale compiled copy after that helper was
edited.

Layout is struct-of-arrays: one row per participant, updated in place inside a
``prange`` loop with no allocation inside the loop. Randomness comes only from
Philox4x32-10 countered by (participant id, day, site, block), so results are
bit-identical for any thread count, chunking or participant order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint32, uint64

# --------------------------------------------------------------------------
# Philox4x32-10 (Salmon et al. 2011; constants from Random123)
# --------------------------------------------------------------------------
_M0 = uint64(0xD2511F53)
_M1 = uint64(0xCD9E8D57)
_W0 = uint32(0x9E3779B9)
_W1 = uint32(0xBB67AE85)
_MASK32 = uint64(0xFFFFFFFF)
_TWO_PI = 2.0 * math.pi
_INV_2_32 = 1.0 / 4294967296.0


@njit(cache=True, inline="always")
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on counter (c0..c3) with key (k0, k1); four uint32 out."""
    c0 = uint64(c0)
    c1 = uint64(c1)
    c2 = uint64(c2)
    c3 = uint64(c3)
    k0 = uint64(k0)
    k1 = uint64(k1)
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> uint64(32)
        lo0 = p0 & _MASK32
        hi1 = p1 >> uint64(32)
        lo1 = p1 & _MASK32
        c0 = (hi1 ^ c1 ^ k0) & _MASK32
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & _MASK32
        c3 = lo0
        k0 = (k0 + uint64(_W0)) & _MASK32
        k1 = (k1 + uint64(_W1)) & _MASK32
    return uint32(c0), uint32(c1), uint32(c2), uint32(c3)


@njit(cache=True, inline="always")
def _u01(w):
    """uint32 -> double strictly inside (0, 1)."""
    return (float(w) + 0.5) * _INV_2_32


@njit(cache=True, inline="always")
def _box_muller(w0, w1):
    r = math.sqrt(-2.0 * math.log(_u01(w0)))
    t = _TWO_PI * _u01(w1)
    return r * math.cos(t), r * math.sin(t)


@njit(cache=True, inline="always")
def _normals_into(k0, k1, pid, step, site, out, count):
    """Fill out[:count] with standard normals; block b covers draws 4b..4b+3."""
    nblk = (count + 3) // 4
    for b in range(nblk):
        r0, r1, r2, r3 = philox4x32_10(pid, step, site, uint32(b), k0, k1)
        z0, z1 = _box_muller(r0, r1)
        z2, z3 = _box_muller(r2, r3)
        j = 4 * b
        out[j] = z0
        if j + 1 < count:
            out[j + 1] = z1
        if j + 2 < count:
            out[j + 2] = z2
        if j + 3 < count:
            out[j + 3] = z3


@njit(cache=True, parallel=True)
def fill_normals(keys, pids, step, site, out):
    """out[p, :] = standard normals for participant p at (step, site)."""
    n, count = out.shape
    for p in prange(n):
        _normals_into(keys[p, 0], keys[p, 1], pids[p], step, site, out[p], count)


@njit(cache=True, parallel=True)
def fill_uniforms(keys, pids, step, site, out):
    """out[p, :] = uniforms in (0, 1) for participant p at (step, site)."""
    n, count = out.shape
    nblk = (count + 3) // 4
    for p in prange(n):
        for b in range(nblk):
            r0, r1, r2, r3 = philox4x32_10(pids[p], step, site, uint32(b), keys[p, 0], keys[p, 1])
            j = 4 * b
            out[p, j] = _u01(r0)
            if j + 1 < count:
                out[p, j + 1] = _u01(r1)
            if j + 2 < count:
                out[p, j + 2] = _u01(r2)
            if j + 3 < count:
                out[p, j + 3] = _u01(r3)


# --------------------------------------------------------------------------
# Array layouts (column indices). The Python side builds arrays in exactly
# these layouts; ``probisim.model`` checks the parameter vector against
# PARAM_NAMES, so the layout has one definition: here.
# --------------------------------------------------------------------------
PARAM_NAMES = (
    "micro.substeps_per_day", "micro.transit_washout_per_day", "micro.stool_g_per_day",
    "micro.extinction_floor_cells_per_g", "micro.km_fibre_g", "micro.km_prebiotic_g", "micro.km_sugar_g",
    "micro.reference_fibre_g", "micro.reference_sugar_g", "micro.cross_competition",
    "micro.congener_resident_competition", "micro.acetate_crossfeeding", "micro.interaction_sd",
    "micro.strain_half_load_cells_per_g",
    "host.tau_butyrate_days", "host.tau_barrier_days", "host.tau_il6_days", "host.tau_crp_days",
    "host.tau_serotonin_days", "host.tau_gaba_days", "host.tau_cortisol_days", "host.barrier_reference",
    "host.barrier_butyrate", "host.barrier_cortisol", "host.barrier_inflammation", "host.il6_reference_pg_ml",
    "host.il6_lps", "host.il6_cortisol", "host.il6_butyrate", "host.il6_fermented", "host.crp_il6_exponent",
    "host.kyn_trp_il6_exponent", "host.trp_availability_exponent", "host.serotonin_sporeformer_weight",
    "host.serotonin_butyrate_weight", "host.vagal_gaba_weight", "host.vagal_serotonin_weight",
    "host.vagal_butyrate_weight", "host.vagal_strain_weight", "host.cortisol_reference_nmol_l",
    "host.cortisol_stressor", "host.cortisol_inflammation", "host.cortisol_vagal",
    "host.stress_management_reactivity", "host.stress_management_vagal",
    "mood.reversion_stress", "mood.reversion_anxiety", "mood.reversion_depression", "mood.noise_stress",
    "mood.noise_anxiety", "mood.noise_depression", "mood.stress_from_stressor", "mood.stress_from_cortisol",
    "mood.anxiety_from_cortisol", "mood.depression_from_cortisol", "mood.anxiety_from_stress",
    "mood.depression_from_stress", "mood.depression_from_inflammation", "mood.anxiety_from_inflammation",
    "mood.inflammation_threshold_pg_ml", "mood.anxiety_from_vagal", "mood.depression_from_vagal",
    "mood.stress_from_vagal", "mood.management_relief", "mood.expectancy_relief", "mood.contact_relief",
    "mood.tau_expectancy_days", "mood.tau_contact_days",
)
(P_NSUB, P_DELTA, P_STOOL, P_FLOOR, P_KMF, P_KMP, P_KMS, P_FREF, P_SREF, P_XCOMP, P_CONGRES, P_XFEED,
 P_ISD, P_HALF,
 P_TAU_B, P_TAU_BAR, P_TAU_IL6, P_TAU_CRP, P_TAU_SERO, P_TAU_GABA, P_TAU_CORT, P_BAR_REF,
 P_BAR_BUT, P_BAR_CORT, P_BAR_INFL, P_IL6_REF, P_IL6_LPS, P_IL6_CORT, P_IL6_BUT, P_IL6_FERM, P_CRP_EXP,
 P_KT_EXP, P_TRP_EXP, P_SERO_SF, P_SERO_B, P_VAG_G, P_VAG_5, P_VAG_B, P_VAG_S, P_CORT_REF,
 P_CORT_STRESS, P_CORT_INFL, P_CORT_VAG, P_SM_REACT, P_SM_VAG,
 P_TH_P, P_TH_A, P_TH_D, P_SD_P, P_SD_A, P_SD_D, P_P_LOAD, P_P_CORT, P_A_CORT, P_D_CORT, P_A_P, P_D_P,
 P_D_INFL, P_A_INFL, P_INFL_THR, P_A_VAG, P_D_VAG, P_P_VAG, P_MANAGE, P_EXPECT, P_CONTACT,
 P_TAU_EXP, P_TAU_CON) = range(len(PARAM_NAMES))

#: host state columns
HOST_NAMES = ("butyrate", "barrier", "il6_pg_ml", "crp_mg_l", "kyn_trp", "serotonin", "gaba", "vagal",
              "cortisol_nmol_l", "lps", "expectancy", "contact")
H_BUT, H_BAR, H_IL6, H_CRP, H_KT, H_SERO, H_GABA, H_VAG, H_CORT, H_LPS, H_EXP, H_CON = range(12)
N_HOST = len(HOST_NAMES)

#: latent psychological states
MOOD_NAMES = ("stress", "anxiety", "depression")
N_MOOD = 3

#: per-participant traits used by the kernel
TRAIT_NAMES = ("vagal_tone", "inflammatory_susceptibility", "stress_reactivity", "expectancy",
               "stress_setpoint", "anxiety_setpoint", "depression_setpoint", "il6_baseline_pg_ml",
               "crp_baseline_mg_l", "cortisol_baseline_nmol_l", "kyn_trp_baseline")
(T_TONE, T_SUSC, T_REACT, T_EXPECT, T_PSET, T_ASET, T_DSET, T_IL6, T_CRP, T_CORT, T_KT) = range(11)
N_TRAITS = len(TRAIT_NAMES)

#: daily drivers (diet, stress, study contact)
DRIVER_NAMES = ("fibre_g", "inulin_g", "fos_g", "gos_g", "sugar_g", "fermented_servings",
                "stressor_load", "stress_management", "blinded_product", "visit")
D_FIBRE, D_INULIN, D_FOS, D_GOS, D_SUGAR, D_FERM, D_LOAD, D_MANAGE, D_PRODUCT, D_VISIT = range(10)
N_DRIVERS = len(DRIVER_NAMES)

#: per-taxon parameter columns
TAXON_PARAM_NAMES = ("rho", "delta", "sigma", "kref", "niche", "r_fibre", "r_inulin", "r_fos", "r_gos",
                     "r_sugar", "cortisol", "inflammation", "butyrate", "lps", "gaba", "serotonin",
                     "anti_inflammatory", "barrier", "vagal", "resident")
(TP_RHO, TP_DELTA, TP_SIGMA, TP_KREF, TP_NICHE, TP_FIBRE, TP_INULIN, TP_FOS, TP_GOS, TP_SUGAR, TP_CORT,
 TP_INFL, TP_BUT, TP_LPS, TP_GABA, TP_SERO, TP_ANTI, TP_BARRIER, TP_VAGAL, TP_RESIDENT) = range(20)
N_TAXON_PARAMS = len(TAXON_PARAM_NAMES)

#: normalisers computed once per model: sums over residents at reference load
NORM_NAMES = ("butyrate", "lps", "serotonin", "gaba", "fibre_ref_sat", "sugar_ref_sat",
              "inulin_consumers", "fos_consumers", "gos_consumers", "community_ref_cells")
N_NORMS = len(NORM_NAMES)

#: participant status codes
STATUS_OK, STATUS_NONFINITE, STATUS_EXTINCT, STATUS_IMPLAUSIBLE = 0, 1, 2, 3

#: abundance above which a state is physically impossible (total faecal
#: bacteria are ~1e11 cells/g; Sender 2016) and the run is stopped loudly
MAX_CELLS_PER_G = 1e14

#: draw sites inside the kernel (the counter's third word)
SITE_MICROBIOME, SITE_MOOD = 0, 1


@njit(cache=True, inline="always")
def _logit(p):
    return math.log(p / (1.0 - p))


@njit(cache=True, inline="always")
def _expit(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True, parallel=True)
def step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM,
             KEYS, PIDS, day, status, fail_day, WORK):
    """Advance every participant by one day, in place.

    N      (n, S)  abundances, cells/g
    H      (n, 12) host state (HOST_NAMES)
    M      (n, 3)  latent stress, anxiety, depression
    T      (n, 11) traits (TRAIT_NAMES)
    KAPPA, CSENS, CPRESS (n, S) person niche size, competition sensitivity, pressure
    DRV    (n, 10) today's drivers (DRIVER_NAMES)
    IMM    (n, S)  immigration, cells/g/day;  KILL (n, S) antibiotic kill, 1/day
    TP     (S, 20) taxon parameters;  ALPHA (S, S) competition of j's community share on i
    NORMS  (10,)    normalisers;  PRM  (P,) model parameters (PARAM_NAMES)
    KEYS   (n, 2)  Philox keys (seed, replicate, 'dynamics');  PIDS (n,) stable ids
    status, fail_day (n,) int64: first failure, never overwritten
    WORK   (n, 2S) scratch: daily noise and weighted loads
    """
    n, S = N.shape
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
    logit_bref = _logit(PRM[P_BAR_REF])
    one_m_bref = 1.0 - PRM[P_BAR_REF]
    vag_wsum = PRM[P_VAG_G] + PRM[P_VAG_5] + PRM[P_VAG_B]
    sero_wsum = PRM[P_SERO_SF] + PRM[P_SERO_B]
    thr = PRM[P_INFL_THR]
    infl_ref = math.log(1.0 + il6_ref / thr)
    sqdt_scale = dt  # daily-held noise: sum over the day's substeps has variance sigma^2 * 1 day
    uday = np.uint32(day)
    inv_comm = 1.0 / NORMS[9]

    for p in prange(n):
        if status[p] != STATUS_OK:
            continue
        xi = WORK[p, :S]
        w = WORK[p, S:]
        _normals_into(KEYS[p, 0], KEYS[p, 1], PIDS[p], uday, np.uint32(SITE_MICROBIOME), xi, S)
        tone = T[p, T_TONE]
        manage = DRV[p, D_MANAGE]
        tone_eff = tone * (1.0 + PRM[P_SM_VAG] * manage)
        react_eff = T[p, T_REACT] * (1.0 - PRM[P_SM_REACT] * manage)
        load = DRV[p, D_LOAD]
        ferm = DRV[p, D_FERM]
        fibre = DRV[p, D_FIBRE]
        pre_tot = DRV[p, D_INULIN] + DRV[p, D_FOS] + DRV[p, D_GOS]
        phi_f = fibre / (fibre + PRM[P_KMF]) - NORMS[4]
        phi_s = DRV[p, D_SUGAR] / (DRV[p, D_SUGAR] + PRM[P_KMS]) - NORMS[5]
        ferment_sub = (fibre + 0.5 * pre_tot) / (fibre + 0.5 * pre_tot + PRM[P_KMF]) / (NORMS[4] + 1e-300)
        ln_il6_p = math.log(T[p, T_IL6])
        ln_crp_p = math.log(T[p, T_CRP])
        for sub in range(nsub):
            c = math.log(H[p, H_CORT] / cort_ref)
            iota = math.log(H[p, H_IL6] / il6_ref)
            # substrate sharing: prebiotic per unit of its consumers' current load
            load_in = 0.0
            load_fo = 0.0
            load_go = 0.0
            for j in range(S):
                z = N[p, j] / TP[j, TP_KREF]
                w[j] = CPRESS[p, j] * N[p, j] * inv_comm
                load_in += TP[j, TP_INULIN] * z
                load_fo += TP[j, TP_FOS] * z
                load_go += TP[j, TP_GOS] * z
            phi_in = DRV[p, D_INULIN] / (DRV[p, D_INULIN] + PRM[P_KMP] * max(load_in / NORMS[6], 1e-3))
            phi_fo = DRV[p, D_FOS] / (DRV[p, D_FOS] + PRM[P_KMP] * max(load_fo / NORMS[7], 1e-3))
            phi_go = DRV[p, D_GOS] / (DRV[p, D_GOS] + PRM[P_KMP] * max(load_go / NORMS[8], 1e-3))
            # --- microbiome: gLV growth, competition, noise, immigration, washout, kill
            for i in range(S):
                comp = 0.0
                for j in range(S):
                    comp += ALPHA[i, j] * w[j]
                m = (TP[i, TP_NICHE] + TP[i, TP_FIBRE] * phi_f + TP[i, TP_INULIN] * phi_in
                     + TP[i, TP_FOS] * phi_fo + TP[i, TP_GOS] * phi_go + TP[i, TP_SUGAR] * phi_s)
                if m < 0.0:
                    m = 0.0
                # host modulation, saturating at a factor e^(+-1) so hormone swings
                # cannot drive unbounded growth or certain extinction
                m *= math.exp(math.tanh(TP[i, TP_CORT] * c + TP[i, TP_INFL] * iota))
                # Exact logistic step: growth a (everything but self-limitation,
                # held over the substep) and self-limitation b*x solved in closed
                # form, x' = x e^A / (1 + b dt x (e^A - 1)/A), so a fast grower
                # can never overshoot its own capacity however long the substep.
                sig = TP[i, TP_SIGMA]
                a = (TP[i, TP_RHO] * (m - CSENS[p, i] * comp) - TP[i, TP_DELTA] - KILL[p, i]
                     - 0.5 * sig * sig)
                A = a * dt + sig * sqdt_scale * xi[i]
                E1 = math.expm1(A)
                phi = E1 / A if A != 0.0 else 1.0
                x0 = N[p, i]
                bdt = TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * KAPPA[p, i])
                x = x0 * (1.0 + E1) / (1.0 + bdt * x0 * phi) + IMM[p, i] * dt
                if x < floor:
                    x = 0.0
                N[p, i] = x
            # --- host: SCFA, barrier, LPS, IL-6, CRP, Kyn/Trp, 5-HT, GABA, vagus, cortisol
            but = 0.0
            lps = 0.0
            sero = 0.0
            gaba = 0.0
            anti = 0.0
            bsup = 0.0
            vs = 0.0
            for j in range(S):
                Nj = N[p, j]
                but += TP[j, TP_BUT] * Nj
                lps += TP[j, TP_LPS] * Nj
                sero += TP[j, TP_SERO] * Nj
                gaba += TP[j, TP_GABA] * Nj
                if TP[j, TP_RESIDENT] == 0.0:
                    h = Nj / (Nj + half)
                    anti += TP[j, TP_ANTI] * h
                    bsup += TP[j, TP_BARRIER] * h
                    vs += TP[j, TP_VAGAL] * h
            if anti > 0.95:
                anti = 0.95
            bstar = but / NORMS[0] * ferment_sub
            B = bstar + (H[p, H_BUT] - bstar) * eB
            H[p, H_BUT] = B
            lnB = math.log(max(B, 1e-6))
            btarget = _expit(logit_bref + PRM[P_BAR_BUT] * lnB - PRM[P_BAR_CORT] * c
                             - PRM[P_BAR_INFL] * iota + bsup)
            bar = btarget + (H[p, H_BAR] - btarget) * eBar
            H[p, H_BAR] = bar
            L = lps / NORMS[1] * (1.0 - bar) / one_m_bref
            H[p, H_LPS] = L
            ln_il6_t = (ln_il6_p + T[p, T_SUSC] * (PRM[P_IL6_LPS] * (math.log(1.0 + L * (1.0 - anti)) - math.log(2.0))
                                                     + PRM[P_IL6_CORT] * c - PRM[P_IL6_BUT] * lnB)
                        - PRM[P_IL6_FERM] * ferm / (ferm + 1.0))
            ln_il6 = ln_il6_t + (math.log(H[p, H_IL6]) - ln_il6_t) * eI
            H[p, H_IL6] = math.exp(ln_il6)
            ln_crp_t = ln_crp_p + PRM[P_CRP_EXP] * (ln_il6 - ln_il6_p)
            H[p, H_CRP] = math.exp(ln_crp_t + (math.log(H[p, H_CRP]) - ln_crp_t) * eC)
            kt_rel = PRM[P_KT_EXP] * (ln_il6 - ln_il6_p)
            H[p, H_KT] = T[p, T_KT] * math.exp(kt_rel)
            trp = math.exp(-PRM[P_TRP_EXP] * kt_rel)
            s5t = trp * (PRM[P_SERO_SF] * sero / NORMS[2] + PRM[P_SERO_B] * B) / sero_wsum
            S5 = s5t + (H[p, H_SERO] - s5t) * e5
            H[p, H_SERO] = S5
            gt = gaba / NORMS[3]
            G = gt + (H[p, H_GABA] - gt) * eG
            H[p, H_GABA] = G
            # afferent drive, saturating: 1 at the reference gut, at most 2 x tone
            X = (PRM[P_VAG_G] * G + PRM[P_VAG_5] * S5 + PRM[P_VAG_B] * B) / vag_wsum + PRM[P_VAG_S] * vs
            V = tone_eff * 2.0 * X / (1.0 + X)
            H[p, H_VAG] = V
            ln_cort_t = (math.log(T[p, T_CORT]) + PRM[P_CORT_STRESS] * react_eff * load
                         + PRM[P_CORT_INFL] * iota - PRM[P_CORT_VAG] * (V - 1.0))
            H[p, H_CORT] = math.exp(ln_cort_t + (math.log(H[p, H_CORT]) - ln_cort_t) * eK)
        # --- mood: one Euler–Maruyama day step, driven only by host signals
        r0, r1, r2, r3 = philox4x32_10(PIDS[p], uday, np.uint32(SITE_MOOD), np.uint32(0), KEYS[p, 0], KEYS[p, 1])
        z0, z1 = _box_muller(r0, r1)
        z2, _z3 = _box_muller(r2, r3)
        c = math.log(H[p, H_CORT] / cort_ref)
        infl = math.log(1.0 + H[p, H_IL6] / thr) - infl_ref
        vag = H[p, H_VAG] - 1.0
        E = H[p, H_EXP]
        CT = H[p, H_CON]
        relief = PRM[P_EXPECT] * E + PRM[P_CONTACT] * CT
        P0 = M[p, 0]
        A0 = M[p, 1]
        D0 = M[p, 2]
        dP = P0 - T[p, T_PSET]
        M[p, 0] = (P0 + PRM[P_TH_P] * (T[p, T_PSET] - P0) + PRM[P_P_LOAD] * react_eff * load
                   + PRM[P_P_CORT] * c - PRM[P_P_VAG] * vag - PRM[P_MANAGE] * manage - relief
                   + PRM[P_SD_P] * z0)
        M[p, 1] = (A0 + PRM[P_TH_A] * (T[p, T_ASET] - A0) + PRM[P_A_CORT] * c + PRM[P_A_P] * dP
                   + PRM[P_A_INFL] * infl - PRM[P_A_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                   + PRM[P_SD_A] * z1)
        M[p, 2] = (D0 + PRM[P_TH_D] * (T[p, T_DSET] - D0) + PRM[P_D_CORT] * c + PRM[P_D_P] * dP
                   + PRM[P_D_INFL] * infl - PRM[P_D_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                   + PRM[P_SD_D] * z2)
        H[p, H_EXP] = T[p, T_EXPECT] * DRV[p, D_PRODUCT] + (E - T[p, T_EXPECT] * DRV[p, D_PRODUCT]) * eE
        H[p, H_CON] = CT * eT + DRV[p, D_VISIT]
        # --- loud failure: non-finite state or a fully extinct resident community
        bad = False
        alive = False
        huge = False
        for j in range(S):
            v = N[p, j]
            if not math.isfinite(v):
                bad = True
            elif v > MAX_CELLS_PER_G:
                huge = True
            if TP[j, TP_RESIDENT] != 0.0 and v > 0.0:
                alive = True
        for k in range(N_HOST):
            if not math.isfinite(H[p, k]):
                bad = True
        for k in range(N_MOOD):
            if not math.isfinite(M[p, k]):
                bad = True
        if not (H[p, H_IL6] > 0.0 and H[p, H_CRP] > 0.0 and H[p, H_CORT] > 0.0):
            bad = True
        if bad:
            status[p] = STATUS_NONFINITE
            fail_day[p] = day
        elif huge:
            status[p] = STATUS_IMPLAUSIBLE
            fail_day[p] = day
        elif not alive:
            status[p] = STATUS_EXTINCT
            fail_day[p] = day


@njit(cache=True, parallel=True)
def floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK):
    """Noise-free arithmetic floor: the same gLV matrix–vector product and
    exact logistic update (one expm1) per substep, without random numbers, diet or host state.
    Used only by the benchmark as the attainable rate of the bare arithmetic."""
    n, S = N.shape
    dt = 1.0 / nsub
    inv_comm = 1.0 / NORMS[9]
    for p in prange(n):
        w = WORK[p, S:]
        for sub in range(nsub):
            for j in range(S):
                w[j] = CPRESS[p, j] * N[p, j] * inv_comm
            for i in range(S):
                comp = 0.0
                for j in range(S):
                    comp += ALPHA[i, j] * w[j]
                A = (TP[i, TP_RHO] * (TP[i, TP_NICHE] - CSENS[p, i] * comp) - TP[i, TP_DELTA]) * dt
                E1 = math.expm1(A)
                phi = E1 / A if A != 0.0 else 1.0
                x0 = N[p, i]
                bdt = TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * KAPPA[p, i])
                N[p, i] = x0 * (1.0 + E1) / (1.0 + bdt * x0 * phi)
