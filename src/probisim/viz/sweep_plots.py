"""Plots of sweeps and Sobol' indices (matplotlib; never calls ``plt.show``).

Every function draws on ``ax`` (a new figure's axes when ``None``) and returns
the :class:`~matplotlib.axes.Axes`.  Inputs may be result objects from
:mod:`probisim.sweep`, a sweep directory, a ``results.csv`` / ``sobol.json``
path, or plain data (a ``{column: array}`` table, the ``sobol.json`` dict).

Figures stay readable in grayscale: first-order and total indices differ by
hatching as well as shade, binned means use markers and a line, and colour maps
are monotonic in lightness (``cividis`` by default) with the sample points
marked.  Axis labels carry the parameters' dotted config paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.io import read_json

__all__ = ["plot_sobol_indices", "plot_response_1d", "plot_response_2d"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    return ax


# --------------------------------------------------------------------------
# input normalisation
# --------------------------------------------------------------------------


def _sobol_data(result: Any, output: str | None) -> tuple[str, list[str], dict[str, np.ndarray], dict]:
    """(output, parameters, {S1, S1_low, ...}, meta) from any accepted input."""
    from ..sweep.results import INDEX_KEYS, SensitivityResult

    if isinstance(result, SensitivityResult):
        name = output if output is not None else result.outputs[0]
        rec = result.summary(name)
        params = list(result.parameters)
        meta = {"n_base": result.n_base, "confidence_level": result.confidence_level}
    else:
        if isinstance(result, str | os.PathLike):
            path = Path(result)
            if path.is_dir():
                path = path / "sobol.json"
            result = read_json(path)
        if not isinstance(result, Mapping) or "outputs" not in result:
            raise TypeError("expected a SensitivityResult, a sobol.json path/dir or its dict")
        name = output if output is not None else next(iter(result["outputs"]))
        rec = result["outputs"][name]
        params = list(result["parameters"])
        meta = {"n_base": result.get("n_base"), "confidence_level": result.get("confidence_level")}
    data = {col: np.array([np.nan if v is None else v for v in rec[key]], dtype=float)
            for col, key in INDEX_KEYS.items()}
    return name, params, data, meta


def _table(result: Any) -> tuple[dict[str, np.ndarray], dict[str, bool]]:
    """({column: array}, {parameter: is_log}) from any accepted input."""
    from ..sweep import SensitivityResult, SweepResult, load_results, read_results_csv

    if isinstance(result, SensitivityResult):
        result = result.sweep
    if isinstance(result, str | os.PathLike):
        path = Path(result)
        if path.is_dir():
            result = load_results(path)
        else:
            return read_results_csv(path), {}
    if isinstance(result, SweepResult):
        logs = {p.path: p.is_log for p in result.config.parameters}
        return result.table, logs
    if isinstance(result, Mapping):
        return {k: np.asarray(v) for k, v in result.items()}, {}
    raise TypeError("expected a SweepResult/SensitivityResult, a sweep directory, results.csv or a table dict")


def _column(table: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name not in table:
        raise KeyError(f"no column {name!r}; columns: {', '.join(table)}")
    return np.asarray(table[name], dtype=float)


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------


def plot_sobol_indices(
    result: Any,
    *,
    ax=None,
    output: str | None = None,
    title: str | None = None,
    width: float = 0.38,
):
    """First-order (S1) and total (ST) Sobol' indices of one output, as bars.

    Whiskers are the bootstrap confidence intervals.  S1 bars are light with
    ``//`` hatching, ST bars dark and plain, so the two read apart in
    grayscale.  ``output`` defaults to the first output.
    """
    name, params, d, meta = _sobol_data(result, output)
    ax = _axes(ax)
    x = np.arange(len(params))
    for offset, key, label, face, hatch in (
        (-width / 2, "S1", "first order $S_i$", "0.82", "//"),
        (width / 2, "ST", "total $S_{Ti}$", "0.30", ""),
    ):
        val = d[key]
        lo = np.clip(val - d[key + "_low"], 0, None)
        hi = np.clip(d[key + "_high"] - val, 0, None)
        yerr = np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)])
        ax.bar(
            x + offset, val, width, label=label, color=face, edgecolor="black", hatch=hatch,
            yerr=yerr, capsize=3, error_kw={"ecolor": "black", "elinewidth": 1},
        )
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(x, params, rotation=30 if max(map(len, params), default=0) > 10 else 0,
                  ha="right" if max(map(len, params), default=0) > 10 else "center")
    ax.set_xlabel("parameter (config path)")
    ax.set_ylabel(f"Sobol' index of {name}")
    top = np.nanmax(np.concatenate([d["ST_high"], d["ST"], [1.0]]))
    ax.set_ylim(min(0.0, np.nanmin(np.concatenate([d["S1_low"], d["S1"], [0.0]]))) - 0.02, max(1.0, top) + 0.05)
    ci = meta.get("confidence_level")
    n = meta.get("n_base")
    extra = []
    if ci:
        extra.append(f"{round(100 * ci)}% bootstrap CI")
    if n:
        extra.append(f"N = {n}")
    ax.set_title(title if title is not None else f"Sensitivity of {name}" + (f" ({', '.join(extra)})" if extra else ""))
    ax.legend(frameon=False)
    return ax


def plot_response_1d(
    result: Any,
    parameter: str,
    output: str,
    *,
    ax=None,
    bins: int = 10,
    log: bool | None = None,
    title: str | None = None,
):
    """``output`` against one ``parameter``: every point plus the binned mean.

    Points are small grey dots, the binned means black squares joined by a
    line (bins are log-spaced when the parameter is log-scaled; ``log``
    overrides what the sweep config says).
    """
    table, logs = _table(result)
    x, y = _column(table, parameter), _column(table, output)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    is_log = logs.get(parameter, False) if log is None else bool(log)
    ax = _axes(ax)
    ax.scatter(x, y, s=10, marker="o", color="0.55", alpha=0.6, linewidths=0, label="design points")
    if x.size:
        lo, hi = float(x.min()), float(x.max())
        if hi > lo:
            edges = np.geomspace(lo, hi, bins + 1) if is_log and lo > 0 else np.linspace(lo, hi, bins + 1)
            idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
            centres, means = [], []
            for b in range(bins):
                sel = idx == b
                if sel.any():
                    centres.append(np.sqrt(edges[b] * edges[b + 1]) if is_log and lo > 0
                                   else 0.5 * (edges[b] + edges[b + 1]))
                    means.append(float(y[sel].mean()))
            ax.plot(centres, means, color="black", marker="s", markersize=5, linewidth=1.5, label="binned mean")
    if is_log:
        ax.set_xscale("log")
    ax.set_xlabel(parameter)
    ax.set_ylabel(output)
    ax.set_title(title if title is not None else f"{output} vs {parameter}")
    ax.legend(frameon=False)
    return ax


def plot_response_2d(
    result: Any,
    x: str,
    y: str,
    output: str,
    *,
    ax=None,
    kind: str = "auto",
    bins: int | None = None,
    levels: int = 12,
    cmap: str = "cividis",
    show_points: bool | None = None,
    title: str | None = None,
):
    """``output`` over two parameters, with a colour bar.

    ``kind``:

    * ``"heatmap"`` -- one cell per (x, y) pair of a grid design, coloured by
      the mean over the other parameters;
    * ``"binned"`` -- scattered designs: mean of ``output`` in a ``bins`` x
      ``bins`` grid of cells (log-spaced on log-scaled axes);
    * ``"contour"`` -- filled contours over a triangulation of the points
      (best when only these two parameters vary);
    * ``"auto"`` -- heatmap for grids, else binned for 100+ points, else contour.

    ``cividis`` is monotonic in lightness, so the map reads in grayscale;
    sample points are marked (by default when there are at most 400).
    """
    table, logs = _table(result)
    xs, ys, zs = _column(table, x), _column(table, y), _column(table, output)
    ok = np.isfinite(xs) & np.isfinite(ys) & np.isfinite(zs)
    xs, ys, zs = xs[ok], ys[ok], zs[ok]
    ux, uy = np.unique(xs), np.unique(ys)
    is_grid = ux.size * uy.size <= xs.size and ux.size > 1 and uy.size > 1
    if kind == "auto":
        kind = "heatmap" if is_grid else ("binned" if xs.size >= 100 else "contour")
    if show_points is None:
        show_points = xs.size <= 400
    ax = _axes(ax)
    if kind in ("heatmap", "binned"):
        if kind == "heatmap":
            ex, ey = _edges(ux, logs.get(x)), _edges(uy, logs.get(y))
        else:
            nb = int(bins) if bins else int(np.clip(np.sqrt(xs.size / 8), 4, 24))
            ex, ey = _bin_edges(xs, nb, logs.get(x)), _bin_edges(ys, nb, logs.get(y))
        ix = np.clip(np.searchsorted(ex, xs, side="right") - 1, 0, ex.size - 2)
        iy = np.clip(np.searchsorted(ey, ys, side="right") - 1, 0, ey.size - 2)
        total = np.zeros((ey.size - 1, ex.size - 1))
        count = np.zeros_like(total)
        np.add.at(total, (iy, ix), zs)
        np.add.at(count, (iy, ix), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = total / count
        mappable = ax.pcolormesh(ex, ey, np.ma.masked_invalid(grid), cmap=cmap, shading="flat")
    elif kind == "contour":
        if xs.size < 3:
            raise ValueError("a contour plot needs at least 3 points")
        mappable = ax.tricontourf(xs, ys, zs, levels=levels, cmap=cmap)
    else:
        raise ValueError(f"kind must be 'auto', 'heatmap', 'binned' or 'contour', not {kind!r}")
    if show_points:
        ax.scatter(xs, ys, s=10, facecolors="none", edgecolors="white", linewidths=0.7)
        ax.scatter(xs, ys, s=2, color="black", linewidths=0)
    if logs.get(x):
        ax.set_xscale("log")
    if logs.get(y):
        ax.set_yscale("log")
    cbar = ax.figure.colorbar(mappable, ax=ax)
    cbar.set_label(f"mean {output}" if kind in ("heatmap", "binned") else output)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title if title is not None else f"{output} over {x} and {y}")
    return ax


def _bin_edges(values: np.ndarray, n: int, log: bool | None) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.array([lo - 0.5, hi + 0.5])
    if log and lo > 0:
        return np.geomspace(lo, hi, n + 1)
    return np.linspace(lo, hi, n + 1)


def _edges(centres: np.ndarray, log: bool | None) -> np.ndarray:
    """Cell edges around sorted centres (geometric midpoints on a log axis)."""
    c = np.asarray(centres, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    if log and (c > 0).all():
        lc = np.log(c)
        mid = 0.5 * (lc[1:] + lc[:-1])
        return np.exp(np.concatenate([[lc[0] - (mid[0] - lc[0])], mid, [lc[-1] + (lc[-1] - mid[-1])]]))
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
