"""The taxa registry: resident gut guilds and named probiotic strains.

Abundances are cells per gram of stool; the model integrates them in natural
log space (see ``docs/model.md``). Baselines are healthy-adult means and
between-person SDs in log10 cells/g. Every default carries its source.

Residents are guilds rather than species: a guild is the group of organisms
that share a role in the model (fibre degradation, butyrate production, LPS,
GABA). Strains enter only by dosing; each is one taxon of its own that competes
with its resident congeners.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import ConfigError, param

__all__ = ["Taxon", "Strain", "DEFAULT_TAXA", "DEFAULT_STRAINS", "RESOURCES", "SPECIES_DEFAULTS"]

#: Diet substrates a taxon's growth can respond to (Michaelis–Menten in the kernel).
RESOURCES = ("fibre", "inulin", "fos", "gos", "sugar")

_SRC_BASE = "Mariat 2009 (BMC Microbiol 9:123); Sender 2016 (PLoS Biol 14:e1002533)"


_SRC_RESPONSE = "assumption: sign per model brief §2-§4; size not measured (0 = no response)"

_SRC_DOPA = ("producers per Maini Rekdal 2019 (Science 364:eaau6323) and van Kessel 2019 (Nat Commun 10:310): "
             "tyrosine decarboxylases of Enterococcus and Lactobacillus turn L-DOPA into dopamine; "
             "per-cell rates in the gut not measured")
_SRC_SPECIES = ("Qin 2010 (Nature 464:59): 1,000-1,150 prevalent species in a cohort, >= 160 per person; "
                "split among guilds as an assumption (Lachnospiraceae and Ruminococcaceae hold most species)")


@dataclass(frozen=True)
class Taxon:
    """A resident guild with its growth, diet and host responses."""

    long_name: str = param("",
                           source="scale: display label only, no effect on the model",
                           doc="human-readable name")
    genus: str = param("",
                       source="assumption: congeners grouped by genus; competition strongest between congeners (model brief §2)",
                       doc="congener group: strains of the same genus compete strongly with it")
    baseline_log10: float = param(9.0, unit="log10 cells/g", bounds=(2.0, 11.5), source=_SRC_BASE,
                                  doc="healthy-adult mean abundance")
    baseline_sd_log10: float = param(0.4, unit="log10 cells/g", bounds=(0.0, 3.0), source=_SRC_BASE,
                                     doc="between-person SD of abundance")
    baseline_skew: float = param(0.0, unit="shape lambda", bounds=(0.0, 1.0),
                                 source="assumption: shape not measured; genera that some adults nearly lack have a "
                                        "long lower tail in log10 counts (model.md §3.1)",
                                 doc="left skew of the between-person distribution of log10 abundance, mean and SD "
                                     "kept (0 = normal; lambda > 0: a reflected log-normal, long lower tail and an "
                                     "upper end at mean + SD e^(lambda^2/2) / sqrt(e^(lambda^2)(e^(lambda^2) - 1)))")
    growth_per_day: float = param(2.0, unit="1/day", bounds=(0.05, 20.0),
                                  source="colonic doubling times of hours to a day; Gibson & Macfarlane 1995",
                                  doc="maximal net growth rate rho in the gLV growth term")
    noise_sd: float = param(0.25, unit="ln units/sqrt(day)", bounds=(0.0, 3.0),
                            source="day-to-day stool qPCR variation of 0.1-0.3 log10; Vandeputte 2017",
                            doc="environmental noise on the log growth rate, redrawn daily")
    fibre: float = param(0.0, unit="per saturation unit", bounds=(-5.0, 5.0),
                         source=_SRC_RESPONSE,
                         doc="growth response to dietary fibre (Michaelis-Menten term)")
    inulin: float = param(0.0, unit="per saturation unit", bounds=(-5.0, 5.0),
                          source=_SRC_RESPONSE,
                          doc="growth response to inulin")
    fos: float = param(0.0, unit="per saturation unit", bounds=(-5.0, 5.0),
                       source=_SRC_RESPONSE,
                       doc="growth response to FOS")
    gos: float = param(0.0, unit="per saturation unit", bounds=(-5.0, 5.0),
                       source=_SRC_RESPONSE,
                       doc="growth response to GOS")
    sugar: float = param(0.0, unit="per saturation unit", bounds=(-5.0, 5.0),
                         source=_SRC_RESPONSE,
                         doc="growth response to added sugar / processed food")
    cortisol_response: float = param(0.0, unit="per ln(cortisol ratio)", bounds=(-5.0, 5.0),
                                     source=_SRC_RESPONSE,
                                     doc="growth change per e-fold rise in cortisol")
    inflammation_response: float = param(0.0, unit="per ln(IL-6 ratio)", bounds=(-5.0, 5.0),
                                         source=_SRC_RESPONSE,
                                         doc="growth change per e-fold rise in IL-6")
    butyrate_yield: float = param(0.0, unit="relative", bounds=(0.0, 10.0),
                                  source="assumption: relative shares not measured (butyrate index normalised to 1 at the reference gut)",
                                  doc="share in butyrate production")
    lps_potency: float = param(0.0, unit="relative", bounds=(0.0, 10.0),
                               source="assumption: relative potencies not measured (LPS index normalised to 1 at the reference gut)",
                               doc="LPS / toxin load per cell, relative")
    gaba_capacity: float = param(0.0, unit="relative per cell", bounds=(0.0, 1000.0),
                                 source="assumption: not measured; per-cell GABA relative to Bacteroides (= 1 by definition)",
                                 doc="GABA produced per cell relative to Bacteroides")
    serotonin_promotion: float = param(0.0, unit="relative", bounds=(0.0, 10.0),
                                       source="assumption: relative weights not measured (5-HT index normalised to 1 at the reference gut)",
                                       doc="promotion of enterochromaffin 5-HT synthesis")
    dopamine_capacity: float = param(0.0, unit="relative per cell", bounds=(0.0, 1000.0),
                                     source=_SRC_DOPA,
                                     doc="dopamine (from dietary tyrosine / L-DOPA) produced per cell, relative to the "
                                         "lactic-acid cocci (Enterococcus) (0 = none)")
    fermented_log10_per_serving: float = param(0.0, unit="log10 cells/g/day", bounds=(0.0, 10.0),
                                               source="Wastyk 2021 (Cell 184:4137); Marco 2017",
                                               doc="live cells of this guild reaching stool per daily serving of fermented food (0 = none)")
    antibiotic_sensitivity: float = param(1.0, unit="fraction of course kill rate", bounds=(0.0, 5.0),
                                          source="Dethlefsen & Relman 2011 (PNAS 108:4554)",
                                          doc="multiplier on an antibiotic course's kill rate")
    # species richness of the guild (model/richness.py; defaults per guild in SPECIES_DEFAULTS)
    species_pool: int = param(10, unit="species", bounds=(1, 1000), integer=True,
                              source=_SRC_SPECIES,
                              doc="species of this guild in the regional pool (found across a population)")
    species_present: float = param(2.0, unit="species", bounds=(1.0, 1000.0),
                                   source=_SRC_SPECIES,
                                   doc="mean species present in the reference person (reference load, no "
                                       "fermented food, exposure 1)")
    source: str = param("",
                        source="scale: free-text provenance of the entry, no effect on the model",
                        doc="literature for this guild's role")

    def __post_init__(self):
        if self.species_present > self.species_pool:
            raise ConfigError(path="species_present", value=self.species_present,
                              expected=f"at most species_pool ({self.species_pool})")


@dataclass(frozen=True)
class Strain:
    """A probiotic strain: one taxon that enters only by dosing."""

    long_name: str = param("",
                           source="scale: display label only, no effect on the model",
                           doc="strain designation")
    genus: str = param("",
                       source="assumption: congeners grouped by genus; competition strongest between congeners (model brief §2)",
                       doc="resident congener group it competes with")
    gastric_survival: float = param(0.1, unit="fraction", bounds=(0.0, 1.0),
                                    source="Bezkorovainy 2001 (Am J Clin Nutr 73:399s); Bove 2013",
                                    doc="fraction of ingested CFU reaching the colon alive")
    growth_per_day: float = param(1.0, unit="1/day", bounds=(0.0, 20.0),
                                  source="assumption: not measured; with niche it sets washout vs persistence (checked against C7)",
                                  doc="in-gut growth rate rho (0 = transient, only washed out)")
    niche: float = param(0.0, unit="relative", bounds=(0.0, 10.0),
                         source="Maldonado-Gomez 2016 (Cell Host Microbe 20:515)",
                         doc="open niche m available to the strain when congeners are absent (0 = none)")
    congener_competition: float = param(1.0, unit="per unit congener load", bounds=(0.0, 20.0),
                                        source="Maldonado-Gomez 2016; Zmora 2018 (Cell 174:1388)",
                                        doc="competition from resident congeners (alpha), colonization resistance")
    reference_log10: float = param(8.0, unit="log10 cells/g", bounds=(2.0, 12.0),
                                   source="assumption: not measured; order of magnitude chosen for strain self-limitation (brief: 1e7-1e9 cells/g while dosing)",
                                   doc="reference load used to scale self-limitation")
    noise_sd: float = param(0.3, unit="ln units/sqrt(day)", bounds=(0.0, 3.0),
                            source="assumption: as for residents (day-to-day stool qPCR variation of 0.1-0.3 log10; Vandeputte 2017)",
                            doc="environmental noise")
    gaba_capacity: float = param(0.0, unit="relative per cell", bounds=(0.0, 1000.0),
                                 source="assumption: not measured; per-cell GABA relative to Bacteroides (= 1 by definition)",
                                 doc="GABA produced per cell relative to Bacteroides")
    dopamine_capacity: float = param(0.0, unit="relative per cell", bounds=(0.0, 1000.0),
                                     source="assumption: 0 for every default strain, none measured in vivo; "
                                            + _SRC_DOPA,
                                     doc="dopamine produced per cell, relative to the lactic-acid cocci (0 = none)")
    anti_inflammatory: float = param(0.0, unit="max fractional damping", bounds=(0.0, 1.0),
                                     source="assumption: not measured; order of magnitude chosen for strain damping of the LPS-driven IL-6 response",
                                     doc="maximal damping of the LPS-driven innate response at saturating load")
    barrier_support: float = param(0.0, unit="logit units", bounds=(0.0, 5.0),
                                   source="assumption: not measured; order of magnitude chosen for strain tightening of the epithelial barrier",
                                   doc="tightening of the epithelial barrier at saturating load")
    vagal_activity: float = param(0.0, unit="relative", bounds=(0.0, 10.0),
                                  source="assumption, informed by Bravo 2011 (PNAS 108:16050) "
                                         "(vagus-dependent effects in mice, not a measurement of this quantity)",
                                  doc="direct activation of vagal afferents at saturating load")
    antibiotic_sensitivity: float = param(1.0, unit="fraction of course kill rate", bounds=(0.0, 5.0),
                                          source="scale: neutral multiplier, 1 = the course's own kill rate (no strain-specific data)",
                                          doc="multiplier on an antibiotic course's kill rate")
    source: str = param("",
                        source="scale: free-text provenance of the entry, no effect on the model",
                        doc="literature for this strain's properties")

    def __post_init__(self):
        if self.genus == "":
            raise ConfigError(path="genus", value=self.genus,
                              expected="the strain's genus (e.g. 'Lactobacillus'), used for congener competition")


# --------------------------------------------------------------------------
# Default residents. Diet/host response signs follow the model brief §2-§4.
# --------------------------------------------------------------------------
DEFAULT_TAXA: dict[str, Taxon] = {
    "Bacteroides": Taxon(
        long_name="Bacteroides (polysaccharide generalists)", genus="Bacteroides",
        baseline_log10=10.0, baseline_sd_log10=0.4, growth_per_day=2.0, noise_sd=0.2,
        fibre=0.6, inulin=0.15, fos=0.1, sugar=0.1, lps_potency=0.05, gaba_capacity=1.0,
        antibiotic_sensitivity=0.8,
        source="Strandwitz 2019 (Nat Microbiol 4:396): Bacteroides as main GABA producers"),
    "Faecalibacterium": Taxon(
        long_name="Faecalibacterium and C. leptum-group butyrate producers", genus="Faecalibacterium",
        baseline_log10=10.3, baseline_sd_log10=0.4, growth_per_day=2.0, noise_sd=0.2,
        fibre=1.0, inulin=0.25, fos=0.2, gos=0.1, sugar=-0.2, inflammation_response=-0.2,
        butyrate_yield=1.0, antibiotic_sensitivity=1.0,
        source="Jiang 2015 (Brain Behav Immun 48:186): lower in depression, inverse to severity"),
    "Roseburia_Coprococcus": Taxon(
        long_name="Roseburia/Coprococcus (C. coccoides group, spore-formers)", genus="Roseburia",
        baseline_log10=10.0, baseline_sd_log10=0.4, growth_per_day=2.0, noise_sd=0.2,
        fibre=1.0, inulin=0.2, fos=0.2, sugar=-0.2, butyrate_yield=0.8, serotonin_promotion=1.0,
        antibiotic_sensitivity=1.0,
        source="Yano 2015 (Cell 161:264): spore-formers promote EC 5-HT; Valles-Colomer 2019 (Nat Microbiol 4:623)"),
    "Bifidobacterium": Taxon(
        long_name="Bifidobacterium", genus="Bifidobacterium",
        baseline_log10=9.4, baseline_sd_log10=1.5, baseline_skew=0.6, growth_per_day=2.5, noise_sd=0.25,
        fibre=0.3, inulin=1.6, fos=1.6, gos=1.8, cortisol_response=-0.3, gaba_capacity=1.0,
        antibiotic_sensitivity=1.0,
        source="Aizawa 2016 (J Affect Disord 202:254); Kolida 2007; So 2018 (Am J Clin Nutr 107:965); "
               "between-person spread per Mariat 2009 SEMs (qPCR SD ~1.0-1.6), not the brief's 0.4 (model.md §3.1)"),
    "Lactobacillus": Taxon(
        long_name="Lactobacillus (resident and food-borne)", genus="Lactobacillus",
        baseline_log10=7.5, baseline_sd_log10=1.5, baseline_skew=0.6, growth_per_day=2.0, noise_sd=0.35,
        inulin=0.2, fos=0.2, gos=0.3, cortisol_response=-1.3, gaba_capacity=6.0, dopamine_capacity=1.0,
        fermented_log10_per_serving=6.0, antibiotic_sensitivity=0.9,
        source="Bailey & Coe 1999 (Dev Psychobiol 35:146); Knowles 2008 (Biol Psychol 77:132); "
               "between-person spread per Mariat 2009 SEMs (qPCR SD ~1.0-1.6), not the brief's 0.7 (model.md §3.1); "
               "dopamine: van Kessel 2019 (Nat Commun 10:310)"),
    "Enterobacteriaceae": Taxon(
        long_name="Enterobacteriaceae (pathobionts)", genus="Enterobacteriaceae",
        baseline_log10=7.7, baseline_sd_log10=0.6, growth_per_day=3.0, noise_sd=0.35,
        fibre=-0.3, sugar=1.0, cortisol_response=0.4, inflammation_response=0.3, lps_potency=1.0,
        antibiotic_sensitivity=0.7,
        source="Winter 2013 (Science 339:708): inflammation favours Enterobacteriaceae; LPS source"),
    "Clostridium_pathogenic": Taxon(
        long_name="pathogenic Clostridium (C. perfringens-like)", genus="Clostridium",
        baseline_log10=6.0, baseline_sd_log10=1.0, growth_per_day=2.0, noise_sd=0.35,
        fibre=-0.2, sugar=0.6, cortisol_response=0.3, inflammation_response=0.2, lps_potency=0.6,
        antibiotic_sensitivity=0.6,
        source="model brief: overgrowth linked to inflammation; toxin source"),
    "Akkermansia": Taxon(
        long_name="Akkermansia (mucin degraders)", genus="Akkermansia",
        baseline_log10=8.5, baseline_sd_log10=0.8, growth_per_day=1.5, noise_sd=0.3,
        fibre=0.2, inulin=0.2, sugar=-0.3, antibiotic_sensitivity=1.0,
        source="Derrien 2017 (Microb Pathog 106:171)"),
    "Alistipes": Taxon(
        long_name="Alistipes and other Rikenellaceae", genus="Alistipes",
        baseline_log10=9.0, baseline_sd_log10=0.5, growth_per_day=1.5, noise_sd=0.25,
        fibre=0.3, antibiotic_sensitivity=1.0, source="minor commensal reservoir (model brief §2)"),
    "Eubacterium": Taxon(
        long_name="Eubacterium and other Lachnospiraceae", genus="Eubacterium",
        baseline_log10=9.3, baseline_sd_log10=0.5, growth_per_day=1.5, noise_sd=0.25,
        fibre=0.5, butyrate_yield=0.3, antibiotic_sensitivity=1.0,
        source="minor commensal reservoir (model brief §2)"),
    "Streptococcus": Taxon(
        long_name="Streptococcus and lactic-acid cocci (incl. food-borne)", genus="Streptococcus",
        baseline_log10=8.0, baseline_sd_log10=0.6, growth_per_day=1.5, noise_sd=0.3,
        sugar=0.3, gaba_capacity=1.0, dopamine_capacity=1.0, fermented_log10_per_serving=6.5,
        antibiotic_sensitivity=0.8,
        source="Wastyk 2021 (Cell 184:4137): fermented foods add food-borne taxa and diversity; "
               "Enterococcus tyrosine decarboxylase makes dopamine from L-DOPA (Maini Rekdal 2019, "
               "Science 364:eaau6323)"),
}

_DOSE_SRC = "Messaoudi 2011 (Br J Nutr 105:755); Romijn 2017 (Aust N Z J Psychiatry 51:810)"


def _informed(cites: str, what: str = "trial outcomes") -> str:
    """Provenance of a strain's values: the cited studies inform them but do not measure them."""
    return f"assumption, informed by {cites} ({what}, not measurements)"


DEFAULT_STRAINS: dict[str, Strain] = {
    "L_helveticus_R0052": Strain(
        long_name="Lactobacillus helveticus R0052", genus="Lactobacillus",
        gastric_survival=0.2, growth_per_day=0.6, niche=0.3, congener_competition=4.0,
        gaba_capacity=10.0, anti_inflammatory=0.5, barrier_support=0.4, vagal_activity=0.6,
        source=_informed(_DOSE_SRC) + "; Frese 2012 (transient lactobacilli)"),
    "B_longum_R0175": Strain(
        long_name="Bifidobacterium longum R0175", genus="Bifidobacterium",
        gastric_survival=0.15, growth_per_day=2.0, niche=0.9, congener_competition=2.5,
        gaba_capacity=3.0, anti_inflammatory=0.5, barrier_support=0.4, vagal_activity=0.6,
        source=_informed(_DOSE_SRC + "; Kazemi 2019 (Clin Nutr 38:522)")),
    "L_rhamnosus_JB1": Strain(
        long_name="Lactobacillus rhamnosus JB-1", genus="Lactobacillus",
        gastric_survival=0.3, growth_per_day=0.6, niche=0.3, congener_competition=4.0,
        gaba_capacity=15.0, anti_inflammatory=0.2, barrier_support=0.2, vagal_activity=1.0,
        source=_informed("Bravo 2011 (PNAS 108:16050): vagus-dependent effects in mice; Kelly 2017 (null in men)",
                         "mouse and trial outcomes")),
    "L_plantarum_P8": Strain(
        long_name="Lactobacillus plantarum P8", genus="Lactobacillus",
        gastric_survival=0.3, growth_per_day=0.6, niche=0.3, congener_competition=4.0,
        gaba_capacity=8.0, anti_inflammatory=0.4, barrier_support=0.3, vagal_activity=0.2,
        source=_informed("Lew 2019 (Clin Nutr 38:2053): 1e10 CFU/day, stressed adults")),
    "L_plantarum_299v": Strain(
        long_name="Lactobacillus plantarum 299v", genus="Lactobacillus",
        gastric_survival=0.3, growth_per_day=0.6, niche=0.3, congener_competition=4.0,
        gaba_capacity=6.0, anti_inflammatory=0.4, barrier_support=0.3, vagal_activity=0.1,
        source=_informed("Rudzki 2019 (Psychoneuroendocrinology 100:213): Kyn reduction in MDD")),
    "B_longum_NCC3001": Strain(
        long_name="Bifidobacterium longum NCC3001", genus="Bifidobacterium",
        gastric_survival=0.15, growth_per_day=2.0, niche=0.9, congener_competition=2.5,
        gaba_capacity=3.0, anti_inflammatory=0.4, barrier_support=0.3, vagal_activity=0.6,
        source=_informed("Pinto-Sanchez 2017 (Gastroenterology 153:448): 1e10 CFU/day, HADS 8-14, 6 weeks")),
    "B_longum_1714": Strain(
        long_name="Bifidobacterium longum 1714", genus="Bifidobacterium",
        gastric_survival=0.15, growth_per_day=2.0, niche=0.9, congener_competition=2.5,
        gaba_capacity=3.0, anti_inflammatory=0.3, barrier_support=0.2, vagal_activity=0.6,
        source=_informed("Allen 2016 (Transl Psychiatry 6:e939)")),
    "inactive_strain": Strain(
        long_name="biologically inactive control strain (for type-I error checks)", genus="Inactivus",
        gastric_survival=0.2, growth_per_day=0.0, niche=0.0, congener_competition=0.0,
        source="synthetic: colonizes transiently, has no host activity"),
}


# --------------------------------------------------------------------------
# Species richness per guild: (regional pool, mean present in the reference
# person). The pools sum to 1,000 species and the reference person carries 200
# (Qin 2010: 1,000-1,150 prevalent species in 124 Europeans, at least 160 per
# person). The split among guilds is an assumption following where gut species
# diversity lies: most in the Clostridiales (Ruminococcaceae with Faecalibacterium,
# Lachnospiraceae with Roseburia, Coprococcus and Eubacterium), then the
# Bacteroidales; a few species per person of Bifidobacterium (Turroni 2009), of
# lactobacilli, streptococci and lactic cocci (many food-borne and transient), of
# Enterobacteriaceae, pathogenic clostridia and Akkermansia.
# --------------------------------------------------------------------------
SPECIES_DEFAULTS: dict[str, tuple[int, float]] = {
    "Bacteroides": (150, 30.0),
    "Faecalibacterium": (280, 55.0),
    "Roseburia_Coprococcus": (230, 45.0),
    "Bifidobacterium": (15, 4.0),
    "Lactobacillus": (25, 3.0),
    "Enterobacteriaceae": (12, 2.0),
    "Clostridium_pathogenic": (12, 2.0),
    "Akkermansia": (5, 1.0),
    "Alistipes": (40, 8.0),
    "Eubacterium": (206, 45.0),
    "Streptococcus": (25, 5.0),
}
DEFAULT_TAXA = {name: replace(t, species_pool=SPECIES_DEFAULTS[name][0], species_present=SPECIES_DEFAULTS[name][1])
                for name, t in DEFAULT_TAXA.items()}
