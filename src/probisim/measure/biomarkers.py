"""Biomarkers measured at study visits: stool qPCR, 16S sequencing, blood assays.

The model holds true abundances ``N`` (cells per gram of stool, shape (n, S))
and true host values; this module adds what the laboratory adds — assay
error, limits of detection, and the sampling of sequencing reads — so the
trial layer sees what an investigator would see.

* :func:`qpcr` — taxon-specific qPCR, log10 cells/g. Two errors, both
  log-normal: the stool *sample* (one factor per person and day, shared by
  every taxon of that sample: SD 0.25 log10 by default — cells per gram of wet
  stool move with the day's stool moisture and transit, the main covariate of
  day-to-day variation in quantitative profiles, which within people is as
  large as between them for most genera; Vandeputte 2017, Nature 551:507;
  Vandeputte 2021, Nat Commun 12:6740), and the *assay* (per taxon: SD 0.15
  log10 by default: replicate qPCR of stool DNA typically varies by 0.1–0.3
  log10 between extractions, e.g. Matsuki et al. 2004, Rinttilä et al. 2004);
  a result below the detection limit (default 10⁴ cells/g, typical of
  genus-level stool qPCR) is *censored at the limit* and flagged: the value
  returned is the limit itself and ``detected`` is False, so arithmetic on
  the values works and the analysis decides how to treat non-detects.
  Relative abundances (16S) do not see the sample factor.
* :func:`strain_detection` — strain-specific qPCR or selective culture
  (default limit 10^3.5 cells/g), positive/negative, for washout curves; the
  same stool sample (the same sample factor) as :func:`qpcr` on that day.
* :func:`sequence_16s` — 16S rRNA amplicon read counts: Dirichlet-multinomial
  with concentration ``p·φ`` (``φ`` = ``dm_precision``, default 1000: the
  extraction/PCR overdispersion that makes a taxon at 1% vary by ≈ 30% CV and
  one at 10% by ≈ 10% between technical replicates) and ``read_depth`` reads.
  Strains are separate columns; since merging columns of a DM draw is a DM
  draw of the merged abundances, the caller may add a probiotic strain's
  column to its genus after sequencing (16S rarely separates strains).
* :func:`species_16s` — the species behind a guild's reads: each guild's reads
  are shared among its present species (the richness state) by a multinomial over
  a log-normal rank-abundance shape, giving observed species (at least one read),
  Shannon and Gini–Simpson diversity over species; a strain is one species.
* :func:`shannon`, :func:`simpson` (Gini–Simpson, 1 − Σp²),
  :func:`observed_richness` — diversity from counts or proportions.
* :func:`blood_panel` — hs-CRP, IL-6, cortisol, Kyn/Trp with unbiased
  (mean-preserving) log-normal analytical error and lower limits of
  detection; see :data:`BLOOD_ASSAYS` for the figures and their sources.

Randomness: the ``"biomarkers"`` stream of :mod:`probisim.rng`, ``step`` =
visit day, ``site`` from :data:`SITES`; the draw column is the taxon (or
analyte) index, so results depend only on (replicate key, participant id,
day, assay, column) — not on the order of participants or who else is
measured. Taxon columns must therefore keep a fixed order across visits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from numba import njit, prange
from scipy.special import gammaincinv

from ..kernels import rng
from ..kernels.binomial import binom_ppf
from ..kernels.philox import _u01, philox4x32_10

__all__ = [
    "SITES",
    "BloodAssay",
    "BLOOD_ASSAYS",
    "ENDPOINT_LABELS",
    "QPCR",
    "qpcr",
    "strain_detection",
    "sequence_16s",
    "binom_ppf",
    "shannon",
    "simpson",
    "observed_richness",
    "species_16s",
    "Species16S",
    "species_shares",
    "blood_panel",
]

#: Draw sites on the "biomarkers" stream (distinct per assay and purpose).
SITES: Mapping[str, int] = MappingProxyType(
    {
        "qpcr": 1,  # normals, one per taxon
        "strain": 2,  # normals, one per strain
        "dm_gamma": 3,  # uniforms: Gamma(α + 1) by inverse CDF, one per taxon
        "dm_power": 4,  # uniforms: U^(1/α) factor turning Gamma(α + 1) into Gamma(α)
        "reads": 5,  # uniforms: conditional binomial read counts, one per taxon
        "blood": 6,  # normals, one per analyte (BLOOD_ASSAYS order)
        "stool": 7,  # normals, one per stool sample (person and day): moisture / load factor
        "species": 8,  # uniforms: a guild's reads among its species, one per pool species
    }
)


class BloodAssay(NamedTuple):
    """Analytical characteristics of one blood assay."""

    key: str  #: output key (units in the name)
    cv: float  #: analytical coefficient of variation
    lod: float  #: lower limit of detection (same units); 0 = none
    source: str


#: Human names (with units) of the lab endpoints a trial reports, for tables and figures;
#: ``log10_<taxon>`` endpoints read "<taxon> (log10 cells/g, qPCR)".
ENDPOINT_LABELS: Mapping[str, str] = MappingProxyType({
    "crp_mg_l": "hs-CRP (mg/L)",
    "il6_pg_ml": "IL-6 (pg/mL)",
    "cortisol_nmol_l": "Cortisol (nmol/L)",
    "kyn_trp": "Kynurenine/tryptophan ratio",
    "shannon": "Shannon diversity over species (nats)",
    "simpson": "Simpson diversity over species",
    "observed_species": "Observed species (16S, 20,000 reads)",
})


#: Analytical CV and lower limit of detection per analyte, in input order.
BLOOD_ASSAYS: Mapping[str, BloodAssay] = MappingProxyType(
    {
        "il6": BloodAssay(
            "il6_pg_per_ml",
            0.12,
            0.2,
            "high-sensitivity IL-6 immunoassays (ELISA / electrochemiluminescence): lower limit "
            "0.1-0.3 pg/mL, between-run CV 10-15% at the 1-5 pg/mL of community adults",
        ),
        "crp": BloodAssay(
            "crp_mg_per_l",
            0.07,
            0.1,
            "hs-CRP immunoturbidimetric/nephelometric methods: analytical CV 5-10% near 1-3 mg/L, "
            "limit of detection about 0.1-0.2 mg/L (Roberts et al. 2001, Clin Chem 47:418)",
        ),
        "cortisol": BloodAssay(
            "cortisol_nmol_per_l",
            0.08,
            2.0,
            "automated serum cortisol immunoassays: CV about 5-10%, limit of detection a few "
            "nmol/L, far below morning serum values (150-600 nmol/L)",
        ),
        "kyn_trp": BloodAssay(
            "kyn_trp",
            0.08,
            0.0,
            "HPLC or LC-MS/MS kynurenine and tryptophan, CV about 5-6% each, so about 8% on their "
            "ratio; both analytes far above their limits of quantification (ratio in input units)",
        ),
    }
)


class QPCR(NamedTuple):
    """qPCR result: log10 cells/g (censored at the limit) and detection flags."""

    log10_cells_per_g: np.ndarray  #: (n, S) float64; equals the limit where not detected
    detected: np.ndarray  #: (n, S) bool


# --------------------------------------------------------------------------
# qPCR and strain detection
# --------------------------------------------------------------------------
def _abundances(N, name: str) -> np.ndarray:
    N = np.asarray(N, dtype=np.float64)
    if N.ndim != 2:
        raise ValueError(f"{name} must have shape (n, S), got {N.shape}")
    if not np.all(np.isfinite(N)) or np.any(N < 0):
        raise ValueError(f"{name} must be finite and non-negative (cells per gram)")
    return N


def _limits(limit, S: int, taxa: Sequence[str] | None, default: float) -> np.ndarray:
    """Detection limits (S,) from a scalar, a sequence, or a taxon -> limit mapping."""
    if isinstance(limit, Mapping):
        if taxa is None or len(taxa) != S:
            raise ValueError("a per-taxon detection-limit mapping needs taxa names, one per column")
        unknown = set(limit) - set(taxa)
        if unknown:
            raise KeyError(f"detection limits given for unknown taxa: {sorted(unknown)}")
        return np.array([float(limit.get(t, default)) for t in taxa])
    out = np.broadcast_to(np.asarray(limit, dtype=np.float64), (S,))
    return out.copy()


def _measure_log10(N, lod, sd, sample_sd, keys, pids, day, site):
    """Measured log10 abundance (censored at ``lod``) and detection mask: the day's
    stool-sample factor (shared by every column, SD ``sample_sd``) plus the assay's
    own error per column (SD ``sd``)."""
    z = rng.visit_draws("normal", keys, pids, day, site, N.shape[1])
    if sample_sd > 0:
        z_sample = rng.visit_draws("normal", keys, pids, day, SITES["stool"], 1)
        z = sd * z + sample_sd * z_sample
    else:
        z = sd * z
    with np.errstate(divide="ignore"):
        measured = np.log10(N) + z  # N = 0 gives -inf: never detected
    detected = measured >= lod
    return np.where(detected, measured, lod), detected


def qpcr(
    N,
    *,
    keys,
    pids,
    day,
    detection_limit_log10: float | Sequence[float] | Mapping[str, float] = 4.0,
    assay_sd_log10: float = 0.15,
    sample_sd_log10: float = 0.25,
    taxa: Sequence[str] | None = None,
) -> QPCR:
    """Taxon-specific qPCR of stool: log10 cells/g with a detection limit.

    ``N`` (n, S) true cells/g. ``detection_limit_log10`` is one limit for all
    taxa, one per column, or a mapping taxon -> limit (others keep 4.0; needs
    ``taxa``). ``sample_sd_log10`` is the day-to-day variation of the stool
    sample (moisture, transit), one factor shared by every taxon of a person's
    sample that day; ``assay_sd_log10`` the assay's own error per taxon.
    Returns :class:`QPCR` ``(log10_cells_per_g, detected)``; values below the
    limit are reported as the limit with ``detected`` False.
    """
    N = _abundances(N, "N")
    lod = _limits(detection_limit_log10, N.shape[1], taxa, 4.0)
    values, detected = _measure_log10(N, lod, assay_sd_log10, sample_sd_log10, keys, pids, day, SITES["qpcr"])
    return QPCR(values, detected)


def strain_detection(
    N_strains,
    *,
    keys,
    pids,
    day,
    detection_limit_log10: float | Sequence[float] = 3.5,
    assay_sd_log10: float = 0.15,
    sample_sd_log10: float = 0.25,
) -> np.ndarray:
    """Strain-specific qPCR / culture: positive (True) or negative, (n, k) bool.

    Positive when the measured log10 cells/g (truth, the stool sample's factor
    shared with :func:`qpcr` of the same person and day, and assay error)
    reaches the limit (default 10^3.5 cells/g); a strain that is absent is
    never positive (no false positives are modelled).
    """
    N = _abundances(N_strains, "N_strains")
    lod = _limits(detection_limit_log10, N.shape[1], None, 3.5)
    return _measure_log10(N, lod, assay_sd_log10, sample_sd_log10, keys, pids, day, SITES["strain"])[1]


# --------------------------------------------------------------------------
# 16S sequencing
# --------------------------------------------------------------------------
def _dirichlet(p, phi, keys, pids, day) -> np.ndarray:
    """Dirichlet(p·φ) proportions by inverse-CDF gammas, computed in log space.

    Gamma(α) = Gamma(α + 1) · U^(1/α): the first factor by the inverse
    regularised incomplete gamma function of one uniform, the second from
    another uniform. Exact in distribution, one fixed pair of uniforms per
    taxon (no rejection loop), and no underflow for the tiny α of rare taxa.
    Taxa with p = 0 get proportion 0.
    """
    S = p.shape[1]
    alpha = p * phi
    present = alpha > 0
    safe = np.where(present, alpha, 1.0)
    u_gamma = rng.visit_draws("uniform", keys, pids, day, SITES["dm_gamma"], S)
    u_power = rng.visit_draws("uniform", keys, pids, day, SITES["dm_power"], S)
    log_g = np.log(gammaincinv(safe + 1.0, u_gamma)) + np.log(u_power) / safe
    log_g = np.where(present, log_g, -np.inf)
    q = np.exp(log_g - log_g.max(axis=1, keepdims=True))
    return q / q.sum(axis=1, keepdims=True)


def sequence_16s(
    N,
    *,
    keys,
    pids,
    day,
    read_depth: int | Sequence[int] = 20000,
    dm_precision: float = 1000.0,
) -> np.ndarray:
    """16S amplicon read counts (n, S) int64, each row summing to ``read_depth``.

    Dirichlet-multinomial: proportions ~ Dirichlet(φ·N/ΣN) with
    φ = ``dm_precision`` (``np.inf`` gives a plain multinomial), then
    ``read_depth`` reads (scalar or one per participant) drawn as a chain of
    conditional binomials, each by inverse CDF of one uniform, so the counts
    are exact in distribution and deterministic per (key, pid, day, taxon).
    """
    N = _abundances(N, "N")
    n, S = N.shape
    total = N.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every sample needs some bacteria (a row of N sums to 0)")
    if not dm_precision > 0:
        raise ValueError("dm_precision must be positive (np.inf for a multinomial)")
    depth = np.broadcast_to(np.asarray(read_depth), (n,))
    if np.any(depth < 0) or np.any(depth != np.round(depth)):
        raise ValueError("read_depth must be non-negative integers")
    p = N / total
    q = p if np.isinf(dm_precision) else _dirichlet(p, float(dm_precision), keys, pids, day)
    # conditional binomials: X_i | earlier ~ Bin(remaining, q_i / Σ_{j≥i} q_j)
    tail = np.cumsum(q[:, ::-1], axis=1)[:, ::-1]
    u = rng.visit_draws("uniform", keys, pids, day, SITES["reads"], S)
    return _read_chain(np.ascontiguousarray(q), np.ascontiguousarray(tail), u, depth.astype(np.int64))


@njit(cache=True, parallel=True)
def _read_chain(q, tail, u, depth):
    """Counts (n, S): per row, X_i = binom_ppf(u_i, remaining, q_i / tail_i) in taxon
    order. Rows are independent (any thread count gives the same counts)."""
    n, S = q.shape
    counts = np.zeros((n, S), np.int64)
    for r in prange(n):
        remaining = depth[r]
        for i in range(S):
            # the last present taxon has tail == q exactly (nothing after it is
            # added), so its share is exactly 1 and it takes every remaining read
            share = q[r, i] / tail[r, i] if tail[r, i] > 0 else 0.0
            c = binom_ppf(u[r, i], remaining, min(share, 1.0))
            counts[r, i] = c
            remaining -= c
    return counts


# --------------------------------------------------------------------------
# Species behind the guilds' reads
# --------------------------------------------------------------------------
class Species16S(NamedTuple):
    """Species-level 16S summaries per sample."""

    observed_species: np.ndarray  #: (n,) species with at least one read (strains included)
    shannon: np.ndarray  #: (n,) Shannon diversity over species, nats
    simpson: np.ndarray  #: (n,) Gini–Simpson diversity over species


def species_shares(max_species: int, sd_log10: float) -> tuple[np.ndarray, np.ndarray]:
    """Rank-abundance of a guild's present species, for every count R = 1..max_species.

    The R species' abundances are the log-normal quantiles
    ``w_k = 10^(sd_log10 · Φ⁻¹((R − k − 0.5) / R))``, k = 0..R−1 (most abundant first).
    Returns ``(offsets, shares)``: ``shares[offsets[R] + k] = w_k / Σ_{j≥k} w_j``, the
    conditional share of species k in the reads left after species 0..k−1 (1 for the
    last one), which is what the read chain draws."""
    from scipy.special import ndtri

    R = np.arange(max_species + 1)
    offsets = np.concatenate([[0], np.cumsum(R)])[:-1].astype(np.int64)  # offsets[R] = R (R - 1) / 2
    shares = np.empty(int(R.sum()))
    for r in range(1, max_species + 1):
        k = np.arange(r)
        w = 10.0 ** (sd_log10 * ndtri((r - k - 0.5) / r))
        tail = np.cumsum(w[::-1])[::-1]
        sh = w / tail
        sh[-1] = 1.0
        shares[offsets[r]: offsets[r] + r] = sh
    return offsets, shares


def species_16s(
    counts,
    species,
    pool,
    *,
    keys,
    pids,
    day,
    sd_log10: float = 0.9,
) -> Species16S:
    """Observed species, Shannon and Gini–Simpson over species, from taxon-level reads.

    ``counts`` (n, S) are the reads of every taxon (:func:`sequence_16s`), the first G
    columns the resident guilds; ``species`` (n, G) how many species each guild holds
    (the richness state) and ``pool`` (G,) each guild's regional pool size (it fixes the
    draw columns: guild g's species k draws column ``sum(pool[:g]) + k``). A guild's
    reads are shared among its species by a multinomial (a chain of conditional
    binomials, each by inverse CDF of one uniform) over the log-normal rank-abundance of
    :func:`species_shares`; the columns after the G-th (strains) are one species each.
    Diversity is of the read proportions over all species. Draws from ``keys`` at site
    ``species``, step = visit day, so a sample's result depends only on (key, pid, day)."""
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    species = np.ascontiguousarray(species, dtype=np.int64)
    n, S = counts.shape
    G = species.shape[1]
    pool = np.asarray(pool, dtype=np.int64)
    if species.shape[0] != n or G > S or pool.shape != (G,):
        raise ValueError(f"counts {counts.shape}, species {species.shape} and pool {pool.shape} disagree")
    if np.any(species < 0) or np.any(species > pool[None, :]):
        raise ValueError("species counts must lie between 0 and the guild's pool size")
    offsets, shares = species_shares(int(max(pool.max(initial=1), 1)), float(sd_log10))
    col0 = np.concatenate([[0], np.cumsum(pool)])[:-1].astype(np.int64)
    keys = np.ascontiguousarray(np.broadcast_to(np.asarray(keys, dtype=np.uint32), (n, 2)))
    pids = np.ascontiguousarray(pids, dtype=np.uint32).reshape(-1)
    steps = np.ascontiguousarray(np.broadcast_to(np.asarray(day, dtype=np.int64), (n,)) & 0xFFFFFFFF,
                                 dtype=np.uint32)
    obs, h, simp = _species_chain(counts, species, col0, offsets, shares, keys, pids, steps,
                                  np.uint32(SITES["species"]))
    return Species16S(obs, h, simp)


@njit(cache=True, parallel=True)
def _species_chain(counts, species, col0, offsets, shares, keys, pids, steps, site):
    """Per sample: each guild's reads among its species (conditional binomials in rank
    order), and the observed species, Shannon and Gini–Simpson of all species' reads."""
    n, S = counts.shape
    G = species.shape[1]
    obs = np.zeros(n, np.int64)
    hs = np.zeros(n)
    simp = np.zeros(n)
    for r in prange(n):
        depth = 0
        for i in range(S):
            depth += counts[r, i]
        if depth == 0:
            hs[r] = np.nan
            simp[r] = np.nan
            continue
        inv = 1.0 / depth
        k0 = keys[r, 0]
        k1 = keys[r, 1]
        blk = -1
        w0 = w1 = w2 = w3 = np.uint32(0)
        o = 0
        h = 0.0
        sq = 0.0
        for i in range(S):
            left = counts[r, i]
            if left == 0:
                continue
            R = species[r, i] if i < G else 1
            if R < 1:
                R = 1  # reads without a species on record: one species
            base = offsets[R]
            for k in range(R):
                if k == R - 1:
                    c = left
                else:
                    j = col0[i] + k
                    b = j >> 2
                    if b != blk:
                        w0, w1, w2, w3 = philox4x32_10(pids[r], steps[r], site, b, k0, k1)
                        blk = b
                    m = j & 3
                    w = w0 if m == 0 else (w1 if m == 1 else (w2 if m == 2 else w3))
                    c = binom_ppf(_u01(w), left, shares[base + k])
                if c > 0:
                    o += 1
                    p = c * inv
                    h -= p * math.log(p)
                    sq += p * p
                    left -= c
                if left == 0:
                    break
        obs[r] = o
        hs[r] = h
        simp[r] = 1.0 - sq
    return obs, hs, simp


# --------------------------------------------------------------------------
# Diversity
# --------------------------------------------------------------------------
def _proportions(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if np.any(x < 0):
        raise ValueError("counts or proportions must be non-negative")
    total = x.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / total  # a row of zeros gives NaN


def shannon(counts_or_p, *, base: float = np.e) -> np.ndarray | float:
    """Shannon diversity −Σ p log p along the last axis (natural log by default)."""
    p = _proportions(counts_or_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    h = -terms.sum(axis=-1) / np.log(base)
    return np.where(np.isnan(p).any(axis=-1), np.nan, h)[()]


def simpson(counts_or_p) -> np.ndarray | float:
    """Gini–Simpson diversity 1 − Σ p² along the last axis."""
    p = _proportions(counts_or_p)
    return (1.0 - (p**2).sum(axis=-1))[()]


def observed_richness(counts) -> np.ndarray | int:
    """Number of taxa with at least one read, along the last axis."""
    return (np.asarray(counts) > 0).sum(axis=-1)[()]


# --------------------------------------------------------------------------
# Blood
# --------------------------------------------------------------------------
def blood_panel(
    il6,
    crp,
    cortisol,
    kyn_trp,
    *,
    keys,
    pids,
    day,
) -> dict[str, np.ndarray]:
    """Measured blood markers with assay error and limits of detection.

    Inputs are true values, shape (n,): IL-6 pg/mL, CRP mg/L, cortisol
    nmol/L, Kyn/Trp ratio. Each measurement is truth × exp(σz − σ²/2) with
    σ² = log(1 + CV²) (mean equal to the truth), CV and limit from
    :data:`BLOOD_ASSAYS`; a value below the limit is reported as the limit.
    Returns ``il6_pg_per_ml``, ``crp_mg_per_l``, ``cortisol_nmol_per_l``,
    ``kyn_trp`` (float64) and ``<key>_detected`` (bool) for each.
    """
    truth = {"il6": il6, "crp": crp, "cortisol": cortisol, "kyn_trp": kyn_trp}
    n = np.asarray(pids).size
    z = rng.visit_draws("normal", keys, pids, day, SITES["blood"], len(BLOOD_ASSAYS))
    out: dict[str, np.ndarray] = {}
    for j, (name, assay) in enumerate(BLOOD_ASSAYS.items()):
        x = np.broadcast_to(np.asarray(truth[name], dtype=np.float64), (n,))
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            raise ValueError(f"{name} must be finite and non-negative")
        sigma = np.sqrt(np.log1p(assay.cv**2))
        measured = x * np.exp(sigma * z[:, j] - 0.5 * sigma**2)
        detected = measured >= assay.lod if assay.lod > 0 else np.ones(n, dtype=bool)
        out[assay.key] = np.where(detected, measured, assay.lod)
        out[f"{assay.key}_detected"] = detected
    return out
