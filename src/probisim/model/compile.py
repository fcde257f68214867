"""The model definition and its compilation into kernel arrays.

:class:`ModelConfig` is the user-facing description (taxa, strains, parameter
groups, interaction overrides). :func:`compile_model` turns it into the flat
arrays the kernel reads: per-taxon parameters ``TP``, the interaction matrix
``ALPHA``, the normalisers and the packed parameter vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import ConfigError, closest, param
from ..kernels import layout as K
from .params import HostParams, MicrobiomeParams, MoodParams, pack_params
from .richness import RichnessParams, check_slow_rates, guild_table, pack_richness
from .taxa import DEFAULT_STRAINS, DEFAULT_TAXA, Strain, Taxon

__all__ = ["ModelConfig", "CompiledModel", "compile_model"]


@dataclass(frozen=True)
class ModelConfig:
    """Taxa, strains and parameters of the model."""

    micro: MicrobiomeParams = param(default_factory=MicrobiomeParams, doc="microbiome numerics and diet kinetics")
    host: HostParams = param(default_factory=HostParams, doc="gut-brain axis parameters")
    mood: MoodParams = param(default_factory=MoodParams, doc="latent mood dynamics")
    richness: RichnessParams = param(default_factory=RichnessParams,
                                     doc="species richness of the resident guilds (colonisation, extinction, kill)")
    taxa: dict[str, Taxon] = param(default_factory=lambda: dict(DEFAULT_TAXA),
                                   doc="resident guilds (add or modify by name)")
    strains: dict[str, Strain] = param(default_factory=lambda: dict(DEFAULT_STRAINS),
                                       doc="probiotic strains (add or modify by name)")
    interactions: dict[str, float] = param(default_factory=dict, unit="per unit relative load",
                                           doc="alpha overrides, keys 'Focal|Other' (competition of Other on Focal; "
                                               "negative = facilitation)")
    include_strains: tuple[str, ...] = param(default_factory=tuple,
                                             doc="strains simulated besides those the interventions dose")
    vagotomy: bool = param(False, source="Bravo 2011 (PNAS 108:16050): vagotomy abolishes the strain's effects in mice",
                           doc="cut the vagus: tone 0 for everyone and no vagal term in cortisol or mood")


@dataclass
class CompiledModel:
    """Arrays for the kernel plus the names that give them meaning."""

    config: ModelConfig
    taxa: list[str]
    is_strain: np.ndarray  # (S,) bool
    genus: list[str]
    TP: np.ndarray  # (S, N_TAXON_PARAMS)
    ALPHA: np.ndarray  # (S, S)
    NORMS: np.ndarray  # (N_NORMS,)
    PRM: np.ndarray  # (N_PARAMS,)
    kappa_ref: np.ndarray  # (S,) population niche size of residents
    baseline_sd_log10: np.ndarray  # (S,)
    baseline_skew: np.ndarray  # (S,) left skew of the between-person log10 distribution (0 for strains)
    survival: np.ndarray  # (S,) gastric survival (strains), 0 for residents
    fermented_cells: np.ndarray  # (S,) cells/g/day at steady state per serving
    antibiotic_sensitivity: np.ndarray  # (S,)
    RG: np.ndarray  # (G, N_RG) species pool, reference load, acquisition rate of each resident guild
    RPRM: np.ndarray  # (N_RICH_PARAMS,) the richness parameters (kernels.richness)
    extra: dict = field(default_factory=dict)

    @property
    def n_taxa(self) -> int:
        return len(self.taxa)

    def index(self, name: str) -> int:
        try:
            return self.taxa.index(name)
        except ValueError:
            raise ConfigError(path="taxon", value=name, expected=f"one of {', '.join(self.taxa)}") from None


def check_intervention_names(cfg: ModelConfig, interventions, prefix: str) -> None:
    """Every strain an intervention doses, and every taxon an antibiotic's sensitivity
    names, must exist in ``cfg``; the error names the intervention's own key
    (``<prefix>[j].strains.<name>``), so a typo is caught when the config is read,
    not when the run reaches that intervention."""
    known_taxa = list(cfg.taxa) + list(cfg.strains)
    for j, iv in enumerate(interventions):
        for name in iv.strains_used():
            if name not in cfg.strains:
                raise ConfigError(path=f"{prefix}[{j}].strains.{name}", value=name,
                                  expected="a strain defined in model.strains (built-in, or added under "
                                           "[model.strains.<name>])", suggestion=closest(name, cfg.strains))
        for name in getattr(iv, "sensitivity", {}) or {}:
            if name not in known_taxa:
                raise ConfigError(path=f"{prefix}[{j}].sensitivity.{name}", value=name,
                                  expected="a taxon or strain of the model", suggestion=closest(name, known_taxa))


def compile_model(cfg: ModelConfig, strains_used: tuple[str, ...] = ()) -> CompiledModel:
    """Build kernel arrays for the residents plus the strains that are used."""
    residents = list(cfg.taxa)
    if not residents:
        raise ConfigError(path="model.taxa", value={}, expected="at least one resident taxon")
    wanted = list(dict.fromkeys(tuple(strains_used) + tuple(cfg.include_strains)))
    for s in wanted:
        if s not in cfg.strains:
            raise ConfigError(path="strain", value=s, expected="a strain defined in model.strains",
                              suggestion=closest(s, cfg.strains))
    # Strain columns follow the model's strain table, not the order in which products
    # list them: a column is also the strain's noise draw, so listing the same strains
    # in another order must not change anyone's trajectory.
    table = list(cfg.strains)
    wanted.sort(key=table.index)
    names = residents + wanted
    S = len(names)
    mp = cfg.micro
    TP = np.zeros((S, K.N_TAXON_PARAMS))
    is_strain = np.zeros(S, dtype=bool)
    genus, sd, surv, ferm, abx = [], np.zeros(S), np.zeros(S), np.zeros(S), np.zeros(S)
    skew = np.zeros(S)
    delta = mp.transit_washout_per_day
    for i, nm in enumerate(names):
        if i < len(residents):
            t = cfg.taxa[nm]
            TP[i, K.TP_RHO] = t.growth_per_day
            TP[i, K.TP_SIGMA] = t.noise_sd
            TP[i, K.TP_KREF] = 10.0 ** t.baseline_log10
            TP[i, K.TP_NICHE] = 1.0
            TP[i, K.TP_FIBRE], TP[i, K.TP_INULIN], TP[i, K.TP_FOS] = t.fibre, t.inulin, t.fos
            TP[i, K.TP_GOS], TP[i, K.TP_SUGAR] = t.gos, t.sugar
            TP[i, K.TP_CORT], TP[i, K.TP_INFL] = t.cortisol_response, t.inflammation_response
            TP[i, K.TP_BUT], TP[i, K.TP_LPS] = t.butyrate_yield, t.lps_potency
            TP[i, K.TP_GABA], TP[i, K.TP_SERO] = t.gaba_capacity, t.serotonin_promotion
            TP[i, K.TP_DOPA] = t.dopamine_capacity
            TP[i, K.TP_RESIDENT] = 1.0
            genus.append(t.genus or nm)
            sd[i] = t.baseline_sd_log10
            skew[i] = t.baseline_skew
            ferm[i] = delta * 10.0 ** t.fermented_log10_per_serving if t.fermented_log10_per_serving > 0 else 0.0
            abx[i] = t.antibiotic_sensitivity
        else:
            s = cfg.strains[nm]
            is_strain[i] = True
            TP[i, K.TP_RHO] = s.growth_per_day
            TP[i, K.TP_SIGMA] = s.noise_sd
            TP[i, K.TP_KREF] = 10.0 ** s.reference_log10
            TP[i, K.TP_NICHE] = s.niche
            TP[i, K.TP_GABA] = s.gaba_capacity
            TP[i, K.TP_DOPA] = s.dopamine_capacity
            TP[i, K.TP_ANTI] = s.anti_inflammatory
            TP[i, K.TP_BARRIER] = s.barrier_support
            TP[i, K.TP_VAGAL] = s.vagal_activity
            genus.append(s.genus)
            surv[i] = s.gastric_survival
            abx[i] = s.antibiotic_sensitivity
        TP[i, K.TP_DELTA] = delta

    # Interaction matrix. The kernel multiplies ALPHA by each taxon's share of
    # the reference community (N_j / sum of resident reference loads), so a
    # minor taxon presses on others in proportion to its biomass. Parameters
    # are given per unit *relative* load of the competitor (N_j / its own
    # reference); they are converted to share units here.
    res = ~is_strain
    comm_ref = TP[res, K.TP_KREF].sum()
    rel_to_share = comm_ref / TP[:, K.TP_KREF]  # multiply a per-relative-load alpha by this
    A = np.full((S, S), mp.cross_competition)
    for i in range(S):
        for j in range(S):
            if genus[i] == genus[j] and i != j:
                if is_strain[i] and not is_strain[j]:
                    A[i, j] = cfg.strains[names[i]].congener_competition * rel_to_share[j]
                elif is_strain[j] and not is_strain[i]:
                    A[i, j] = mp.congener_resident_competition * rel_to_share[j]
                else:
                    A[i, j] = 1.0 * rel_to_share[j]
    if "Bifidobacterium" in names:
        b = names.index("Bifidobacterium")
        for i, _ in enumerate(names):
            if not is_strain[i] and TP[i, K.TP_BUT] > 0:
                A[i, b] = -mp.acetate_crossfeeding * rel_to_share[b]
    for key, val in cfg.interactions.items():
        parts = key.split("|")
        if len(parts) != 2 or parts[0] not in names or parts[1] not in names:
            raise ConfigError(path=f"model.interactions.{key}", value=key,
                              expected=f"'Focal|Other' with both names among the simulated taxa ({', '.join(names)})")
        j = names.index(parts[1])
        A[names.index(parts[0]), j] = val * rel_to_share[j]
    np.fill_diagonal(A, 0.0)

    # population niche size that puts the reference person at baseline (z = 1)
    kappa_ref = np.ones(S)
    share_ref = TP[:, K.TP_KREF] / comm_ref
    for i in np.flatnonzero(res):
        inv = 1.0 - delta / TP[i, K.TP_RHO] - (A[i, res] * share_ref[res]).sum()
        if inv <= 0.05:
            raise ConfigError(path=f"model.taxa.{names[i]}.growth_per_day", value=TP[i, K.TP_RHO],
                              expected=f"a growth rate that sustains the taxon against washout ({delta}/day) "
                                       "and competition (1 - delta/rho - sum(alpha) must exceed 0.05)")
        kappa_ref[i] = 1.0 / inv

    hp = cfg.host
    if hp.vagal_gaba_weight + hp.vagal_serotonin_weight + hp.vagal_butyrate_weight <= 0:
        raise ConfigError(path="model.host.vagal_gaba_weight", value=0.0,
                          expected="vagal GABA, serotonin and butyrate weights with a positive sum "
                                   "(to cut the vagal route use model.vagotomy = true)")
    if hp.serotonin_sporeformer_weight + hp.serotonin_butyrate_weight <= 0:
        raise ConfigError(path="model.host.serotonin_sporeformer_weight", value=0.0,
                          expected="serotonin spore-former and butyrate weights with a positive sum")
    if hp.barrier_floor >= hp.barrier_reference:
        raise ConfigError(path="model.host.barrier_floor", value=hp.barrier_floor,
                          expected=f"a floor below model.host.barrier_reference ({hp.barrier_reference:g})")

    NORMS = np.ones(K.N_NORMS)

    def _pos(x):
        return x if x > 0 else 1.0

    # host signals are per cell (absolute load), scaled to 1 at the reference community
    NORMS[0] = _pos((TP[res, K.TP_BUT] * TP[res, K.TP_KREF]).sum())
    NORMS[1] = _pos((TP[res, K.TP_LPS] * TP[res, K.TP_KREF]).sum())
    NORMS[2] = _pos((TP[res, K.TP_SERO] * TP[res, K.TP_KREF]).sum())
    NORMS[3] = _pos((TP[res, K.TP_GABA] * TP[res, K.TP_KREF]).sum())
    NORMS[4] = mp.reference_fibre_g / (mp.reference_fibre_g + mp.km_fibre_g)
    NORMS[5] = mp.reference_sugar_g / (mp.reference_sugar_g + mp.km_sugar_g)
    NORMS[6] = _pos(TP[res, K.TP_INULIN].sum())
    NORMS[7] = _pos(TP[res, K.TP_FOS].sum())
    NORMS[8] = _pos(TP[res, K.TP_GOS].sum())
    NORMS[9] = comm_ref
    NORMS[K.NORM_DOPA] = _pos((TP[res, K.TP_DOPA] * TP[res, K.TP_KREF]).sum())

    PRM = pack_params(cfg.micro, cfg.host, cfg.mood)
    if cfg.vagotomy:
        # No vagal afferent signal reaches the brain: besides tone 0 (set by the
        # population generator, so the reported vagal signal is 0), the vagal terms of
        # the HPA axis and of mood vanish. They are deviations from the reference
        # signal 1, so leaving them in would read the cut as a maximal deficit and push
        # every mood up (and cortisol up), a route that is not microbial.
        for k in (K.P_CORT_VAG, K.P_P_VAG, K.P_A_VAG, K.P_D_VAG):
            PRM[k] = 0.0
    RG = guild_table(cfg.taxa, residents, cfg.richness, TP[: len(residents), K.TP_KREF])
    check_slow_rates(RG, cfg.richness)
    return CompiledModel(config=cfg, taxa=names, is_strain=is_strain, genus=genus, TP=TP, ALPHA=A,
                         NORMS=NORMS, PRM=PRM, kappa_ref=kappa_ref,
                         baseline_sd_log10=sd, baseline_skew=skew, survival=surv, fermented_cells=ferm,
                         antibiotic_sensitivity=abx, RG=RG, RPRM=pack_richness(cfg.richness))
