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

Item parameters are written from a few numbers per scale,
``a_k = a·ρ_k`` and ``b_kc = μ + s·z_k + γ(c − 1)`` (``s`` = 1 unless the fit
group gives a ``spread``): ``z_k`` (relative item severity) and ``ρ_k``
(relative discrimination) are set by hand from the items' content and their
known endorsement in community samples (e.g. BDI-II sleep and fatigue items are
endorsed often, suicidal thoughts rarely; HAM-D17 insight and weight loss
discriminate poorly); ``μ, γ, a, τ, s`` (and the HAM-D17 rater SD) were fitted
once on people the model generates — community adults, stressed adults and
depressed outpatients, each latent averaged over the recall window — by
:mod:`probisim.calibrate.instrument_fit`, which matches the exact moments of
each scale over those people (:func:`expected_moments` with ``sample=``) to the
published community means, SDs and α, clinical means and α, and a ceiling of
0.3–0.4% at each scale's maximum in every preset. The targets, their sources and
where they depart from a single published value are in ``docs/model.md`` §5.4;
what the fit reached is in :data:`CALIBRATION`. The model brief's distribution
targets (D1–D4, D7) are checked on generated people by
:mod:`probisim.calibrate.people` and ``tests/test_people.py``.

Test–retest reliability on real people comes mostly from the latent states
(their slow states and day-level noise, model.md §3.3): with an unchanged
latent, two administrations (new item draws and rater, same person and
propensities) correlate at least as highly as α, so the published pattern of
retest below α over weeks needs the latent to move between visits.

Randomness
----------
All draws come from :mod:`probisim.rng` on the ``"instruments"`` stream with
``step`` = visit day and ``site`` from :data:`SITES`, so a score depends only
on (replicate key, participant id, day, instrument) — never on the order of
participants or on who else is in the arrays. Stable item propensities use
``step`` 0 at their own site (they do not depend on the day).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

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


@dataclass(frozen=True, kw_only=True)
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
    label: str = ""  #: human name for tables and figures, e.g. "PSS-10 total"


@dataclass(frozen=True, kw_only=True)
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
# The registry, read from data/instruments.toml (item content, norms, bands and
# the calibrated item parameters; see that file's header for its fields).
#
# The compact fit per item group: mu (location of the first threshold), gamma
# (spacing of successive thresholds), a (discrimination), tau (stable
# item-specific SD), spread (of the hand-set item severities; 1 when absent) and,
# for HAM-D17, rater_sd. They come from python -m probisim.calibrate.instrument_fit
# (least squares over generated people; see that module).
# Not refitted at import.
# --------------------------------------------------------------------------
DATA_FILE = Path(__file__).resolve().parent / "data" / "instruments.toml"


def _instrument(name: str, spec: Mapping) -> Instrument:
    """One registry entry from its table in the data file."""
    items, fits = spec["items"], spec["fit"]
    maxima = tuple(int(it["max"]) for it in items)
    a, b, tau = [], [], []
    for it, m in zip(items, maxima):
        fit = fits[it["fit"]]
        a.append(float(fit["a"] * it["discrimination"]))
        b.append(tuple(float(fit["mu"] + fit.get("spread", 1.0) * it["severity"] + fit["gamma"] * c)
                       for c in range(m)))
        tau.append(float(fit["tau"] * it.get("specificity", 1.0)))
    scales = []
    for sc in spec["scales"]:
        idx = tuple(k - 1 for k in sc["items"])
        mult = int(sc.get("multiplier", 1))
        bands = tuple(Band(bd["label"], bd["lo"], bd["hi"]) for bd in sc.get("bands", ()))
        scales.append(Scale(name=sc["name"], items=idx, multiplier=mult,
                            range=(0, mult * sum(maxima[k] for k in idx)), latent=sc["latent"], bands=bands,
                            screen=sc.get("screen"), remission=sc.get("remission"),
                            norm_mean=sc.get("norm_mean"), norm_sd=sc.get("norm_sd"), norm_alpha=sc["norm_alpha"],
                            label=sc.get("label", sc["name"])))
    rater = bool(spec["rater"])
    return Instrument(
        name=name, long_name=spec["long_name"], n_items=len(items), item_min=0, item_max=maxima,
        total_range=(0, sum(maxima)), recall_days=int(spec["recall_days"]), latent=spec["latent"],
        scales=MappingProxyType({s.name: s for s in scales}),
        bands=MappingProxyType({s.name: s.bands for s in scales if s.bands}),
        source=spec["source"], rater=rater, item_labels=tuple(it["label"] for it in items),
        reverse=tuple(k - 1 for k in spec.get("reverse_items", ())),
        loadings=tuple(tuple(float(it["loadings"].get(lat, 0.0)) for lat in LATENTS) for it in items),
        discrimination=tuple(a), thresholds=tuple(b), specific_sd=tuple(tau),
        rater_sd=float(fits[name]["rater_sd"]) if rater else 0.0,
    )


def _load(path: Path = DATA_FILE) -> tuple[dict[str, Instrument], Mapping[str, Mapping[str, float]], float]:
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    reg = {name: _instrument(name, spec) for name, spec in doc["instruments"].items()}
    calib = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in doc["calibration"].items()})
    return reg, calib, float(doc["calibration_latent_corr"])


_REGISTRY, _CALIBRATION, _LATENT_CORR = _load()
INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(_REGISTRY)

#: Latent correlation of the synthetic N(0, 1) latents that expected_moments() uses
#: when it is given no sample (the quadrature oracle of the tests).
CALIBRATION_LATENT_CORR = _LATENT_CORR

#: What the fit of the item groups reached on generated people (raw units, per
#: population): a record of the calibration run; the tests check simulations of
#: generated people against the published targets.
CALIBRATION: Mapping[str, Mapping[str, float]] = _CALIBRATION

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
    logit_u = np.log(u) - np.log1p(-u)  # the same for every threshold
    for bc in b:
        # P(X >= c) = logistic(a(θ − b_c)); U < P  <=>  logit(U) < a(θ − b_c)
        x += (logit_u < a * (theta - bc)).astype(np.int8)
    return x


def simulate_items(
    name: str,
    latents: Mapping[str, np.ndarray],
    *,
    keys,
    pids,
    day,
    rater_error: bool = True,
    inst: Instrument | None = None,
) -> np.ndarray:
    """Item responses (n, n_items) int8, as recorded on the form.

    Reverse-keyed items (PSS-10 items 4, 5, 7, 8) are returned as the
    respondent marked them, so their raw response falls as the latent rises;
    :func:`score_items` reverses them. ``rater_error=False`` drops the HAM-D
    rater bias (the item draws are unchanged), for studying rater error. ``inst``
    replaces the registry entry of ``name`` (for fitting item parameters).
    """
    inst = inst if inst is not None else _get(name)
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
        "label": s.label,
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
    sample: Mapping[str, np.ndarray] | None = None,
    inst: Instrument | None = None,
    u_nodes: int = 24,
    rater_nodes: int = 15,
) -> dict[str, float]:
    """Exact mean, SD, α, same-latent retest r and share at the maximum of a score.

    Latents ~ N(0, 1) with pairwise correlation ``latent_corr`` (or, with
    ``given_d``, D fixed and the others from their conditional normal), or, with
    ``sample``, the empirical distribution of the latents of real (generated)
    people: a mapping of "P", "A", "D" to equal-length arrays, each person one
    point of equal weight. The item-specific propensities and the rater shift are
    integrated out by Gauss–Hermite quadrature; no random numbers are used.
    "retest" is the correlation of two administrations with the same latents and
    propensities but new item draws and rater. ``inst`` replaces the registry
    entry (for fitting item parameters).
    """
    inst = inst if inst is not None else INSTRUMENTS[_SCALE_INDEX[score_name]]
    s = inst.scales[score_name]
    items = list(s.items)
    L = np.asarray(inst.loadings)[items]
    used = [j for j in range(3) if L[:, j].any()]
    if sample is not None:
        xi = np.column_stack([np.asarray(sample[LATENTS[j]], dtype=np.float64) for j in used])
        return _moments_on(inst, s, items, xi @ L[:, used].T, np.full(xi.shape[0], 1.0 / xi.shape[0]),
                           rater_error, u_nodes, rater_nodes)
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
    return _moments_on(inst, s, items, xi @ L[:, used].T, wG, rater_error, u_nodes, rater_nodes)


def _moments_on(inst: Instrument, s: Scale, items: list[int], theta0: np.ndarray, wG: np.ndarray,
                rater_error: bool, u_nodes: int, rater_nodes: int) -> dict[str, float]:
    """Moments of scale ``s`` over latent points: item latents ``theta0`` (G, K) with weights ``wG``."""
    rsd = inst.rater_sd if (inst.rater and rater_error) else 0.0
    zr, wr = _gh(rater_nodes) if rsd > 0 else (np.zeros(1), np.ones(1))
    zu, wu = _gh(u_nodes)
    e1 = np.zeros((len(wG), len(zr), len(zu), len(items)))
    top = np.zeros((len(wG), len(zr), len(items)))
    e2 = np.zeros_like(e1)
    for j, k in enumerate(items):
        a, b, tau = inst.discrimination[k], inst.thresholds[k], inst.specific_sd[k]
        th = theta0[:, j, None, None] + rsd * zr[None, :, None] + tau * zu[None, None, :]
        for c, bc in enumerate(b, start=1):
            pc = expit(a * (th - bc))
            e1[..., j] += pc
            e2[..., j] += (2 * c - 1) * pc
        # P(item at its maximum | common factors), propensity integrated out
        top[..., j] = np.einsum("gru,u->gr", pc, wu)
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
        "at_max": float((w2 * top.prod(axis=2)).sum()),
    }
