"""One endpoint of a replicated trial: every per-replicate analysis
(:func:`analyze_endpoint`) and its across-replicate summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .ancova import change_score_test, completers
from .arrays import SeedLike, _check_alpha, _prepare
from .effects import hedges_g, within_arm_smd
from .imputation import multiple_imputation_ancova
from .meta import random_effects_meta
from .responders import responders
from .summary import power, summarize

# --------------------------------------------------------------------------
# one endpoint, all analyses
# --------------------------------------------------------------------------


def analyze_endpoint(
    y: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    lower_is_better: bool = True,
    alpha: float = 0.05,
    mi_m: int = 20,
    seed: SeedLike = 0,
    remission_threshold: float | None = None,
    responder_analysis: bool | None = None,
    first_replicate: int = 0,
) -> dict[str, np.ndarray]:
    """Run every per-trial analysis of one endpoint; flat dict of length-R arrays.

    Keys (all arrays of length R):

    ========================================  ===========================================
    ``n_treat``, ``n_control``                randomized to each arm (arm == 1 / 0)
    ``n_completers_treat/_control``           with the follow-up observed
    ``dropout_treat``, ``dropout_control``    fraction of the arm with follow-up missing
    ``ancova_itt_{estimate,se,ci_low,``       ITT: :func:`multiple_imputation_ancova`
    ``ci_high,p,df,lambda}``                  (``mi_m`` imputations, ``seed``)
    ``ancova_completers_{estimate,se,``       :func:`completers` (ANCOVA, complete cases)
    ``ci_low,ci_high,p,df}``
    ``change_{estimate,se,ci_low,ci_high,``   :func:`change_score_test` (Welch)
    ``p,df}``
    ``mean_change_treat/_control``            mean follow-up - baseline (score units)
    ``hedges_g``, ``hedges_g_{se,ci_low,``    :func:`hedges_g` of follow-up scores,
    ``ci_high}``                              completers
    ``within_smd_treat/_control``             :func:`within_arm_smd` per arm
    ``responders_{treat,control}``            response rates (>= 50% reduction,
                                              completers), only if responder_analysis
    ``responders_{rd,rd_ci_low,rd_ci_high,``  risk difference (Wald CI), Fisher p
    ``p}``
    ``remission_{treat,control,rd,``          same for ``y <= remission_threshold``,
    ``rd_ci_low,rd_ci_high,p}``               only if a threshold is given
    ========================================  ===========================================

    Signs: ANCOVA and change estimates are raw treatment - control (negative =
    benefit on a lower-is-better scale); Hedges' g and the within-arm SMDs
    are flipped when ``lower_is_better`` so positive = benefit/improvement;
    responder/remission differences are positive when treatment has more.
    Responder analysis assumes a symptom scale (a relative fall of a score
    whose zero means no symptoms): ``responder_analysis`` switches it on or off
    (default: on when ``lower_is_better``); pass False for biomarkers, where a
    50% fall is not a defined response. ``first_replicate``: row r is replicate
    ``first_replicate + r`` of a larger set (its imputation draws; see
    :func:`multiple_imputation_ancova`).
    """
    y2, b2, a2 = _prepare(y, baseline, arm)
    assert b2 is not None
    t, c = a2 == 1, a2 == 0
    obs = np.isfinite(y2)
    n_t, n_c = t.sum(-1), c.sum(-1)
    out: dict[str, np.ndarray] = {
        "n_treat": n_t,
        "n_control": n_c,
        "n_completers_treat": (t & obs).sum(-1),
        "n_completers_control": (c & obs).sum(-1),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        out["dropout_treat"] = (t & ~obs).sum(-1) / n_t
        out["dropout_control"] = (c & ~obs).sum(-1) / n_c

    mi = multiple_imputation_ancova(y2, b2, a2, m=mi_m, seed=seed, alpha=alpha, first_replicate=first_replicate)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df", "lambda"):
        out[f"ancova_itt_{k}"] = mi[k]
    cc = completers(y2, b2, a2, alpha=alpha)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        out[f"ancova_completers_{k}"] = cc[k]
    ch = change_score_test(y2, b2, a2, alpha=alpha)
    for k in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        out[f"change_{k}"] = ch[k]
    out["mean_change_treat"] = ch["mean_change_treat"]
    out["mean_change_control"] = ch["mean_change_control"]
    g = hedges_g(y2, a2, lower_is_better=lower_is_better, alpha=alpha)
    out["hedges_g"] = g["g"]
    for k in ("se", "ci_low", "ci_high"):
        out[f"hedges_g_{k}"] = g[k]
    out["within_smd_treat"] = within_arm_smd(b2, y2, t, lower_is_better=lower_is_better)["smd"]
    out["within_smd_control"] = within_arm_smd(b2, y2, c, lower_is_better=lower_is_better)["smd"]
    if lower_is_better if responder_analysis is None else responder_analysis:
        r = responders(y2, b2, a2, remission_threshold=remission_threshold, alpha=alpha)
        out.update(responder_columns(r, remission_threshold is not None))
    return out


def responder_columns(r: Mapping[str, np.ndarray], remission: bool) -> dict[str, np.ndarray]:
    """The columns :func:`analyze_endpoint` reports from a :func:`responders` result:
    ``responders_treat``, ``responders_control`` (rates), ``responders_rd``,
    ``responders_rd_ci_low``, ``responders_rd_ci_high``, ``responders_p``, and the same
    with ``remission_`` when ``remission``."""
    out = {}
    for prefix in ("", "remission_") if remission else ("",):
        name = prefix.rstrip("_") or "responders"
        out[f"{name}_treat"] = r[f"{prefix}rate_treat"]
        out[f"{name}_control"] = r[f"{prefix}rate_control"]
        for k in ("rd", "rd_ci_low", "rd_ci_high", "p"):
            out[f"{name}_{k}"] = r[f"{prefix}{k}"]
    return out


def across_replicates(
    per_rep: Mapping[str, ArrayLike], alpha: float = 0.05, *, meta_method: Literal["DL", "REML"] = "REML"
) -> dict[str, object]:
    """Summaries over the replicate trials of one endpoint.

    Parameters
    ----------
    per_rep : mapping of name -> array (R,)
        Typically the output of :func:`analyze_endpoint`.
    alpha : float
        Significance level for the rejection rates and the meta-analysis CI.
    meta_method : {"DL", "REML"}

    Returns
    -------
    dict
        ``n_replicates``;
        ``power``: for every key ``<name>_p`` a :func:`power` dict under
        ``<name>`` (power if the effect is real, type-I error if null);
        ``summary``: a :func:`summarize` dict for every key;
        ``meta_hedges_g``: :func:`random_effects_meta` of the per-replicate
        ``hedges_g`` with variances ``hedges_g_se**2`` (present only if those
        keys are), i.e. the pooled SMD, tau^2 and I^2 a meta-analyst would
        get from these trials.
    """
    _check_alpha(alpha)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in per_rep.items()}
    out: dict[str, object] = {
        "n_replicates": max((a.size for a in arrays.values()), default=0),
        "power": {k[:-2]: power(a, alpha) for k, a in arrays.items() if k.endswith("_p")},
        "summary": {k: summarize(a) for k, a in arrays.items()},
    }
    if "hedges_g" in arrays and "hedges_g_se" in arrays:
        out["meta_hedges_g"] = random_effects_meta(
            arrays["hedges_g"], arrays["hedges_g_se"] ** 2, method=meta_method, alpha=alpha
        )
    return out
