"""Trial statistics, batched over replicate trials.

What
----
The analyses a randomized placebo-controlled trial report would contain
(ANCOVA of follow-up on arm and baseline, change-score test, Hedges' g,
responder/remission rates, ITT by multiple imputation, completers), plus the
across-replicate summaries a simulation study needs (power / type-I error,
distribution of estimates, random-effects meta-analysis), and the boundaries of
a group-sequential design with interim looks (classic O'Brien-Fleming/Pocock,
Lan-DeMets alpha spending, non-binding futility; :func:`gsd_boundaries`).

Why batched
-----------
A probisim experiment produces R replicate trials of n participants each, so
every per-trial statistic here takes arrays shaped ``(R, n)`` and returns
arrays of length R, computed in closed form with NumPy over all replicates at
once (a single trial is ``R = 1``; 1-D inputs are read as one trial). There is
no Python loop over replicates; the only loops are over the ``m`` imputations
and over the iterations of the REML solver.

Conventions (shared by every function)
--------------------------------------
* ``y`` = follow-up score, ``baseline`` = score at randomization, both float,
  ``NaN`` = missing (dropout).
* ``arm`` = integer array, ``0`` = control (placebo), ``1`` = treatment; any
  other value (probisim uses ``-1``) marks a participant outside the two
  compared arms, who is ignored. A 1-D ``arm`` of length n is broadcast to
  every replicate.
* Differences are always **treatment - control**.
* Raw-unit estimates (ANCOVA, change score) are reported in the units of the
  score, so on probisim's symptom scales (lower is better) a *negative*
  estimate means benefit, as in published trial reports.
* Standardized effects (:func:`hedges_g`, :func:`within_arm_smd`) take a
  ``lower_is_better`` keyword; when it is true the sign is flipped so that a
  *positive* value means improvement/benefit, the convention of the
  meta-analyses probisim is calibrated against (Liu 2019, Hofmeister 2021).
  The low-level functions default to ``lower_is_better=False`` (plain
  treatment - control); :func:`analyze_endpoint` defaults to ``True``.
* Responder rates count improvement (a reduction), so a positive risk
  difference means more responders on treatment.
* A replicate whose statistic is undefined (an empty arm, too few complete
  cases, a constant covariate) gets ``NaN`` rather than an exception, so one
  degenerate simulated trial cannot abort a batch of a thousand.

Randomness
----------
Only :func:`multiple_imputation_ancova` draws random numbers. Its draws come
from three counter-based Philox streams (residual variance, coefficients,
residual noise) derived from the user's seed, each laid out by
(replicate, imputation, ...). Hence the same seed gives bit-identical output,
and the imputations of replicate r do not depend on the data of any other
replicate, or on how many replicates follow it; ``first_replicate`` analyses a
block of replicates (r0, r0 + 1, ...) with exactly the draws they get in one
call from replicate 0.
"""

from .ancova import ancova, change_score_test, completers
from .effects import hedges_g, within_arm_smd
from .endpoint import across_replicates, analyze_endpoint, responder_columns
from .gsd import GroupSequentialDesign, SequentialDecision, alpha_spending, gsd_boundaries
from .imputation import multiple_imputation_ancova, rubin_pool
from .meta import random_effects_meta
from .mi_history import mi_ancova_history
from .mmrm import MMRMResult, mmrm
from .multiplicity import MULTIPLICITY_METHODS, adjust_pvalues, familywise_summary, reject
from .responders import fisher_exact_two_sided, responders
from .sobol import sobol_indices, split_saltelli
from .summary import mean_ci, power, summarize

__all__ = ["ancova", "completers", "change_score_test", "hedges_g", "within_arm_smd", "responders",
           "fisher_exact_two_sided", "multiple_imputation_ancova", "mi_ancova_history", "rubin_pool", "power",
           "summarize", "mean_ci", "random_effects_meta",
           "analyze_endpoint", "responder_columns", "across_replicates", "mmrm", "MMRMResult", "sobol_indices",
           "split_saltelli",
           "adjust_pvalues", "reject", "familywise_summary", "MULTIPLICITY_METHODS",
           "gsd_boundaries", "GroupSequentialDesign", "SequentialDecision", "alpha_spending"]
