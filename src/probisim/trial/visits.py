"""What a visit measures: instrument scores over the recall window, and the lab panel.

Both measure the state at the *start* of the visit day (see :mod:`.loop`): the
instruments average the latent states of the recall window held by the
:class:`~.recall.RecallRing`; stool and blood are sampled from the state now.
Measurement error comes from :mod:`probisim.measure`, keyed by participant and
day, so a visit's results do not depend on who else is measured.
"""

from __future__ import annotations

import numpy as np

from ..kernels import layout as K
from ..measure import biomarkers, instruments
from .recall import RecallRing

__all__ = ["administer_instruments", "measure_biomarkers", "lab_panel", "sequence_species"]


def administer_instruments(names, recall: RecallRing, day: int, keys, pids, given=None) -> dict[str, np.ndarray]:
    """Every score of the instruments ``names`` at a visit at the start of ``day``.
    ``given`` maps an instrument to scores already recorded at this visit (the
    screening administration when screening is the baseline visit): those are used
    as they are, not administered again."""
    out = {}
    for name in names:
        if given and name in given:
            out.update(given[name])
            continue
        inst = instruments.INSTRUMENTS[name]
        lat = recall.window_mean(day, inst.recall_days)
        out.update({k: v.astype(np.float64) for k, v in
                    instruments.administer(name, lat, keys=keys, pids=pids, day=day).items()})
    return out


def measure_biomarkers(model, pop, keys, day, attend, sequencing=True) -> dict[str, np.ndarray]:
    """The lab panel at a visit (:func:`lab_panel`), NaN for those who do not attend."""
    out = lab_panel(model, pop, keys, day, sequencing)
    for k, v in out.items():
        v = v.astype(np.float64)
        v[~attend] = np.nan
        out[k] = v
    return out


def lab_panel(model, pop, keys, day, sequencing=True) -> dict[str, np.ndarray]:
    """What the lab reports at a visit: stool qPCR (log10 cells/g, detection
    limit 10^4), strain-specific qPCR (positive at >= 10^3.5 cells/g), 16S
    sequencing (:func:`sequence_species`: observed species, Shannon and
    Gini-Simpson diversity over species), and the blood panel with assay error and
    limits of detection."""
    out = {}
    res = ~model.is_strain
    q = biomarkers.qpcr(pop.N[:, res], keys=keys, pids=pop.pids, day=day,
                        taxa=[t for t, s in zip(model.taxa, model.is_strain) if not s])
    rnames = [t for t, s in zip(model.taxa, model.is_strain) if not s]
    for k, t in enumerate(rnames):
        out[f"log10_{t}"] = q.log10_cells_per_g[:, k]
    if model.is_strain.any():
        det = biomarkers.strain_detection(pop.N[:, model.is_strain], keys=keys, pids=pop.pids, day=day)
        for k, t in enumerate(t for t, s in zip(model.taxa, model.is_strain) if s):
            out[f"detected_{t}"] = det[:, k].astype(np.float64)
    if sequencing:
        out.update(sequence_species(model, pop, keys, day))
    blood = biomarkers.blood_panel(pop.H[:, K.H_IL6], pop.H[:, K.H_CRP], pop.H[:, K.H_CORT], pop.H[:, K.H_KT],
                                   keys=keys, pids=pop.pids, day=day)
    out["il6_pg_ml"] = blood["il6_pg_per_ml"]
    out["crp_mg_l"] = blood["crp_mg_per_l"]
    out["cortisol_nmol_l"] = blood["cortisol_nmol_per_l"]
    out["kyn_trp"] = blood["kyn_trp"]
    return out


def sequence_species(model, pop, keys, day, read_depth: int = 20000) -> dict[str, np.ndarray]:
    """16S sequencing of stool at ``read_depth`` reads: the taxa's reads by a
    Dirichlet-multinomial (residents and simulated strains), each guild's reads shared
    among the species it holds (the richness state, ``pop.SPP``), a strain being one
    species. Returns ``observed_species`` (species with at least one read), ``shannon``
    (nats) and ``simpson`` (Gini-Simpson), all over species."""
    counts = biomarkers.sequence_16s(pop.N, keys=keys, pids=pop.pids, day=day, read_depth=read_depth)
    sp = biomarkers.species_16s(counts, pop.SPP, model.RG[:, 0], keys=keys, pids=pop.pids, day=day,
                                sd_log10=model.config.richness.species_abundance_sd_log10)
    return {"observed_species": sp.observed_species.astype(np.float64), "shannon": sp.shannon,
            "simpson": sp.simpson}
