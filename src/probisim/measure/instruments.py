"""Psychometric instruments: item-level scores from latent psychological states.

The trial layer hands over three latent states per participant — perceived
stress ``P``, anxiety ``A`` and depression ``D`` — in community-SD units (each
≈ N(0, 1) in community adults), already averaged over the instrument's recall
window (:attr:`Instrument.recall_days`). This module turns them into the numbers
a study would record: every item of every instrument is answered, then scored
the way the published manual says.

Measurement model
-----------------
Items follow Samejima's graded response model. Item ``k`` of a scale has a
discrimination ``a_k`` and ordered thresholds ``b_k1 < … < b_km``; with
``θ_pk`` the item's latent for person ``p``,

    P(X_pk ≥ c) = logistic(a_k (θ_pk − b_kc)),      c = 1..m

and one uniform per item picks the category by inverse CDF, so the real item
counts, ranges, floors and ceilings come out by themselves.

``θ_pk = λ_k · (P, A, D) + u_pk + r_p``, where

* ``λ_k`` maps the latents to the item. Every item reads one latent except the
  HAM-D17 anxiety/somatic items, which read ``D + w_k (A − D)``: psychic and
  somatic anxiety (items 10, 11) ``w = 0.5``; agitation, gastrointestinal and
  general somatic symptoms, hypochondriasis (9, 12, 13, 15) ``w = 0.3``.
* ``u_pk ~ N(0, (τ ς_k)²)`` is a person's *stable* item-specific propensity
  (someone who always sleeps badly, or always reports a dry mouth), drawn
  once per person and replicate (it does not change between visits). It is
  reliable but not shared between items, so it lowers Cronbach's α without
  lowering test–retest reliability — the pattern published data show (α
  below short-interval retest r for every instrument here). ``ς_k`` = 1
  except on the HAM-D17, whose sleep, somatic, weight and insight items carry
  more item-specific variance than its core mood items.
* ``r_p ~ N(0, σ_r²)`` is, for the clinician-rated HAM-D17 only, the rater's
  bias at that visit (severity/leniency): a shift of the latent for all 17
  items, so the items stay consistent with the total and the total stays in
  0–52 without clipping. σ_r (latent units) is set so that the SD of
  (score − score without rater error, same item draws) is 1.25 points at
  D = 2 (HAM-D ≈ 19, the middle of the range seen in outpatient trials); in
  point terms it is smaller near the floor, where raters agree that symptoms
  are absent.

Item parameters are written from four numbers per scale,
``a_k = a·ρ_k`` and ``b_kc = μ + z_k + γ(c − 1)``: ``z_k`` (relative item
severity) and ``ρ_k`` (relative discrimination) are set by hand from the
items' content and their known endorsement in community samples (e.g. BDI-II
sleep and fatigue items are endorsed often, suicidal thoughts rarely;
HAM-D17 insight and weight loss discriminate poorly); ``μ, γ, a, τ`` were
fitted once so that, with the latents ~ N(0, 1)
(pairwise correlation 0.7 where an item reads two), the exact moments of each
scale (:func:`expected_moments`, Gauss–Hermite quadrature, no simulation)
hit:

============  ======================  ===========  ======  =============  ========
scale         community mean (SD)     α            retest  at D = 2       source
============  ======================  ===========  ======  =============  ========
PSS-10        15.8 (7.5)              .85          .88                    Cohen & Janicki-Deverts 2012; α Cohen & Williamson 1988 (.78), Lee 2012 (>.70–.91); 2-day r .85 Cohen 1983
DASS-21 D     2.83 (3.87) raw         .88          .90                    Henry & Crawford 2005
DASS-21 A     1.88 (2.95) raw         .82          .88                    Henry & Crawford 2005
DASS-21 S     4.73 (4.20) raw         .90          .92                    Henry & Crawford 2005
HADS-A        6.14 (3.76)             .83          .88                    Crawford et al. 2001; α Bjelland et al. 2002
HADS-D        3.68 (3.07)             .82          .88                    Crawford et al. 2001; α Bjelland et al. 2002
BDI-II        8.5 (7.0)               .90          .93     22             Beck, Steer & Brown 1996 (α .92–.93, 1-week r .93)
HAM-D17       4.0 (SD not targeted)   .79          .88     19             Trajković et al. 2011 (α .79, retest .82); outpatient trial baselines 18–22
============  ======================  ===========  ======  =============  ========

"retest" is the correlation of totals at two visits with an unchanged latent
(new item draws and rater, same person); observed retest correlations include
true change, so these targets sit a little above the published ones (and
never below α, which this model cannot produce). The values the fit reached
are in :data:`CALIBRATION`; the tests check simulated scores against the
published targets.

Randomness
----------
All draws come from :mod:`probisim.rng` on the ``"instruments"`` stream with
``step`` = visit day and ``site`` from :data:`SITES`, so a score depends only
on (replicate key, participant id, day, instrument) — never on the order of
participants or on who else is in the arrays. Stable item propensities use
``step`` 0 at their own site (they do not depend on the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np
from scipy.special import expit

from ..kernels import rng

__all__ = [
    "LATENTS",
    "SITES",
    "Band",
    "Scale",
    "Instrument",
    "INSTRUMENTS",
    "CALIBRATION",
    "CALIBRATION_LATENT_CORR",
    "administer",
    "simulate_items",
    "score_items",
    "score_names",
    "score_info",
    "classify",
    "cronbach_alpha",
    "expected_moments",
]

#: Latent states, in the order of :attr:`Instrument.loadings` columns.
LATENTS = ("P", "A", "D")

#: Draw sites on the "instruments" stream (distinct per instrument and purpose).
#: ``items``: one uniform per item at step = day; ``specific``: stable item
#: propensities (normals, step 0); ``rater``: HAM-D rater bias (normal, step = day).
SITES: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "pss10": MappingProxyType({"items": 11, "specific": 12}),
        "dass21": MappingProxyType({"items": 21, "specific": 22}),
        "hads": MappingProxyType({"items": 31, "specific": 32}),
        "bdi2": MappingProxyType({"items": 41, "specific": 42}),
        "hamd17": MappingProxyType({"items": 51, "specific": 52, "rater": 53}),
    }
)

#: Step used for draws that must not depend on the visit day.
_STABLE_STEP = 0


class Band(NamedTuple):
    """A severity band: scores ``lo``..``hi`` inclusive carry ``label``."""

    label: str
    lo: int
    hi: int


@dataclass(frozen=True)
class Scale:
    """One reported score of an instrument (a total or a subscale)."""

    name: str  #: score name as returned by :func:`administer`
    items: tuple[int, ...]  #: 0-based item indices summed into the raw score
    multiplier: int  #: reported = multiplier × raw (DASS-21 → DASS-42 units: 2)
    range: tuple[int, int]  #: reported range
    latent: str  #: the latent the scale measures
    bands: tuple[Band, ...]  #: severity bands on the reported score (may be empty)
    screen: int | None  #: reported score ≥ screen: screen-positive / "possible case"
    remission: int | None  #: reported score ≤ remission: remitted
    norm_mean: float | None  #: published community mean (reported units)
    norm_sd: float | None  #: published community SD (reported units)
    norm_alpha: float  #: published Cronbach's α
    lower_is_better: bool = True


@dataclass(frozen=True)
class Instrument:
    """Registry entry: structure, scoring, norms and item parameters."""

    name: str
    long_name: str
    n_items: int
    item_min: int
    item_max: tuple[int, ...]  #: per item
    total_range: tuple[int, int]  #: raw sum of all items
    recall_days: int
    latent: str  #: primary latent ("P" | "A" | "D"); each scale names its own
    scales: Mapping[str, Scale]
    bands: Mapping[str, tuple[Band, ...]]  #: score name -> bands
    source: str
    rater: bool  #: clinician-rated (rater error applies)
    item_labels: tuple[str, ...]
    reverse: tuple[int, ...]  #: 0-based items recorded in reverse (score = max − response)
    loadings: tuple[tuple[float, float, float], ...]  #: item θ = loadings · (P, A, D)
    discrimination: tuple[float, ...]
    thresholds: tuple[tuple[float, ...], ...]  #: scored direction, ordered
    specific_sd: tuple[float, ...]  #: SD of stable item-specific propensity
    rater_sd: float  #: SD of the rater's latent shift (0 when not rated)


# --------------------------------------------------------------------------
# Calibrated constants.
#
# Per scale: mu (location of the first threshold), gamma (spacing of
# successive thresholds), a (discrimination), tau (stable item-specific SD);
# "rater_sd" for HAM-D17. Obtained once with scipy.optimize.least_squares on the relative
# misfit of expected_moments() to the targets in the module docstring
# (log ratio for means, SDs and E[score | D = 2]; (value − target)/0.02 for
# alpha and retest; scaling the hand-set z_k by a fitted factor did not
# improve the BDI-II fit, so they enter as written). For HAM-D17 the fit alternated with rescaling rater_sd by
# 1.25 / (simulated SD of score − score without rater error) on 400 000
# simulated people at D = 2 (A from its conditional normal) until stable.
# Not refitted at import.
# --------------------------------------------------------------------------
_FIT: dict[str, dict[str, float]] = {
    "pss10": dict(mu=-1.2294, gamma=1.2564, a=1.8010, tau=0.5864),
    "dass21_depression": dict(mu=0.6909, gamma=0.8796, a=2.7997, tau=0.3095),
    "dass21_anxiety": dict(mu=1.0766, gamma=0.9075, a=2.7818, tau=0.5634),
    "dass21_stress": dict(mu=0.0023, gamma=1.3305, a=2.9937, tau=0.3702),
    "hads_a": dict(mu=-0.5702, gamma=1.7714, a=2.2310, tau=0.6314),
    "hads_d": dict(mu=0.1971, gamma=1.8439, a=2.5108, tau=0.6538),
    "bdi2": dict(mu=0.4646, gamma=2.4732, a=2.2580, tau=0.7569),
    "hamd17": dict(mu=1.7318, gamma=0.4034, a=2.9324, tau=0.8659, rater_sd=0.0598),
}

#: Latent correlation assumed when calibrating items that read two latents.
CALIBRATION_LATENT_CORR = 0.7

#: Moments of the calibrated scales as expected_moments() gives them with the
#: constants above (raw units; latents ~ N(0, 1), correlation 0.7), and
#: "mean_at_d2" = E[score | D = 2]. Recorded from the calibration run; the
#: tests check simulations against the published targets, not this table.
#: BDI-II cannot hit SD 7.0 and 22 at D = 2 at once with community mean 8.5;
#: the fit settles at SD 6.55 and 23.2 (both inside their tolerances).
CALIBRATION: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "pss10": dict(mean=15.80, sd=7.50, alpha=0.85, retest=0.88),
        "dass21_depression_raw": dict(mean=2.83, sd=3.87, alpha=0.88, retest=0.90),
        "dass21_anxiety_raw": dict(mean=1.88, sd=2.95, alpha=0.82, retest=0.88),
        "dass21_stress_raw": dict(mean=4.73, sd=4.20, alpha=0.90, retest=0.92),
        "hads_a": dict(mean=6.14, sd=3.76, alpha=0.83, retest=0.88),
        "hads_d": dict(mean=3.68, sd=3.07, alpha=0.82, retest=0.88),
        "bdi2": dict(mean=8.49, sd=6.55, alpha=0.90, retest=0.93, mean_at_d2=23.2),
        "hamd17": dict(mean=4.00, sd=5.51, alpha=0.79, retest=0.88, mean_at_d2=19.0, rater_sem_at_d2=1.25),
    }
)


# --------------------------------------------------------------------------
# Item content. Each row: (label, max, z (relative severity), rho (relative
# discrimination), scale name, loadings dict). z > 0: endorsed less often.
# --------------------------------------------------------------------------
def _one(latent: str) -> dict[str, float]:
    return {latent: 1.0}


def _mix(w: float) -> dict[str, float]:
    """HAM-D anxiety/somatic item: θ = D + w (A − D)."""
    return {"A": w, "D": 1.0 - w}


_PSS10_ITEMS = [
    ("upset because of something unexpected", 4, 0.0, 1.0),
    ("unable to control important things", 4, 0.0, 1.0),
    ("nervous and stressed", 4, -0.2, 1.0),
    ("confident about handling personal problems (R)", 4, -0.3, 0.8),
    ("things going your way (R)", 4, -0.4, 0.8),
    ("could not cope with all the things", 4, 0.3, 1.0),
    ("able to control irritations (R)", 4, -0.2, 0.8),
    ("on top of things (R)", 4, -0.2, 0.8),
    ("angered by things outside your control", 4, 0.0, 1.0),
    ("difficulties piling up too high to overcome", 4, 0.4, 1.0),
]
_PSS10_REVERSE = (3, 4, 6, 7)

# DASS-21 item number -> (label, subscale, z)
_DASS21_ITEMS = [
    ("hard to wind down", "stress", -0.1),
    ("dryness of mouth", "anxiety", -0.2),
    ("no positive feeling at all", "depression", 0.0),
    ("breathing difficulty", "anxiety", 0.2),
    ("difficult to work up initiative", "depression", -0.3),
    ("over-react to situations", "stress", -0.1),
    ("trembling", "anxiety", 0.3),
    ("using a lot of nervous energy", "stress", 0.1),
    ("worried about situations with panic", "anxiety", -0.2),
    ("nothing to look forward to", "depression", 0.1),
    ("getting agitated", "stress", 0.0),
    ("difficult to relax", "stress", -0.1),
    ("downhearted and blue", "depression", -0.2),
    ("intolerant of interruptions", "stress", 0.0),
    ("close to panic", "anxiety", 0.3),
    ("unable to become enthusiastic", "depression", 0.0),
    ("not worth much as a person", "depression", 0.2),
    ("rather touchy", "stress", -0.1),
    ("aware of heart action without exertion", "anxiety", 0.0),
    ("scared without good reason", "anxiety", 0.1),
    ("life meaningless", "depression", 0.4),
]
_DASS_LATENT = {"depression": "D", "anxiety": "A", "stress": "P"}

# HADS, questionnaire order; odd items anxiety, even items depression.
_HADS_ITEMS = [
    ("tense or wound up", "a", -0.3),
    ("still enjoy the things I used to", "d", 0.0),
    ("frightened feeling something awful will happen", "a", 0.1),
    ("can laugh and see the funny side", "d", 0.1),
    ("worrying thoughts", "a", -0.1),
    ("feel cheerful", "d", 0.4),
    ("can sit at ease and feel relaxed", "a", -0.2),
    ("feel as if I am slowed down", "d", -0.8),
    ("frightened feeling like butterflies", "a", 0.2),
    ("lost interest in my appearance", "d", 0.0),
    ("feel restless", "a", -0.1),
    ("look forward with enjoyment", "d", 0.1),
    ("sudden feelings of panic", "a", 0.4),
    ("can enjoy a good book or programme", "d", 0.2),
]

_BDI2_ITEMS = [
    ("sadness", 0.0, 1.0),
    ("pessimism", 0.2, 1.0),
    ("past failure", 0.2, 1.0),
    ("loss of pleasure", 0.1, 1.0),
    ("guilty feelings", 0.1, 1.0),
    ("punishment feelings", 0.6, 0.9),
    ("self-dislike", 0.2, 1.0),
    ("self-criticalness", -0.3, 1.0),
    ("suicidal thoughts or wishes", 0.9, 0.9),
    ("crying", 0.3, 0.9),
    ("agitation", -0.1, 0.9),
    ("loss of interest", 0.1, 1.0),
    ("indecisiveness", 0.0, 1.0),
    ("worthlessness", 0.4, 1.0),
    ("loss of energy", -0.4, 1.0),
    ("changes in sleeping pattern", -0.6, 0.7),
    ("irritability", -0.3, 0.9),
    ("changes in appetite", -0.2, 0.7),
    ("concentration difficulty", -0.3, 1.0),
    ("tiredness or fatigue", -0.5, 1.0),
    ("loss of interest in sex", 0.3, 0.7),
]

# (label, max, z, rho, anxiety weight w, specificity ς: the item's stable
# propensity SD is τ·ς). Core mood items carry little item-specific variance;
# sleep, somatic, weight and insight items carry much (they are what makes the
# HAM-D17 heterogeneous: Bagby et al. 2004).
_HAMD17_ITEMS = [
    ("depressed mood", 4, -0.3, 1.2, 0.0, 0.5),
    ("feelings of guilt", 4, 0.0, 1.2, 0.0, 0.5),
    ("suicide", 4, 0.6, 1.0, 0.0, 0.8),
    ("insomnia: early", 2, -0.2, 0.7, 0.0, 1.5),
    ("insomnia: middle", 2, -0.3, 0.7, 0.0, 1.5),
    ("insomnia: late", 2, 0.0, 0.7, 0.0, 1.5),
    ("work and activities", 4, -0.2, 1.2, 0.0, 0.5),
    ("retardation", 4, 0.6, 0.8, 0.0, 1.0),
    ("agitation", 4, 0.4, 0.8, 0.3, 1.2),
    ("anxiety: psychic", 4, -0.3, 1.0, 0.5, 1.0),
    ("anxiety: somatic", 4, -0.1, 1.0, 0.5, 1.0),
    ("somatic symptoms: gastrointestinal", 2, 0.3, 0.7, 0.3, 1.3),
    ("somatic symptoms: general", 2, -0.3, 0.7, 0.3, 1.3),
    ("genital symptoms", 2, 0.2, 0.7, 0.0, 1.5),
    ("hypochondriasis", 4, 0.6, 0.6, 0.3, 1.3),
    ("loss of weight", 2, 0.7, 0.5, 0.0, 1.5),
    ("insight", 2, 1.0, 0.4, 0.0, 1.5),
]

_DASS_BANDS = {
    "depression": ((0, 9), (10, 13), (14, 20), (21, 27), (28, 42)),
    "anxiety": ((0, 7), (8, 9), (10, 14), (15, 19), (20, 42)),
    "stress": ((0, 14), (15, 18), (19, 25), (26, 33), (34, 42)),
}
_DASS_LABELS = ("normal", "mild", "moderate", "severe", "extremely severe")
_HADS_BANDS = (Band("normal", 0, 7), Band("mild", 8, 10), Band("moderate", 11, 14), Band("severe", 15, 21))

# Published community norms (reported units) and α; see module docstring.
_NORMS = {
    "pss10": (15.8, 7.5, 0.85),
    "dass21_depression_raw": (2.83, 3.87, 0.88),
    "dass21_anxiety_raw": (1.88, 2.95, 0.82),
    "dass21_stress_raw": (4.73, 4.20, 0.90),
    "hads_a": (6.14, 3.76, 0.83),
    "hads_d": (3.68, 3.07, 0.82),
    "bdi2": (8.5, 7.0, 0.90),
    "hamd17": (4.0, None, 0.79),
}


def _item_params(fit: Mapping[str, float], z, rho, maxima):
    """Discriminations and thresholds of one scale from its compact fit."""
    a = tuple(float(fit["a"] * r) for r in rho)
    b = tuple(
        tuple(float(fit["mu"] + zk + fit["gamma"] * c) for c in range(m))
        for zk, m in zip(z, maxima)
    )
    return a, b


def _loading_row(spec: Mapping[str, float]) -> tuple[float, float, float]:
    return tuple(float(spec.get(name, 0.0)) for name in LATENTS)  # type: ignore[return-value]


def _build(
    name: str,
    long_name: str,
    recall_days: int,
    latent: str,
    labels,
    maxima,
    item_scale,  # per item: key into _FIT
    item_z,
    item_rho,
    item_loading,
    scales: list[Scale],
    source: str,
    rater: bool = False,
    reverse: tuple[int, ...] = (),
    item_specificity=None,
) -> Instrument:
    n = len(labels)
    a = [0.0] * n
    b: list[tuple[float, ...]] = [()] * n
    tau = [0.0] * n
    for key in dict.fromkeys(item_scale):
        idx = [k for k in range(n) if item_scale[k] == key]
        ak, bk = _item_params(_FIT[key], [item_z[k] for k in idx], [item_rho[k] for k in idx], [maxima[k] for k in idx])
        for j, k in enumerate(idx):
            spec = 1.0 if item_specificity is None else item_specificity[k]
            a[k], b[k], tau[k] = ak[j], bk[j], float(_FIT[key]["tau"] * spec)
    return Instrument(
        name=name,
        long_name=long_name,
        n_items=n,
        item_min=0,
        item_max=tuple(maxima),
        total_range=(0, int(sum(maxima))),
        recall_days=recall_days,
        latent=latent,
        scales=MappingProxyType({s.name: s for s in scales}),
        bands=MappingProxyType({s.name: s.bands for s in scales if s.bands}),
        source=source,
        rater=rater,
        item_labels=tuple(labels),
        reverse=reverse,
        loadings=tuple(_loading_row(spec) for spec in item_loading),
        discrimination=tuple(a),
        thresholds=tuple(b),
        specific_sd=tuple(tau),
        rater_sd=float(_FIT[name].get("rater_sd", 0.0)) if rater else 0.0,
    )


def _scale(name, items, maxima, latent, *, multiplier=1, bands=(), screen=None, remission=None, norm=None):
    mean, sd, alpha = _NORMS[norm or name]
    return Scale(
        name=name,
        items=tuple(items),
        multiplier=multiplier,
        range=(0, multiplier * int(sum(maxima[k] for k in items))),
        latent=latent,
        bands=tuple(bands),
        screen=screen,
        remission=remission,
        norm_mean=None if mean is None else mean * multiplier,
        norm_sd=None if sd is None else sd * multiplier,
        norm_alpha=alpha,
    )


def _make_registry() -> dict[str, Instrument]:
    reg: dict[str, Instrument] = {}

    # PSS-10 ---------------------------------------------------------------
    labels, maxima, z, rho = zip(*_PSS10_ITEMS)
    all10 = range(10)
    reg["pss10"] = _build(
        "pss10",
        "Perceived Stress Scale, 10-item",
        30,
        "P",
        labels,
        maxima,
        ["pss10"] * 10,
        z,
        rho,
        [_one("P")] * 10,
        [
            _scale(
                "pss10",
                all10,
                maxima,
                "P",
                bands=(Band("low", 0, 13), Band("moderate", 14, 26), Band("high", 27, 40)),
            )
        ],
        source=(
            "Cohen, Kamarck & Mermelstein 1983 (structure; past month); Cohen & Williamson 1988 "
            "(10-item form, alpha .78); Cohen & Janicki-Deverts 2012 US surveys (mean 15.5-16.1, SD ~7.5: "
            "calibration target 15.8/7.5); items 4,5,7,8 positively worded, reverse-scored. Bands "
            "low/moderate/high 0-13/14-26/27-40 are a common scoring-guide convention, not Cohen's."
        ),
        reverse=_PSS10_REVERSE,
    )

    # DASS-21 --------------------------------------------------------------
    labels, sub, z = zip(*_DASS21_ITEMS)
    maxima = (3,) * 21
    scales = []
    for s in ("depression", "anxiety", "stress"):
        items = [k for k in range(21) if sub[k] == s]
        bands = tuple(Band(lab, lo, hi) for lab, (lo, hi) in zip(_DASS_LABELS, _DASS_BANDS[s]))
        scales.append(
            _scale(
                f"dass21_{s}",
                items,
                maxima,
                _DASS_LATENT[s],
                multiplier=2,
                bands=bands,
                screen=bands[1].lo,
                norm=f"dass21_{s}_raw",
            )
        )
    for s in ("depression", "anxiety", "stress"):
        items = [k for k in range(21) if sub[k] == s]
        scales.append(_scale(f"dass21_{s}_raw", items, maxima, _DASS_LATENT[s]))
    reg["dass21"] = _build(
        "dass21",
        "Depression Anxiety Stress Scales, 21-item",
        7,
        "D",
        labels,
        maxima,
        [f"dass21_{s}" for s in sub],
        z,
        (1.0,) * 21,
        [_one(_DASS_LATENT[s]) for s in sub],
        scales,
        source=(
            "Lovibond & Lovibond 1995 (items, past week, severity bands in DASS-42 units; DASS-21 "
            "subscale sums x2); Henry & Crawford 2005, UK adults n=1794 (raw means/SDs D 2.83/3.87, "
            "A 1.88/2.95, S 4.73/4.20; alpha .88/.82/.90)."
        ),
    )

    # HADS -----------------------------------------------------------------
    labels, sub, z = zip(*_HADS_ITEMS)
    maxima = (3,) * 14
    hads_latent = {"a": "A", "d": "D"}
    scales = [
        _scale(
            f"hads_{s}",
            [k for k in range(14) if sub[k] == s],
            maxima,
            hads_latent[s],
            bands=_HADS_BANDS,
            screen=8,
            remission=7,
        )
        for s in ("a", "d")
    ]
    reg["hads"] = _build(
        "hads",
        "Hospital Anxiety and Depression Scale",
        7,
        "A",
        labels,
        maxima,
        [f"hads_{s}" for s in sub],
        z,
        (1.0,) * 14,
        [_one(hads_latent[s]) for s in sub],
        scales,
        source=(
            "Zigmond & Snaith 1983 (14 items 0-3, past week; odd items anxiety, even depression); "
            "Snaith & Zigmond 1994 bands 0-7/8-10/11-14/15-21, >=8 possible case; Crawford et al. 2001 "
            "UK general population (HADS-A 6.14/3.76, HADS-D 3.68/3.07); alpha from Bjelland et al. 2002 "
            "review (.83/.82). Items are returned in scored (symptom) direction."
        ),
    )

    # BDI-II ---------------------------------------------------------------
    labels, z, rho = zip(*_BDI2_ITEMS)
    maxima = (3,) * 21
    reg["bdi2"] = _build(
        "bdi2",
        "Beck Depression Inventory-II",
        14,
        "D",
        labels,
        maxima,
        ["bdi2"] * 21,
        z,
        rho,
        [_one("D")] * 21,
        [
            _scale(
                "bdi2",
                range(21),
                maxima,
                "D",
                bands=(Band("minimal", 0, 13), Band("mild", 14, 19), Band("moderate", 20, 28), Band("severe", 29, 63)),
                screen=14,
                remission=13,
            )
        ],
        source=(
            "Beck, Steer & Brown 1996 manual (21 items 0-3, past two weeks, bands 0-13/14-19/20-28/29-63, "
            "alpha .92-.93, 1-week retest .93); community/student means 7-10 (SD ~7): target 8.5/7.0; "
            "mild-moderate MDD (D=2) target 22."
        ),
    )

    # HAM-D17 --------------------------------------------------------------
    labels, maxima, z, rho, w, specificity = zip(*_HAMD17_ITEMS)
    reg["hamd17"] = _build(
        "hamd17",
        "Hamilton Depression Rating Scale, 17-item",
        7,
        "D",
        labels,
        maxima,
        ["hamd17"] * 17,
        z,
        rho,
        [_mix(wk) if wk else _one("D") for wk in w],
        [
            _scale(
                "hamd17",
                range(17),
                maxima,
                "D",
                bands=(Band("none", 0, 7), Band("mild", 8, 16), Band("moderate", 17, 23), Band("severe", 24, 52)),
                screen=8,
                remission=7,
            )
        ],
        source=(
            "Hamilton 1960/1967 (17 items; 1,2,3,7,8,9,10,11,15 scored 0-4, 4,5,6,12,13,14,16,17 scored "
            "0-2; total 0-52; past week); bands Zimmerman et al. 2013; remission <=7; Trajkovic et al. 2011 "
            "meta-analysis (alpha .79, retest .82, inter-rater .94); rater error SEM 1.25 points at D=2; "
            "anxiety/somatic items 9-13,15 read D + w(A - D)."
        ),
        rater=True,
        item_specificity=specificity,
    )
    return reg


INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(_make_registry())

_SCALE_INDEX: Mapping[str, str] = MappingProxyType(
    {s: inst.name for inst in INSTRUMENTS.values() for s in inst.scales}
)


# --------------------------------------------------------------------------
# Draws
# --------------------------------------------------------------------------
def _get(name: str) -> Instrument:
    try:
        return INSTRUMENTS[name]
    except KeyError:
        raise KeyError(f"unknown instrument {name!r}; known: {', '.join(INSTRUMENTS)}") from None


def _item_thetas(inst: Instrument, latents: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """(n, n_items) item latents λ_k · (P, A, D), without noise."""
    L = np.asarray(inst.loadings)  # (items, 3)
    theta = np.zeros((n, inst.n_items))
    for j, lat in enumerate(LATENTS):
        if not L[:, j].any():
            continue
        if lat not in latents:
            raise KeyError(f"{inst.name} needs latent {lat!r}; got {sorted(latents)}")
        x = np.broadcast_to(np.asarray(latents[lat], dtype=np.float64), (n,))
        if not np.all(np.isfinite(x)):
            raise ValueError(
                f"latent {lat!r} has non-finite values; administer only to participants who attend"
            )
        theta += x[:, None] * L[:, j]
    return theta


def _category(theta, a, b, u):
    """Graded-response category for each row: number of thresholds passed."""
    x = np.zeros(theta.shape, dtype=np.int8)
    for bc in b:
        # P(X >= c) = logistic(a(θ − b_c)); U < P  <=>  logit(U) < a(θ − b_c)
        x += (np.log(u) - np.log1p(-u) < a * (theta - bc)).astype(np.int8)
    return x


def simulate_items(
    name: str,
    latents: Mapping[str, np.ndarray],
    *,
    keys,
    pids,
    day,
    rater_error: bool = True,
) -> np.ndarray:
    """Item responses (n, n_items) int8, as recorded on the form.

    Reverse-keyed items (PSS-10 items 4, 5, 7, 8) are returned as the
    respondent marked them, so their raw response falls as the latent rises;
    :func:`score_items` reverses them. ``rater_error=False`` drops the HAM-D
    rater bias (the item draws are unchanged), for studying rater error.
    """
    inst = _get(name)
    pids = np.asarray(pids).reshape(-1)
    n = pids.size
    theta = _item_thetas(inst, latents, n)
    site = SITES[name]
    tau = np.asarray(inst.specific_sd)
    if tau.any():
        theta += tau * rng.visit_draws("normal", keys, pids, _STABLE_STEP, site["specific"], inst.n_items)
    if inst.rater and rater_error:
        theta += inst.rater_sd * rng.visit_draws("normal", keys, pids, day, site["rater"], 1)
    u = rng.visit_draws("uniform", keys, pids, day, site["items"], inst.n_items)
    items = np.empty((n, inst.n_items), dtype=np.int8)
    for k in range(inst.n_items):
        items[:, k] = _category(theta[:, k], inst.discrimination[k], inst.thresholds[k], u[:, k])
    for k in inst.reverse:
        items[:, k] = inst.item_max[k] - items[:, k]
    return items


def score_items(name: str, items: np.ndarray) -> dict[str, np.ndarray]:
    """Score recorded item responses: every scale of the instrument, int16 (n,)."""
    inst = _get(name)
    items = np.asarray(items)
    if items.ndim != 2 or items.shape[1] != inst.n_items:
        raise ValueError(f"{name} needs items of shape (n, {inst.n_items}), got {items.shape}")
    scored = items.astype(np.int16)
    for k in inst.reverse:
        scored[:, k] = inst.item_max[k] - scored[:, k]
    return {
        s.name: (s.multiplier * scored[:, list(s.items)].sum(axis=1)).astype(np.int16)
        for s in inst.scales.values()
    }


def administer(
    name: str,
    latents: Mapping[str, np.ndarray],
    *,
    keys,
    pids,
    day,
    rater_error: bool = True,
) -> dict[str, np.ndarray]:
    """Administer instrument ``name`` at visit ``day``: every score, int16 (n,).

    Returned keys: ``pss10``; ``dass21_depression``, ``dass21_anxiety``,
    ``dass21_stress`` (DASS-42 units, 0–42) and ``dass21_*_raw`` (0–21);
    ``hads_a``, ``hads_d``; ``bdi2``; ``hamd17``. ``latents`` maps "P", "A",
    "D" to arrays of shape (n,) (only those the instrument reads are needed;
    they must be finite — leave out participants who miss the visit). ``keys``
    are the participants' "instruments" stream keys ((n, 2) or (2,)), ``pids``
    their ids, ``day`` the visit day (scalar or (n,)).
    """
    items = simulate_items(name, latents, keys=keys, pids=pids, day=day, rater_error=rater_error)
    return score_items(name, items)


def score_names() -> list[str]:
    """Every score :func:`administer` can return, across instruments."""
    return list(_SCALE_INDEX)


def score_info(score_name: str) -> dict:
    """Range, direction, thresholds and norms of one score."""
    try:
        inst = INSTRUMENTS[_SCALE_INDEX[score_name]]
    except KeyError:
        raise KeyError(f"unknown score {score_name!r}; known: {', '.join(_SCALE_INDEX)}") from None
    s = inst.scales[score_name]
    return {
        "score": s.name,
        "instrument": inst.name,
        "long_name": inst.long_name,
        "range": s.range,
        "multiplier": s.multiplier,
        "latent": s.latent,
        "recall_days": inst.recall_days,
        "lower_is_better": s.lower_is_better,
        "remission": s.remission,
        "screen": s.screen,
        "bands": s.bands,
        "norm_mean": s.norm_mean,
        "norm_sd": s.norm_sd,
        "norm_alpha": s.norm_alpha,
        "rater": inst.rater,
        "source": inst.source,
    }


def classify(score_name: str, scores) -> np.ndarray:
    """Severity band label of each score (object array of str)."""
    bands = score_info(score_name)["bands"]
    if not bands:
        raise ValueError(f"{score_name} has no severity bands")
    scores = np.asarray(scores)
    idx = np.searchsorted([b.lo for b in bands], scores, side="right") - 1
    return np.array([b.label for b in bands], dtype=object)[np.clip(idx, 0, len(bands) - 1)]


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's α of an (n, k) item matrix (items in scored direction)."""
    x = np.asarray(items, dtype=np.float64)
    k = x.shape[1]
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var))


# --------------------------------------------------------------------------
# Exact moments by quadrature (calibration and test oracle)
# --------------------------------------------------------------------------
def _gh(n: int):
    """Nodes and weights for E f(Z), Z ~ N(0, 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def expected_moments(
    score_name: str,
    *,
    latent_corr: float = CALIBRATION_LATENT_CORR,
    given_d: float | None = None,
    rater_error: bool = True,
    nodes: int = 40,
) -> dict[str, float]:
    """Exact mean, SD, α and same-latent retest r of a score.

    Latents ~ N(0, 1) with pairwise correlation ``latent_corr`` (or, with
    ``given_d``, D fixed and the others from their conditional normal). The
    item-specific propensities and the rater shift are integrated out by
    Gauss–Hermite quadrature; no random numbers are used. "retest" is the
    correlation of two administrations with the same latents and propensities
    but new item draws and rater.
    """
    inst = INSTRUMENTS[_SCALE_INDEX[score_name]]
    s = inst.scales[score_name]
    items = list(s.items)
    L = np.asarray(inst.loadings)[items]
    used = [j for j in range(3) if L[:, j].any()]
    # latent distribution: mean m, covariance C over the used latents
    cov = np.full((3, 3), latent_corr) + (1 - latent_corr) * np.eye(3)
    mean = np.zeros(3)
    if given_d is not None:
        d = LATENTS.index("D")
        mean = cov[:, d] * given_d
        cov = cov - np.outer(cov[:, d], cov[:, d])
    m, C = mean[used], cov[np.ix_(used, used)]
    zx, wx = _gh(nodes)
    # tensor grid over the used latents (C may be singular: use eigen-factor)
    evals, evecs = np.linalg.eigh(C)
    fac = evecs * np.sqrt(np.clip(evals, 0, None))
    grids = np.meshgrid(*([zx] * len(used)), indexing="ij")
    wgrid = np.ones_like(grids[0])
    for g in np.meshgrid(*([wx] * len(used)), indexing="ij"):
        wgrid = wgrid * g
    Z = np.stack([g.ravel() for g in grids], axis=1)
    xi = m + Z @ fac.T  # (G, used)
    wG = wgrid.ravel()
    theta0 = xi @ L[:, used].T  # (G, K)
    rsd = inst.rater_sd if (inst.rater and rater_error) else 0.0
    zr, wr = _gh(15) if rsd > 0 else (np.zeros(1), np.ones(1))
    zu, wu = _gh(24)
    e1 = np.zeros((len(wG), len(zr), len(zu), len(items)))
    e2 = np.zeros_like(e1)
    for j, k in enumerate(items):
        a, b, tau = inst.discrimination[k], inst.thresholds[k], inst.specific_sd[k]
        th = theta0[:, j, None, None] + rsd * zr[None, :, None] + tau * zu[None, None, :]
        for c, bc in enumerate(b, start=1):
            pc = expit(a * (th - bc))
            e1[..., j] += pc
            e2[..., j] += (2 * c - 1) * pc
    # within occasion: common factors (latents, rater); u integrated per item
    E1 = np.einsum("gruk,u->grk", e1, wu)
    E2 = np.einsum("gruk,u->grk", e2, wu)
    w2 = wG[:, None] * wr[None, :]
    item_mean = np.einsum("gr,grk->k", w2, E1)
    item_var = np.einsum("gr,grk->k", w2, E2) - item_mean**2
    tot_c = E1.sum(axis=2)
    var_c = (E2 - E1**2).sum(axis=2)
    mu_t = float((w2 * tot_c).sum())
    var_t = float((w2 * (var_c + tot_c**2)).sum()) - mu_t**2
    alpha = len(items) / (len(items) - 1) * (1 - item_var.sum() / var_t)
    # retest: propensities shared, rater and responses new
    mk = np.einsum("gruk,r->guk", e1, wr)  # E[X_k | latents, u_k]
    Mk = np.einsum("guk,u->gk", mk, wu)
    var_between = float((wG * Mk.sum(axis=1) ** 2).sum()) - mu_t**2
    var_u = np.einsum("guk,u->gk", mk**2, wu) - Mk**2
    cov12 = var_between + float((wG * var_u.sum(axis=1)).sum())
    mult = s.multiplier
    return {
        "mean": mult * mu_t,
        "sd": mult * float(np.sqrt(var_t)),
        "alpha": float(alpha),
        "retest": cov12 / var_t,
    }
