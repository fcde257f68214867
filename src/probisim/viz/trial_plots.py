"""Figures of a trial run, from a live TrialResult or from ``store.read_results(dir)``.

Every function has the form ``f(res, *, ax=None, ...) -> Axes``; none calls
``plt.show()``.  Arms have distinct colour-blind-safe (Okabe–Ito) colours and
differ by linestyle / marker as well, so the figures also read in grayscale;
titles and axes carry human labels from the instrument and biomarker
registries (:mod:`.labels`).  :func:`plot_all` saves them all.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from .labels import MARKERS as COLOR_MARKERS
from .labels import OKABE_ITO, arm_label, comparison_label, score_label, variable_label

__all__ = ["plot_endpoint_distributions", "plot_effect_distribution", "plot_trajectories", "plot_forest",
           "plot_power_curve", "plot_responders", "plot_all", "FIGURES"]

LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "x"]


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 4.4))
    return ax


def _unit(score: str) -> str:
    """Axis label of a score: its human name with range or unit (from the registries)."""
    return score_label(score)


def primary_key(res) -> str | None:
    keys = list(res.per_replicate)
    for k in keys:
        if res.summary.get(k, {}).get("primary"):
            return k
    return keys[0] if keys else None


def _arms(res) -> list[str]:
    return [a.name for a in res.config.arms]


def _primary_score(res) -> str:
    k = primary_key(res)
    if k:
        return k.split("|")[0]
    return res.config.endpoints[0].score


def plot_endpoint_distributions(res, *, ax=None, score: str | None = None):
    """Empirical CDF of ``score`` by arm (linestyle) and visit day (gray level)."""
    ax = _ax(ax)
    score = score or _primary_score(res)
    tab = res.visits if score in res.visits else res.biomarkers
    days = sorted(set(np.asarray(tab["day"]).tolist()))
    shades = np.linspace(0.75, 0.0, max(len(days), 1))
    for i, arm in enumerate(_arms(res)):
        for j, d in enumerate(days):
            x = np.asarray(tab[score][(tab["arm"] == arm) & (tab["day"] == d)], dtype=float)
            x = np.sort(x[np.isfinite(x)])
            if not x.size:
                continue
            y = np.arange(1, x.size + 1) / x.size
            ax.step(x, y, where="post", color=str(shades[j]), linestyle=LINESTYLES[i % 4],
                    label=f"{arm_label(arm)}, day {d}")
    ax.set_xlabel(_unit(score))
    ax.set_ylabel("cumulative fraction of participants")
    ax.set_title(f"{score_label(score)} by arm and visit (ECDF, all replicate trials)")
    ax.legend(fontsize="small", ncol=2)
    return ax


def plot_effect_distribution(res, *, ax=None, key: str | None = None, calibration: tuple[float, float] | None = None):
    """Histogram of Hedges' g across replicate trials; ``calibration`` (lo, hi) is shaded."""
    ax = _ax(ax)
    key = key or primary_key(res)
    g = np.asarray(res.per_replicate[key]["hedges_g"], dtype=float)
    g = g[np.isfinite(g)]
    if calibration is not None:
        ax.axvspan(calibration[0], calibration[1], facecolor="0.85", hatch="//", edgecolor="0.5",
                   label="calibration range")
    bins = max(5, min(40, int(math.sqrt(max(g.size, 1))) * 2))
    ax.hist(g, bins=bins, color="0.4", edgecolor="0.0", label=f"replicates (n={g.size})")
    if g.size:
        ax.axvline(g.mean(), color="0.0", linestyle="--", label=f"mean g = {g.mean():.2f}")
    ax.axvline(0, color="0.0", linestyle=":", linewidth=0.8)
    ax.set_xlabel("Hedges' g (standardized mean difference; positive = benefit)")
    ax.set_ylabel("number of replicate trials")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Effect across replicate trials\n{comparison_label(key)}")
    ax.legend(fontsize="small")
    return ax


def plot_trajectories(res, *, ax=None, variable: str | None = None):
    """The modeller's view: mean trajectory of a model variable (default: the latent
    state the primary endpoint reads) by arm with a 10-90% band, in model units, from
    ``trajectories``. The trialist's view of the same endpoint, in the instrument's
    units, is :func:`probisim.viz.paper_plots.plot_visit_means`."""
    ax = _ax(ax)
    t = res.trajectories
    vars_ = [str(v) for v in np.asarray(t["variable"]).tolist()]
    if variable is None:
        variable = _primary_latent(res, vars_)
    j = vars_.index(variable)
    stats = [str(s) for s in np.asarray(t["stat"]).tolist()]
    day = np.asarray(t["day"], dtype=float)
    vals = np.asarray(t["values"], dtype=float)
    arms = [str(a) for a in np.asarray(t["arm"]).tolist()]
    for i, arm in enumerate(arms):
        c = OKABE_ITO[i % len(OKABE_ITO)]
        mean = vals[:, i, j, stats.index("mean")]
        lo, hi = vals[:, i, j, stats.index("q10")], vals[:, i, j, stats.index("q90")]
        # the 10th and 90th percentiles as thin lines of the arm's colour: filled bands of
        # overlapping arms merge into one block
        ax.plot(day, lo, color=c, linestyle=":", linewidth=1.0)
        ax.plot(day, hi, color=c, linestyle=":", linewidth=1.0)
        ax.plot(day, mean, color=c, linestyle=LINESTYLES[i % 4], marker=COLOR_MARKERS[i % 6], linewidth=2.0,
                label=f"{arm_label(arm)}: mean (dotted: 10th and 90th percentiles)")
    ax.set_xlabel("study day (0 = baseline)")
    ax.set_ylabel(variable_label(variable))
    ax.set_title(f"{variable_label(variable)} by arm: modeller's view")
    ax.legend(fontsize="small")
    return ax


def _primary_latent(res, variables: list[str]) -> str:
    from ..measure import instruments

    score = _primary_score(res)
    if score in instruments.score_names():
        lat = {"P": "latent_stress", "A": "latent_anxiety", "D": "latent_depression"}[
            instruments.score_info(score)["latent"]]
        if lat in variables:
            return lat
    if score in variables:
        return score
    return next((v for v in variables if v.startswith("latent_")), variables[0])


def plot_forest(res, *, ax=None, key: str | None = None, max_trials: int = 30):
    """Forest plot of Hedges' g with 95% CI for the first ``max_trials`` replicate
    trials (in replicate order: an arbitrary, unselected subset), and the pooled
    random-effects estimate over all of them; the title says which are shown."""
    ax = _ax(ax)
    key = key or primary_key(res)
    d = res.per_replicate[key]
    g_all = np.asarray(d["hedges_g"], dtype=float)
    R = g_all.size
    g = g_all[:max_trials]
    lo = np.asarray(d["hedges_g_ci_low"], dtype=float)[:max_trials]
    hi = np.asarray(d["hedges_g_ci_high"], dtype=float)[:max_trials]
    y = np.arange(g.size)[::-1] + 2
    ax.errorbar(g, y, xerr=[g - lo, hi - g], fmt="s", color=OKABE_ITO[4], ecolor="0.4", capsize=2, markersize=4,
                label="replicate trial (95% CI)")
    meta = res.summary.get(key, {}).get("meta_hedges_g", {}) or {}
    est = meta.get("estimate")
    if est is not None and np.isfinite(est):
        clo, chi = meta.get("ci_low", est), meta.get("ci_high", est)
        ax.fill([clo, est, chi, est], [0.5, 0.8, 0.5, 0.2], color=OKABE_ITO[3],
                label=f"pooled (random effects, all {R}) g = {est:.2f}")
    ax.axvline(0, color="0.0", linestyle=":", linewidth=0.8)
    ax.set_yticks(list(y) + [0.5], [f"trial {i + 1}" for i in range(g.size)] + ["pooled"], fontsize="x-small")
    ax.set_xlabel("Hedges' g (positive = benefit)")
    ax.set_ylabel("replicate trial")
    shown = (f"all {R} replicate trials" if g.size == R
             else f"the first {g.size} of {R} replicate trials (in replicate order, not selected)")
    ax.set_title(f"{comparison_label(key)}\nForest plot: {shown}; pooled estimate over all {R}", fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_power_curve(res, *, ax=None, key: str | None = None, method: str = "ancova_itt"):
    """Simulated power against participants randomized per trial.

    With a power curve in the run (``[power] n_randomized``), each point is the
    share of replicate trials whose decision test succeeded when only the first
    n participants (in randomization order) are analysed, with its 95%
    Clopper-Pearson band, and after the multiplicity adjustment if one is set.
    Without it, the single simulated design point is shown: nothing is
    extrapolated.
    """
    ax = _ax(ax)
    key = key or primary_key(res)
    cfg = res.config
    target = cfg.power.target
    curve = getattr(res, "power_curve", None)
    if curve is not None and key in set(np.asarray(curve["comparison"]).tolist()):
        sel = np.asarray(curve["comparison"]) == key
        n = np.asarray(curve["n"], dtype=float)[sel]
        ax.fill_between(n, np.asarray(curve["ci_low"], float)[sel], np.asarray(curve["ci_high"], float)[sel],
                        color="#56B4E9", alpha=0.3, linewidth=0)
        ax.plot(n, np.asarray(curve["power"], float)[sel], "o-", color="#0072B2",
                label=f"simulated ({cfg.analysis.decision_test}; 95% CI band)")
        if cfg.analysis.multiplicity != "none":
            ax.plot(n, np.asarray(curve["power_adjusted"], float)[sel], "s--", color="#D55E00",
                    label=f"after {cfg.analysis.multiplicity} adjustment")
        ax.set_xticks(n)
        title = "Power vs sample size (simulated at each n)"
    else:
        pw = res.summary.get(key, {}).get("power", {}).get(method)
        if pw and pw.get("power") is not None:
            p, lo, hi = pw["power"], pw.get("ci_low", pw["power"]), pw.get("ci_high", pw["power"])
            ax.errorbar([cfg.n_randomized], [p], yerr=[[p - lo], [hi - p]], fmt="o", color="#0072B2", capsize=3,
                        label="simulated (95% CI)")
        ax.text(0.02, 0.02, "one design point; set [power] n_randomized = [...] to simulate a curve",
                transform=ax.transAxes, fontsize="small", color="0.3")
        title = "Power at the simulated sample size"
    ax.axhline(target, color="0.5", linestyle="--", linewidth=0.8, label=f"target {target:.0%}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("participants randomized per trial (n)")
    ax.set_ylabel(f"power (two-sided alpha = {cfg.analysis.alpha})")
    ax.set_title(f"{title}\n{comparison_label(key)}")
    ax.legend(fontsize="small", loc="best")
    return ax


def _baseline_trait(res):
    bio = res.biomarkers
    if bio and "log10_Bifidobacterium" in bio:
        m = bio["day"] == 0
        return ({(int(r), int(p)): float(v) for r, p, v in zip(bio["replicate"][m], bio["pid"][m],
                                                               bio["log10_Bifidobacterium"][m])},
                "baseline Bifidobacterium (log10 cells/g)")
    part = res.participants
    if "trait_crp_baseline_mg_l" in part:
        return ({(int(r), int(p)): math.log10(max(float(v), 1e-9)) for r, p, v in
                 zip(part["replicate"], part["pid"], part["trait_crp_baseline_mg_l"])},
                "baseline CRP trait (log10 mg/L)")
    return None, None


def plot_responders(res, *, ax=None, score: str | None = None):
    """Per participant: individual effect (potential outcomes) or change from baseline
    vs baseline log10 Bifidobacterium (or log10 CRP trait), by arm."""
    ax = _ax(ax)
    score = score or _primary_score(res)
    trait, tlabel = _baseline_trait(res)
    if trait is None:
        ax.text(0.5, 0.5, "no baseline trait available", ha="center", transform=ax.transAxes)
        return ax
    ite = res.individual_effects
    end_day = res.summary.get(primary_key(res), {}).get("visit")
    col = None
    if ite:
        cands = [c for c in ite if c.startswith(f"{score}_day{end_day}_")] or \
                [c for c in ite if c.startswith(f"{score}_day") and not c.startswith(f"{score}_day0_")]
        col = cands[-1] if cands else None
    if col is not None:
        x = np.array([trait.get((int(r), int(p)), np.nan) for r, p in zip(ite["replicate"], ite["pid"])])
        y = np.asarray(ite[col], dtype=float)
        ax.scatter(x, y, s=12, marker="o", facecolors="none", edgecolors="0.2", label=col)
        ax.set_ylabel(f"individual effect on {score_label(score)} "
                      f"({col.split('_day')[1].split('_', 1)[1].replace('_', ' ')})")
    else:
        v = res.visits if score in res.visits else res.biomarkers
        days = sorted(set(np.asarray(v["day"]).tolist()))
        end = end_day if end_day in days else days[-1]
        base = {(int(r), int(p)): float(s)
                for r, p, d, s in zip(v["replicate"], v["pid"], v["day"], v[score]) if d == 0}
        for i, arm in enumerate(_arms(res)):
            m = (v["day"] == end) & (v["arm"] == arm)
            keys = list(zip(v["replicate"][m].tolist(), v["pid"][m].tolist()))
            ch = np.asarray(v[score][m], dtype=float) - np.array([base.get(k, np.nan) for k in keys])
            x = np.array([trait.get(k, np.nan) for k in keys])
            ax.scatter(x, ch, s=14, marker=COLOR_MARKERS[i % 6], color=OKABE_ITO[i % len(OKABE_ITO)],
                       label=arm_label(arm), alpha=0.8)
        ax.set_ylabel(f"change in {score_label(score)}, day 0 to {end}")
    ax.axhline(0, color="0.0", linestyle=":", linewidth=0.8)
    ax.set_xlabel(tlabel)
    ax.set_title(f"Who responded: {score_label(score)}")
    ax.legend(fontsize="small")
    return ax


FIGURES = {
    "endpoint_distributions": plot_endpoint_distributions,
    "effect_distribution": plot_effect_distribution,
    "trajectories": plot_trajectories,
    "forest": plot_forest,
    "power_curve": plot_power_curve,
    "responders": plot_responders,
}


def plot_all(res, out_dir, fmt: str = "png") -> list[Path]:
    """Save every figure (for every comparison where it applies) into ``out_dir``; return the paths."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg"):
        try:
            matplotlib.use("Agg")
        except Exception:  # pragma: no cover - backend already fixed by the caller
            pass
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(name, fn, **kw):
        fig, ax = plt.subplots(figsize=(7, 4.8))
        try:
            fn(res, ax=ax, **kw)
            fig.tight_layout()
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.tmp.{fmt}"
            fig.savefig(tmp, format=fmt, dpi=120)
            tmp.replace(path)
            written.append(path)
        finally:
            plt.close(fig)

    for key in res.per_replicate:
        slug = key.replace("|", "__").replace(" ", "_")
        save(f"effect_distribution__{slug}", plot_effect_distribution, key=key)
        save(f"forest__{slug}", plot_forest, key=key)
        save(f"power_curve__{slug}", plot_power_curve, key=key)
    for e in dict.fromkeys(e.score for e in res.config.endpoints):
        save(f"endpoint_distributions__{e}", plot_endpoint_distributions, score=e)
    save("trajectories", plot_trajectories)
    if res.config.schedule.instruments:
        save("responders", plot_responders)
    from .paper_plots import plot_consort, plot_visit_means

    primary = _primary_score(res)
    save(f"visit_means__{primary}", lambda r, ax: plot_visit_means(r, ax=ax, replicate=0))
    save(f"visit_means_all_trials__{primary}", lambda r, ax: plot_visit_means(r, ax=ax, replicate=None))
    save("consort", lambda r, ax: plot_consort(r, ax=ax, replicate=0))
    save("consort_all_trials", lambda r, ax: plot_consort(r, ax=ax, replicate=None))
    return written
