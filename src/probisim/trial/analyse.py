"""The analysis: every endpoint, every active arm against the control arm.

Per replicate (:func:`probisim.stats.analyze_endpoint`): ANCOVA on the baseline
with multiple imputation for ITT, completers, change scores, Hedges' g and, on
lower-is-better symptom scales, responders and remission. Across replicates
(:func:`probisim.stats.across_replicates`): power, distributions and a
random-effects meta-analysis. Only the observed rows are analysed.
"""

from __future__ import annotations

import numpy as np

from .. import stats
from ..config import ConfigError
from ..measure import instruments
from .design import BIOMARKER_ENDPOINTS, Endpoint, control_index, endpoint_visit
from .state import TrialState

__all__ = ["analyse_endpoints", "comparison_key", "comparisons"]

#: biomarkers that fall as things improve (the others rise)
LOWER_IS_BETTER_BIOMARKERS = ("crp_mg_l", "il6_pg_ml", "cortisol_nmol_l", "kyn_trp")


def comparison_key(cfg, e: Endpoint, a: int, ctrl: int) -> str:
    """``"<score>|<arm> vs <control>"``: the key of a comparison in the results."""
    return f"{e.score}|{cfg.arms[a].name} vs {cfg.arms[ctrl].name}"


def comparisons(state: TrialState, order: np.ndarray):
    """Every (endpoint, active arm vs control) of the design, in config order: yields
    ``(key, endpoint, visit, y, baseline, code)`` with (R, n) arrays in randomization
    order within each replicate and ``code`` 1 = the arm, 0 = control, -1 = other."""
    cfg = state.cfg
    R, n = state.arm.shape
    ctrl = control_index(cfg)
    arm_obs = state.sim_arm[order].reshape(R, n)
    for e in cfg.endpoints:
        v_end = endpoint_visit(cfg, e)
        y, b = _outcome_and_baseline(state, e, v_end, order, R, n)
        for a in range(len(cfg.arms)):
            if a == ctrl:
                continue
            code = np.where(arm_obs == a, 1, np.where(arm_obs == ctrl, 0, -1))
            yield comparison_key(cfg, e, a, ctrl), e, v_end, y, b, code


def analyse_endpoints(state: TrialState, order: np.ndarray) -> tuple[dict, dict]:
    """(per_replicate, summary), each keyed by :func:`comparison_key`."""
    cfg = state.cfg
    per_rep, summary = {}, {}
    for key, e, v_end, y, b, code in comparisons(state, order):
        lower, symptom_scale, rem = _direction(e.score)
        res = stats.analyze_endpoint(y, b, code, lower_is_better=lower, alpha=cfg.analysis.alpha,
                                     mi_m=cfg.analysis.mi_imputations, seed=state.seed,
                                     remission_threshold=rem, responder_analysis=symptom_scale)
        per_rep[key] = res
        summary[key] = stats.across_replicates(res, cfg.analysis.alpha)
        summary[key]["endpoint"] = e.score
        summary[key]["visit"] = v_end
        summary[key]["primary"] = e.primary
    return per_rep, summary


def _outcome_and_baseline(state: TrialState, e: Endpoint, v_end: int, order, R: int, n: int):
    """(R, n) scores at the endpoint's visit and at day 0, observed rows."""
    src = state.biomarkers if e.score in BIOMARKER_ENDPOINTS else state.visit_scores
    if v_end not in src or 0 not in src:
        raise ConfigError(path="endpoints", value=e.score, expected=f"measured at day 0 and day {v_end}")
    return src[v_end][e.score][order].reshape(R, n), src[0][e.score][order].reshape(R, n)


def _direction(score: str):
    """(lower_is_better, symptom_scale, remission threshold): responders (a >= 50 %
    fall) and remission are defined only on lower-is-better symptom scales."""
    is_instrument = score in instruments.score_names()
    lower = instruments.score_info(score)["lower_is_better"] if is_instrument \
        else score in LOWER_IS_BETTER_BIOMARKERS
    symptom_scale = is_instrument and lower
    rem = instruments.score_info(score).get("remission") if symptom_scale else None
    return lower, symptom_scale, rem
