"""Trial statistics on arrays: ANCOVA, multiple imputation, effect sizes,
responders, power and random-effects meta-analysis (see :mod:`.analysis`)."""

from . import analysis

__all__ = ["analysis"]
