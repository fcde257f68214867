"""One trial in long format (one row per participant and visit) to the arrays the
statistics take: baseline (n,), post-baseline visits (n, V), arm (n,) and
covariates (n, k), with text covariates expanded to indicator columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import ConfigError
from .plan import AnalysisPlan

__all__ = ["TrialData", "to_frame", "wide_arrays"]


def to_frame(data):
    """A pandas DataFrame from a DataFrame, a CSV path or a dict of columns."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data.copy()
    if isinstance(data, dict):
        return pd.DataFrame(data)
    try:
        return pd.read_csv(data)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{data}: not a readable CSV table ({exc})") from None


@dataclass
class TrialData:
    """The arrays of one endpoint. ``participants`` (n,) are the ids in row order,
    ``arm`` is 1 treatment / 0 control / -1 other, ``visits`` the post-baseline
    visit values (V,) in time order."""

    participants: np.ndarray
    arm: np.ndarray
    arm_label: np.ndarray
    baseline: np.ndarray
    post: np.ndarray
    visits: np.ndarray
    covariates: np.ndarray | None
    covariate_names: list[str]


def _covariate_columns(frame, per_person, names: tuple[str, ...], plan: AnalysisPlan):
    cols, labels = [], []
    for c in names:
        if c not in frame.columns:
            raise ConfigError(f"analysis.covariates: column {c!r} not in the data; columns: "
                              f"{', '.join(map(str, frame.columns))}")
        varies = frame.groupby(plan.participant)[c].nunique(dropna=False) > 1
        if varies.any():
            who = varies[varies].index[0]
            raise ConfigError(f"analysis.covariates: column {c!r} changes within participant {who!r}; expected a "
                              "participant-level (baseline) covariate")
        v = per_person[c]
        if v.dtype.kind in "biuf":
            cols.append(v.to_numpy(np.float64))
            labels.append(c)
            continue
        levels = sorted(v.dropna().astype(str).unique())
        if len(levels) < 2:
            raise ConfigError(f"analysis.covariates: column {c!r} has a single level {levels}; nothing to adjust for")
        for lev in levels[1:]:  # first level is the reference
            col = (v.astype(str) == lev).to_numpy(np.float64)
            col[v.isna().to_numpy()] = np.nan
            cols.append(col)
            labels.append(f"{c}[{lev}]")
    return (np.column_stack(cols) if cols else None), labels


def wide_arrays(frame, plan: AnalysisPlan, column: str) -> TrialData:
    """Check the long table against the plan and pivot one score column."""
    for key in ("participant", "arm", "visit"):
        c = getattr(plan, key)
        if c not in frame.columns:
            raise ConfigError(f"data.{key}: column {c!r} not in the data; columns: "
                              f"{', '.join(map(str, frame.columns))}")
    if column not in frame.columns:
        raise ConfigError(f"endpoints: score column {column!r} not in the data; columns: "
                          f"{', '.join(map(str, frame.columns))}")
    f = frame[frame[plan.participant].notna()].copy()
    visit = f[plan.visit]
    if visit.dtype.kind not in "biuf" or visit.isna().any():
        bad = visit[~visit.astype(str).str.fullmatch(r"-?[0-9.]+")].iloc[:1].tolist() or "missing values"
        raise ConfigError(f"data.visit: column {plan.visit!r} must hold a number for every row (e.g. the day, week "
                          f"or month of the visit); found {bad}")
    dup = f.duplicated([plan.participant, plan.visit])
    if dup.any():
        row = f[dup].iloc[0]
        raise ConfigError(f"data: participant {row[plan.participant]!r} has two rows at visit {row[plan.visit]!r}; "
                          "expected one row per participant and visit")
    arm_by = f.groupby(plan.participant)[plan.arm].nunique(dropna=False)
    if (arm_by > 1).any():
        raise ConfigError(f"data.arm: participant {arm_by[arm_by > 1].index[0]!r} is in more than one arm")
    labels = set(f[plan.arm].astype(str))
    for which in ("treatment", "control"):
        lab = getattr(plan, which)
        if lab not in labels:
            raise ConfigError(f"arms.{which} = {lab!r}: no such arm in column {plan.arm!r}; arms in the data: "
                              f"{', '.join(sorted(labels))}")
    visits = np.sort(visit.unique().astype(np.float64))
    base_v = visits[0] if plan.baseline_visit is None else plan.baseline_visit
    if base_v not in visits:
        raise ConfigError(f"data.baseline_visit = {base_v:g}: no rows at that visit; visits in the data: "
                          f"{', '.join(f'{v:g}' for v in visits)}")
    post_v = visits[visits > base_v]
    if post_v.size == 0:
        raise ConfigError(f"data: no visit after the baseline visit {base_v:g}; expected follow-up visits")
    scores = f[column]
    if scores.dtype.kind not in "biuf":
        bad = scores[~scores.astype(str).str.fullmatch(r"\s*-?[0-9.]+\s*|nan")].iloc[:1].tolist()
        raise ConfigError(f"endpoints: column {column!r} must be numeric (blank = missing); found {bad}")
    per_person = f.sort_values(plan.visit).groupby(plan.participant, sort=True).first()
    pids = per_person.index.to_numpy()
    grid = f.pivot(index=plan.participant, columns=plan.visit, values=column).reindex(index=pids)
    baseline = grid[base_v].to_numpy(np.float64) if base_v in grid.columns else np.full(pids.size, np.nan)
    post = grid.reindex(columns=post_v).to_numpy(np.float64)
    arm_label = per_person[plan.arm].astype(str).to_numpy()
    arm = np.where(arm_label == plan.treatment, 1, np.where(arm_label == plan.control, 0, -1))
    cov, cov_names = _covariate_columns(f, per_person, plan.covariates, plan)
    return TrialData(participants=pids, arm=arm, arm_label=arm_label, baseline=baseline, post=post, visits=post_v,
                     covariates=cov, covariate_names=cov_names)
