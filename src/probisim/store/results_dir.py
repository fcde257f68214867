"""Write and read a trial's results directory.

Layout (``write_results``)::

    DIR/manifest.json       versions, config hash, seed, replicates, threads, wall time,
                            timings and a ``files`` map describing every file
    DIR/config.toml         the resolved TrialConfig
    DIR/visits.csv          long form: one row per participant x visit (scores)
    DIR/participants.csv    one row per randomized participant
    DIR/biomarkers.csv      long form: participant x biomarker visit
    DIR/screening.csv       per replicate: screened, randomized
    DIR/per_replicate.csv   one row per replicate x comparison, every estimate
    DIR/arm_summary.csv     per arm x visit day x score: n, mean, sd (all replicates pooled)
    DIR/individual_effects.csv  (only with potential_outcomes)
    DIR/trajectories.npz    compressed per-arm trajectory summaries
    DIR/summary.json        per endpoint|comparison: condensed summary + full detail
    DIR/report.md           one-page report
    DIR/figures/            every figure (see probisim.viz.trial_plots.plot_all)

    DIR/.probisim-results   marker: a probisim results directory (only these are replaced by --force)

The directory is written into a hidden staging directory next to ``DIR`` and
renamed into place at the end, so ``DIR`` only ever holds a complete result;
where it may go, the lock and the marker are :mod:`probisim.core.outdir`'s rules.
If writing fails midway the staging directory is removed and
:class:`StoreError` names the file that failed.  Every file is written
atomically by :mod:`probisim.core.io` (CSVs: the csv module, CRLF line ends,
floats written with ``repr``, columns in a deterministic order).
"""

from __future__ import annotations

import math
import platform
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import OutputExistsError, StoreError
from ..core.io import atomic_file, read_csv, read_json, write_csv, write_json, write_text_atomic
from ..core.outdir import MARKER, OutputClaim

__all__ = ["write_results", "read_results", "LoadedResults", "StoreError", "OutputExistsError", "FILES"]


FILES = {
    "manifest.json": "this file: versions, config hash, seed, replicates, threads, timings, file map",
    "config.toml": "the fully resolved trial configuration (re-runnable with `probisim run`)",
    "visits.csv": "long form, one row per randomized participant x visit: replicate, pid, arm, day, scores",
    "participants.csv": "one row per randomized participant: arm, dropout day, completion, adherence, "
                        "screening scores, traits",
    "biomarkers.csv": "long form, one row per participant x biomarker visit: microbiome and blood markers",
    "screening.csv": "per replicate trial: number screened and randomized",
    "power.csv": "power curve: per comparison and sample size n (the first n of each trial in randomization "
                 "order), power with its 95% CI, before and after the multiplicity adjustment",
    "per_replicate.csv": "one row per replicate trial x comparison (endpoint|arm vs control) with every estimate",
    "arm_summary.csv": "per arm x visit day x score (all replicates pooled): n, mean, sd",
    "individual_effects.csv": "per participant potential-outcome differences (only with potential_outcomes)",
    "trajectories.npz": "per-arm daily summaries: day, arm, variable, stat (mean,q10,q50,q90), "
                        "values[day, arm, variable, stat]",
    "summary.json": "per endpoint|comparison: estimate mean and 2.5-97.5% range across replicates, power with CI, "
                    "mean Hedges' g, random-effects meta-analysis; plus the full across-replicate detail",
    "report.md": "one-page human-readable report",
    "figures/": "figures drawn by probisim.plotting (redraw with `probisim plot DIR`)",
    MARKER: "marks a directory written by probisim (only such directories are replaced by --force)",
}

PRIMARY_METHOD = "ancova_itt"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------
# derived tables
# ---------------------------------------------------------------------------
def per_replicate_table(per_replicate: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Flatten ``per_replicate`` to one row per replicate x comparison."""
    names: list[str] = []
    for d in per_replicate.values():
        for k in d:
            if k not in names:
                names.append(k)
    cols: dict[str, list] = {"comparison": [], "endpoint": [], "contrast": [], "replicate": []}
    cols.update({k: [] for k in names})
    for key, d in per_replicate.items():
        endpoint, _, contrast = key.partition("|")
        R = len(next(iter(d.values()))) if d else 0
        cols["comparison"] += [key] * R
        cols["endpoint"] += [endpoint] * R
        cols["contrast"] += [contrast] * R
        cols["replicate"] += list(range(R))
        for k in names:
            v = np.asarray(d[k], dtype=float) if k in d else np.full(R, np.nan)
            cols[k] += list(v)
    return {k: np.asarray(v) for k, v in cols.items()}


def _per_replicate_from_table(t: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    if not t:
        return out
    comp = t["comparison"]
    skip = {"comparison", "endpoint", "contrast", "replicate"}
    for key in dict.fromkeys(comp.tolist()):
        m = comp == key
        out[key] = {k: np.asarray(v[m], dtype=float) for k, v in t.items() if k not in skip}
    return out


def arm_summary_table(visits: dict[str, np.ndarray], biomarkers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per arm x day x score: n (non-missing), mean, sd (ddof=1), pooled over replicates."""
    rows = {"source": [], "arm": [], "day": [], "score": [], "n": [], "mean": [], "sd": []}
    meta = {"replicate", "pid", "arm", "day"}
    for src_name, tab in (("visits", visits), ("biomarkers", biomarkers)):
        if not tab or "arm" not in tab:
            continue
        arms = list(dict.fromkeys(np.asarray(tab["arm"]).tolist()))
        days = sorted(set(np.asarray(tab["day"]).tolist()))
        scores = [k for k in tab if k not in meta]
        for a in arms:
            for d in days:
                m = (tab["arm"] == a) & (tab["day"] == d)
                for s in scores:
                    x = np.asarray(tab[s][m], dtype=float)
                    x = x[np.isfinite(x)]
                    rows["source"].append(src_name)
                    rows["arm"].append(a)
                    rows["day"].append(int(d))
                    rows["score"].append(s)
                    rows["n"].append(int(x.size))
                    rows["mean"].append(float(x.mean()) if x.size else float("nan"))
                    rows["sd"].append(float(x.std(ddof=1)) if x.size > 1 else float("nan"))
    return {k: np.asarray(v) for k, v in rows.items()}


def condensed_summary(summary: dict[str, dict], per_replicate: dict[str, dict[str, np.ndarray]]) -> dict:
    """The headline numbers per endpoint|comparison (see module docstring)."""
    out = {}
    for key, s in summary.items():
        pr = per_replicate.get(key, {})
        methods = {}
        for meth, pw in s.get("power", {}).items():
            # responder and remission rows are risk differences (rd), the others raw estimates
            est_name = f"{meth}_rd" if meth in ("responders", "remission") else f"{meth}_estimate"
            est = np.asarray(pr.get(est_name, []), dtype=float)
            p = np.asarray(pr.get(f"{meth}_p", []), dtype=float)
            est_f = est[np.isfinite(est)]
            methods[meth] = {
                "estimate_mean": float(est_f.mean()) if est_f.size else None,
                "estimate_q025": float(np.quantile(est_f, 0.025)) if est_f.size else None,
                "estimate_q975": float(np.quantile(est_f, 0.975)) if est_f.size else None,
                "mean_p": float(np.nanmean(p)) if p.size and np.isfinite(p).any() else None,
                "power": pw.get("power"), "power_ci_low": pw.get("ci_low"), "power_ci_high": pw.get("ci_high"),
            }
        g = np.asarray(pr.get("hedges_g", []), dtype=float)
        g = g[np.isfinite(g)]
        meta = s.get("meta_hedges_g", {}) or {}
        out[key] = {
            "endpoint": s.get("endpoint"), "visit": s.get("visit"), "primary": s.get("primary"),
            "n_replicates": s.get("n_replicates"),
            "methods": methods,
            "hedges_g_mean": float(g.mean()) if g.size else None,
            "hedges_g_q025": float(np.quantile(g, 0.025)) if g.size else None,
            "hedges_g_q975": float(np.quantile(g, 0.975)) if g.size else None,
            "meta_pooled_smd": meta.get("estimate"), "meta_ci_low": meta.get("ci_low"),
            "meta_ci_high": meta.get("ci_high"), "meta_tau2": meta.get("tau2"),
            "meta_i2_percent": meta.get("i2_percent"),
        }
    return out


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------
def _f(x, nd=2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{nd}f}"



def _pct(x, nd=0) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.{nd}f}%"


def _finding(c: dict, prim: dict | None, key: str, method: str, cfg, decisions: dict | None = None) -> str:
    """The finding of one comparison: the direction follows the pooled SMD's 95% CI
    (excludes 0: benefit or harm; includes 0: no clear effect), then the power of
    one trial of this size against the target."""
    est, lo, hi = c.get("meta_pooled_smd"), c.get("meta_ci_low"), c.get("meta_ci_high")
    k = c.get("n_replicates")
    if est is None or lo is None or hi is None:
        text = f"**Finding:** no pooled standardized effect could be estimated from the {k} simulated trials."
    else:
        if lo > 0:
            verdict = "the interval excludes 0: a benefit of treatment"
        elif hi < 0:
            verdict = "the interval excludes 0: a harm of treatment"
        else:
            verdict = "the interval includes 0: no clear effect"
        text = (f"**Finding:** pooled over {k} simulated trials, the standardized difference at day {c.get('visit')} "
                f"(Hedges' g of completers, not adjusted for baseline; positive = treatment better) is {_f(est)} "
                f"(95% CI {_f(lo)} to {_f(hi)}); {verdict}.")
    if prim is None or prim.get("power") is None:
        return text
    pw, n0 = float(prim["power"]), cfg.n_randomized
    what = "ANCOVA adjusted for baseline, ITT" if method == "ancova_itt" else method
    text += (f" The primary analysis ({what}; two-sided p < {cfg.analysis.alpha:g}) has power {_pct(pw)} "
             f"(target {_pct(cfg.power.target)}; 95% CI {_pct(prim.get('power_ci_low'))}-"
             f"{_pct(prim.get('power_ci_high'))}) in a trial of this size ({n0} randomized)")
    nt = (decisions or {}).get("n_for_target")
    if nt and nt.get("comparison") == key:
        if nt.get("n") is None:
            return text + (f"; no simulated size up to {max(cfg.power.n_randomized)} reached "
                           f"{_pct(nt['target'])} (see the power curve).")
        return text + (f"; by simulation {_pct(nt['target'])} is first reached at n = {nt['n']} (interpolated "
                       f"{nt['n_interpolated']:.0f}; from {nt['n_optimistic']} by the upper to "
                       f"{nt['n_conservative'] if nt['n_conservative'] is not None else 'beyond the largest n'} "
                       "by the lower 95% limit; see the power curve).")
    if pw >= cfg.power.target:
        return text + "."
    return text + "; set [power] n_randomized = [...] (or run 'probisim power') to simulate the size needed."


def _dropout_rows(cfg, part: dict) -> list[str]:
    """Per arm: participants randomized per trial (mean, range if it varies), mean
    per-trial completed and dropout shares, and mean adherence."""
    rows = []
    rep = np.asarray(part.get("replicate", []))
    reps = np.unique(rep)
    for a in cfg.arms:
        m = np.asarray(part["arm"]) == a.name
        counts = np.array([int((m & (rep == r)).sum()) for r in reps]) if reps.size else np.zeros(0, int)
        comp = np.array([float(np.mean(part["completed"][m & (rep == r)])) if c else np.nan
                         for r, c in zip(reps, counts)])
        comp_m = float(np.nanmean(comp)) if np.isfinite(comp).any() else float("nan")
        adh = np.asarray(part["adherence"][m], dtype=float)
        adh_m = float(np.nanmean(adh)) if np.isfinite(adh).any() else float("nan")
        if counts.size and counts.min() != counts.max():
            size = f"{counts.mean():.1f} ({counts.min()}-{counts.max()})"
        else:
            size = str(int(counts[0])) if counts.size else "0"
        rows.append(f"| {a.name} | {size} | {_pct(comp_m, 1)} | {_pct(1 - comp_m, 1)} | {_pct(adh_m, 1)} |")
    return rows


def render_report(res, manifest: dict, condensed: dict, figures: list[str]) -> str:
    cfg = res.config
    part = res.participants
    scr = res.screening
    L = [f"# Trial report: {cfg.name}", ""]
    if cfg.description:
        L += [cfg.description, ""]
    arms = ", ".join(f"{a.name} (ratio {a.ratio}; " + (", ".join(i.kind for i in a.interventions) or "no intervention")
                     + ")" for a in cfg.arms)
    sch = cfg.schedule
    L += ["## Design", "",
          f"- {manifest['replicates']} replicate trials, {cfg.n_randomized} randomized per trial "
          f"({cfg.randomization.method} randomization), seed {manifest['seed']}",
          f"- Arms: {arms}; control arm: {cfg.analysis.control_arm}",
          f"- Treatment {sch.treatment_days} days, follow-up {sch.follow_up_days} days; visits on days "
          f"{', '.join(map(str, sch.visits))}; instruments: {', '.join(sch.instruments)}",
          f"- Config hash `{manifest['config_hash']}`; wall time {manifest['wall_s']:.1f} s", ""]
    screened = np.asarray(scr.get("screened", []), dtype=float)
    rand = np.asarray(scr.get("randomized", []), dtype=float)
    if screened.size:
        fail = 1 - rand.sum() / max(screened.sum(), 1)
        L += ["## Enrolment", "",
              f"- Screened per trial: mean {screened.mean():.1f} (range {screened.min():.0f}-{screened.max():.0f}); "
              f"randomized {rand.mean():.0f}; screen failures {100 * fail:.1f}%", ""]
    n_trials = manifest.get("replicates") or len(np.unique(np.asarray(part.get("replicate", []))))
    L += ["## Dropout and adherence by arm", "",
          f"Per trial, averaged over the {n_trials} replicate trials: participants randomized to the arm "
          "(range if it varies), the share who completed and who dropped out; adherence is the mean share of "
          "prescribed doses taken.", "",
          "| arm | randomized per trial | completed (mean per trial) | dropout (mean per trial) | mean adherence |",
          "|---|---|---|---|---|"]
    L += _dropout_rows(cfg, part)
    L.append("")
    L += ["## Endpoints", "",
          "Raw estimates are treatment minus control in score units (on lower-is-better scales a negative "
          "estimate means benefit); Hedges' g is benefit-oriented (positive = treatment better). Responder and "
          "remission rows (symptom scales only; remission only where the instrument defines a threshold) are "
          "risk differences: treatment minus control share of responders (score fell by at least 50%) or "
          "remitters (score at or below the remission threshold). Intervals are the 2.5-97.5% range of "
          "the estimate across replicate trials; power is the share of replicates with p < "
          f"{cfg.analysis.alpha} (95% CI).", ""]
    for key, c in condensed.items():
        tag = " (primary)" if c.get("primary") else ""
        L += [f"### {key}{tag} — day {c.get('visit')}", "",
              "| analysis | mean estimate | 2.5-97.5% | power | power 95% CI | mean p |", "|---|---|---|---|---|---|"]
        for meth, m in c["methods"].items():
            if m["estimate_mean"] is None and m["power"] is None:
                continue  # not estimable in any trial: no row of n/a
            L.append(f"| {meth} | {_f(m['estimate_mean'])} | {_f(m['estimate_q025'])} to {_f(m['estimate_q975'])} | "
                     f"{_f(m['power'])} | {_f(m['power_ci_low'])}-{_f(m['power_ci_high'])} | {_f(m['mean_p'], 3)} |")
        L += ["", f"Hedges' g: mean {_f(c['hedges_g_mean'])} ({_f(c['hedges_g_q025'])} to {_f(c['hedges_g_q975'])}); "
                  f"pooled SMD {_f(c['meta_pooled_smd'])} (95% CI {_f(c['meta_ci_low'])} to {_f(c['meta_ci_high'])}), "
                  f"tau² {_f(c['meta_tau2'], 3)}, I² {_f(c['meta_i2_percent'], 0)}%.", ""]
        method = PRIMARY_METHOD if PRIMARY_METHOD in c["methods"] else next(iter(c["methods"]), None)
        prim = c["methods"].get(method) if method else None
        L += [_finding(c, prim, key, method, cfg, getattr(res, "decisions", None)), ""]
    L += _decision_rows(res)
    if figures:
        L += ["## Figures", ""] + [f"- [{Path(f).stem}]({f})" for f in figures] + [""]
    return "\n".join(L)


def _decision_rows(res) -> list[str]:
    """Sample size by simulation, and success across comparisons (multiplicity)."""
    cfg, dec = res.config, getattr(res, "decisions", None) or {}
    L = []
    curve = getattr(res, "power_curve", None)
    if curve is not None:
        adj = cfg.analysis.multiplicity != "none"
        L += ["## Power by sample size (simulated)", "",
              f"Each replicate trial analysed with only its first n participants in randomization order "
              f"(common random numbers across n); decision test {cfg.analysis.decision_test}, two-sided "
              f"alpha {cfg.analysis.alpha:g}" + (f", {cfg.analysis.multiplicity} adjustment" if adj else "") + ".",
              "", "| comparison | n | power | 95% CI |" + (" adjusted power | 95% CI |" if adj else ""),
              "|---|---|---|---|" + ("---|---|" if adj else "")]
        for i in range(len(curve["n"])):
            row = (f"| {curve['comparison'][i]} | {int(curve['n'][i])} | {_pct(curve['power'][i])} | "
                   f"{_pct(curve['ci_low'][i])}-{_pct(curve['ci_high'][i])} |")
            if adj:
                row += (f" {_pct(curve['power_adjusted'][i])} | {_pct(curve['adjusted_ci_low'][i])}-"
                        f"{_pct(curve['adjusted_ci_high'][i])} |")
            L.append(row)
        L.append("")
    m = dec.get("multiplicity")
    if m and len(m["comparisons"]) > 1:
        L += ["## Success across comparisons", "",
              f"{len(m['comparisons'])} comparisons; adjustment: {m['method']} (decision test {m['test']}). "
              f"Share of trials with at least one success {_pct(m['any_success'])} (unadjusted "
              f"{_pct(m['any_success_unadjusted'])}), with every comparison successful {_pct(m['all_success'])} "
              f"(unadjusted {_pct(m['all_success_unadjusted'])}). Under an inert product the first is the "
              "familywise error rate.", ""]
    it = dec.get("interim")
    if it:
        L += ["## Interim analyses (group-sequential)", "",
              f"{it['boundary']} boundaries at information fractions {', '.join(f'{f:g}' for f in it['fractions'])}"
              f" on {it['comparison']}; probability of rejecting {_pct(it['reject'])} (fixed design "
              f"{_pct(it['reject_fixed'])}); expected participants {it['expected_n']:.1f} of {it['max_n']}.", "",
              "| look | fraction | n | efficacy bound (z) | futility bound (z) | stop for efficacy "
              "| stop for futility |",
              "|---|---|---|---|---|---|---|"]
        for k in range(len(it["fractions"])):
            fut = it["futility_z"][k] if it["futility_z"] else None
            L.append(f"| {k + 1} | {it['fractions'][k]:g} | {it['n_at_look'][k]} | {_f(it['efficacy_z'][k], 3)} | "
                     f"{_f(fut, 3) if fut is not None else '–'} | {_pct(it['stop_efficacy'][k], 1)} | "
                     f"{_pct(it['stop_futility'][k], 1)} |")
        L.append("")
    return L


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def write_results(result, out_dir, *, force: bool = False, fmt: str = "png", figures: bool = True,
                  seed: int | None = None, claim: OutputClaim | None = None) -> Path:
    """Write ``result`` (a TrialResult) to ``out_dir``; return the directory.

    ``claim`` is an active :class:`probisim.outdir.OutputClaim` on ``out_dir``
    taken before the simulation (as ``probisim run`` does); without one the
    location is claimed here.  Files are written into the claim's staging
    directory, which is renamed into place when complete; on failure it is
    removed and :class:`StoreError` names the file that failed.
    """
    if claim is None:
        with OutputClaim(out_dir, force=force) as c:
            return write_results(result, out_dir, fmt=fmt, figures=figures, seed=seed, claim=c)
    if claim.staging is None:
        raise ValueError("write_results: the output claim is not active")
    partial = claim.staging
    try:
        _write_into(partial, result, fmt=fmt, figures=figures, seed=seed)
    except BaseException:
        claim.release()  # nothing partial stays behind
        raise
    return claim.commit()


def _write_into(partial: Path, result, *, fmt: str, figures: bool, seed: int | None) -> None:
    import numba

    from ..config import config_hash, dumps_toml, to_dict

    cfg = result.config
    R = int(len(result.screening.get("replicate", []))) or None
    threads = getattr(result, "threads", None)
    manifest = {
        "probisim_version": _version("probisim"),
        "versions": {"numpy": np.__version__, "numba": numba.__version__, "scipy": _version("scipy"),
                     "matplotlib": _version("matplotlib"), "python": platform.python_version()},
        "config_hash": config_hash(cfg), "name": cfg.name,
        "seed": int(seed if seed is not None else cfg.seed), "replicates": R,
        "n_randomized": cfg.n_randomized,
        # the Numba thread count the run used (TrialResult.threads), not this process's current setting
        "threads": int(threads if threads is not None else numba.get_num_threads()),
        "wall_s": float(result.wall_s), "timings": dict(result.timings),
        # where the replicates ran (no effect on any other file): "local" or the Dask executor, and in how many blocks
        "executor": str(getattr(result, "executor", "local")), "shards": int(getattr(result, "shards", 1)),
        "comparisons": list(result.per_replicate), "files": {},
    }
    current = "config.toml"
    try:
        def done(name):
            manifest["files"][name] = FILES[name]
        done(MARKER)  # written when the staging directory was created
        write_text_atomic(partial / "config.toml", dumps_toml(to_dict(cfg)))
        done("config.toml")
        for name, tab in (("visits.csv", result.visits), ("participants.csv", result.participants),
                          ("biomarkers.csv", result.biomarkers), ("screening.csv", result.screening)):
            current = name
            write_csv(partial / name, tab)
            done(name)
        current = "per_replicate.csv"
        write_csv(partial / current, per_replicate_table(result.per_replicate))
        done(current)
        current = "arm_summary.csv"
        write_csv(partial / current, arm_summary_table(result.visits, result.biomarkers))
        done(current)
        if result.individual_effects:
            current = "individual_effects.csv"
            write_csv(partial / current, result.individual_effects)
            done(current)
        current = "trajectories.npz"
        with atomic_file(partial / current, "wb") as fh:
            np.savez_compressed(fh, **{k: np.asarray(v) for k, v in result.trajectories.items()})
        done(current)
        curve = getattr(result, "power_curve", None)
        if curve is not None:
            current = "power.csv"
            write_csv(partial / current, curve)
            done(current)
        current = "summary.json"
        condensed = condensed_summary(result.summary, result.per_replicate)
        write_json(partial / current, {"condensed": condensed, "detail": result.summary,
                                       "decisions": getattr(result, "decisions", {}) or {}})
        done(current)
        fig_files: list[str] = []
        if figures:
            current = "figures/"
            from ..viz.trial_plots import plot_all
            fig_files = [str(p.relative_to(partial)) for p in plot_all(result, partial / "figures", fmt=fmt)]
            done(current)
            manifest["figures"] = fig_files
        current = "report.md"
        write_text_atomic(partial / current, render_report(result, manifest, condensed, fig_files))
        done(current)
        current = "manifest.json"
        manifest["files"]["manifest.json"] = FILES["manifest.json"]
        write_json(partial / current, manifest)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise StoreError(f"writing {current} failed ({type(exc).__name__}: {exc}); nothing was kept") from exc


@dataclass
class LoadedResults:
    """A results directory read back; attributes mirror TrialResult."""

    path: Path
    config: Any
    manifest: dict
    visits: dict[str, np.ndarray]
    participants: dict[str, np.ndarray]
    biomarkers: dict[str, np.ndarray]
    screening: dict[str, np.ndarray]
    per_replicate: dict[str, dict[str, np.ndarray]]
    summary: dict[str, dict]
    condensed: dict[str, dict]
    trajectories: dict[str, np.ndarray]
    individual_effects: dict[str, np.ndarray] | None
    arm_summary: dict[str, np.ndarray] = field(default_factory=dict)
    power_curve: dict[str, np.ndarray] | None = None
    decisions: dict = field(default_factory=dict)

    @property
    def wall_s(self) -> float:
        return float(self.manifest.get("wall_s", float("nan")))

    @property
    def timings(self) -> dict:
        return dict(self.manifest.get("timings", {}))

    def comparisons(self) -> list[str]:
        return list(self.per_replicate)


def read_results(path) -> LoadedResults:
    """Read a directory written by :func:`write_results`."""
    from ..config import from_dict
    from ..trial import TrialConfig

    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise FileNotFoundError(f"'{p}' is not a probisim results directory (no manifest.json)")
    manifest = read_json(p / "manifest.json")
    with open(p / "config.toml", "rb") as fh:
        cfg = from_dict(TrialConfig, tomllib.load(fh))
    summ = read_json(p / "summary.json")
    with np.load(p / "trajectories.npz") as z:
        traj = {k: z[k] for k in z.files}
    ite = read_csv(p / "individual_effects.csv") if (p / "individual_effects.csv").exists() else None
    return LoadedResults(
        path=p, config=cfg, manifest=manifest,
        visits=read_csv(p / "visits.csv"), participants=read_csv(p / "participants.csv"),
        biomarkers=read_csv(p / "biomarkers.csv"), screening=read_csv(p / "screening.csv"),
        per_replicate=_per_replicate_from_table(read_csv(p / "per_replicate.csv")),
        summary=summ.get("detail", {}), condensed=summ.get("condensed", {}), trajectories=traj,
        individual_effects=ite, arm_summary=read_csv(p / "arm_summary.csv"),
        power_curve=read_csv(p / "power.csv") if (p / "power.csv").exists() else None,
        decisions=summ.get("decisions", {}),
    )
