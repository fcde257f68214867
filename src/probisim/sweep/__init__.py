"""Parameter sweeps and sensitivity analysis: designs (grid, Latin hypercube,
Sobol'/Saltelli), a resumable task runner, Sobol' indices, and executors (serial,
local processes, Dask)."""

from .runner import (
    Design, IncompleteSweepError, OutputExistsError, Parameter, SensitivityResult, SweepConfig, SweepMismatchError,
    SweepResult, current_task_id, load_results, load_sweep_config, read_results_csv, run_sensitivity, run_sweep,
)

__all__ = ["Design", "IncompleteSweepError", "OutputExistsError", "Parameter", "SensitivityResult", "SweepConfig",
           "SweepMismatchError", "SweepResult", "load_results", "load_sweep_config", "read_results_csv",
           "run_sensitivity", "run_sweep", "current_task_id"]
