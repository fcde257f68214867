"""Model parameters: microbiome numerics, host gut–brain axis, mood dynamics.

Each field carries its unit, bounds, meaning and (where one exists) its
literature source in the dataclass metadata; ``probisim explain`` and
``docs/model.md`` read them from here. The kernel receives them packed into a
flat float64 vector whose layout is the ``FIELDS`` order below; the index
constants are generated from it, so the layout has one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..config import param
from ..kernels import layout as kernels

__all__ = ["MicrobiomeParams", "HostParams", "MoodParams", "pack_params", "PARAM_INDEX"]


_SRC_SIGN = "assumption: sign per model brief §4; size not measured"
_SRC_TAU = "assumption: not measured; order of magnitude chosen for the brief's daily time scale of host state"


@dataclass(frozen=True)
class MicrobiomeParams:
    """Numerics and diet kinetics of the generalized Lotka–Volterra step."""

    substeps_per_day: int = param(4, bounds=(1, 96), integer=True, unit="1/day",
                                  source="assumption: purely numerical choice (noise held per day, logistic part solved exactly; model.md §1)",
                                  doc="gLV substeps per simulated day (dt = 1/substeps days)")
    transit_washout_per_day: float = param(0.8, unit="1/day", bounds=(0.05, 5.0),
                                           source="whole-gut transit ~1-1.5 days; Degen & Phillips 1996",
                                           doc="transit washout rate delta")
    stool_g_per_day: float = param(120.0, unit="g/day", bounds=(20.0, 500.0),
                                   source="Rose 2015 (Aliment Pharmacol Ther 42:682): median ~128 g/day",
                                   doc="daily stool mass; a non-growing strain settles at dose x survival / stool mass")
    extinction_floor_cells_per_g: float = param(10.0, unit="cells/g", bounds=(1e-3, 1e6),
                                                source="assumption: not measured; order of magnitude chosen for the extinction threshold (far below qPCR detection limits)",
                                                doc="below this a taxon is extinct (set to 0) until it immigrates again")
    km_fibre_g: float = param(20.0, unit="g/day", bounds=(0.1, 200.0),
                              source="assumption: not measured; order of magnitude chosen for saturation of the fibre response",
                              doc="half-saturation of the fibre response")
    km_prebiotic_g: float = param(4.0, unit="g/day per consumer load", bounds=(0.05, 100.0),
                                  source="Kolida 2007 (Br J Nutr 98:S41): little gain from 5 to 8 g inulin",
                                  doc="half-saturation of prebiotic responses, scaled by the consumers' current load")
    km_sugar_g: float = param(50.0, unit="g/day", bounds=(0.1, 500.0),
                              source="assumption: not measured; order of magnitude chosen for saturation of the sugar response",
                              doc="half-saturation of the sugar response")
    reference_fibre_g: float = param(20.0, unit="g/day", bounds=(1.0, 200.0),
                                     source="scale: reference diet at which residents sit at baseline; within the brief's population 15-25 g/day",
                                     doc="fibre intake at which residents sit at their baseline")
    reference_sugar_g: float = param(60.0, unit="g/day", bounds=(0.0, 500.0),
                                     source="scale: reference diet at which residents sit at baseline (cf. NHANES added sugars ~60-80 g/day)",
                                     doc="added-sugar intake at which residents sit at their baseline")
    cross_competition: float = param(0.05, unit="per unit community share", bounds=(0.0, 5.0),
                                     source="assumption: not an empirical network; kept weak so probiotics do not reshape residents (model.md §6)",
                                     doc="default competition between different guilds, per unit share of the reference community")
    congener_resident_competition: float = param(0.1, unit="per unit relative load", bounds=(0.0, 5.0),
                                                 source="assumption: not measured; order of magnitude chosen for a strain's pressure on its resident congener",
                                                 doc="competition of a strain on its resident congener")
    acetate_crossfeeding: float = param(0.05, unit="per unit relative load", bounds=(0.0, 1.0),
                                        source="Rios-Covian 2015 (Appl Environ Microbiol 81:7078)",
                                        doc="facilitation of butyrate producers by Bifidobacterium (negative alpha)")
    interaction_sd: float = param(0.2, unit="ln units", bounds=(0.0, 2.0),
                                  source="Zmora 2018 (Cell 174:1388): person-specific colonization resistance",
                                  doc="between-person SD of competition sensitivity and pressure")
    strain_half_load_cells_per_g: float = param(1e7, unit="cells/g", bounds=(1.0, 1e11),
                                                source="assumption: not measured; saturating form bounds strain host activity for stability (model.md §6)",
                                                doc="strain load giving half its maximal host activity")


@dataclass(frozen=True)
class HostParams:
    """Gut–brain axis: SCFA, barrier, LPS, IL-6/CRP, tryptophan, 5-HT, GABA, vagus, HPA."""

    tau_butyrate_days: float = param(0.5, unit="day", bounds=(0.01, 30.0),
                                     source=_SRC_TAU,
                                     doc="relaxation time of butyrate")
    tau_barrier_days: float = param(3.0, unit="day", bounds=(0.1, 60.0),
                                    source="epithelial turnover 3-5 days; van der Flier & Clevers 2009",
                                    doc="relaxation time of barrier integrity")
    tau_il6_days: float = param(1.0, unit="day", bounds=(0.01, 30.0),
                                source=_SRC_TAU,
                                doc="relaxation time of IL-6")
    tau_crp_days: float = param(1.5, unit="day", bounds=(0.1, 30.0),
                                source="CRP half-life ~19 h; Pepys & Hirschfield 2003",
                                doc="relaxation time of CRP toward its IL-6-driven level")
    tau_serotonin_days: float = param(1.0, unit="day", bounds=(0.01, 30.0),
                                      source=_SRC_TAU,
                                      doc="relaxation time of gut 5-HT")
    tau_gaba_days: float = param(0.5, unit="day", bounds=(0.01, 30.0),
                                 source=_SRC_TAU,
                                 doc="relaxation time of gut GABA")
    tau_cortisol_days: float = param(0.5, unit="day", bounds=(0.01, 30.0),
                                     source=_SRC_TAU,
                                     doc="relaxation time of cortisol")
    barrier_reference: float = param(0.85, unit="fraction", bounds=(0.05, 0.99),
                                     source="assumption: not measured; reference level of the unitless barrier index (LPS index is 1 there)",
                                     doc="barrier integrity of the reference person")
    barrier_butyrate: float = param(0.5, unit="logit per ln(butyrate)", bounds=(0.0, 10.0),
                                    source="Peng 2009 (J Nutr 139:1619): butyrate assembles tight junctions",
                                    doc="barrier strengthening by butyrate")
    barrier_cortisol: float = param(0.4, unit="logit per ln(cortisol)", bounds=(0.0, 10.0),
                                    source="Vanuytsel 2014 (Gut 63:1293): stress raises permeability",
                                    doc="barrier weakening by cortisol")
    barrier_inflammation: float = param(0.25, unit="logit per ln(IL-6)", bounds=(0.0, 10.0),
                                        source=_SRC_SIGN,
                                        doc="barrier weakening by inflammation")
    il6_reference_pg_ml: float = param(1.5, unit="pg/mL", bounds=(0.05, 100.0),
                                       source="Haapakoski 2015 (Brain Behav Immun 49:206): controls ~1-2 pg/mL",
                                       doc="population reference IL-6 used to scale inflammation")
    il6_lps: float = param(1.2, unit="ln(IL-6) per ln LPS", bounds=(0.0, 10.0),
                           source="calibrated: C2 (clinical SMD and its between-trial tau^2) with D5; sign per model "
                                  "brief §4, elasticity 1.2 L/(1 + L) = 0.6 at the reference LPS",
                           doc="innate IL-6 response to translocated LPS (before production saturates)")
    il6_cortisol: float = param(0.15, unit="ln(IL-6) per ln(cortisol)", bounds=(-1.0, 1.0),
                                source=_SRC_SIGN,
                                doc="net effect of stress hormones on IL-6")
    il6_butyrate: float = param(0.3, unit="ln(IL-6) per ln(butyrate)", bounds=(0.0, 5.0),
                                source=_SRC_SIGN,
                                doc="anti-inflammatory effect of butyrate")
    il6_fermented: float = param(0.15, unit="ln(IL-6) at saturation", bounds=(0.0, 5.0),
                                 source="Wastyk 2021 (Cell 184:4137): fermented foods lower IL-6 and 18 other markers",
                                 doc="anti-inflammatory effect of fermented food (servings/(servings+1))")
    crp_il6_exponent: float = param(1.0, unit="ln(CRP) per ln(IL-6)", bounds=(0.25, 1.25),
                                    source="assumption: not measured; CRP taken as proportional to IL-6 (elasticity 1)",
                                    doc="hepatic CRP response to IL-6")
    kyn_trp_il6_exponent: float = param(0.3, unit="ln(Kyn/Trp) per ln(IL-6)", bounds=(0.0, 1.0),
                                        source="Kazemi 2019 (Clin Nutr 38:522) measured Kyn/Trp; IDO induction by cytokines",
                                        doc="IDO induction: Kyn/Trp rises with inflammation")
    trp_availability_exponent: float = param(1.0, unit="ln per ln(Kyn/Trp)", bounds=(0.0, 2.0),
                                             source="assumption: not measured; 5-HT tryptophan supply taken as inversely proportional to Kyn/Trp",
                                             doc="loss of tryptophan for 5-HT synthesis as Kyn/Trp rises")
    serotonin_sporeformer_weight: float = param(0.5, unit="relative", bounds=(0.0, 10.0),
                                                source="Yano 2015 (Cell 161:264)",
                                                doc="weight of spore-forming Clostridia in EC 5-HT drive")
    serotonin_butyrate_weight: float = param(0.5, unit="relative", bounds=(0.0, 10.0),
                                             source="assumption: equal weight to spore-formers, not measured; SCFA route per Yano 2015 (Cell 161:264)",
                                             doc="weight of SCFA in EC 5-HT drive")
    vagal_gaba_weight: float = param(0.4, unit="relative", bounds=(0.0, 10.0),
                                     source="assumption: not measured; GABA share of the vagal signal (weights are normalised by their sum)",
                                     doc="GABA share of the vagal signal")
    vagal_serotonin_weight: float = param(0.3, unit="relative", bounds=(0.0, 10.0),
                                          source="assumption: not measured; 5-HT share of the vagal signal (weights are normalised by their sum)",
                                          doc="5-HT share of the vagal signal")
    vagal_butyrate_weight: float = param(0.3, unit="relative", bounds=(0.0, 10.0),
                                         source="assumption: not measured; SCFA share of the vagal signal (weights are normalised by their sum)",
                                         doc="SCFA share of the vagal signal")
    vagal_strain_weight: float = param(1.0, unit="relative", bounds=(0.0, 10.0),
                                       source="Bravo 2011 (PNAS 108:16050)",
                                       doc="weight of direct strain activation of vagal afferents")
    cortisol_reference_nmol_l: float = param(350.0, unit="nmol/L", bounds=(10.0, 2000.0),
                                             source="morning serum cortisol reference ~140-690 nmol/L",
                                             doc="population reference morning cortisol")
    cortisol_stressor: float = param(0.35, unit="ln(cortisol) per unit load", bounds=(0.0, 5.0),
                                     source=_SRC_SIGN,
                                     doc="HPA response to stressor load (times stress reactivity)")
    cortisol_inflammation: float = param(0.15, unit="ln(cortisol) per ln(IL-6)", bounds=(0.0, 5.0),
                                         source=_SRC_SIGN,
                                         doc="HPA activation by cytokines")
    cortisol_vagal: float = param(0.15, unit="ln(cortisol) per unit vagal signal", bounds=(0.0, 5.0),
                                  source="vagal inhibition of the HPA axis; Bravo 2011",
                                  doc="damping of cortisol by the vagal signal")
    stress_management_reactivity: float = param(0.3, unit="fraction", bounds=(0.0, 1.0),
                                                source="Pascoe 2017 (J Psychiatr Res 95:156): meditation lowers cortisol",
                                                doc="reduction of stress reactivity under full stress management")
    stress_management_vagal: float = param(0.2, unit="fraction", bounds=(0.0, 2.0),
                                           source="Zaccaro 2018 (Front Hum Neurosci 12:353)",
                                           doc="rise in vagal tone under full stress management")

    # -- bounded physiology (issue 11): the innate response, the barrier and the HPA
    # axis saturate, so no parameter set within these bounds can take a person with
    # the default trait clips beyond the physiological limits of kernels.layout
    # (docs/model.md §3.2, §3.4). The exponents above are bounded for the same reason.
    barrier_floor: float = param(0.4, unit="fraction", bounds=(0.1, 0.8),
                                 source="assumption, informed by lactulose/mannitol permeability a few-fold above normal "
                                        "in active Crohn's disease (Hollander 1986, Ann Intern Med 105:883): leak at most "
                                        "(1 - floor)/(1 - reference) = 4x the reference person's",
                                 doc="lowest barrier integrity: the epithelium leaks more under stress and inflammation "
                                     "but cannot collapse (must lie below barrier_reference)")
    lps_max: float = param(10.0, unit="index (1 = reference)", bounds=(1.5, 30.0),
                           source="assumption, informed by plasma endotoxin 2-3x higher in metabolic endotoxaemia "
                                  "(Cani 2007, Diabetes 56:1761; Pendyala 2012, Gastroenterology 142:1100); an order "
                                  "of magnitude more is seen in sepsis and liver failure, not in outpatients",
                           doc="ceiling of translocated LPS: uptake and hepatic clearance saturate "
                               "(Michaelis-Menten in pathobiont load x leak)")
    il6_max_fold: float = param(2.5, unit="x own baseline IL-6", bounds=(1.5, 6.0),
                                source="calibrated: D5 (tails of IL-6 and CRP in every preset); saturable innate "
                                       "production, so gut and stress drive raise IL-6 at most this many times the "
                                       "person's own baseline (chronic inflammatory disease: IL-6 ~5-10 pg/mL)",
                                doc="saturation of IL-6 production: a rise x in ln IL-6 asked by the drives counts "
                                    "x / sqrt(1 + (x / ln fold)^2)")
    cortisol_max_fold: float = param(2.0, unit="x own baseline cortisol", bounds=(1.25, 2.0),
                                     source="adrenal capacity: ACTH stimulation raises serum cortisol to ~500-900 nmol/L, "
                                            "about 2x a morning value (Dorin 2003, Ann Intern Med 139:194)",
                                     doc="saturation of the HPA response: stress, cytokines and the vagus move cortisol "
                                         "within [baseline / fold, baseline x fold]: y / sqrt(1 + (y / ln fold)^2)")
    # -- gut dopamine (issue 11)
    tau_dopamine_days: float = param(0.5, unit="day", bounds=(0.01, 30.0),
                                     source="assumption: as GABA (a small luminal amine, turned over within the day); "
                                            "not measured",
                                     doc="relaxation time of gut dopamine")
    vagal_dopamine_weight: float = param(0.02, unit="relative", bounds=(0.0, 10.0),
                                         source="assumption: small on purpose. Gut-made dopamine does not cross the "
                                                "blood-brain barrier; any effect on mood would be by enteric/vagal "
                                                "signalling, for which human evidence is associative only "
                                                "(Valles-Colomer 2019, Nat Microbiol 4:623: microbial DOPAC synthesis "
                                                "potential and quality of life); model.md §3.2",
                                         doc="dopamine share of the vagal signal (weights are normalised by their sum)")


@dataclass(frozen=True)
class MoodParams:
    """Daily latent perceived stress (P), anxiety (A) and depression (D)."""

    reversion_stress: float = param(0.12, unit="1/day", bounds=(0.0, 1.0),
                                    source="assumption: not measured; order of magnitude chosen for persistence of latent P around its set-point",
                                    doc="mean reversion of P to its set-point")
    reversion_anxiety: float = param(0.10, unit="1/day", bounds=(0.0, 1.0),
                                     source="assumption: not measured; order of magnitude chosen for persistence of latent A around its set-point",
                                     doc="mean reversion of A")
    reversion_depression: float = param(0.05, unit="1/day", bounds=(0.0, 1.0),
                                        source="assumption: not measured; order of magnitude chosen for persistence of latent D around its set-point",
                                        doc="mean reversion of D")
    noise_stress: float = param(0.25, unit="latent SD/sqrt(day)", bounds=(0.0, 5.0),
                                source="assumption: not measured; order of magnitude chosen for day-to-day variability of latent P",
                                doc="daily noise of P")
    noise_anxiety: float = param(0.22, unit="latent SD/sqrt(day)", bounds=(0.0, 5.0),
                                 source="assumption: not measured; order of magnitude chosen for day-to-day variability of latent A",
                                 doc="daily noise of A")
    noise_depression: float = param(0.15, unit="latent SD/sqrt(day)", bounds=(0.0, 5.0),
                                    source="assumption: not measured; order of magnitude chosen for day-to-day variability of latent D",
                                    doc="daily noise of D")
    stress_from_stressor: float = param(0.15, unit="latent/day per unit load", bounds=(0.0, 5.0),
                                        source=_SRC_SIGN,
                                        doc="push of stressor load on P (times reactivity)")
    stress_from_cortisol: float = param(0.05, unit="latent/day per ln(cortisol)", bounds=(0.0, 5.0),
                                        source=_SRC_SIGN,
                                        doc="push of cortisol on P")
    anxiety_from_cortisol: float = param(0.06, unit="latent/day per ln(cortisol)", bounds=(0.0, 5.0),
                                         source=_SRC_SIGN,
                                         doc="push of cortisol on A")
    depression_from_cortisol: float = param(0.03, unit="latent/day per ln(cortisol)", bounds=(0.0, 5.0),
                                            source=_SRC_SIGN,
                                            doc="push of cortisol on D")
    anxiety_from_stress: float = param(0.03, unit="latent/day per latent", bounds=(0.0, 5.0),
                                       source="assumption: not measured; order of magnitude chosen for the push of elevated P on A",
                                       doc="push of elevated P on A")
    depression_from_stress: float = param(0.02, unit="latent/day per latent", bounds=(0.0, 5.0),
                                          source="assumption: not measured; order of magnitude chosen for the push of elevated P on D",
                                          doc="push of elevated P on D")
    depression_from_inflammation: float = param(0.025, unit="latent/day per ln(IL-6)", bounds=(0.0, 5.0),
                                                source="Haapakoski 2015; Osimo 2019 (Brain Behav Immun 87:901)",
                                                doc="push of IL-6 above threshold on D (mostly depression)")
    anxiety_from_inflammation: float = param(0.01, unit="latent/day per ln(IL-6)", bounds=(0.0, 5.0),
                                             source="assumption: not measured; smaller than on D, as inflammation acts mostly on depression (model brief §4)",
                                             doc="push of IL-6 above threshold on A")
    inflammation_threshold_pg_ml: float = param(2.0, unit="pg/mL", bounds=(0.01, 100.0),
                                                source="Osimo 2019: about a quarter of depressed patients have low-grade inflammation",
                                                doc="IL-6 above which inflammation drives mood (softplus onset)")
    anxiety_from_vagal: float = param(0.05, unit="latent/day per unit vagal signal", bounds=(0.0, 5.0),
                                      source="Bravo 2011 (PNAS 108:16050)",
                                      doc="calming effect of vagal/GABA signalling on A")
    depression_from_vagal: float = param(0.2, unit="latent/day per unit vagal signal", bounds=(0.0, 5.0),
                                         source="calibrated: C1, C2, C3 (community depression benefit larger than anxiety benefit; clinical SMD and its between-trial spread; model.md §3.3)",
                                         doc="effect of vagal signalling on D")
    stress_from_vagal: float = param(0.02, unit="latent/day per unit vagal signal", bounds=(0.0, 5.0),
                                     source="assumption: not measured; order of magnitude chosen for the effect of vagal signalling on P",
                                     doc="effect of vagal signalling on P")
    management_relief: float = param(0.05, unit="latent/day", bounds=(0.0, 5.0),
                                     source="Khoury 2015 (J Psychosom Res 78:519)",
                                     doc="direct relief of P by full stress management (A, D half of it)")
    expectancy_relief: float = param(0.05, unit="latent/day per unit expectancy", bounds=(0.0, 5.0),
                                     source="Rutherford 2012; Furukawa 2016 (placebo response)",
                                     doc="relief of P, A and D by expectancy of a study product")
    vagal_habituation: float = param(0.7, unit="share", bounds=(0.0, 1.0),
                                     source="assumption, after allostasis and hedonic adaptation (McEwen 1998, "
                                            "N Engl J Med 338:171; Frederick & Loewenstein 1999): a person's "
                                            "habitual level of a chronic input is largely absorbed into their "
                                            "mood set-point, changes from it are not; model.md §3.3",
                                     doc="share of a person's habitual vagal signal (at the end of burn-in) "
                                         "absorbed into their mood set-points; 0 = mood reads the vagal signal "
                                         "against the population reference only")
    contact_relief: float = param(0.02, unit="latent/day per unit contact", bounds=(0.0, 5.0),
                                  source="Posternak & Zimmerman 2007 (Br J Psychiatry 190:287): visit frequency",
                                  doc="relief of P, A and D by study contact (visits)")
    tau_expectancy_days: float = param(7.0, unit="day", bounds=(0.1, 100.0),
                                       source="assumption: not measured; expectancy builds up over about a week (model.md §6)",
                                       doc="build-up time of expectancy")
    tau_contact_days: float = param(14.0, unit="day", bounds=(0.1, 100.0),
                                    source="assumption: not measured; order of magnitude chosen for the decay of study-visit contact",
                                    doc="decay time of visit contact")
    slow_sd_stress: float = param(0.9, unit="latent SD", bounds=(0.0, 5.0),
                                  source="Cohen 1983; Cohen & Janicki-Deverts 2012: the PSS-10 is a state measure, 6-week "
                                         "retest ~.55 against alpha ~.85 (model.md §3.3)",
                                  doc="between-occasion SD of the slow state of P (life circumstances over weeks)")
    slow_sd_anxiety: float = param(0.35, unit="latent SD", bounds=(0.0, 5.0),
                                   source="Herrmann 1997 (HADS retest .70-.80 over 2-6 weeks; model.md §3.3)",
                                   doc="between-occasion SD of the slow state of A")
    slow_sd_depression: float = param(0.8, unit="latent SD", bounds=(0.0, 5.0),
                                      source="Herrmann 1997 (HADS-D retest); Whiteford 2013 (spontaneous remission of "
                                             "untreated depression, ~half within a year; model.md §3.3)",
                                      doc="between-occasion SD of the slow state of D (episodes)")
    tau_slow_stress_days: float = param(30.0, unit="day", bounds=(1.0, 3650.0),
                                        source="Cohen 1983 (PSS predictive validity falls off after 4-8 weeks)",
                                        doc="correlation time of the slow state of P")
    tau_slow_anxiety_days: float = param(60.0, unit="day", bounds=(1.0, 3650.0),
                                         source="assumption: not measured; between the stress and depression time scales",
                                         doc="correlation time of the slow state of A")
    tau_slow_depression_days: float = param(60.0, unit="day", bounds=(1.0, 3650.0),
                                            source="Whiteford 2013 (J Affect Disord 150:1): untreated episodes last months",
                                            doc="correlation time of the slow state of D")


_GROUPS = (("micro", MicrobiomeParams), ("host", HostParams), ("mood", MoodParams))

#: name -> index in the packed vector; the order is the kernel's (kernels.PARAM_NAMES).
PARAM_INDEX: dict[str, int] = {name: i for i, name in enumerate(kernels.PARAM_NAMES)}
N_PARAMS = len(PARAM_INDEX)


def pack_params(micro: MicrobiomeParams, host: HostParams, mood: MoodParams) -> np.ndarray:
    """Flatten the three parameter groups into the kernel's float64 vector."""
    out = np.full(N_PARAMS, np.nan, dtype=np.float64)
    for g, obj in (("micro", micro), ("host", host), ("mood", mood)):
        for f in fields(obj):
            out[PARAM_INDEX[f"{g}.{f.name}"]] = float(getattr(obj, f.name))
    if np.isnan(out).any():
        missing = [k for k, i in PARAM_INDEX.items() if np.isnan(out[i])]
        raise RuntimeError(f"kernel parameters without a dataclass field: {missing}")
    return out
