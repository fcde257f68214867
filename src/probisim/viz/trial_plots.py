"""Figures of a trial run, from a live TrialResult or from ``store.read_results(dir)``.

Every function has the form ``f(res, *, ax=None, ...) -> Axes``; none calls
``plt.show()``.  Figures are grayscale-readable: arms differ by linestyle /
marker / hatch as well as by gray level.  :func:`plot_all` saves them all.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["plot_endpoint_distributions", "plot_effect_distribution", "plot_trajectories", "plot_forest",
           "plot_power_curve", "plot_responders", "plot_all", "FIGURES"]

LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "x"]
HATCHES = ["", "//", "..", "xx"]
GRAYS = ["0.0", "0.45", "0.7", "0.25"]


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 4.4))
    return ax


def _unit(score: str) -> str:
    from ..measure import instruments

    if score in instruments.score_names():
        info = instruments.score_info(score)
        return f"{score} score ({info['range'][0]}-{info['range'][1]}, " \
               f"{'lower' if info['lower_is_better'] else 'higher'} is better)"
    units = {"crp_mg_l": "CRP (mg/L)", "il6_pg_ml": "IL-6 (pg/mL)", "cortisol_nmol_l": "cortisol (nmol/L)",
             "kyn_trp": "kynurenine/tryptophan ratio", "shannon": "Shannon diversity over species (nats)",
             "observed_species": "observed species (16S, 20,000 reads)"}
    if score.startswith("log10_"):
        return f"{score[6:]} (log10 cells/g)"
    return units.get(score, score)


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
                    label=f"{arm}, day {d}")
    ax.set_xlabel(_unit(score))
    ax.set_ylabel("cumulative fraction of participants")
    ax.set_title(f"{score} by arm and visit (ECDF, all replicates)")
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
    ax.set_title(f"Estimated effect across replicates: {key}")
    ax.legend(fontsize="small")
    return ax


def plot_trajectories(res, *, ax=None, variable: str | None = None):
    """Mean trajectory of ``variable`` by arm with a 10-90% band (from ``trajectories``)."""
    ax = _ax(ax)
    t = res.trajectories
    vars_ = [str(v) for v in np.asarray(t["variable"]).tolist()]
    if variable is None:
        variable = next((v for v in vars_ if v.startswith("latent_")), vars_[0])
    j = vars_.index(variable)
    stats = [str(s) for s in np.asarray(t["stat"]).tolist()]
    day = np.asarray(t["day"], dtype=float)
    vals = np.asarray(t["values"], dtype=float)
    for i, arm in enumerate([str(a) for a in np.asarray(t["arm"]).tolist()]):
        mean = vals[:, i, j, stats.index("mean")]
        lo, hi = vals[:, i, j, stats.index("q10")], vals[:, i, j, stats.index("q90")]
        ax.fill_between(day, lo, hi, facecolor=GRAYS[i % 4], alpha=0.2, hatch=HATCHES[i % 4],
                        edgecolor=GRAYS[i % 4])
        ax.plot(day, mean, color=GRAYS[i % 4], linestyle=LINESTYLES[i % 4], marker=MARKERS[i % 6],
                label=f"{arm} mean (band 10-90%)")
    ax.set_xlabel("study day (0 = baseline)")
    ax.set_ylabel(_unit(variable) if variable.startswith("log10_") else f"{variable} (model units)")
    ax.set_title(f"Trajectory of {variable} by arm")
    ax.legend(fontsize="small")
    return ax


def plot_forest(res, *, ax=None, key: str | None = None, max_trials: int = 30):
    """Forest plot of Hedges' g with 95% CI for the first ``max_trials`` replicates, plus the pooled estimate."""
    ax = _ax(ax)
    key = key or primary_key(res)
    d = res.per_replicate[key]
    g = np.asarray(d["hedges_g"], dtype=float)[:max_trials]
    lo = np.asarray(d["hedges_g_ci_low"], dtype=float)[:max_trials]
    hi = np.asarray(d["hedges_g_ci_high"], dtype=float)[:max_trials]
    y = np.arange(g.size)[::-1] + 2
    ax.errorbar(g, y, xerr=[g - lo, hi - g], fmt="s", color="0.2", ecolor="0.4", capsize=2, markersize=4,
                label="replicate trial (95% CI)")
    meta = res.summary.get(key, {}).get("meta_hedges_g", {}) or {}
    est = meta.get("estimate")
    if est is not None and np.isfinite(est):
        clo, chi = meta.get("ci_low", est), meta.get("ci_high", est)
        ax.fill([clo, est, chi, est], [0.5, 0.8, 0.5, 0.2], color="0.0", label=f"pooled (RE) g = {est:.2f}")
    ax.axvline(0, color="0.0", linestyle=":", linewidth=0.8)
    ax.set_yticks(list(y) + [0.5], [f"trial {i + 1}" for i in range(g.size)] + ["pooled"], fontsize="x-small")
    ax.set_xlabel("Hedges' g (positive = benefit)")
    ax.set_ylabel("replicate trial")
    ax.set_title(f"Forest plot: {key}")
    ax.legend(fontsize="small", loc="lower right")
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
        title = f"Power vs sample size (simulated at each n): {key}"
    else:
        pw = res.summary.get(key, {}).get("power", {}).get(method)
        if pw and pw.get("power") is not None:
            p, lo, hi = pw["power"], pw.get("ci_low", pw["power"]), pw.get("ci_high", pw["power"])
            ax.errorbar([cfg.n_randomized], [p], yerr=[[p - lo], [hi - p]], fmt="o", color="#0072B2", capsize=3,
                        label="simulated (95% CI)")
        ax.text(0.02, 0.02, "one design point; set [power] n_randomized = [...] to simulate a curve",
                transform=ax.transAxes, fontsize="small", color="0.3")
        title = f"Power at the simulated sample size: {key}"
    ax.axhline(target, color="0.5", linestyle="--", linewidth=0.8, label=f"target {target:.0%}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("participants randomized per trial (n)")
    ax.set_ylabel(f"power (two-sided alpha = {cfg.analysis.alpha})")
    ax.set_title(title)
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
        ax.set_ylabel(f"individual effect on {score} ({col.split('_day')[1].split('_', 1)[1].replace('_', ' ')}; "
                      "score points)")
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
            ax.scatter(x, ch, s=14, marker=MARKERS[i % 6], color=GRAYS[i % 4], label=arm, alpha=0.8)
        ax.set_ylabel(f"change in {score} day 0 to {end} (score points)")
    ax.axhline(0, color="0.0", linestyle=":", linewidth=0.8)
    ax.set_xlabel(tlabel)
    ax.set_title(f"Who responded: {score}")
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
    return written
