"""The analysis: every endpoint, every active arm against the control arm.

Per replicate (:func:`probisim.stats.analyze_endpoint`): ANCOVA on the baseline
with multiple imputation for ITT, completers, change scores, Hedges' g and, on
lower-is-better symptom scales, responders and remission. Across replicates
(:func:`probisim.stats.across_replicates`): power, distributions and a
random-effects meta-analysis. Only the observed rows are analysed.

A run analyses each block of replicates it simulated (:func:`analyse_block`;
the imputation draws of replicate r are those of replicate r in one call over
all) and summarises once over all of them (:func:`summarize_endpoints`), which
also computes the Fisher tests of responders and remission from every
replicate's counts (their vectorized grid is as wide as the largest arm).
"""

from __future__ import annotations

import numpy as np

from .. import stats
from ..config import ConfigError
from ..measure import instruments
from .design import BIOMARKER_ENDPOINTS, Endpoint, control_index, endpoint_visit
from .state import TrialState

__all__ = ["analyse_block", "summarize_endpoints", "comparison_key", "comparison_list", "comparisons"]

#: biomarkers that fall as things improve (the others rise)
LOWER_IS_BETTER_BIOMARKERS = ("crp_mg_l", "il6_pg_ml", "cortisol_nmol_l", "kyn_trp")


def comparison_key(cfg, e: Endpoint, a: int, ctrl: int) -> str:
    """``"<score>|<arm> vs <control>"``: the key of a comparison in the results."""
    return f"{e.score}|{cfg.arms[a].name} vs {cfg.arms[ctrl].name}"


def comparison_list(cfg) -> list[tuple[str, Endpoint, int, int]]:
    """Every (endpoint, active arm vs control) of the design, in config order:
    ``(key, endpoint, endpoint visit, arm index)``."""
    ctrl = control_index(cfg)
    return [(comparison_key(cfg, e, a, ctrl), e, endpoint_visit(cfg, e), a)
            for e in cfg.endpoints for a in range(len(cfg.arms)) if a != ctrl]


def comparisons(state: TrialState, order: np.ndarray):
    """Every (endpoint, active arm vs control) of the design, in config order: yields
    ``(key, endpoint, visit, y, baseline, code)`` with (R, n) arrays in randomization
    order within each replicate and ``code`` 1 = the arm, 0 = control, -1 = other."""
    cfg = state.cfg
    R, n = state.arm.shape
    ctrl = control_index(cfg)
    arm_obs = state.sim_arm[order].reshape(R, n)
    outcomes = {}
    for key, e, v_end, a in comparison_list(cfg):
        if (e.score, v_end) not in outcomes:
            outcomes[e.score, v_end] = _outcome_and_baseline(state, e, v_end, order, R, n)
        y, b = outcomes[e.score, v_end]
        code = np.where(arm_obs == a, 1, np.where(arm_obs == ctrl, 0, -1))
        yield key, e, v_end, y, b, code


def analyse_block(state: TrialState, order: np.ndarray) -> tuple[dict, dict]:
    """(per_replicate, counts) of the block of replicates ``state`` simulated, each
    keyed by :func:`comparison_key`: the per-replicate analysis, and the counts
    ``(x_treat, n_treat, x_control, n_control)`` of its responder and remission
    tests (for :func:`summarize_endpoints`)."""
    cfg = state.cfg
    per_rep, counts = {}, {}
    for key, e, _, y, b, code in comparisons(state, order):
        lower, symptom_scale, rem = _direction(e.score)
        # responders once, here: the block's analysis reports their columns, and their
        # counts go to the Fisher tests over all replicates
        per_rep[key] = stats.analyze_endpoint(y, b, code, lower_is_better=lower, alpha=cfg.analysis.alpha,
                                              mi_m=cfg.analysis.mi_imputations, seed=state.seed,
                                              responder_analysis=False, first_replicate=state.first)
        counts[key] = {}
        if symptom_scale:
            r = stats.responders(y, b, code, remission_threshold=rem, alpha=cfg.analysis.alpha)
            per_rep[key].update(stats.responder_columns(r, rem is not None))
            for pre in ("", "remission_") if rem is not None else ("",):
                counts[key][pre.rstrip("_") or "responders"] = tuple(
                    r[f"{pre}{c}"] for c in ("x_treat", "n_treat", "x_control", "n_control"))
    return per_rep, counts


def summarize_endpoints(cfg, per_rep: dict, counts: dict) -> dict:
    """The summary across replicates of every comparison (``per_rep`` and ``counts``
    over all replicates, in order); sets the Fisher p-values of responders and
    remission in ``per_rep`` from ``counts`` first."""
    summary = {}
    for key, e, v_end, _ in comparison_list(cfg):
        res = per_rep[key]
        for name, (x1, n1, x0, n0) in counts[key].items():
            res[f"{name}_p"] = stats.fisher_exact_two_sided(x1, n1, x0, n0)
        summary[key] = stats.across_replicates(res, cfg.analysis.alpha)
        summary[key]["endpoint"] = e.score
        summary[key]["visit"] = v_end
        summary[key]["primary"] = e.primary
    return summary


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
