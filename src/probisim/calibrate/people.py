"""Distribution targets D1–D8 of the model brief: the simulated people must look like
real people — their scores' norms and spread, the instruments' reliability on them,
their blood tests' tails, their microbiome's spread and its recovery after
antibiotics, and the course of a depressed patient on placebo.

Every target is read on people the model generates, measured the way a study
measures them (item-level instruments over their recall windows, assays with
their error, 16S at a read depth). Populations are taken at their own norm
(``between_trial_sd = 0``) and are unscreened unless a target says otherwise.
"""

from __future__ import annotations

import numpy as np

from ..config import from_dict
from ..measure import instruments
from ..model import Antibiotic, resolve_defaults
from ..trial import TrialConfig, run_trial
from .cohort import Cohort
from .targets import Target, corr_ci, mean_ci, prop_ci, quantile_ci, sd_ci

__all__ = ["people_targets", "PRESETS_CHECKED"]

#: presets whose scales must not pile up at their maxima (D4b)
PRESETS_CHECKED = ("community", "stressed_adults", "depressed_outpatients")

_SRC_D1 = "Cohen & Janicki-Deverts 2012; Crawford 2001; Hinz & Brähler 2011; Henry & Crawford 2005"


def _alpha_ci(items: np.ndarray, seed: int, n_boot: int = 200) -> tuple[float, tuple[float, float]]:
    """Cronbach's alpha with a percentile bootstrap interval (fixed seed)."""
    a = instruments.cronbach_alpha(items)
    g = np.random.default_rng(seed)
    n = items.shape[0]
    sub = items if n <= 20000 else items[:20000]  # the interval's width needs no more
    boots = [instruments.cronbach_alpha(sub[g.integers(0, sub.shape[0], sub.shape[0])]) for _ in range(n_boot)]
    lo, hi = np.quantile(boots, [0.025, 0.975])
    scale = np.sqrt(sub.shape[0] / n)  # shrink the subsample's interval to the full n
    return a, (a - (a - lo) * scale, a + (hi - a) * scale)


def _norms(c: Cohort) -> list[Target]:
    """D1: instrument norms in community adults."""
    out = []
    pss = c.scores("pss10")["pss10"]
    hads = c.scores("hads")
    dass = c.scores("dass21")
    for tid, label, x, lo, hi in (("D1a", "PSS-10 mean", pss, 14, 18), ("D1c", "HADS-A mean", hads["hads_a"], 4.5, 7),
                                  ("D1e", "HADS-D mean", hads["hads_d"], 3, 5),
                                  ("D1i", "DASS-21 depression raw mean", dass["dass21_depression_raw"], 2, 4),
                                  ("D1k", "DASS-21 anxiety raw mean", dass["dass21_anxiety_raw"], 1.4, 2.5),
                                  ("D1m", "DASS-21 stress raw mean", dass["dass21_stress_raw"], 3.8, 5.7)):
        out.append(Target(tid, f"{label}, community adults", lo, hi, *mean_ci(x), _SRC_D1))
    for tid, label, x, lo, hi in (("D1b", "PSS-10 SD", pss, 6, 9), ("D1d", "HADS-A SD", hads["hads_a"], 3, 4.5),
                                  ("D1f", "HADS-D SD", hads["hads_d"], 2.5, 4),
                                  ("D1j", "DASS-21 depression raw SD", dass["dass21_depression_raw"], 3, 4.5),
                                  ("D1l", "DASS-21 anxiety raw SD", dass["dass21_anxiety_raw"], 2.4, 3.5),
                                  ("D1n", "DASS-21 stress raw SD", dass["dass21_stress_raw"], 3.5, 5)):
        out.append(Target(tid, f"{label}, community adults", lo, hi, *sd_ci(x), _SRC_D1))
    for tid, label, x, lo, hi in (("D1g", "share HADS-A >= 8", hads["hads_a"], 0.15, 0.25),
                                  ("D1h", "share HADS-D >= 8", hads["hads_d"], 0.12, 0.25)):
        out.append(Target(tid, f"{label}, community adults", lo, hi, *prop_ci(int((x >= 8).sum()), x.size), _SRC_D1))
    return sorted(out, key=lambda t: t.id)


def _reliability(community: Cohort, outpatients: Cohort, seed: int) -> list[Target]:
    """D2: Cronbach's alpha of every scale on generated people."""
    out = []
    rows = (("D2a", "PSS-10", community, "pss10", "pss10", 0.78, 0.91, "Lee 2012"),
            ("D2b", "DASS-21 depression", community, "dass21", "dass21_depression", 0.80, 0.92,
             "Henry & Crawford 2005"),
            ("D2c", "DASS-21 anxiety", community, "dass21", "dass21_anxiety", 0.80, 0.92, "Henry & Crawford 2005"),
            ("D2d", "DASS-21 stress", community, "dass21", "dass21_stress", 0.80, 0.92, "Henry & Crawford 2005"),
            ("D2e", "HADS-A", community, "hads", "hads_a", 0.78, 0.88, "Crawford 2001"),
            ("D2f", "HADS-D", community, "hads", "hads_d", 0.76, 0.86, "Crawford 2001"),
            ("D2g", "BDI-II (depressed outpatients)", outpatients, "bdi2", "bdi2", 0.88, 0.94, "Beck 1996"),
            ("D2h", "HAM-D17 (depressed outpatients)", outpatients, "hamd17", "hamd17", 0.70, 0.85,
             "Trajković 2011"))
    items = {}
    for k, (tid, label, c, inst, scale, lo, hi, src) in enumerate(rows):
        key = (id(c), inst)
        if key not in items:
            items[key] = c.items(inst)
        cols = list(instruments.INSTRUMENTS[inst].scales[scale].items)
        out.append(Target(tid, f"Cronbach's alpha, {label}", lo, hi, *_alpha_ci(items[key][:, cols], seed + k), src))
    return out


def _retest(community: Cohort, outpatients: Cohort) -> list[Target]:
    """D3: test-retest correlations in untreated people (PSS-10 over 6 weeks, HADS over
    4 weeks (the middle of 2-6), BDI-II over 1 week)."""
    b_pss, b_hads = community.scores("pss10")["pss10"], community.scores("hads")
    community.advance(28)
    f_hads = community.scores("hads")
    community.advance(14)
    f_pss = community.scores("pss10")["pss10"]
    b_bdi = outpatients.scores("bdi2")["bdi2"]
    outpatients.advance(7)
    f_bdi = outpatients.scores("bdi2")["bdi2"]
    return [Target("D3a", "PSS-10 retest over 6 weeks, community adults", 0.45, 0.70, *corr_ci(b_pss, f_pss),
                   "Cohen 1983"),
            Target("D3b", "HADS-A retest over 4 weeks, community adults", 0.70, 0.80,
                   *corr_ci(b_hads["hads_a"], f_hads["hads_a"]), "Herrmann 1997"),
            Target("D3c", "HADS-D retest over 4 weeks, community adults", 0.70, 0.80,
                   *corr_ci(b_hads["hads_d"], f_hads["hads_d"]), "Herrmann 1997"),
            Target("D3d", "BDI-II retest over 1 week, depressed outpatients", 0.85, 0.95, *corr_ci(b_bdi, f_bdi),
                   "Beck 1996")]


def _ceilings(cohorts: dict[str, Cohort]) -> Target:
    """D4b: the largest share of people at any scale's maximum, over presets and scales."""
    worst, where, n = 0.0, "", 1
    for preset, c in cohorts.items():
        for name, inst in instruments.INSTRUMENTS.items():
            for scale, x in c.scores(name).items():
                share = float(np.mean(x >= inst.scales[scale].range[1]))
                if share >= worst:
                    worst, where, n = share, f"{scale} in {preset}", x.size
    t = Target("D4b", f"largest share at a scale's maximum, any preset ({where})", 0.0, 0.005,
               *prop_ci(int(round(worst * n)), n), "Hieronymus 2016")
    return t


def _inflammation(community: Cohort, cohorts: dict[str, Cohort]) -> list[Target]:
    """D5: hs-CRP and IL-6 in community adults, measured by the blood panel; the
    largest values over every preset's people."""
    lab = community.labs()
    crp, il6 = lab["crp_mg_l"], lab["il6_pg_ml"]
    src = "NHANES 1999-2010 (Ong 2013); Ishii 2012; CoLaus"
    labs = {preset: c.labs() for preset, c in cohorts.items()}
    crp_max = max(labs.items(), key=lambda kv: np.max(kv[1]["crp_mg_l"]))
    il6_max = max(labs.items(), key=lambda kv: np.max(kv[1]["il6_pg_ml"]))
    n = min(c.n for c in cohorts.values())
    nan2 = (float("nan"), float("nan"))
    return [Target("D5a", "hs-CRP median (mg/L), community adults", 1.5, 2.5, *quantile_ci(crp, 0.5), src),
            Target("D5b", "share hs-CRP > 3 mg/L", 0.25, 0.40, *prop_ci(int((crp > 3).sum()), crp.size), src),
            Target("D5c", "share hs-CRP > 10 mg/L", 0.03, 0.10, *prop_ci(int((crp > 10).sum()), crp.size), src),
            Target("D5d", "IL-6 median (pg/mL)", 1.0, 2.0, *quantile_ci(il6, 0.5), src),
            Target("D5e", "IL-6 95th percentile (pg/mL)", 5.0, 10.0, *quantile_ci(il6, 0.95), src),
            Target("D5f", f"largest hs-CRP (mg/L) of {n:,} people in any preset ({crp_max[0]})", 0.0, 300.0,
                   float(np.max(crp_max[1]["crp_mg_l"])), nan2, "values of sepsis, not of outpatients"),
            Target("D5g", f"largest IL-6 (pg/mL) of {n:,} people in any preset ({il6_max[0]})", 0.0, 100.0,
                   float(np.max(il6_max[1]["il6_pg_ml"])), nan2, "values of sepsis, not of outpatients")]


def _antibiotics(n: int, seed: int) -> list[Target]:
    """D6: species richness through a 4-day broad-spectrum antibiotic course."""
    c = Cohort("community", n, seed + 6)
    r0 = c.species_richness()
    course = Antibiotic(start_day=c.day, end_day=c.day + 4)
    c.advance(4, (course,))
    r_end = c.species_richness()
    c.advance(38)
    r_6w = c.species_richness()
    c.advance(180 - 42)
    r_6m = c.species_richness()
    src = "Palleja 2018; Dethlefsen & Relman 2011"
    fall = 1.0 - r_end / r0
    below = int(np.sum(r_6m < r0))
    return [Target("D6a", "richness lost by the end of a 4-day course (fraction of baseline)", 1 / 3, 1.0,
                   *mean_ci(fall), src),
            Target("D6b", "richness 6 weeks after the course (fraction of baseline)", 0.85, 1.0,
                   *mean_ci(r_6w / r0), src),
            Target("D6c", "share of people still below baseline richness at 6 months", 0.5, 1.0,
                   *prop_ci(below, r0.size), src)]


def _qpcr_spread(c: Cohort) -> list[Target]:
    """D8: between-person SD of qPCR log10 counts in healthy adults, and day-to-day
    within-person variation (two samples 3 days apart)."""
    first = c.labs()
    c.advance(3)
    second = c.labs()
    out = []
    src = "Mariat 2009; Vandeputte 2021"
    for tid, taxon, lo, hi in (("D8a", "Bifidobacterium", 1.0, 1.6), ("D8b", "Lactobacillus", 1.0, 1.6),
                               ("D8c", "Bacteroides", 0.3, 0.8), ("D8d", "Faecalibacterium", 0.3, 0.8)):
        out.append(Target(tid, f"between-person SD of log10 {taxon} (qPCR)", lo, hi, *sd_ci(first[f"log10_{taxon}"]),
                          src))
    ratios = []
    for taxon in ("Bifidobacterium", "Lactobacillus", "Bacteroides", "Faecalibacterium"):
        a, b = first[f"log10_{taxon}"], second[f"log10_{taxon}"]
        ratios.append(np.nanstd(a - b, ddof=1) / np.sqrt(2) / np.nanstd(a, ddof=1))
    out.append(Target("D8e", "within-person (3-day) over between-person SD, median of 4 genera", 0.3, 1.5,
                      float(np.median(ratios)), (float(min(ratios)), float(max(ratios))), src))
    return out


def _mdd_placebo_trial(replicates: int, seed: int):
    """Replicate placebo arms of an adult MDD drug trial (HAM-D17 >= 20 at screening,
    8 weeks): two identical placebo arms, so every randomized person is on placebo."""
    placebo = {"kind": "placebo"}
    raw = {"name": "mdd_placebo_course", "seed": seed, "replicates": replicates, "n_randomized": 120,
           "population": {"preset": "depressed_outpatients", "burn_in_days": 60},
           "screening": {"days_before_baseline": 7, "criteria": [{"score": "hamd17", "min": 20}]},
           "randomization": {"method": "block", "block_size": 2},
           "arms": [{"name": "placebo", "interventions": [placebo]}, {"name": "placebo_b", "interventions": [placebo]}],
           "schedule": {"treatment_days": 56, "follow_up_days": 0, "visits": [0, 14, 28, 42, 56],
                        "biomarker_visits": [0], "instruments": ["hamd17"], "sequencing_16s": False},
           "endpoints": [{"score": "hamd17", "primary": True}], "analysis": {"control_arm": "placebo"}}
    return run_trial(from_dict(TrialConfig, resolve_defaults(raw)))


def _placebo_course(replicates: int, seed: int) -> list[Target]:
    """D4a and D7: baseline spread when screened on HAM-D17, and the placebo course."""
    res = _mdd_placebo_trial(replicates, seed + 7)
    v = res.visits
    base = v["hamd17"][v["day"] == 0]
    rep0 = v["replicate"][v["day"] == 0]
    sds = np.array([base[rep0 == r].std(ddof=1) for r in np.unique(rep0)])
    end = v["hamd17"][v["day"] == 56]
    change = end - base  # same participant order at every visit
    ok = np.isfinite(change)
    change, base_c = change[ok], base[ok]
    src7 = "Kirsch 2008; Stone 2022; Volkmann 2020"
    return [Target("D4a", "HAM-D17 SD at baseline, enrolment screened on HAM-D17 >= 20 (per trial)", 3.0, 6.5,
                   *mean_ci(sds), "Hieronymus 2016"),
            Target("D7a", "placebo-arm baseline HAM-D17, MDD drug-trial design", 22.5, 25.5, *mean_ci(base),
                   src7),
            Target("D7b", "placebo-arm HAM-D17 change at 8 weeks (points)", -9.5, -7.0, *mean_ci(change), src7),
            Target("D7c", "SD of the placebo-arm HAM-D17 change", 6.5, 9.0, *sd_ci(change), src7),
            Target("D7d", "share of large placebo responders (>= 16-point fall)", 0.05, 0.15,
                   *prop_ci(int((change <= -16).sum()), change.size), src7),
            Target("D7e", "share of minimal placebo responders (< 3-point fall)", 0.15, 0.30,
                   *prop_ci(int((change > -3).sum()), change.size), src7),
            Target("D7f", "placebo-arm fall as a share of baseline", 0.30, 0.38,
                   *mean_ci(-change / np.maximum(base_c, 1.0)), src7)]


def people_targets(n_people: int = 100_000, replicates: int = 200, *, seed: int = 20261204) -> list[Target]:
    """Every distribution target D1-D8: cohorts of ``n_people`` (the antibiotic cohort is
    a tenth of it, at least 1,000), and ``replicates`` trials for the placebo course."""
    community = Cohort("community", n_people, seed)
    outpatients = Cohort("depressed_outpatients", n_people, seed + 1)
    stressed = Cohort("stressed_adults", n_people, seed + 2)
    cohorts = {"community": community, "stressed_adults": stressed, "depressed_outpatients": outpatients}
    out = _norms(community)
    out += _reliability(community, outpatients, seed)
    out += _inflammation(community, cohorts)
    ceiling = _ceilings(cohorts)
    out += _qpcr_spread(Cohort("community", n_people, seed + 8))
    out += _retest(community, outpatients)
    out += _placebo_course(replicates, seed)
    out.append(ceiling)
    out += _antibiotics(max(1000, n_people // 10), seed)
    return sorted(out, key=lambda t: (t.id[:2], t.id))
