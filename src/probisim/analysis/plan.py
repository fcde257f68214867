"""The analysis plan of one real trial: which columns hold what, which arms are
compared, which endpoints at which visit, which covariates and analyses.

Written as a small TOML file (``probisim analyze DATA.csv --config PLAN.toml``) or
a dict (``probisim.analyze(data, plan)``)::

    name = "btheb"
    [data]
    participant = "subject"     # column names (defaults: participant, arm, visit)
    arm = "treatment"
    visit = "month"
    baseline_visit = 0          # default: the earliest visit in the data
    [arms]
    treatment = "BtheB"         # the arm labels as they appear in the data
    control = "TAU"
    [[endpoints]]
    column = "bdi"              # the score column
    score = "bdi2"              # optional: the instrument score (labels, range, direction, remission)
    visit = 8                   # analysed visit (default: the last)
    [analysis]
    covariates = ["drug", "length"]   # participant-level columns; text columns become indicators
    covariance = "unstructured"       # of the MMRM: unstructured, compound_symmetry, ar1
    imputations = 20
    seed = 1
    alpha = 0.05
    responder_reduction = 0.5

Every key is checked; a wrong one is a ConfigError naming the key, the value and
what was expected.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import check_label, closest
from ..core.errors import ConfigError
from ..measure.instruments import score_info, score_names
from ..stats.mmrm import COVARIANCES

__all__ = ["AnalysisPlan", "Endpoint", "load_plan", "plan_from_dict"]

_TOP = {"name", "data", "arms", "endpoints", "analysis"}
_DATA = {"participant", "arm", "visit", "baseline_visit"}
_ARMS = {"treatment", "control"}
_ENDPOINT = {"column", "score", "visit", "lower_is_better", "remission_at_most", "label"}
_ANALYSIS = {"covariates", "covariance", "imputations", "seed", "alpha", "responder_reduction"}


@dataclass(frozen=True)
class Endpoint:
    column: str
    score: str | None = None
    visit: float | None = None
    lower_is_better: bool = True
    remission_at_most: float | None = None
    label: str = ""


@dataclass(frozen=True)
class AnalysisPlan:
    name: str
    treatment: str
    control: str
    endpoints: tuple[Endpoint, ...]
    participant: str = "participant"
    arm: str = "arm"
    visit: str = "visit"
    baseline_visit: float | None = None
    covariates: tuple[str, ...] = ()
    covariance: str = "unstructured"
    imputations: int = 20
    seed: int = 1
    alpha: float = 0.05
    responder_reduction: float = 0.5
    source: dict = field(default_factory=dict, repr=False)


def _unknown(where: str, keys, allowed: set[str]) -> None:
    for k in keys:
        if k not in allowed:
            hint = closest(k, sorted(allowed))
            extra = f" (did you mean '{hint}'?)" if hint else ""
            raise ConfigError(f"{where}{k}: unknown key{extra}; expected one of {', '.join(sorted(allowed))}")


def _table(d: dict, key: str, where: str = "") -> dict:
    v = d.get(key, {})
    if not isinstance(v, dict):
        raise ConfigError(f"{where}{key} = {v!r}: expected a table")
    return v


def _str(v: Any, key: str) -> str:
    if not isinstance(v, str) or not v:
        raise ConfigError(f"{key} = {v!r}: expected a non-empty string")
    return v


def _number(v: Any, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ConfigError(f"{key} = {v!r}: expected a finite number")
    return float(v)


def _endpoint(spec: Any, k: int) -> Endpoint:
    where = f"endpoints[{k}]."
    if not isinstance(spec, dict):
        raise ConfigError(f"endpoints[{k}] = {spec!r}: expected a table with at least 'column'")
    _unknown(where, spec, _ENDPOINT)
    if "column" not in spec:
        raise ConfigError(f"{where}column: missing; expected the name of the score column")
    column = _str(spec["column"], where + "column")
    score = spec.get("score")
    info = None
    if score is not None:
        score = _str(score, where + "score")
        if score not in score_names():
            hint = closest(score, score_names())
            extra = f" (did you mean '{hint}'?)" if hint else ""
            raise ConfigError(f"{where}score = {score!r}: unknown score{extra}; expected one of "
                              f"{', '.join(score_names())}")
        info = score_info(score)
    visit = None if spec.get("visit") is None else _number(spec["visit"], where + "visit")
    lib = spec.get("lower_is_better", True if info is None else info["lower_is_better"])
    if not isinstance(lib, bool):
        raise ConfigError(f"{where}lower_is_better = {lib!r}: expected true or false")
    rem = spec.get("remission_at_most", None if info is None else info["remission"])
    rem = None if rem is None else _number(rem, where + "remission_at_most")
    label = spec.get("label")
    if label is None:
        label = column if info is None else (f"{info['long_name']} ({score}, "
                                             f"{info['range'][0]}–{info['range'][1]})")
    return Endpoint(column=column, score=score, visit=visit, lower_is_better=lib, remission_at_most=rem,
                    label=_str(label, where + "label"))


def plan_from_dict(d: dict) -> AnalysisPlan:
    """Check an analysis plan given as a dict (the parsed TOML)."""
    if not isinstance(d, dict):
        raise ConfigError(f"analysis plan: expected a table, got {type(d).__name__}")
    _unknown("", d, _TOP)
    data, arms, ana = _table(d, "data"), _table(d, "arms"), _table(d, "analysis")
    _unknown("data.", data, _DATA)
    _unknown("arms.", arms, _ARMS)
    _unknown("analysis.", ana, _ANALYSIS)
    for k in ("treatment", "control"):
        if k not in arms:
            raise ConfigError(f"arms.{k}: missing; expected the label of the {k} arm as it appears in the data")
    treatment, control = (str(arms["treatment"]), str(arms["control"]))
    if treatment == control:
        raise ConfigError(f"arms.control = {control!r}: expected a different arm from arms.treatment")
    eps = d.get("endpoints")
    if not isinstance(eps, list) or not eps:
        raise ConfigError(f"endpoints = {eps!r}: expected at least one [[endpoints]] table")
    endpoints = tuple(_endpoint(e, k) for k, e in enumerate(eps))
    cols = [e.column for e in endpoints]
    if len(set(cols)) != len(cols):
        raise ConfigError(f"endpoints: column {[c for c in cols if cols.count(c) > 1][0]!r} appears twice; "
                          "expected each score column once")
    covs = ana.get("covariates", [])
    if not isinstance(covs, list) or not all(isinstance(c, str) and c for c in covs):
        raise ConfigError(f"analysis.covariates = {covs!r}: expected a list of column names")
    covariance = ana.get("covariance", "unstructured")
    if covariance not in COVARIANCES:
        raise ConfigError(f"analysis.covariance = {covariance!r}: expected one of {', '.join(COVARIANCES)}")
    m = ana.get("imputations", 20)
    if isinstance(m, bool) or not isinstance(m, int) or m < 2:
        raise ConfigError(f"analysis.imputations = {m!r}: expected an integer >= 2")
    seed = ana.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"analysis.seed = {seed!r}: expected a non-negative integer")
    alpha = _number(ana.get("alpha", 0.05), "analysis.alpha")
    if not 0 < alpha < 1:
        raise ConfigError(f"analysis.alpha = {alpha!r}: expected a number in (0, 1)")
    red = _number(ana.get("responder_reduction", 0.5), "analysis.responder_reduction")
    if not 0 < red <= 1:
        raise ConfigError(f"analysis.responder_reduction = {red!r}: expected a fraction in (0, 1]")
    names = {k: _str(data.get(k, k), f"data.{k}") for k in ("participant", "arm", "visit")}
    clash = {names["participant"], names["arm"], names["visit"]} & (set(cols) | set(covs))
    if len(set(names.values())) < 3 or clash:
        raise ConfigError(f"data: the participant, arm and visit columns {list(names.values())} must be distinct "
                          "and differ from the score and covariate columns")
    base = data.get("baseline_visit")
    name = d.get("name", "analysis")
    check_label("name", name)
    return AnalysisPlan(
        name=name, treatment=treatment, control=control, endpoints=endpoints,
        participant=names["participant"], arm=names["arm"], visit=names["visit"],
        baseline_visit=None if base is None else _number(base, "data.baseline_visit"),
        covariates=tuple(covs), covariance=covariance, imputations=m, seed=seed, alpha=alpha,
        responder_reduction=red, source=d)


def load_plan(path) -> AnalysisPlan:
    """Read and check an analysis plan TOML file."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            d = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from None
    return plan_from_dict(d)
