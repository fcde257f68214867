"""The sweep's default task: one parameter point of a trial -> scalar outputs.

:func:`evaluate_point` (task ``"probisim.sweep.trial_task:evaluate_point"``) runs
``context["replicates"]`` replicate trials of the base experiment
``context["base"]`` with the point's overrides and returns the averaged
``<score>.<stat>`` outputs; :func:`check_point`, its ``check`` hook, finds what it
would reject without simulating (see :mod:`probisim.sweep.checks`). The sweep
imports the trial layer; the trial layer knows nothing of sweeps.

Older sweep files name this task ``"probisim.trial:evaluate_point"``; that spec
still works (:data:`probisim.sweep.config.TASK_ALIASES`).
"""

from __future__ import annotations

import numpy as np
import tomli_w

from ..config import ConfigError, apply_overrides, closest, from_dict, load_raw, to_dict
from ..model import compile_model, resolve_defaults, strains_in
from ..trial import TrialConfig, run_trial

__all__ = ["evaluate_point", "check_point", "SWEEP_STATS", "sweep_scores", "sweep_output_names"]

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
            raise ConfigError(path=f"outputs[{k}]", value=name, expected=expected,
                              suggestion=closest(name, names))


def _toml_value(v) -> str:
    """A point's value as the TOML text of an override (``key=value``), written by tomli-w."""
    if isinstance(v, np.generic):
        v = v.item()
    return tomli_w.dumps({"v": v}).partition("=")[2].strip()


def _point_config(point: dict, context: dict) -> TrialConfig:
    """The TrialConfig that :func:`evaluate_point` runs for ``point``."""
    base = context["base"]
    if not point:  # the base alone: say that it is the base that fails
        try:
            raw = load_raw(base) if isinstance(base, str) else dict(base)
            return from_dict(TrialConfig, resolve_defaults(raw))
        except (ConfigError, OSError) as exc:
            raise ConfigError(f"the base experiment {base if isinstance(base, str) else '(table)'} does not "
                              f"load as a trial config: {exc}", path="base") from None
    raw = load_raw(base) if isinstance(base, str) else dict(base)
    over = [f"{k}={_toml_value(v)}" for k, v in point.items()]
    raw = apply_overrides(raw, over, TrialConfig)
    return from_dict(TrialConfig, resolve_defaults(raw))


def check_point(point: dict, *, context: dict) -> dict:
    """What :func:`evaluate_point` would reject, found without simulating.

    Builds the point's TrialConfig (base file, overrides: paths, types, bounds,
    cross-field checks), builds its model (as ``probisim validate`` does) and,
    for the empty point, checks ``context['outputs']``: at least one, each
    ``<score>.<stat>`` (see :data:`SWEEP_STATS`).  Raises
    :class:`~probisim.config.ConfigError`; returns the resolved config as a
    dict.  A sweep calls it before its first task (see :mod:`probisim.sweep.checks`).
    """
    cfg = _point_config(point, context)
    if not point:
        _check_outputs(cfg, context.get("outputs", ()), required=True)
    ivs = [iv for a in cfg.arms for iv in a.interventions]
    compile_model(cfg.model, strains_in(ivs))
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


#: the sweep's pre-flight hook (see probisim.sweep.checks)
evaluate_point.check = check_point
