"""What a trialist decides from the replicate trials: the power curve over sample
sizes (common random numbers), multiplicity across comparisons, and, with
:mod:`.interim`, group-sequential looks.

The power curve re-analyses the simulated trials: every replicate was simulated
with ``n_randomized`` participants, enrolled and randomized in order (keyed by
replicate and participant id), and a trial of n participants is its first n in
randomization order. Enrolment, randomization (simple or permuted blocks) and
each person's course depend only on (seed, replicate, participant id), so the
first n are exactly the participants a separate run at n would enrol; only the
imputation draws of the ITT analysis differ (they are laid out by trial size).
The curve is therefore smooth and monotone up to the noise of one set of trials,
and costs an analysis per n, not a simulation. The p-values are computed per
block of replicates (:func:`curve_pvalues`) and the curve once over all of
them (:func:`power_curve`).
"""

from __future__ import annotations

import numpy as np

from .. import stats
from .analyse import comparison_list, comparisons
from .state import TrialState

__all__ = ["decision_test", "decision_pvalues", "curve_pvalues", "power_curve", "multiplicity_summary", "n_for_target",
           "families"]


def decision_test(cfg, y, b, code, seed, first: int = 0) -> dict[str, np.ndarray]:
    """The design's decision test (``analysis.decision_test``) on (R, n) arrays of the
    replicates ``first`` ..: its per-replicate ``estimate``, ``se``, ``p``, ...
    (treatment - control)."""
    a = cfg.analysis
    if a.decision_test == "ancova_itt":
        return stats.multiple_imputation_ancova(y, b, code, m=a.mi_imputations, seed=seed, alpha=a.alpha,
                                                first_replicate=first)
    return stats.completers(y, b, code, alpha=a.alpha)


def decision_pvalues(cfg, y, b, code, seed, first: int = 0) -> np.ndarray:
    """(R,) two-sided p-values of the design's decision test."""
    return decision_test(cfg, y, b, code, seed, first)["p"]


def families(cfg, keys: list[str], primary: list[bool]) -> np.ndarray:
    """Gatekeeping families: 0 = the primary endpoints' comparisons, 1 = the others
    (all 0 if no endpoint is marked primary)."""
    fam = np.array([0 if p else 1 for p in primary], np.int64)
    return fam if fam.min(initial=1) == 0 else np.zeros(len(keys), np.int64)


def _adjusted(cfg, P: np.ndarray, fam: np.ndarray) -> np.ndarray:
    return stats.adjust_pvalues(P, cfg.analysis.multiplicity, families=fam)


def multiplicity_summary(cfg, per_rep: dict, summary: dict) -> dict:
    """Adjusted power of every comparison at the design's n (added to ``summary[key]
    ["power_adjusted"]``) and the shares of trials with at least one and with every
    comparison successful, before and after adjustment."""
    keys = list(per_rep)
    test = cfg.analysis.decision_test
    P = np.column_stack([per_rep[k][f"{test}_p"] for k in keys])
    fam = families(cfg, keys, [bool(summary[k]["primary"]) for k in keys])
    adj = _adjusted(cfg, P, fam)
    alpha = cfg.analysis.alpha
    for j, k in enumerate(keys):
        summary[k]["power_adjusted"] = stats.power(adj[:, j], alpha)
    raw = stats.familywise_summary(np.isfinite(P) & (P < alpha))
    after = stats.familywise_summary(np.isfinite(adj) & (adj <= alpha))
    return {"method": cfg.analysis.multiplicity, "test": test, "comparisons": keys, "families": fam.tolist(),
            "any_success": after["any"], "all_success": after["all"], "any_success_unadjusted": raw["any"],
            "all_success_unadjusted": raw["all"], "n_replicates": after["n"]}


def curve_pvalues(state: TrialState, order: np.ndarray) -> np.ndarray | None:
    """(sizes, R, comparisons): the decision test's p-values of the block's trials cut
    to each n of ``power.n_randomized``; None without a power curve."""
    ns = list(state.cfg.power.n_randomized)
    if not ns:
        return None
    comps = list(comparisons(state, order))
    return np.stack([np.column_stack([decision_pvalues(state.cfg, y[:, :n], b[:, :n], code[:, :n], state.seed,
                                                       state.first)
                                      for _, _, _, y, b, code in comps]) for n in ns])


def power_curve(cfg, P: np.ndarray | None) -> dict[str, np.ndarray] | None:
    """Tidy table (dict of arrays) from the p-values of every replicate
    (:func:`curve_pvalues`): one row per comparison and n with ``power`` and its
    Clopper-Pearson interval, before and after the multiplicity adjustment, and
    per n the shares of trials with any / every success."""
    if P is None:
        return None
    ns = list(cfg.power.n_randomized)
    comps = comparison_list(cfg)
    keys = [c[0] for c in comps]
    fam = families(cfg, keys, [c[1].primary for c in comps])
    alpha = cfg.analysis.alpha
    rows: dict[str, list] = {k: [] for k in ("comparison", "n", "power", "ci_low", "ci_high", "power_adjusted",
                                             "adjusted_ci_low", "adjusted_ci_high", "any_success", "all_success")}
    for i, n in enumerate(ns):
        adj = _adjusted(cfg, P[i], fam)
        fw = stats.familywise_summary(np.isfinite(adj) & (adj <= alpha))
        for j, key in enumerate(keys):
            raw, ad = stats.power(P[i][:, j], alpha), stats.power(adj[:, j], alpha)
            for col, v in (("comparison", key), ("n", n), ("power", raw["power"]), ("ci_low", raw["ci_low"]),
                           ("ci_high", raw["ci_high"]), ("power_adjusted", ad["power"]),
                           ("adjusted_ci_low", ad["ci_low"]), ("adjusted_ci_high", ad["ci_high"]),
                           ("any_success", fw["any"]), ("all_success", fw["all"])):
                rows[col].append(v)
    return {k: np.array(v) for k, v in rows.items()}


def n_for_target(curve: dict[str, np.ndarray], comparison: str, target: float, *, adjusted: bool = False) -> dict:
    """The smallest simulated n whose power reaches ``target``, the linear
    interpolation between the two sizes around it, and its uncertainty: the
    smallest n whose interval's upper end reaches the target (optimistic) and
    whose lower end does (conservative). None where the target is not reached."""
    sel = curve["comparison"] == comparison
    n = curve["n"][sel].astype(float)
    pre = "adjusted_" if adjusted else ""
    pw = curve["power_adjusted" if adjusted else "power"][sel]
    lo, hi = curve[f"{pre}ci_low"][sel], curve[f"{pre}ci_high"][sel]

    def first(mask):
        idx = np.flatnonzero(mask)
        return None if idx.size == 0 else int(n[idx[0]])

    reach = first(pw >= target)
    interp = None
    if reach is not None:
        i = int(np.flatnonzero(n == reach)[0])
        interp = float(reach) if i == 0 or pw[i] == pw[i - 1] else float(
            n[i - 1] + (target - pw[i - 1]) * (n[i] - n[i - 1]) / (pw[i] - pw[i - 1]))
    return {"comparison": comparison, "target": target, "adjusted": adjusted, "n": reach, "n_interpolated": interp,
            "n_optimistic": first(hi >= target), "n_conservative": first(lo >= target)}
