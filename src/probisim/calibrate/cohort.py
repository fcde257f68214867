"""A cohort followed without a trial around it: generated people, burned in, then
stepped day by day (optionally given interventions), with instruments and the lab
panel taken at the start of any day, as a visit of a trial would take them.

The distribution targets read the people themselves (norms, reliabilities, blood
tests, microbiome spread and recovery), so they need the same measurement path as a
trial visit without screening, randomization or dropout.
"""

from __future__ import annotations

import numpy as np

from ..config import from_dict
from ..kernels import rng
from ..measure import instruments
from ..model import Engine, ModelConfig, PopulationConfig, compile_model, generate, resolve_defaults
from ..model.engine import habituation_day
from ..trial.recall import RecallRing
from ..trial.visits import lab_panel, sequence_species

__all__ = ["Cohort"]


class Cohort:
    """``n`` people of a population ``preset`` at their own norm (no site shift), burned
    in for ``burn_in_days``; ``day`` is the next day to simulate (0 after burn-in)."""

    def __init__(self, preset: str, n: int, seed: int, *, strains=(), burn_in_days: int = 60, **population):
        self.model = compile_model(ModelConfig(), tuple(strains))
        raw = resolve_defaults({"population": {"preset": preset, "between_trial_sd": 0.0, **population}})
        cfg = from_dict(PopulationConfig, raw["population"])
        self.pop = generate(self.model, cfg, np.arange(n, dtype=np.uint32), np.zeros(n, np.int64), seed)
        self.engine = Engine(self.model, self.pop, seed)
        self.ring = RecallRing.filled_with(self.pop.M)
        self.ikeys = rng.participant_keys(seed, self.pop.replicate, "instruments")
        self.bkeys = rng.participant_keys(seed, self.pop.replicate, "biomarkers")
        self.day = -burn_in_days
        self.engine.habituation_day = habituation_day(-burn_in_days, 0)
        self.advance(burn_in_days)

    @property
    def n(self) -> int:
        return self.pop.n

    def advance(self, days: int, interventions=()) -> None:
        """Simulate ``days`` days, everyone given ``interventions``."""
        groups = [(np.arange(self.n), tuple(interventions))] if interventions else []
        for _ in range(days):
            DRV, IMM, KILL, _ = self.engine.drivers(self.day, groups)
            self.engine.advance(self.day, DRV, IMM, KILL)
            self.ring.record(self.day, self.pop.M)
            self.day += 1

    def items(self, name: str) -> np.ndarray:
        """Item responses of instrument ``name`` at a visit today, in the scored direction."""
        inst = instruments.INSTRUMENTS[name]
        lat = self.ring.window_mean(self.day, inst.recall_days)
        items = instruments.simulate_items(name, lat, keys=self.ikeys, pids=self.pop.pids, day=self.day)
        items = items.astype(np.int16)
        for k in inst.reverse:
            items[:, k] = inst.item_max[k] - items[:, k]
        return items

    def scores(self, name: str) -> dict[str, np.ndarray]:
        """Every score of instrument ``name`` at a visit today."""
        inst = instruments.INSTRUMENTS[name]
        lat = self.ring.window_mean(self.day, inst.recall_days)
        out = instruments.administer(name, lat, keys=self.ikeys, pids=self.pop.pids, day=self.day)
        return {k: v.astype(np.float64) for k, v in out.items()}

    def labs(self, sequencing: bool = False) -> dict[str, np.ndarray]:
        """The lab panel (qPCR, strain detection, optionally 16S, blood) today."""
        return lab_panel(self.model, self.pop, self.bkeys, self.day, sequencing)

    def species_richness(self) -> np.ndarray:
        """Observed species per person today: species with at least one read of 16S
        sequencing at 20,000 reads (:func:`~probisim.trial.visits.sequence_species`),
        which reads the guilds' species counts, the richness state."""
        return sequence_species(self.model, self.pop, self.bkeys, self.day)["observed_species"]
