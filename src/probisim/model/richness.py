"""Species richness of the resident guilds: its parameters, their compilation into the
arrays of :mod:`probisim.kernels.richness`, and each person's initial species.

Scale: a guild's regional pool (``Taxon.species_pool``) is the species of that guild
found across a population; a person carries about a fifth of them (``species_present``
is the mean in the reference person: guild at its reference load, no fermented food,
exposure 1). The default pools sum to 1,000 species, and the reference person carries
200 (Qin 2010, Nature 464:59: 1,000-1,150 prevalent species in 124 Europeans, at least
160 in each of them). The model is in the kernel's module docstring and in
docs/model.md §3.4.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..config import ConfigError, param
from ..kernels import richness as RK
from ..kernels import rng
from ..kernels.binomial import binom_ppf_nd

__all__ = ["RichnessParams", "pack_richness", "guild_table", "initial_species", "stationary_shares",
           "check_slow_rates"]


@dataclass(frozen=True)
class RichnessParams:
    """Colonisation, local extinction and antibiotic loss of each guild's species."""

    extinction_per_day: float = param(
        0.02, unit="1/day per species", bounds=(0.0, 1.0),
        source="assumption: a present species leaves the community (to the dormant reservoir) after ~7 weeks on "
               "average; the transient fringe of low-abundance taxa (Caporaso 2011, Genome Biol 12:R50)",
        doc="local extinction hazard of a present species at its guild's reference load")
    extinction_load_exponent: float = param(
        0.5, bounds=(0.0, 2.0),
        source="assumption: drift makes extinction likelier in small populations (Hubbell 2001, neutral theory: "
               "exponent 1); 0.5 so that fibre moves richness little (Wastyk 2021) while an antibiotic's "
               "collapse of a guild empties it (Palleja 2018)",
        doc="local extinction scales as (reference load / load)^exponent")
    recolonisation_per_day: float = param(
        0.06, unit="1/day per species", bounds=(0.0, 5.0),
        source="calibrated: D6 (Palleja 2018, Nat Microbiol 3:1255: near-baseline composition 1.5 months "
               "after a 4-day course)",
        doc="return of a dormant species to the community")
    reservoir_loss_per_day: float = param(
        0.002, unit="1/day per species", bounds=(0.0, 0.5),
        source="assumption: a species absent from the community stays within reach for ~1.5 years "
               "(most strains persist for years; Faith 2013, Science 341:1237439)",
        doc="a dormant species drops out of the person's reach (to the regional pool)")
    kill_per_unit: float = param(
        0.12, unit="per unit kill rate", bounds=(0.0, 5.0),
        source="calibrated: D6 (Palleja 2018; Dethlefsen & Relman 2011, PNAS 108:4554)",
        doc="hazard of a present species per unit of the course's kill rate of its guild")
    eradicated_share: float = param(
        0.12, unit="fraction", bounds=(0.0, 1.0),
        source="calibrated: D6 (Palleja 2018: 9 common species undetectable in most people after 180 days)",
        doc="share of the species a course kills that leave no reservoir (absent, not dormant)")
    fermented_receptivity: float = param(
        0.15, unit="per serving/day", bounds=(0.0, 5.0),
        source="Wastyk 2021 (Cell 184:4137): ~6 servings/day of fermented food raised observed ASVs by about "
               "a fifth over 10 weeks, mostly taxa not in the foods",
        doc="relative rise of recolonisation and acquisition per daily serving of fermented food")
    exposure_sd: float = param(
        0.25, unit="ln units", bounds=(0.0, 2.0),
        source="assumption: between-person spread of contact with the regional species pool (household, "
               "geography, birth, past antibiotics); sets the spread of baseline richness (Qin 2010; "
               "Le Chatelier 2013, Nature 500:541)",
        doc="between-person SD of the log exposure to the regional species pool")
    species_abundance_sd_log10: float = param(
        0.9, unit="log10", bounds=(0.0, 3.0),
        source="assumption: within-guild species abundances roughly log-normal, spanning a few orders of "
               "magnitude (rank-abundance curves of gut metagenomes; Qin 2010)",
        doc="SD of log10 abundance among the present species of a guild (the 16S read model)")

    def __post_init__(self):
        if self.recolonisation_per_day + self.reservoir_loss_per_day <= 0:
            raise ConfigError(path="model.richness.recolonisation_per_day", value=self.recolonisation_per_day,
                              expected="recolonisation and reservoir loss with a positive sum")


#: the kernel vector is RichnessParams' first fields, by the kernel's names
assert RK.RICH_PARAM_NAMES == tuple(f.name for f in fields(RichnessParams))[: RK.N_RICH_PARAMS]


def pack_richness(rp: RichnessParams) -> np.ndarray:
    """The kernel's parameter vector (kernels.richness.RICH_PARAM_NAMES)."""
    return np.array([float(getattr(rp, name)) for name in RK.RICH_PARAM_NAMES])


def stationary_shares(e, c, om, a):
    """Shares (present, dormant, absent) of a guild's pool at the steady state of the
    three-state chain with hazards present->dormant e, dormant->present c,
    dormant->absent om, absent->present a (broadcasting)."""
    e, c, om, a = np.broadcast_arrays(*(np.asarray(v, float) for v in (e, c, om, a)))
    with np.errstate(divide="ignore", invalid="ignore"):
        b = e / (c + om)  # dormant per present
        u = np.where(a > 0, om * b / np.where(a > 0, a, 1.0), np.inf)  # absent per present
        tot = 1.0 + b + u
        return 1.0 / tot, b / tot, u / tot


def guild_table(taxa: dict, residents: list[str], rp: RichnessParams, kref: np.ndarray) -> np.ndarray:
    """(G, N_RG): pool size, reference load and acquisition rate of each resident guild;
    the acquisition rate puts the reference person's steady state at ``species_present``."""
    G = len(residents)
    RG = np.zeros((G, RK.N_RG))
    e, c, om = rp.extinction_per_day, rp.recolonisation_per_day, rp.reservoir_loss_per_day
    for g, name in enumerate(residents):
        t = taxa[name]
        pool, r = float(t.species_pool), t.species_present / t.species_pool
        b = r * e / (c + om)
        u = 1.0 - r - b
        if u <= 0 or (om == 0 and r < 1.0) or (e == 0 and r < 1.0):
            raise ConfigError(path=f"model.taxa.{name}.species_present", value=t.species_present,
                              expected="a steady state the richness rates can reach: fewer than "
                                       f"{pool / (1 + e / (c + om)):.4g} species present of a pool of {pool:g} "
                                       f"(with extinction {e:g}, recolonisation {c:g}, reservoir loss {om:g} per "
                                       "day, and both of extinction and reservoir loss positive)")
        RG[g, RK.RG_POOL] = pool
        RG[g, RK.RG_KREF] = kref[g]
        RG[g, RK.RG_ACQ] = om * b / u
    return RG


# draw sites in the traits stream (population._SITE_* use 0-4 and 7)
_SITE_EXPOSURE, _SITE_SPECIES = 5, 6


def initial_species(model, N: np.ndarray, fermented: np.ndarray, keys: np.ndarray, pids: np.ndarray):
    """(SPP, DORM, EXPO) of people starting at abundances ``N`` with habitual fermented
    servings ``fermented``: the exposure ``EXPO`` (log-normal, mean 1) and, per guild, a
    multinomial draw of (present, dormant, absent) from the steady state of each person's
    own rates, so that nobody drifts during burn-in. Draws from the ``traits`` stream
    ``keys``, keyed by participant id."""
    rp = model.config.richness
    RG = model.RG
    G = RG.shape[0]
    n = pids.size
    s = rp.exposure_sd
    z = rng.normals(keys, pids, 0, _SITE_EXPOSURE, 1)[:, 0]
    EXPO = np.exp(s * z - 0.5 * s * s)
    recept = 1.0 + rp.fermented_receptivity * np.asarray(fermented, float)
    with np.errstate(divide="ignore"):
        zinv = RG[:, RK.RG_KREF][None, :] / N[:, :G]
    e = rp.extinction_per_day * zinv ** rp.extinction_load_exponent
    c = rp.recolonisation_per_day * recept[:, None]
    a = RG[:, RK.RG_ACQ][None, :] * (EXPO * recept)[:, None]
    r, b, _ = stationary_shares(e, c, rp.reservoir_loss_per_day, a)
    r, b = np.nan_to_num(r), np.nan_to_num(b)  # (a guild without cells: no shares)
    u = rng.uniforms(keys, pids, 0, _SITE_SPECIES, 2 * G)
    pool = np.broadcast_to(RG[:, RK.RG_POOL].astype(np.int64), (n, G))
    SPP = binom_ppf_nd(u[:, 0::2], pool, r)
    rest = pool - SPP
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = np.clip(np.nan_to_num(np.where(r < 1, b / (1.0 - r), 0.0)), 0.0, 1.0)
    DORM = binom_ppf_nd(u[:, 1::2], rest, pb)
    alive = N[:, :G] > 0
    fix = alive & (SPP < 1)  # a guild with cells holds at least one species
    DORM[fix & (DORM > 0)] -= 1
    SPP[fix] = 1
    SPP[~alive] = 0
    return np.ascontiguousarray(SPP), np.ascontiguousarray(DORM), EXPO


def check_slow_rates(RG: np.ndarray, rp: RichnessParams) -> None:
    """Refuse parameters that would make the pooled slow events per day large (the
    kernel counts them with a sequential Poisson search)."""
    worst = float((RG[:, RK.RG_ACQ] * RG[:, RK.RG_POOL]).sum() * 20.0 * (1 + 10 * rp.fermented_receptivity)
                  + rp.reservoir_loss_per_day * RG[:, RK.RG_POOL].sum())
    if worst > 500.0:
        raise ConfigError(path="model.richness.reservoir_loss_per_day", value=rp.reservoir_loss_per_day,
                          expected="slow exchanges with the regional pool of at most a few hundred species a day "
                                   f"(these settings allow {worst:.3g})")
