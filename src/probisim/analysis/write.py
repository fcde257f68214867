"""The results directory of an analysed trial: tables, summary, report, figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.io import write_json, write_text_atomic
from ..core.outdir import OutputClaim

__all__ = ["write_analysis", "render_report"]

_NAMES = {
    "ancova_complete_cases": "ANCOVA, complete cases",
    "mi_ancova_history": "ANCOVA, ITT, MI from the visit history",
    "mi_ancova_baseline": "ANCOVA, ITT, MI from baseline only",
    "mmrm": "MMRM",
    "hedges_g": "Hedges' g (completers)",
    "responders_nri": "responders, missing = non-responder",
    "remission_nri": "remission, missing = not remitted",
}


def _f(x, nd=2):
    return "–" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def _p(x):
    return "–" if not np.isfinite(x) else ("<0.001" if x < 0.001 else f"{x:.3f}")


def render_report(res, figures: list[str]) -> str:
    plan = res.plan
    out = [f"# {plan.name}: analysis of one trial", "",
           f"Treatment arm **{plan.treatment}** against control **{plan.control}**; "
           f"covariates: {', '.join(plan.covariates) or 'none'}; MMRM covariance: {plan.covariance}; "
           f"{plan.imputations} imputations (seed {plan.seed}); {int((1 - plan.alpha) * 100)}% intervals. "
           "Raw-unit estimates are treatment − control in the score's units; Hedges' g is positive for benefit "
           "when lower scores are better; responder rows give the risk difference.", "", "## Participant flow", "",
           "| " + " | ".join(map(str, res.flow.columns)) + " |", "|" + "---|" * len(res.flow.columns)]
    for row in res.flow.itertuples(index=False):
        out.append("| " + " | ".join(map(str, row)) + " |")
    for ep in plan.endpoints:
        eff = res.effects[res.effects["endpoint"] == ep.column]
        out += ["", f"## {ep.label}", "", "| analysis | visit | estimate | 95% CI | p | df | n |",
                "|---|---|---|---|---|---|---|"]
        for r in eff.itertuples(index=False):
            n = r.n_used if np.isfinite(r.n_used) else r.n_treat + r.n_control
            out.append(f"| {_NAMES.get(r.analysis, r.analysis)} | {r.visit:g} | {_f(r.estimate)} | "
                       f"{_f(r.ci_low)} to {_f(r.ci_high)} | {_p(r.p)} | {_f(r.df, 1)} | {_f(n, 0)} |")
        vm = res.visit_means[res.visit_means["endpoint"] == ep.column]
        out += ["", "Mean by visit (95% CI):", "", "| arm | visit | n | mean | SD | 95% CI |",
                "|---|---|---|---|---|---|"]
        for r in vm.itertuples(index=False):
            out.append(f"| {r.arm} | {r.visit:g} | {r.n} | {_f(r.mean)} | {_f(r.sd)} | "
                       f"{_f(r.ci_low)} to {_f(r.ci_high)} |")
    if figures:
        out += ["", "## Figures", ""] + [f"![{f}](figures/{f})" for f in figures]
    return "\n".join(out) + "\n"


def _figures(res, directory: Path, fmt: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..viz.analysis_plots import plot_flow, plot_visit_means_table

    directory.mkdir()
    names = []
    for ep in res.plan.endpoints:
        rows = res.visit_means[res.visit_means["endpoint"] == ep.column].to_dict("records")
        ax = plot_visit_means_table(rows, ylabel=ep.label, visit_label=f"visit ({res.plan.visit})",
                                    title=f"{ep.label}\nmean by visit and arm (95% CI)",
                                    arms=[res.plan.treatment, res.plan.control])
        name = f"visit_means_{ep.column}.{fmt}"
        ax.figure.savefig(directory / name, dpi=150)
        plt.close(ax.figure)
        names.append(name)
    ax = plot_flow(res.flow.to_dict("records"), title=f"{res.plan.name}: participant flow")
    ax.figure.savefig(directory / f"flow.{fmt}", dpi=150)
    plt.close(ax.figure)
    names.append(f"flow.{fmt}")
    return names


def write_analysis(res, out, *, force: bool = False, figures: bool = True, fmt: str = "png",
                   claim: OutputClaim | None = None) -> Path:
    """Write into a new results directory ``out``; ``claim``, if given, is an active
    :class:`~probisim.core.outdir.OutputClaim` on it (taken before the analysis)."""
    import tomli_w

    if claim is None:
        with OutputClaim(out, force=force) as c:
            return write_analysis(res, out, figures=figures, fmt=fmt, claim=c)
    if claim.staging is None:
        raise ValueError("write_analysis: the output claim is not active")
    d = claim.staging
    res.effects.to_csv(d / "effects.csv", index=False)
    res.visit_means.to_csv(d / "visit_means.csv", index=False)
    res.flow.to_csv(d / "flow.csv", index=False)
    write_json(d / "summary.json", res.summary())
    write_text_atomic(d / "plan.toml", tomli_w.dumps(res.plan.source))
    names = _figures(res, d / "figures", fmt) if figures else []
    write_text_atomic(d / "report.md", render_report(res, names))
    return claim.commit()
