"""Figures of a simulated trial as a paper would show them: the primary endpoint's
mean by visit per arm in the instrument's own units, and the CONSORT flow, each
for one replicate trial (what one real trial would report) and over all
replicates (what to expect)."""

from __future__ import annotations

import numpy as np

from ..stats import mean_ci
from .analysis_plots import plot_flow, plot_visit_means_table
from .labels import arm_label, score_label

__all__ = ["visit_mean_rows", "plot_visit_means", "consort_counts", "plot_consort"]


def _primary_score(res) -> str:
    for e in res.config.endpoints:
        if e.primary:
            return e.score
    return res.config.endpoints[0].score


def _table(res, score):
    return res.visits if score in res.visits else res.biomarkers


def visit_mean_rows(res, score: str | None = None, *, replicate: int | None = 0, level: float = 0.95) -> list[dict]:
    """Rows (arm, visit, n, mean, ci_low, ci_high) of ``score``.

    ``replicate`` = r: one simulated trial, mean with its t interval. ``None``: over
    every replicate trial, the mean of the per-trial arm means with the middle
    ``level`` share of those per-trial means (what a trial of this design would show)."""
    score = score or _primary_score(res)
    tab = _table(res, score)
    rep, arm, day = np.asarray(tab["replicate"]), np.asarray(tab["arm"]).astype(str), np.asarray(tab["day"])
    y = np.asarray(tab[score], dtype=float)
    rows = []
    for a in [x.name for x in res.config.arms]:
        for d in sorted(set(day.tolist())):
            sel = (arm == a) & (day == d) & np.isfinite(y)
            if replicate is not None:
                c = mean_ci(y[sel & (rep == replicate)], level)
                rows.append({"arm": arm_label(a), "visit": float(d), "n": c["n"], "mean": c["mean"],
                             "ci_low": c["ci_low"], "ci_high": c["ci_high"]})
            else:
                reps = np.unique(rep[sel])
                means = np.array([y[sel & (rep == r)].mean() for r in reps])
                q = np.quantile(means, [0.5 - level / 2, 0.5 + level / 2]) if means.size else (np.nan, np.nan)
                rows.append({"arm": arm_label(a), "visit": float(d), "n": int(reps.size),
                             "mean": float(means.mean()) if means.size else np.nan, "ci_low": float(q[0]),
                             "ci_high": float(q[1])})
    return rows


def plot_visit_means(res, *, ax=None, score: str | None = None, replicate: int | None = 0):
    """Mean ``score`` (default: the primary endpoint) by visit per arm, in the score's
    own units: one replicate trial with 95% t intervals, or (``replicate=None``) the
    mean over replicate trials with the middle 95% of the per-trial means."""
    score = score or _primary_score(res)
    R = len(np.unique(np.asarray(_table(res, score)["replicate"])))
    rows = visit_mean_rows(res, score, replicate=replicate)
    if replicate is not None:
        title = (f"{score_label(score)}\nmean by visit (95% CI): one simulated trial "
                 f"(replicate {replicate + 1} of {R})")
    else:
        title = (f"{score_label(score)}\nmean over {R} simulated trials "
                 "(bars: middle 95% of the trials' arm means)")
    return plot_visit_means_table(rows, ax=ax, ylabel=score_label(score), visit_label="study day (0 = baseline)",
                                  title=title, arms=[arm_label(a.name) for a in res.config.arms])


def consort_counts(res, *, replicate: int | None = 0) -> dict:
    """Screened, excluded and per-arm flow of one replicate trial (or, with
    ``replicate=None``, means per trial over every replicate): ``{"screened",
    "excluded", "arms": [rows for :func:`~.analysis_plots.plot_flow`]}``. Every
    randomized participant has a baseline score (the baseline visit precedes any
    dropout); "lost" are those who did not complete; ITT analyses all randomized."""
    part, scr = res.participants, res.screening
    rep = np.asarray(part["replicate"])
    reps = np.unique(rep) if replicate is None else np.array([replicate])
    scr_rep = np.asarray(scr["replicate"])
    screened = np.asarray(scr["screened"], dtype=float)[np.isin(scr_rep, reps)]
    randomized = np.asarray(scr["randomized"], dtype=float)[np.isin(scr_rep, reps)]
    arm = np.asarray(part["arm"]).astype(str)
    done = np.asarray(part["completed"]).astype(bool)
    k = float(reps.size)
    rows = []
    for a in [x.name for x in res.config.arms]:
        sel = (arm == a) & np.isin(rep, reps)
        n_rand, n_done = sel.sum() / k, (sel & done).sum() / k
        rows.append({"arm": arm_label(a), "in_data": n_rand, "with_baseline": n_rand,
                     "lost_by_last_visit": n_rand - n_done, "observed_visit_last": n_done, "analysed_itt": n_rand})
    return {"screened": float(screened.mean()), "excluded": float((screened - randomized).mean()), "arms": rows,
            "replicates": int(k)}


def plot_consort(res, *, ax=None, replicate: int | None = 0):
    """CONSORT flow of one replicate trial, or the mean per trial over all replicates."""
    c = consort_counts(res, replicate=replicate)
    what = (f"one simulated trial (replicate {replicate + 1})" if replicate is not None
            else f"mean per trial over {c['replicates']} simulated trials")
    return plot_flow(c["arms"], ax=ax, screened=c["screened"], excluded=c["excluded"],
                     title=f"{res.config.name}: participant flow, {what}")
