"""Interim analyses: a group-sequential design on the primary comparison.

Participants enter in randomization order; at look k (information fraction
``t_k``) the first ``n_k = round(t_k * n_randomized)`` participants have reached
the endpoint visit (or dropped out), and the decision test is run on them. Its
statistic, oriented so that positive = benefit, is compared with the design's
boundaries (:func:`probisim.stats.gsd_boundaries`; two-sided symmetric efficacy
bounds at ``analysis.alpha``, an optional non-binding futility rule on the
benefit z). A trial that stops at look k enrols nobody after its first n_k: its
sample size is n_k and its later data are not part of it (the simulation has
them, as every participant's course is independent of who else is enrolled, but
the stopped trial never sees them).

The information fraction is the share of participants analysed, the usual
approximation for a continuous endpoint with equal variance; the t statistic of
the ANCOVA is used as the Z of the canonical distribution. The statistics are
computed per block of replicates (:func:`interim_z`), the decisions once over
all of them (:func:`interim_analysis`).
"""

from __future__ import annotations

import numpy as np

from .. import stats
from .analyse import _direction, comparisons
from .decisions import decision_test
from .state import TrialState

__all__ = ["interim_z", "interim_analysis", "looks"]


def looks(cfg) -> np.ndarray:
    """Participants analysed at each look (at least 4, at most n_randomized)."""
    n = cfg.n_randomized
    return np.clip(np.round(np.asarray(cfg.interim.fractions) * n).astype(np.int64), 4, n)


def _benefit_z(cfg, y, b, code, seed, lower: bool, first: int) -> np.ndarray:
    r = decision_test(cfg, y, b, code, seed, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = r["estimate"] / r["se"]
    return -z if lower else z


def interim_z(state: TrialState, order: np.ndarray, primary_key: str) -> np.ndarray | None:
    """(R, looks): the benefit z of the primary comparison at each look, for the block
    of replicates ``state`` simulated; None without interim looks."""
    cfg = state.cfg
    if not cfg.interim.fractions:
        return None
    _, e, _, y, b, code = next(c for c in comparisons(state, order) if c[0] == primary_key)
    lower = _direction(e.score)[0]
    return np.column_stack([_benefit_z(cfg, y[:, :n], b[:, :n], code[:, :n], state.seed, lower, state.first)
                            for n in looks(cfg)])


def interim_analysis(cfg, Z: np.ndarray | None, per_rep: dict, primary_key: str) -> dict | None:
    """Apply the design's group-sequential rule to every replicate trial (``Z`` of
    :func:`interim_z` over all replicates).

    Adds ``interim_look`` (1-based stopping look), ``interim_reject`` and
    ``interim_futility`` and ``interim_n`` to ``per_rep[primary_key]``; returns the
    summary (boundaries, stopping probabilities, rejection rate, expected and
    maximum sample size)."""
    if Z is None:
        return None
    nk = looks(cfg)
    fractions = nk / cfg.n_randomized
    fractions[-1] = 1.0
    design = stats.gsd_boundaries(fractions, alpha=cfg.analysis.alpha, sided=2, kind=cfg.interim.boundary,
                                  futility=list(cfg.interim.futility_z) or None)
    d = design.decide(Z)
    ok = d.look >= 0
    K = nk.size
    stop_eff = np.array([np.mean(ok & d.reject & (d.look == k)) for k in range(K)])
    stop_fut = np.array([np.mean(ok & d.futility & (d.look == k)) for k in range(K)])
    n_stop = np.where(ok, nk[np.clip(d.look, 0, K - 1)], cfg.n_randomized)
    rec = per_rep[primary_key]
    rec["interim_look"] = np.where(ok, d.look + 1, 0)
    rec["interim_reject"] = d.reject.astype(np.int64)
    rec["interim_futility"] = d.futility.astype(np.int64)
    rec["interim_n"] = n_stop
    p_fixed = rec[f"{cfg.analysis.decision_test}_p"]
    planned = design.stopping_probabilities(0.0)
    return {
        "comparison": primary_key, "boundary": cfg.interim.boundary, "fractions": fractions.tolist(),
        "n_at_look": nk.tolist(), "efficacy_z": design.efficacy_z.tolist(),
        "futility_z": list(cfg.interim.futility_z) + [None] if cfg.interim.futility_z else [],
        "alpha_spent": design.alpha_spent.tolist(), "stop_efficacy": stop_eff.tolist(),
        "stop_futility": stop_fut.tolist(), "reject": float(np.mean(d.reject)),
        "reject_fixed": float(np.mean(np.isfinite(p_fixed) & (p_fixed < cfg.analysis.alpha))),
        "expected_n": float(n_stop.mean()), "max_n": int(cfg.n_randomized),
        "undefined": int((~ok).sum()), "n_replicates": int(ok.size),
        "null_crossing_planned": [float(x) for x in np.asarray(planned.get("efficacy", []))],
    }
