"""The trial layer: design, screening, randomization, the day loop with visits,
adherence and dropout, the per-endpoint analysis, and the calibration targets."""

from .run import (
    AnalysisConfig, Arm, Criterion, Dropout, Endpoint, Randomization, Schedule, Screening, TrialConfig, TrialResult,
    load_trial_config, run_trial,
)

__all__ = ["AnalysisConfig", "Arm", "Criterion", "Dropout", "Endpoint", "Randomization", "Schedule", "Screening",
           "TrialConfig", "TrialResult", "load_trial_config", "run_trial"]
