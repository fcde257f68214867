"""probisim: agent-based simulation of probiotic trials.

The notebook-level API is importable from the package itself (loaded on first
use, so ``import probisim`` stays cheap)::

    import probisim
    res = probisim.simulate({"n": 200, "days": 28})
    trial = probisim.run_trial(probisim.load_trial_config("experiments/stress_anxiety_6wk.toml"))
    real = probisim.analyze("trial_long.csv", "analysis_plan.toml")   # one real trial
"""

from importlib import import_module

__version__ = "0.1.0"

#: public name -> module that defines it
_API = {
    "simulate": "model", "SimConfig": "model", "SimResult": "model", "load_sim_config": "model", "Engine": "model",
    "SimulationError": "model",
    "run_trial": "trial", "TrialConfig": "trial", "TrialResult": "trial", "load_trial_config": "trial",
    "ModelConfig": "model", "compile_model": "model",
    "PopulationConfig": "model", "generate": "model",
    "ConfigError": "config",
    "analyze": "analysis", "AnalysisPlan": "analysis", "AnalysisResult": "analysis",
}
__all__ = sorted(_API)


def __getattr__(name):
    if name in _API:
        value = getattr(import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'probisim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
