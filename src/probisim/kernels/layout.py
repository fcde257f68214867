"""Array layouts shared by the kernels and the Python side: the column names and
indices of the parameter vector, host state, latent states, traits, drivers and
per-taxon parameters. Plain Python (no Numba): the rest of the package reads these
names without compiling anything, and ``probisim.model`` checks the parameter vector
against :data:`PARAM_NAMES`, so each layout has one definition: here."""

from __future__ import annotations

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

# Bounded physiology and gut dopamine (issue 11): host parameters appended as one
# group, so the columns above keep their indices (found by name, so another group
# appended beside this one cannot collide with it).
PARAM_NAMES = PARAM_NAMES + (
    "host.barrier_floor", "host.lps_max", "host.il6_max_fold", "host.cortisol_max_fold",
    "host.tau_dopamine_days", "host.vagal_dopamine_weight",
)
(P_BAR_FLOOR, P_LPS_MAX, P_IL6_MAXF, P_CORT_MAXF, P_TAU_DOPA, P_VAG_D) = (
    PARAM_NAMES.index(f"host.{k}") for k in ("barrier_floor", "lps_max", "il6_max_fold", "cortisol_max_fold",
                                              "tau_dopamine_days", "vagal_dopamine_weight"))

# Habituation of mood to a person's habitual vagal signalling (issue 11): read by the
# engine once, at the end of burn-in, not by the kernel's day step.
PARAM_NAMES = PARAM_NAMES + ("mood.vagal_habituation",)
P_VAG_HAB = PARAM_NAMES.index("mood.vagal_habituation")

# Slow states of P, A, D (issue 11): their stationary SDs and correlation times, appended
_SLOW = ("slow_sd_stress", "slow_sd_anxiety", "slow_sd_depression", "tau_slow_stress_days",
         "tau_slow_anxiety_days", "tau_slow_depression_days")
PARAM_NAMES = PARAM_NAMES + tuple(f"mood.{k}" for k in _SLOW)
(P_SLOW_SD_P, P_SLOW_SD_A, P_SLOW_SD_D, P_TAU_SLOW_P, P_TAU_SLOW_A, P_TAU_SLOW_D) = (
    PARAM_NAMES.index(f"mood.{k}") for k in _SLOW)

#: host state columns
HOST_NAMES = ("butyrate", "barrier", "il6_pg_ml", "crp_mg_l", "kyn_trp", "serotonin", "gaba", "vagal",
              "cortisol_nmol_l", "lps", "expectancy", "contact")
H_BUT, H_BAR, H_IL6, H_CRP, H_KT, H_SERO, H_GABA, H_VAG, H_CORT, H_LPS, H_EXP, H_CON = range(12)
# gut dopamine index (issue 11), appended
HOST_NAMES = HOST_NAMES + ("dopamine",)
H_DOPA = HOST_NAMES.index("dopamine")
N_HOST = len(HOST_NAMES)

#: latent psychological states: the day's latent P, A, D (what instruments read), then
#: their slow states (life circumstances and episodes that move the set-points for weeks
#: to months; model.md §3.3)
MOOD_NAMES = ("stress", "anxiety", "depression", "stress_slow", "anxiety_slow", "depression_slow")
M_STRESS, M_ANXIETY, M_DEPRESSION, M_SLOW_P, M_SLOW_A, M_SLOW_D = range(6)
N_MOOD = len(MOOD_NAMES)

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
# per-cell dopamine capacity (issue 11), appended
TAXON_PARAM_NAMES = TAXON_PARAM_NAMES + ("dopamine",)
TP_DOPA = TAXON_PARAM_NAMES.index("dopamine")
N_TAXON_PARAMS = len(TAXON_PARAM_NAMES)

#: normalisers computed once per model: sums over residents at reference load
NORM_NAMES = ("butyrate", "lps", "serotonin", "gaba", "fibre_ref_sat", "sugar_ref_sat",
              "inulin_consumers", "fos_consumers", "gos_consumers", "community_ref_cells")
# dopamine capacity of the reference community (issue 11), appended
NORM_NAMES = NORM_NAMES + ("dopamine",)
NORM_DOPA = NORM_NAMES.index("dopamine")
N_NORMS = len(NORM_NAMES)

#: participant status codes
STATUS_OK, STATUS_NONFINITE, STATUS_EXTINCT, STATUS_IMPLAUSIBLE = 0, 1, 2, 3
#: a blood value beyond a clear physiological limit (PHYSIOLOGICAL_LIMITS)
STATUS_PHYSIOLOGY = 4

#: abundance above which a state is physically impossible (total faecal
#: bacteria are ~1e11 cells/g; Sender 2016) and the run is stopped loudly
MAX_CELLS_PER_G = 1e14

#: Clear physiological limits of the blood values, (host column, lowest, highest):
#: beyond them a person is no outpatient but in septic shock or adrenal crisis, and
#: the run stops loudly (STATUS_PHYSIOLOGY). The model's saturating forms, the
#: parameter bounds and the trait clips keep every default population far inside them
#: (docs/model.md §3.4). CRP above 500 mg/L and IL-6 above 1,000 pg/mL are seen only
#: in severe sepsis (Pepys & Hirschfield 2003; Damas 1992); morning serum cortisol
#: below 10 nmol/L is adrenal failure and above 3,000 nmol/L beyond even ectopic-ACTH
#: Cushing's syndrome.
CRP_MAX_MG_L = 500.0
IL6_MAX_PG_ML = 1000.0
CORTISOL_MIN_NMOL_L = 10.0
CORTISOL_MAX_NMOL_L = 3000.0
PHYSIOLOGICAL_LIMITS = ((H_CRP, 0.0, CRP_MAX_MG_L), (H_IL6, 0.0, IL6_MAX_PG_ML),
                        (H_CORT, CORTISOL_MIN_NMOL_L, CORTISOL_MAX_NMOL_L))

#: draw sites inside the kernel (the counter's third word)
SITE_MICROBIOME, SITE_MOOD = 0, 1
#: draw site of the species-richness kernel (kernels.richness), same stream
SITE_RICHNESS = 2

