"""``analyze(data, plan)``: the analyses of a simulated trial, run on one real trial.

Per endpoint, at its analysed visit (and, for ANCOVA and the MMRM, at every
post-baseline visit):

* ``ancova_complete_cases`` — OLS of the score on arm, baseline and the plan's
  covariates among participants observed at that visit;
* ``mi_ancova_history`` — ITT: missing values imputed visit by visit from baseline,
  covariates and the earlier visits within arm (MAR given history), the covariate
  ANCOVA on each completed set, Rubin's rules;
* ``mi_ancova_baseline`` — ITT: the baseline-only imputation model of the simulated
  trials (no covariates), for comparison;
* ``mmrm`` — REML mixed model for repeated measures (visit x arm, baseline x visit,
  covariates; the plan's covariance; Satterthwaite df);
* ``hedges_g`` — standardized difference of the scores at the visit (completers;
  positive = benefit when lower is better);
* ``responders_nri`` / ``remission_nri`` — >= ``responder_reduction`` fall from
  baseline / score at or below the remission cut, missing = non-responder; risk
  difference with Fisher's exact p.

Raw-unit estimates are treatment - control in the score's units.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import stats
from ..core.errors import ConfigError
from .longdata import TrialData, to_frame, wide_arrays
from .plan import AnalysisPlan, Endpoint, plan_from_dict

__all__ = ["AnalysisResult", "analyze", "EFFECT_COLUMNS"]

EFFECT_COLUMNS = ["endpoint", "analysis", "visit", "estimate", "se", "ci_low", "ci_high", "p", "df", "n_used",
                  "n_treat", "n_control", "n_imputed", "rate_treat", "rate_control"]


@dataclass
class AnalysisResult:
    """Tidy tables (pandas DataFrames) of one trial's analysis.

    ``effects``: one row per endpoint, analysis and visit (columns
    :data:`EFFECT_COLUMNS`); ``visit_means``: n, mean, SD and 95% t interval per
    endpoint, arm and visit (baseline included); ``flow``: participants per arm
    in the data, with a baseline score, observed at each visit, analysed.
    """

    plan: AnalysisPlan
    effects: object
    visit_means: object
    flow: object
    endpoints: dict[str, TrialData] = field(repr=False, default_factory=dict)

    def summary(self) -> dict:
        """The JSON-ready summary: plan, participants, every effect row."""
        def clean(v):
            if isinstance(v, float | np.floating):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        return {
            "name": self.plan.name,
            "arms": {"treatment": self.plan.treatment, "control": self.plan.control},
            "endpoints": [{"column": e.column, "score": e.score, "label": e.label,
                           "lower_is_better": e.lower_is_better} for e in self.plan.endpoints],
            "covariates": list(self.plan.covariates),
            "covariance": self.plan.covariance,
            "imputations": self.plan.imputations,
            "seed": self.plan.seed,
            "alpha": self.plan.alpha,
            "flow": [{k: clean(v) for k, v in row.items()} for row in self.flow.to_dict("records")],
            "effects": [{k: clean(v) for k, v in row.items()} for row in self.effects.to_dict("records")],
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)

    def write(self, out, *, force: bool = False, figures: bool = True, fmt: str = "png", claim=None) -> Path:
        """Write tables, ``summary.json``, ``report.md``, ``plan.toml`` and figures to
        a new probisim results directory (claimed, staged and renamed into place as
        for a simulated trial; ``force`` replaces only an earlier probisim result)."""
        from .write import write_analysis

        return write_analysis(self, out, force=force, figures=figures, fmt=fmt, claim=claim)


def _row(endpoint: str, analysis: str, visit: float, r: dict, k: int = 0) -> dict:
    def get(key):
        v = r.get(key)
        return np.nan if v is None else float(np.asarray(v, dtype=np.float64).ravel()[k])

    return {"endpoint": endpoint, "analysis": analysis, "visit": float(visit), "estimate": get("estimate"),
            "se": get("se"), "ci_low": get("ci_low"), "ci_high": get("ci_high"), "p": get("p"), "df": get("df"),
            "n_used": get("n_used"), "n_treat": get("n_treat"), "n_control": get("n_control"),
            "n_imputed": get("n_imputed"), "rate_treat": get("rate_treat"), "rate_control": get("rate_control")}


def _analysed_visit(td: TrialData, ep: Endpoint) -> int:
    if ep.visit is None:
        return td.visits.size - 1
    hit = np.flatnonzero(td.visits == ep.visit)
    if hit.size == 0:
        raise ConfigError(f"endpoints: visit = {ep.visit:g} of {ep.column!r} is not a post-baseline visit of the "
                          f"data; expected one of {', '.join(f'{v:g}' for v in td.visits)}")
    return int(hit[0])


def _endpoint_effects(td: TrialData, ep: Endpoint, plan: AnalysisPlan) -> list[dict]:
    rows = []
    a, cov, alpha = td.arm, td.covariates, plan.alpha
    for j, v in enumerate(td.visits):
        rows.append(_row(ep.column, "ancova_complete_cases", v,
                         stats.ancova(td.post[:, j], td.baseline, a, covariates=cov, alpha=alpha)))
    k = _analysed_visit(td, ep)
    v = td.visits[k]
    rows.append(_row(ep.column, "mi_ancova_history", v,
                     stats.mi_ancova_history(td.post[:, : k + 1], td.baseline, a, covariates=cov,
                                             m=plan.imputations, seed=plan.seed, alpha=alpha)))
    rows.append(_row(ep.column, "mi_ancova_baseline", v,
                     stats.multiple_imputation_ancova(td.post[:, k], td.baseline, a, m=plan.imputations,
                                                      seed=plan.seed, alpha=alpha)))
    n, V = td.post.shape
    sel = (a == 0) | (a == 1)
    fit = stats.mmrm(td.post[sel].ravel(), np.repeat(np.arange(n)[sel], V), np.tile(td.visits, sel.sum()),
                     np.repeat(a[sel], V), baseline=np.repeat(td.baseline[sel], V),
                     covariates=None if cov is None else np.repeat(cov[sel], V, axis=0),
                     covariate_names=td.covariate_names, covariance=plan.covariance, alpha=alpha)
    if not fit.converged:
        warnings.warn(f"the MMRM of {ep.column!r} did not converge ({fit.message}); its rows are reported as "
                      "fitted; consider analysis.covariance = \"compound_symmetry\"", RuntimeWarning, stacklevel=3)
    for vv in fit.visits:
        e = fit.effect_at(vv)
        rows.append({**_row(ep.column, "mmrm", vv, e), "n_used": float(fit.n_participants)})
    g = stats.hedges_g(td.post[:, k], a, lower_is_better=ep.lower_is_better, alpha=alpha)
    rows.append(_row(ep.column, "hedges_g", v, {**g, "estimate": g["g"]}))
    if ep.lower_is_better:
        resp = stats.responders(td.post[:, k], td.baseline, a, reduction=plan.responder_reduction,
                                remission_threshold=ep.remission_at_most, missing="failure", alpha=alpha)
        keys = {"estimate": "rd", "se": "rd_se", "ci_low": "rd_ci_low", "ci_high": "rd_ci_high", "p": "p",
                "n_treat": "n_treat", "n_control": "n_control", "rate_treat": "rate_treat",
                "rate_control": "rate_control"}
        rows.append(_row(ep.column, "responders_nri", v, {o: resp[i] for o, i in keys.items()}))
        if ep.remission_at_most is not None:
            rows.append(_row(ep.column, "remission_nri", v, {o: resp["remission_" + i] for o, i in keys.items()}))
    return rows


def _visit_means(td: TrialData, ep: Endpoint, plan: AnalysisPlan, base_visit: float) -> list[dict]:
    rows = []
    allv = np.r_[base_visit, td.visits]
    Y = np.column_stack([td.baseline, td.post])
    for code, label in ((1, plan.treatment), (0, plan.control)):
        for j, v in enumerate(allv):
            rows.append({"endpoint": ep.column, "arm": label, "visit": float(v),
                         **stats.mean_ci(Y[td.arm == code, j], 1 - plan.alpha)})
    return rows


def _flow(td: TrialData, plan: AnalysisPlan) -> list[dict]:
    rows = []
    for code, label in ((1, plan.treatment), (0, plan.control)):
        s = td.arm == code
        row = {"arm": label, "in_data": int(s.sum()), "with_baseline": int((s & np.isfinite(td.baseline)).sum())}
        for j, v in enumerate(td.visits):
            row[f"observed_visit_{v:g}"] = int((s & np.isfinite(td.post[:, j])).sum())
        row["lost_by_last_visit"] = row["with_baseline"] - int((s & np.isfinite(td.baseline)
                                                                & np.isfinite(td.post[:, -1])).sum())
        rows.append(row)
    return rows


def analyze(data, plan) -> AnalysisResult:
    """Analyse one trial given in long format.

    Parameters
    ----------
    data : pandas.DataFrame, path of a CSV file, or dict of columns
        One row per participant and visit: participant id, arm label, visit (a
        number: day, week or month), one column per score, and participant-level
        covariates (see :mod:`probisim.analysis.plan` for the column names).
    plan : AnalysisPlan, dict, or path of an analysis TOML file

    Returns
    -------
    AnalysisResult
        ``effects``, ``visit_means`` and ``flow`` as pandas DataFrames;
        ``summary()``/``to_json()``; ``write(out)`` for the results directory.
    """
    import pandas as pd

    from .plan import load_plan

    if isinstance(plan, dict):
        plan = plan_from_dict(plan)
    elif not isinstance(plan, AnalysisPlan):
        plan = load_plan(plan)
    frame = to_frame(data)
    effects, means, flow, arrays = [], [], None, {}
    for ep in plan.endpoints:
        td = wide_arrays(frame, plan, ep.column)
        n_t, n_c = int((td.arm == 1).sum()), int((td.arm == 0).sum())
        if min(n_t, n_c) < 3:
            raise ConfigError(f"arms: {n_t} participants in {plan.treatment!r} and {n_c} in {plan.control!r}; "
                              "expected at least 3 in each")
        base_visit = float(np.sort(frame[plan.visit].unique())[0]) if plan.baseline_visit is None \
            else plan.baseline_visit
        effects += _endpoint_effects(td, ep, plan)
        means += _visit_means(td, ep, plan, base_visit)
        if flow is None:
            flow = _flow(td, plan)
        arrays[ep.column] = td
    return AnalysisResult(plan=plan, effects=pd.DataFrame(effects, columns=EFFECT_COLUMNS),
                          visit_means=pd.DataFrame(means), flow=pd.DataFrame(flow), endpoints=arrays)
