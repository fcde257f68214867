"""A calibration target: a published range and the simulated value with its interval,
and the table that reports them (Markdown or CSV)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Target", "format_table", "mean_ci", "prop_ci", "sd_ci", "quantile_ci", "corr_ci"]


@dataclass
class Target:
    """One row of the calibration table. ``passed`` compares the simulated value (not its
    interval) with the published range [low, high]."""

    id: str
    description: str
    low: float
    high: float
    value: float
    interval: tuple[float, float]
    sources: str

    @property
    def passed(self) -> bool:
        return bool(self.low <= self.value <= self.high)


_NAN2 = (float("nan"), float("nan"))


def mean_ci(x) -> tuple[float, tuple[float, float]]:
    """Mean with its normal-theory 95% interval (NaN ignored)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    m = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    return m, (m - 1.96 * se, m + 1.96 * se)


def prop_ci(k: int, n: int) -> tuple[float, tuple[float, float]]:
    """Proportion with its exact (Clopper-Pearson) 95% interval."""
    ci = stats.binomtest(int(k), int(n)).proportion_ci()
    return k / n, (float(ci.low), float(ci.high))


def sd_ci(x) -> tuple[float, tuple[float, float]]:
    """Standard deviation with its chi-square 95% interval (normal theory)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = x.size
    s = float(x.std(ddof=1))
    lo = s * math.sqrt((n - 1) / stats.chi2.ppf(0.975, n - 1))
    hi = s * math.sqrt((n - 1) / stats.chi2.ppf(0.025, n - 1))
    return s, (lo, hi)


def quantile_ci(x, q: float) -> tuple[float, tuple[float, float]]:
    """Sample quantile with its distribution-free 95% interval (order statistics)."""
    x = np.sort(np.asarray(x, float)[np.isfinite(x)])
    n = x.size
    lo_i = int(stats.binom.ppf(0.025, n, q))
    hi_i = min(int(stats.binom.ppf(0.975, n, q)) + 1, n - 1)
    return float(np.quantile(x, q)), (float(x[max(lo_i - 1, 0)]), float(x[hi_i]))


def corr_ci(x, y) -> tuple[float, tuple[float, float]]:
    """Pearson correlation with its Fisher-z 95% interval (pairs with a NaN dropped)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    r = float(np.corrcoef(x[ok], y[ok])[0, 1])
    z, se = math.atanh(r), 1.0 / math.sqrt(ok.sum() - 3)
    return r, (math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se))


def _num(x: float) -> str:
    return "nan" if not math.isfinite(x) else (f"{x:.1f}" if abs(x) >= 100 else f"{x:.3f}")


def format_table(targets: list[Target], fmt: str = "md") -> str:
    """The targets as a Markdown table, or CSV (values in full precision) with ``fmt="csv"``."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "target", "low", "high", "value", "ci_low", "ci_high", "pass", "sources"])
        for t in targets:
            w.writerow([t.id, t.description, t.low, t.high, repr(t.value), repr(t.interval[0]),
                        repr(t.interval[1]), t.passed, t.sources])
        return buf.getvalue()
    lines = ["| id | target | range | simulated (95% CI) | result |", "|---|---|---|---|---|"]
    for t in targets:
        lines.append(f"| {t.id} | {t.description} | [{t.low:g}, {t.high:g}] | {_num(t.value)} "
                     f"({_num(t.interval[0])}, {_num(t.interval[1])}) | {'pass' if t.passed else 'FAIL'} |")
    return "\n".join(lines)
