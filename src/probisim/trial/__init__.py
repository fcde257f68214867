"""The trial layer: a replicated randomized trial around the engine.

The data flow through the modules in the order of a run (:func:`run_trial`):

- :mod:`.design` -- what the trial is: :class:`TrialConfig` and its parts
  (arms, screening criteria, randomization, schedule, dropout, endpoints,
  analysis), checked when built;
- :mod:`.enrol` -- candidates, burn-in and the screening visit, until every
  replicate has ``n_randomized`` eligible participants;
- :mod:`.randomize` -- allocation to the arms (simple, blocks, stratified);
- :mod:`.state` -- the one :class:`~.state.TrialState` the day loop reads and
  writes: population, engine, arms, on-study mask, dropout days, adherence,
  recall ring, visit scores, biomarkers, trajectory buffer;
- :mod:`.loop` -- the day loop; :data:`~.loop.DAY_PLAN` is the order of a
  day's operations, documented once there;
- :mod:`.visits`, :mod:`.recall`, :mod:`.trajectories` -- what a visit
  measures, the latent history its instruments recall, and the per-arm
  summaries for figures;
- :mod:`.tables` -- participants, visits and biomarkers long tables, individual
  effects;
- :mod:`.analyse` -- every endpoint per replicate and across replicates;
- :mod:`.run` -- :func:`run_trial` runs those stages and returns a
  :class:`TrialResult`;
- :mod:`.experiments` -- the shipped experiment configs, found by name.
"""

from .design import (
    AnalysisConfig,
    Arm,
    Criterion,
    Dropout,
    Endpoint,
    Randomization,
    Schedule,
    Screening,
    TrialConfig,
    load_trial_config,
)
from .run import TrialResult, run_trial

__all__ = ["AnalysisConfig", "Arm", "Criterion", "Dropout", "Endpoint", "Randomization", "Schedule", "Screening",
           "TrialConfig", "TrialResult", "load_trial_config", "run_trial"]
