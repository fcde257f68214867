"""Figures of one analysed trial (real or simulated), drawn from its tidy tables:
mean score by visit per arm with 95% intervals, and the participant flow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["OKABE_ITO", "plot_visit_means_table", "plot_flow"]

from .labels import MARKERS as _MARKERS
from .labels import OKABE_ITO


def plot_visit_means_table(rows: Sequence[Mapping], *, ax=None, ylabel: str = "score", visit_label: str = "visit",
                           title: str | None = None, arms: Sequence[str] | None = None):
    """Mean score by visit per arm with its 95% interval, from rows with ``arm``,
    ``visit``, ``mean``, ``ci_low``, ``ci_high`` (and ``n``). Arms get distinct
    Okabe–Ito colours and markers and are offset a little along the visit axis so
    their intervals never overlap on the page. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    arms = list(arms) if arms is not None else list(dict.fromkeys(r["arm"] for r in rows))
    visits = np.array(sorted({float(r["visit"]) for r in rows}))
    span = float(visits.max() - visits.min()) if visits.size > 1 else 1.0
    step = 0.012 * span
    for i, arm in enumerate(arms):
        sub = sorted((r for r in rows if r["arm"] == arm), key=lambda r: r["visit"])
        x = np.array([r["visit"] for r in sub], float) + (i - (len(arms) - 1) / 2) * step
        m = np.array([r["mean"] for r in sub], float)
        lo = np.array([r["ci_low"] for r in sub], float)
        hi = np.array([r["ci_high"] for r in sub], float)
        c = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(x, m, yerr=[m - lo, hi - m], color=c, marker=_MARKERS[i % len(_MARKERS)], capsize=3, lw=1.8,
                    label=arm)
    ax.set_xticks(visits)
    ax.set_xticklabels([f"{v:g}" for v in visits])
    ax.set_xlabel(visit_label)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"Mean {ylabel} by visit (95% CI)")
    ax.legend(frameon=False, title="arm")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _box(ax, x, y, text, w=0.36, h=0.085):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.008", fc="white", ec="0.2",
                                lw=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 1.0})


def _n(x) -> str:
    x = float(x)
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def plot_flow(flow: Sequence[Mapping], *, ax=None, title: str = "Participant flow", screened=None,
              excluded=None):
    """A CONSORT-style flow diagram from per-arm counts (rows with ``arm``,
    ``in_data`` (randomized), ``with_baseline``, ``lost_by_last_visit`` and
    ``observed_visit_*``, and optionally ``analysed_itt``): [screened → excluded →]
    randomized → allocated per arm → lost to follow-up → analysed. Counts may be
    means over replicate trials (shown with one decimal). Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 5.8), constrained_layout=True)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    rows = list(flow)
    total = sum(float(r["in_data"]) for r in rows)
    top = 0.93
    if screened is not None:
        _box(ax, 0.5, top, f"Screened (n = {_n(screened)})")
        if excluded is not None:
            _box(ax, 0.85, top - 0.1, f"Excluded (n = {_n(excluded)})", w=0.26)
            _arrow(ax, 0.5, top - 0.045, 0.72, top - 0.1)
        _arrow(ax, 0.5, top - 0.045, 0.5, top - 0.165)
        top -= 0.2
    _box(ax, 0.5, top, f"Randomized (n = {_n(total)})")
    xs = np.linspace(0.22, 0.78, len(rows)) if len(rows) > 1 else [0.5]
    step = min(0.2, (top - 0.06) / 3)
    for x, r in zip(xs, rows):
        last = [k for k in r if str(k).startswith("observed_visit_")]
        observed = float(r[last[-1]]) if last else float(r["with_baseline"]) - float(r["lost_by_last_visit"])
        ys = (top - step, top - 2 * step, top - 3 * step)
        _arrow(ax, 0.5, top - 0.045, x, ys[0] + 0.045)
        _box(ax, x, ys[0], f"Allocated to {r['arm']}\n(n = {_n(r['in_data'])}; "
                           f"baseline score n = {_n(r['with_baseline'])})")
        _arrow(ax, x, ys[0] - 0.045, x, ys[1] + 0.045)
        _box(ax, x, ys[1], f"Lost to follow-up by the last visit\n(n = {_n(r['lost_by_last_visit'])})")
        _arrow(ax, x, ys[1] - 0.045, x, ys[2] + 0.045)
        if "analysed_itt" in r:
            text = f"Analysed: ITT n = {_n(r['analysed_itt'])}\ncompleters n = {_n(observed)}"
        else:
            text = f"Observed at the last visit\n(n = {_n(observed)})"
        _box(ax, x, ys[2], text)
    ax.set_title(title)
    return ax
