"""The population generator: traits with their correlations, then per-person
microbiome niches and interaction variation.

Traits are drawn through a Gaussian copula: correlated standard normals (from
the counter-based ``traits`` stream, keyed by participant id, so a person's
traits do not depend on who else is generated) mapped through each trait's
marginal distribution. Nothing here labels anyone as depressed or dysbiotic:
those states emerge from diet, susceptibility and stress through the kernel
during burn-in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba import njit
from scipy import stats

from ..config import ConfigError, closest, param
from ..kernels import layout as K
from ..kernels import rng
from .compile import CompiledModel
from .richness import initial_species

__all__ = ["TraitDist", "PopulationConfig", "Population", "generate", "PRESETS", "TRAITS"]


_SRC_SETPOINT = "scale: sets the latent scale (community-SD units, model.md §2)"
_SRC_REL_TRAIT = "assumption: between-person SD not measured; mean 1 = reference person by definition"


@dataclass(frozen=True)
class TraitDist:
    """Marginal distribution of one trait (mean and SD on the natural scale)."""

    dist: str = param("normal", choices=("normal", "lognormal", "beta", "gamma", "fixed"),
                      doc="marginal family; beta is on [0, 1]")
    mean: float = param(0.0, doc="mean on the natural scale")
    sd: float = param(1.0, bounds=(0.0, None), doc="standard deviation on the natural scale")
    low: float | None = param(None, doc="lower clip (optional)")
    high: float | None = param(None, doc="upper clip (optional)")

    def __post_init__(self):
        if self.dist in ("lognormal", "gamma") and self.mean <= 0:
            raise ConfigError(path="mean", value=self.mean, expected=f"a positive mean for a {self.dist} trait")
        if self.dist == "beta":
            if not 0 < self.mean < 1:
                raise ConfigError(path="mean", value=self.mean, expected="a mean inside (0, 1) for a beta trait")
            if self.sd ** 2 >= self.mean * (1 - self.mean):
                raise ConfigError(path="sd", value=self.sd,
                                  expected=f"sd below sqrt(mean(1-mean)) = {np.sqrt(self.mean * (1 - self.mean)):.3g}")

    def transform(self, z: np.ndarray) -> np.ndarray:
        """Map standard normal scores to this marginal."""
        m, s = self.mean, self.sd
        if self.dist == "fixed" or s == 0:
            x = np.full_like(z, m)
        elif self.dist == "normal":
            x = m + s * z
        elif self.dist == "lognormal":
            s2 = np.log1p((s / m) ** 2)
            x = np.exp(np.log(m) - 0.5 * s2 + np.sqrt(s2) * z)
        elif self.dist == "gamma":
            k = (m / s) ** 2
            x = stats.gamma.ppf(stats.norm.cdf(z), k, scale=s * s / m)
        else:  # beta
            nu = m * (1 - m) / s ** 2 - 1
            x = stats.beta.ppf(stats.norm.cdf(z), m * nu, (1 - m) * nu)
        if self.low is not None or self.high is not None:
            x = np.clip(x, self.low if self.low is not None else -np.inf,
                        self.high if self.high is not None else np.inf)
        return x


def _T(dist, mean, sd, low=None, high=None) -> TraitDist:
    return TraitDist(dist=dist, mean=mean, sd=sd, low=low, high=high)


@dataclass(frozen=True)
class Traits:
    """Trait distributions of a source population (defaults: community adults)."""

    fibre_g_per_day: TraitDist = param(default_factory=lambda: _T("lognormal", 18.0, 6.0, 3.0, 80.0),
                                       source="US adults ~15-17 g/day (NHANES); model brief 15-25",
                                       doc="habitual dietary fibre, g/day")
    sugar_g_per_day: TraitDist = param(default_factory=lambda: _T("lognormal", 65.0, 30.0, 5.0, 300.0),
                                       source="NHANES added sugars ~60-80 g/day", doc="habitual added sugar, g/day")
    fermented_servings_per_day: TraitDist = param(default_factory=lambda: _T("gamma", 0.5, 0.6, 0.0, 6.0),
                                                  source="Wastyk 2021 (Cell 184:4137): 0-6 servings",
                                                  doc="habitual fermented-food servings/day")
    background_stress_load: TraitDist = param(default_factory=lambda: _T("gamma", 0.3, 0.25, 0.0, 3.0),
                                              source="assumption: not measured; unitless load on a scale where 1 = a hard exam week",
                                              doc="chronic everyday stressor load (unitless; 1 = a hard exam week)")
    vagal_tone: TraitDist = param(default_factory=lambda: _T("lognormal", 1.0, 0.25),
                                  source="HRV-indexed vagal tone varies ~25-40% between adults",
                                  doc="vagal tone multiplier (1 = reference)")
    inflammatory_susceptibility: TraitDist = param(default_factory=lambda: _T("lognormal", 1.0, 0.3),
                                                   source=_SRC_REL_TRAIT,
                                                   doc="gain of the innate response to LPS and stress")
    stress_reactivity: TraitDist = param(default_factory=lambda: _T("lognormal", 1.0, 0.3),
                                         source=_SRC_REL_TRAIT,
                                         doc="HPA and appraisal gain on stressors")
    expectancy: TraitDist = param(default_factory=lambda: _T("normal", 0.5, 0.3, 0.0, 2.0),
                                  source="Rutherford 2012; Weimer 2015 (placebo responsiveness varies)",
                                  doc="placebo responsiveness (latent relief per day, scaled)")
    stress_setpoint: TraitDist = param(default_factory=lambda: _T("normal", -0.3, 0.65),
                                       source=_SRC_SETPOINT,
                                       doc="personal set-point of latent perceived stress")
    anxiety_setpoint: TraitDist = param(default_factory=lambda: _T("normal", -0.1, 0.9),
                                        source=_SRC_SETPOINT,
                                        doc="personal set-point of latent anxiety")
    depression_setpoint: TraitDist = param(default_factory=lambda: _T("normal", -0.1, 1.0),
                                           source=_SRC_SETPOINT,
                                           doc="personal set-point of latent depression")
    il6_baseline_pg_ml: TraitDist = param(default_factory=lambda: _T("lognormal", 1.9, 1.6, 0.1, 25.0),
                                          source="CoLaus (IL-6 median 1.47, IQR 0.71-3.53 pg/mL); Haapakoski 2015: "
                                                 "healthy controls ~1-2 pg/mL. Clipped at 25 pg/mL: more is disease, "
                                                 "not an outpatient's own level (model.md §3.4)",
                                          doc="IL-6 from non-gut sources (adiposity, age)")
    crp_baseline_mg_l: TraitDist = param(default_factory=lambda: _T("lognormal", 2.9, 3.2, 0.05, 50.0),
                                         source="NHANES 1999-2010 (Ong 2013, Am J Epidemiol 177:1430): hs-CRP median "
                                                "~2 mg/L, log-normal, a third above 3 mg/L. Clipped at 50 mg/L "
                                                "(model.md §3.4)",
                                         doc="CRP at the person's own baseline IL-6")
    cortisol_baseline_nmol_l: TraitDist = param(default_factory=lambda: _T("lognormal", 350.0, 90.0, 50.0, 1500.0),
                                                source="morning serum cortisol reference ~140-690 nmol/L",
                                                doc="morning serum cortisol without stressors")
    kyn_trp_baseline: TraitDist = param(default_factory=lambda: _T("lognormal", 28.0, 6.0, 5.0, 200.0),
                                        source="plasma Kyn ~1.7 uM / Trp ~60 uM; Kazemi 2019",
                                        doc="kynurenine/tryptophan ratio, umol/mmol, at baseline IL-6")
    colonization_resistance: TraitDist = param(default_factory=lambda: _T("lognormal", 1.0, 0.4),
                                               source="Zmora 2018 (Cell 174:1388)",
                                               doc="person-specific resistance to incoming strains")
    adherence_propensity: TraitDist = param(default_factory=lambda: _T("beta", 0.9, 0.08),
                                            source="capsule counts ~85-95% in probiotic trials",
                                            doc="daily probability of taking the study product")
    dropout_propensity: TraitDist = param(default_factory=lambda: _T("lognormal", 1.0, 0.6),
                                          source=_SRC_REL_TRAIT,
                                          doc="multiplier of the dropout hazard")


TRAITS = tuple(f.name for f in fields(Traits))


@dataclass(frozen=True)
class Correlation:
    """Correlation of two traits' normal scores (Gaussian copula)."""

    a: str = param(doc="first trait")
    b: str = param(doc="second trait")
    rho: float = param(0.0, bounds=(-0.95, 0.95), doc="correlation of normal scores")

    def __post_init__(self):
        for k in ("a", "b"):
            v = getattr(self, k)
            if v not in TRAITS:
                raise ConfigError(path=k, value=v, expected="a trait name", suggestion=closest(v, TRAITS))


def _C(a, b, rho) -> Correlation:
    return Correlation(a=a, b=b, rho=rho)


DEFAULT_CORRELATIONS = (
    _C("fibre_g_per_day", "sugar_g_per_day", -0.3),
    _C("fibre_g_per_day", "fermented_servings_per_day", 0.3),
    _C("stress_reactivity", "stress_setpoint", 0.3),
    _C("stress_setpoint", "anxiety_setpoint", 0.5),
    _C("anxiety_setpoint", "depression_setpoint", 0.5),
    _C("stress_setpoint", "depression_setpoint", 0.4),
    _C("il6_baseline_pg_ml", "crp_baseline_mg_l", 0.4),
    _C("inflammatory_susceptibility", "il6_baseline_pg_ml", 0.2),
    _C("adherence_propensity", "dropout_propensity", -0.3),
)


@dataclass(frozen=True)
class PopulationConfig:
    """A source population: its traits and the burn-in to quasi-steady state."""

    preset: str = param("community", choices=("community", "stressed_adults", "depressed_outpatients"),
                        source="scale: selects a named trait table; community = the built-in trait defaults",
                        doc="named trait distributions; fields under 'traits' override it")
    traits: Traits = param(default_factory=Traits, doc="trait marginals")
    correlations: tuple[Correlation, ...] = param(default_factory=lambda: DEFAULT_CORRELATIONS,
                                                  doc="correlations of traits' normal scores")
    burn_in_days: int = param(60, bounds=(0, 3650), integer=True, unit="day",
                              source="assumption: long enough for everyone to reach their own quasi-steady state (model.md §1)",
                              doc="days simulated before day 0 so everyone starts at their own quasi-steady state")
    between_trial_sd: float = param(0.3, bounds=(0.0, 0.9),
                                    source="between-trial heterogeneity tau^2 ~0.05-0.10 in clinical probiotic trials (Liu 2019)",
                                    doc="SD of a replicate-level shift of every trait's normal score: each replicate trial "
                                        "recruits at its own site, so trials differ as real ones do (0 = identical sites)")
    niche_sd_shrink: float = param(0.85, bounds=(0.0, 2.0),
                                   source="assumption: not measured; diet variation supplies the rest of the between-person SD (model.md §3.1)",
                                   doc="share of a taxon's between-person SD given to its niche size (diet adds the rest)")

    def __post_init__(self):
        # A preset chosen on an object whose traits were left at the built-in (community)
        # table takes effect here, so PopulationConfig(preset=...) means what it says
        # whether it arrives as an object or as TOML/dict (where resolve_defaults merges
        # the user's trait fields over the preset). A traits table that differs from the
        # built-in one is taken as given.
        if self.preset in PRESETS and PRESETS[self.preset] and self.traits == Traits():
            from ..config import from_dict
            object.__setattr__(self, "traits", from_dict(Traits, preset_traits(self.preset)))


#: largest person-level reference load of one guild, log10 cells/g (all bacteria in
#: stool number about 1e11-1e12 per g; Sender 2016, PLoS Biol 14:e1002533)
MAX_GUILD_LOG10 = 12.0

#: Presets: partial trait tables merged under the user's own ``population.traits``.
PRESETS: dict[str, dict] = {
    "community": {},
    "stressed_adults": {
        "background_stress_load": {"dist": "gamma", "mean": 0.5, "sd": 0.3, "low": 0.0, "high": 4.0},
        "stress_reactivity": {"dist": "lognormal", "mean": 1.2, "sd": 0.3},
        "stress_setpoint": {"dist": "normal", "mean": 0.1, "sd": 0.6},
        "anxiety_setpoint": {"dist": "normal", "mean": 0.2, "sd": 0.85},
        "sugar_g_per_day": {"dist": "lognormal", "mean": 75.0, "sd": 30.0, "low": 5.0, "high": 300.0},
    },
    "depressed_outpatients": {
        "depression_setpoint": {"dist": "normal", "mean": 2.7, "sd": 1.0},
        "anxiety_setpoint": {"dist": "normal", "mean": 0.6, "sd": 0.9},
        "stress_setpoint": {"dist": "normal", "mean": 0.3, "sd": 0.65},
        "background_stress_load": {"dist": "gamma", "mean": 0.5, "sd": 0.35, "low": 0.0, "high": 4.0},
        "inflammatory_susceptibility": {"dist": "lognormal", "mean": 1.3, "sd": 0.35},
        "fibre_g_per_day": {"dist": "lognormal", "mean": 15.0, "sd": 5.0, "low": 3.0, "high": 80.0},
        "sugar_g_per_day": {"dist": "lognormal", "mean": 85.0, "sd": 35.0, "low": 5.0, "high": 300.0},
        "il6_baseline_pg_ml": {"dist": "lognormal", "mean": 2.2, "sd": 1.6, "low": 0.1, "high": 25.0},
        "expectancy": {"dist": "gamma", "mean": 0.85, "sd": 1.1, "low": 0.0, "high": 4.0},
    },
}


def preset_traits(preset: str) -> dict:
    """The full trait table of a preset, as a dict: the built-in marginals with the
    preset's fields merged over them (an unknown preset adds nothing)."""
    from ..config import deep_merge, to_dict

    return deep_merge(to_dict(Traits()), PRESETS.get(preset, {}))


@dataclass
class Population:
    """Struct-of-arrays state and traits of n participants."""

    pids: np.ndarray  # (n,) uint32 stable ids
    replicate: np.ndarray  # (n,) int64 replicate trial index
    traits: dict[str, np.ndarray]
    T: np.ndarray  # (n, N_TRAITS) kernel traits
    KAPPA: np.ndarray
    CSENS: np.ndarray
    CPRESS: np.ndarray
    N: np.ndarray  # (n, S)
    H: np.ndarray  # (n, N_HOST)
    M: np.ndarray  # (n, 3)
    SPP: np.ndarray  # (n, G) int64 species present per resident guild (model/richness.py)
    DORM: np.ndarray  # (n, G) int64 dormant species (within reach, not in the community)
    EXPO: np.ndarray  # (n,) exposure to the regional species pool (1 = reference)

    @property
    def n(self) -> int:
        return self.pids.size

    def subset(self, idx) -> Population:
        """A copy holding only the participants at ``idx``."""
        return Population(pids=self.pids[idx].copy(), replicate=self.replicate[idx].copy(),
                          traits={k: v[idx].copy() for k, v in self.traits.items()}, T=self.T[idx].copy(),
                          KAPPA=self.KAPPA[idx].copy(), CSENS=self.CSENS[idx].copy(),
                          CPRESS=self.CPRESS[idx].copy(), N=self.N[idx].copy(), H=self.H[idx].copy(),
                          M=self.M[idx].copy(), SPP=self.SPP[idx].copy(), DORM=self.DORM[idx].copy(),
                          EXPO=self.EXPO[idx].copy())


def left_skewed(z: np.ndarray, lam) -> np.ndarray:
    """Standard normal scores z mapped to a left-skewed score with mean 0 and SD 1:
    (e^(lam^2/2) - e^(-lam z)) / sqrt(e^(lam^2) (e^(lam^2) - 1)), a reflected
    log-normal (z itself where lam = 0). Used for a guild's person-level reference
    load: a long lower tail (people who nearly lack the genus) and an upper end."""
    z = np.asarray(z, dtype=np.float64)
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), z.shape[-1:])
    out = z.copy()
    sk = lam > 0
    if sk.any():
        lk = lam[sk]
        e = np.exp(lk * lk)
        out[..., sk] = (np.sqrt(e) - np.exp(-lk * z[..., sk])) / np.sqrt(e * (e - 1.0))
    return out


def _corr_matrix(cors: tuple[Correlation, ...]) -> np.ndarray:
    C = np.eye(len(TRAITS))
    for c in cors:
        i, j = TRAITS.index(c.a), TRAITS.index(c.b)
        C[i, j] = C[j, i] = c.rho
    try:
        return np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        raise ConfigError(path="population.correlations", value=[(c.a, c.b, c.rho) for c in cors],
                          expected="correlations forming a positive-definite matrix") from None


# draw sites in the traits stream (5 and 6 are model.richness's; the slow mood states came later)
_SITE_TRAITS, _SITE_KAPPA, _SITE_CSENS, _SITE_CPRESS, _SITE_TRIAL, _SITE_SLOW = 0, 1, 2, 3, 4, 7
#: participant word reserved for replicate-level (site) draws; participant ids must be below it
_SITE_PID = 0xFFFFFFFF


@njit(cache=True)
def _mix(z: np.ndarray, L: np.ndarray) -> np.ndarray:
    """``z @ L.T`` summed over k in a fixed order for every row. A BLAS product's
    summation order (blocking, FMA kernels) depends on the row's place in the
    batch, so a participant's traits would depend on who else is generated with
    them (the enrolment batch, the shard of replicates)."""
    n, K = z.shape
    out = np.zeros((n, L.shape[0]))
    for i in range(n):
        for j in range(L.shape[0]):
            acc = 0.0
            for k in range(K):
                acc += z[i, k] * L[j, k]
            out[i, j] = acc
    return out


def generate(model: CompiledModel, cfg: PopulationConfig, pids: np.ndarray, replicate: np.ndarray,
             seed: int) -> Population:
    """Draw traits and initial state for participants ``pids`` (before burn-in)."""
    if np.any(np.asarray(pids) >= _SITE_PID):
        raise ValueError("participant ids must be below 2**32 - 1 (reserved for site-level draws)")
    pids = np.asarray(pids, dtype=np.uint32)
    replicate = np.asarray(replicate, dtype=np.int64)
    n, S = pids.size, model.n_taxa
    keys = rng.participant_keys(seed, replicate, "traits")
    L = _corr_matrix(cfg.correlations)
    z = _mix(rng.normals(keys, pids, 0, _SITE_TRAITS, len(TRAITS)), L)
    if cfg.between_trial_sd > 0:
        # one shift per replicate (the counter's participant word is reserved),
        # mixed so that the super-population marginals stay N(0, 1)
        site_pid = np.full(n, _SITE_PID, dtype=np.uint32)
        shift = _mix(rng.normals(keys, site_pid, 0, _SITE_TRIAL, len(TRAITS)), L)
        sd = cfg.between_trial_sd
        z = np.sqrt(1.0 - sd * sd) * z + sd * shift
    traits = {name: getattr(cfg.traits, name).transform(z[:, k]) for k, name in enumerate(TRAITS)}
    if model.config.vagotomy:
        traits["vagal_tone"] = np.zeros(n)
    T = np.empty((n, K.N_TRAITS))
    T[:, K.T_TONE] = traits["vagal_tone"]
    T[:, K.T_SUSC] = traits["inflammatory_susceptibility"]
    T[:, K.T_REACT] = traits["stress_reactivity"]
    T[:, K.T_EXPECT] = traits["expectancy"]
    T[:, K.T_PSET] = traits["stress_setpoint"]
    T[:, K.T_ASET] = traits["anxiety_setpoint"]
    T[:, K.T_DSET] = traits["depression_setpoint"]
    T[:, K.T_IL6] = traits["il6_baseline_pg_ml"]
    T[:, K.T_CRP] = traits["crp_baseline_mg_l"]
    T[:, K.T_CORT] = traits["cortisol_baseline_nmol_l"]
    T[:, K.T_KT] = traits["kyn_trp_baseline"]

    isd = model.config.micro.interaction_sd
    zk = rng.normals(keys, pids, 0, _SITE_KAPPA, S)
    zc = rng.normals(keys, pids, 0, _SITE_CSENS, S)
    zp = rng.normals(keys, pids, 0, _SITE_CPRESS, S)
    res = ~model.is_strain
    KAPPA = np.ones((n, S))
    # a person's own reference load of a guild is capped at 1e12 cells/g, about the
    # density of all bacteria in stool (Sender 2016), however wide its spread
    # (with the default guilds the cap lies beyond 5 SD and never binds)
    expo = cfg.niche_sd_shrink * model.baseline_sd_log10[res] * left_skewed(zk[:, res], model.baseline_skew[res])
    expo = np.minimum(expo, MAX_GUILD_LOG10 - np.log10(model.TP[res, K.TP_KREF]))
    KAPPA[:, res] = model.kappa_ref[res] * 10.0 ** expo
    CSENS = np.exp(isd * zc)
    CSENS[:, model.is_strain] *= traits["colonization_resistance"][:, None]
    CPRESS = np.exp(isd * zp)

    N = np.zeros((n, S))
    N[:, res] = model.TP[res, K.TP_KREF] * KAPPA[:, res] / model.kappa_ref[res]
    H = np.empty((n, K.N_HOST))
    prm = model.config
    H[:, K.H_BUT] = 1.0
    H[:, K.H_BAR] = prm.host.barrier_reference
    H[:, K.H_IL6] = T[:, K.T_IL6]
    H[:, K.H_CRP] = T[:, K.T_CRP]
    H[:, K.H_KT] = T[:, K.T_KT]
    H[:, K.H_SERO] = 1.0
    H[:, K.H_GABA] = 1.0
    H[:, K.H_VAG] = T[:, K.T_TONE]
    H[:, K.H_CORT] = T[:, K.T_CORT]
    H[:, K.H_LPS] = 1.0
    H[:, K.H_EXP] = 0.0
    H[:, K.H_CON] = 0.0
    H[:, K.H_DOPA] = 1.0
    # the slow states start in their stationary distribution (burn-in is shorter than
    # their correlation times), and P, A, D at the set-points they move
    mood = prm.mood
    slow = rng.normals(keys, pids, 0, _SITE_SLOW, 3) * np.array(
        [mood.slow_sd_stress, mood.slow_sd_anxiety, mood.slow_sd_depression])
    M = np.column_stack([T[:, K.T_PSET] + slow[:, 0], T[:, K.T_ASET] + slow[:, 1], T[:, K.T_DSET] + slow[:, 2],
                         slow])
    SPP, DORM, EXPO = initial_species(model, N, traits["fermented_servings_per_day"], keys, pids)
    return Population(pids=pids, replicate=replicate, traits=traits, T=T, KAPPA=KAPPA, CSENS=CSENS,
                      CPRESS=CPRESS, N=N, H=H, M=M, SPP=SPP, DORM=DORM, EXPO=EXPO)
