"""Randomized placebo-controlled trials on top of the engine: :func:`run_trial`.

One call runs R replicate trials as one population through the kernel, in five
stages around one :class:`~.state.TrialState`:

1. **enrol** (:mod:`.enrol`): candidates are drawn from the source population,
   burned in to their own quasi-steady state and screened; the first
   ``n_randomized`` eligible of each replicate are enrolled;
2. **randomize** (:mod:`.randomize`): simple, permuted blocks, or stratified
   blocks to the arms; :func:`~.state.start_trial` builds the trial state
   (with ``potential_outcomes = true`` everyone is simulated in every arm with
   the same random numbers, so individual treatment effects are known);
3. **the day loop** (:mod:`.loop`): screening day to the last visit, each day by
   :data:`~.loop.DAY_PLAN` (visits at the start of the day, interventions with
   adherence, the kernel step, the recall ring, the dropout draw);
4. **tables** (:mod:`.tables`): participants, visits and biomarkers as long
   tables, per-arm trajectories, individual effects;
5. **analysis** (:mod:`.analyse`): every endpoint per replicate and across
   replicates.

The section at the end (one parameter point of a sweep) is on its way to
:mod:`probisim.sweep`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..config import ConfigError, from_dict, load_raw
from ..model import compile_model, resolve_defaults, strains_in
from ..model.engine import numba_threads
from .analyse import analyse_endpoints
from .design import TrialConfig
from .enrol import enrol
from .loop import run_days
from .randomize import randomize
from .state import start_trial
from .tables import build_tables

__all__ = ["TrialResult", "run_trial", "evaluate_point", "check_point", "SWEEP_STATS", "sweep_output_names"]


@dataclass
class TrialResult:
    """Everything a trial run produced (tables as dicts of equal-length arrays)."""

    config: TrialConfig
    visits: dict[str, np.ndarray]  # long form: one row per participant x visit
    participants: dict[str, np.ndarray]  # one row per randomized participant
    biomarkers: dict[str, np.ndarray]  # long form: participant x biomarker visit
    per_replicate: dict[str, dict[str, np.ndarray]]  # "endpoint|comparison" -> analysis arrays
    summary: dict[str, dict]  # "endpoint|comparison" -> across-replicate summary
    screening: dict[str, np.ndarray]  # per replicate: screened, eligible
    trajectories: dict[str, np.ndarray]  # per-arm summaries over time
    individual_effects: dict[str, np.ndarray] | None
    wall_s: float
    timings: dict[str, float] = field(default_factory=dict)
    threads: int | None = None  # Numba threads the run used

    def comparisons(self) -> list[str]:
        return list(self.per_replicate)


def run_trial(cfg: TrialConfig, *, replicates: int | None = None, seed: int | None = None,
              threads: int | None = None, progress: bool = False) -> TrialResult:
    """Run ``replicates`` replicate trials of ``cfg``; see the module docstring.
    ``threads`` (Numba threads) applies to this call only."""
    import numba

    with numba_threads(threads):
        res = _run_stages(cfg, replicates, seed, progress)
        res.threads = int(numba.get_num_threads())  # read inside: the caller's setting is restored on exit
        return res


def _run_stages(cfg: TrialConfig, replicates: int | None, seed: int | None, progress: bool) -> TrialResult:
    """The five stages of the module docstring, timed (``TrialResult.timings``)."""
    t0 = time.perf_counter()
    R = int(replicates if replicates is not None else cfg.replicates)
    seed = int(seed if seed is not None else cfg.seed)
    model = compile_model(cfg.model, strains_in([iv for a in cfg.arms for iv in a.interventions]))
    enrolled = enrol(cfg, model, R, seed, progress)  # 1. enrol
    timings = {"enrol_s": time.perf_counter() - t0}
    state = start_trial(cfg, model, enrolled, randomize(cfg, enrolled, R, seed), seed)  # 2. randomize
    t1 = time.perf_counter()
    run_days(state, progress)  # 3. the day loop
    timings["simulate_s"] = time.perf_counter() - t1
    tables = build_tables(state, enrolled.screening_scores)  # 4. tables
    t2 = time.perf_counter()
    per_rep, summary = analyse_endpoints(state, tables.order)  # 5. analysis
    timings["analysis_s"] = time.perf_counter() - t2
    return TrialResult(config=cfg, visits=tables.visits, participants=tables.participants,
                       biomarkers=tables.biomarkers, per_replicate=per_rep, summary=summary,
                       screening={"replicate": np.arange(R), "screened": enrolled.screened,
                                  "randomized": np.full(R, cfg.n_randomized)},
                       trajectories=tables.trajectories, individual_effects=tables.individual_effects,
                       wall_s=time.perf_counter() - t0, timings=timings)


# ---------------------------------------------------------------------------
# sweeps: one parameter point -> scalar outputs
# ---------------------------------------------------------------------------
#: What ``<score>.<stat>`` asks :func:`evaluate_point` for: stat -> the per-replicate
#: values it averages (``p_median``: their median).  The one list of sweep statistics:
#: the sweep's pre-flight check (:func:`check_point`) and the run both read it.
_SWEEP_STAT_VALUES = {
    "g_mean": lambda pr, res, cfg: pr["hedges_g"],  # mean Hedges' g
    "power": lambda pr, res, cfg: (pr["ancova_itt_p"] < cfg.analysis.alpha).astype(float),  # ANCOVA-ITT
    "estimate_mean": lambda pr, res, cfg: pr["ancova_itt_estimate"],  # mean ANCOVA-ITT estimate
    "p_median": lambda pr, res, cfg: pr["ancova_itt_p"],
    "dropout": lambda pr, res, cfg: (~res.participants["completed"]).reshape(-1, cfg.n_randomized).mean(axis=1),
}
SWEEP_STATS = tuple(_SWEEP_STAT_VALUES)


def sweep_scores(cfg: TrialConfig) -> tuple[str, ...]:
    """Endpoint scores that have a comparison (an arm besides the control), in config order."""
    if not any(a.name != cfg.analysis.control_arm for a in cfg.arms):
        return ()
    return tuple(dict.fromkeys(e.score for e in cfg.endpoints))


def sweep_output_names(cfg: TrialConfig) -> tuple[str, ...]:
    """Every output name :func:`evaluate_point` can return for ``cfg``: ``<score>.<stat>``."""
    return tuple(f"{score}.{stat}" for score in sweep_scores(cfg) for stat in SWEEP_STATS)


def _check_outputs(cfg: TrialConfig, outputs, *, required: bool = False) -> None:
    from difflib import get_close_matches

    names = sweep_output_names(cfg)
    scores = sweep_scores(cfg)
    expected = (f"'<score>.<stat>' with score among the base config's endpoints ({', '.join(scores)}) "
                f"and stat among {', '.join(SWEEP_STATS)}" if scores else
                "no output: the base config has no comparison (no arm besides the control arm)")
    outputs = list(outputs or ())
    if required and not outputs:
        raise ConfigError(path="outputs", value=outputs, expected="at least one " + expected if scores else expected)
    for k, name in enumerate(outputs):
        if name not in names:
            close = get_close_matches(str(name), names, n=1)
            raise ConfigError(path=f"outputs[{k}]", value=name, expected=expected,
                              suggestion=close[0] if close else None)


def _point_config(point: dict, context: dict) -> TrialConfig:
    """The TrialConfig that :func:`evaluate_point` runs for ``point``."""
    from ..config import apply_overrides

    base = context["base"]
    if not point:  # the base alone: say that it is the base that fails
        try:
            raw = load_raw(base) if isinstance(base, str) else dict(base)
            return from_dict(TrialConfig, resolve_defaults(raw))
        except (ConfigError, OSError) as exc:
            raise ConfigError(f"the base experiment {base if isinstance(base, str) else '(table)'} does not "
                              f"load as a trial config: {exc}", path="base") from None
    raw = load_raw(base) if isinstance(base, str) else dict(base)
    over = [f"{k}={_toml_literal(v)}" for k, v in point.items()]
    raw = apply_overrides(raw, over, TrialConfig)
    return from_dict(TrialConfig, resolve_defaults(raw))


def check_point(point: dict, *, context: dict) -> dict:
    """What :func:`evaluate_point` would reject, found without simulating.

    Builds the point's TrialConfig (base file, overrides: paths, types, bounds,
    cross-field checks), builds its model (as ``probisim validate`` does) and,
    for the empty point, checks ``context['outputs']``: at least one, each
    ``<score>.<stat>`` (see :data:`SWEEP_STATS`).  Raises
    :class:`~probisim.config.ConfigError`; returns the resolved config as a
    dict.  A sweep calls it before its first task (see :mod:`probisim.sweep`).
    """
    cfg = _point_config(point, context)
    if not point:
        _check_outputs(cfg, context.get("outputs", ()), required=True)
    ivs = [iv for a in cfg.arms for iv in a.interventions]
    compile_model(cfg.model, strains_in(ivs))
    from ..config import to_dict

    return to_dict(cfg)


def evaluate_point(point: dict, *, seed: int, context: dict) -> dict[str, float]:
    """Run replicate trials of ``context['base']`` with ``point`` overrides and
    return the requested scalar outputs (see :mod:`probisim.sweep`).

    Output names: ``<score>.<stat>`` where stat is ``g_mean`` (mean Hedges' g),
    ``power`` (ANCOVA-ITT power), ``estimate_mean`` (mean ANCOVA-ITT estimate),
    ``p_median``, ``dropout`` (:data:`SWEEP_STATS`); the first comparison of
    that score is used.  Unknown names fail before anything is simulated.
    """
    cfg = _point_config(point, context)
    outputs = list(context.get("outputs", ()))
    _check_outputs(cfg, outputs)
    res = run_trial(cfg, replicates=int(context.get("replicates", cfg.replicates)), seed=seed)
    out = {}
    for name in outputs:
        score, _, stat = name.rpartition(".")
        key = next(k for k in res.per_replicate if k.split("|")[0] == score)
        # each output comes with the between-replicate variance of the quantity
        # it averages ("<name>__rep_var"), so a sweep can report its noise
        per = np.asarray(_SWEEP_STAT_VALUES[stat](res.per_replicate[key], res, cfg), dtype=float)
        out[name] = float(np.nanmedian(per) if stat == "p_median" else np.nanmean(per))
        out[f"{name}__rep_var"] = float(np.nanvar(per, ddof=1)) if np.isfinite(per).sum() > 1 else float("nan")
    return out


#: the sweep's pre-flight hook (see probisim.sweep: "Checks before the first task")
evaluate_point.check = check_point


def _toml_literal(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return '"' + str(v).replace('"', '\\"') + '"'
