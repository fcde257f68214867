"""Sobol' indices of a finished Saltelli sweep, and ``sobol.csv`` / ``sobol.json``.

:func:`sobol_analysis` splits each output of the sweep into its A, B and AB_i
parts and calls :func:`probisim.stats.sobol_indices` (scipy's estimators, BCa
bootstrap intervals seeded from ``design.seed``, so ``sobol.csv`` is
reproducible).

Noise
-----
To let a reader judge the *nugget* (noise that is left in the averaged
output), a task function may return, next to output ``y``, the key
``"y__rep_var"``: the between-replicate sample variance of ``y`` at that point.
For each output the result reports the variance of ``y`` over the A and B
samples (the denominator of the indices) next to ``noise_var`` = mean of
``y__rep_var`` over points and ``noise_var_of_mean`` = ``noise_var /
replicates`` (the nugget of the averaged output) and their ratio
``noise_fraction``.  With CRN the noise is largely shared between points, so
``noise_fraction`` is an upper bound on the share of the output variance that
noise can explain; without CRN it is an estimate of it.
"""

from __future__ import annotations

import logging

import numpy as np

from ..core.io import LF, csv_text, write_json, write_text_atomic
from ..stats.sobol import sobol_indices
from .config import REP_VAR_SUFFIX, SweepConfig
from .results import SensitivityResult, SweepResult

__all__ = ["sobol_analysis", "write_sobol"]

log = logging.getLogger(__name__)


def _bootstrap_seed(cfg: SweepConfig) -> int:
    return int(np.random.SeedSequence(entropy=int(cfg.design.seed), spawn_key=(0x50B0,)).generate_state(1)[0])


def _sobol_one(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, n: int, confidence_level, n_resamples, seed):
    """Indices and CIs for one output: f_a, f_b (n,), f_ab (d, n)."""
    r = sobol_indices(f_a, f_b, f_ab, confidence_level=confidence_level, n_resamples=n_resamples, seed=seed)
    ci = np.stack([r["first_order_ci_low"], r["first_order_ci_high"], r["total_order_ci_low"],
                   r["total_order_ci_high"]])
    return r["first_order"], r["total_order"], ci


def sobol_analysis(cfg: SweepConfig, sweep: SweepResult, *, confidence_level: float,
                   n_resamples: int) -> SensitivityResult:
    """First-order and total indices (with CIs) of every output of a complete Saltelli
    sweep, whose rows are ordered A, B, AB_0, ..., AB_{d-1} (see
    :func:`~probisim.sweep.designs.saltelli_design`); an output with a non-finite
    value gets NaN indices."""
    n, d = cfg.design.n, len(cfg.parameters)
    outs = sweep.outputs
    k = len(outs)
    s1, st = np.full((k, d), np.nan), np.full((k, d), np.nan)
    s1_ci, st_ci = np.full((2, k, d), np.nan), np.full((2, k, d), np.nan)
    mean, var = np.full(k, np.nan), np.full(k, np.nan)
    noise = np.full(k, np.nan)
    seed = _bootstrap_seed(cfg)
    for j, name in enumerate(outs):
        y = sweep.table[name]
        f_a, f_b, f_ab = y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)
        ab = np.concatenate([f_a, f_b])
        mean[j], var[j] = ab.mean(), ab.var()
        rv = sweep.table.get(name + REP_VAR_SUFFIX)
        if rv is not None and np.isfinite(rv).any():
            noise[j] = float(np.nanmean(rv))
        if not (np.isfinite(y).all()):
            log.warning("output %r has non-finite values; its Sobol' indices are NaN", name)
            continue
        a, b, ci = _sobol_one(f_a, f_b, f_ab, n, confidence_level, n_resamples, seed)
        s1[j], st[j] = a, b
        s1_ci[0, j], s1_ci[1, j], st_ci[0, j], st_ci[1, j] = ci
    return SensitivityResult(
        sweep=sweep,
        parameters=cfg.parameter_names,
        outputs=tuple(outs),
        n_base=n,
        first_order=s1,
        total_order=st,
        first_order_ci=s1_ci,
        total_order_ci=st_ci,
        mean=mean,
        variance=var,
        noise_var=noise,
        noise_var_of_mean=noise / cfg.replicates,
        confidence_level=float(confidence_level),
        n_resamples=int(n_resamples),
    )


def write_sobol(res: SensitivityResult, cfg: SweepConfig) -> None:
    """Write ``sobol.csv`` (one row per output x parameter) and ``sobol.json`` into the sweep directory."""
    header = [
        "output", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
        "output_mean", "output_var", "noise_var", "noise_var_of_mean",
    ]
    rows = []
    for k, o in enumerate(res.outputs):
        for j, p in enumerate(res.parameters):
            rows.append([
                o, p,
                res.first_order[k, j], res.first_order_ci[0, k, j], res.first_order_ci[1, k, j],
                res.total_order[k, j], res.total_order_ci[0, k, j], res.total_order_ci[1, k, j],
                res.mean[k], res.variance[k], res.noise_var[k], res.noise_var_of_mean[k],
            ])
    write_text_atomic(res.out_dir / "sobol.csv", csv_text(header, rows, lineterminator=LF))
    doc = {
        "method": "saltelli_2010 via scipy.stats.sobol_indices; BCa bootstrap CIs",
        "n_base": res.n_base,
        "n_tasks": res.sweep.n_tasks,
        "parameters": list(res.parameters),
        "confidence_level": res.confidence_level,
        "n_resamples": res.n_resamples,
        "bootstrap_seed": _bootstrap_seed(cfg),
        "crn": bool(cfg.crn),
        "replicates": int(cfg.replicates),
        # arrays as lists, non-finite values as null (core.io.json_text)
        "outputs": {o: res.summary(o) for o in res.outputs},
    }
    write_json(res.out_dir / "sobol.json", doc)
