"""Calibration: the model against published ranges, from the simulation itself.

Effect targets C1–C8 (:mod:`.effects`: what trials show) and distribution targets
D1–D8 (:mod:`.people`: what the simulated people look like) are each computed from
replicate trials or generated cohorts (:mod:`.cohort`) and reported beside their
published range (:mod:`.targets`). Nothing here adjusts the model: a target that
misses is reported as FAIL with its simulated value.
"""

from __future__ import annotations

from .effects import effect_targets
from .people import people_targets
from .targets import Target, format_table

__all__ = ["Target", "effect_targets", "people_targets", "format_table", "run_calibration"]


def run_calibration(replicates: int = 200, n_population: int = 4000, *, n_people: int = 100_000,
                    only: str | None = None, experiments_dir=None, seed: int | None = None) -> list[Target]:
    """Every target: C1-C8 from ``replicates`` trials of each shipped experiment (the
    microbiome targets on ``n_population`` people), D1-D8 on cohorts of ``n_people``
    and ``replicates`` placebo-arm trials. ``only``: "C" or "D" for one family."""
    out: list[Target] = []
    if only in (None, "C"):
        out += effect_targets(replicates, n_population, experiments_dir=experiments_dir, seed=seed)
    if only in (None, "D"):
        out += people_targets(n_people, replicates, **({} if seed is None else {"seed": seed}))
    return out
