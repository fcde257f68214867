"""Parameter sweeps and Sobol' sensitivity analysis over trial outputs.

A *sweep* varies model/trial parameters (named by their dotted config path,
e.g. ``"model.mood.depression_from_vagal"``) over a design, evaluates a *task
function* at every design point, and collects one row of scalar outputs per
point. The task function is pluggable, named ``"module:function"``; the default
runs replicate trials of a base experiment and returns their averaged outputs.

Modules, in the order a sweep uses them:

* :mod:`.config` -- the sweep file (:class:`SweepConfig`, :class:`Design`,
  :class:`Parameter`), overrides, the context every task gets;
* :mod:`.designs` -- grid, Latin hypercube, Sobol' and Saltelli points; tasks,
  their ids and seeds (common random numbers);
* :mod:`.checks` -- everything checked before the first task;
* :mod:`.tasks` -- evaluating one task, in whatever process it runs
  (:func:`current_task_id`);
* :mod:`.trial_task` -- the default task: one point of a trial -> outputs;
* :mod:`.executors` -- where tasks run: serial, local processes, Dask;
* :mod:`.runner` -- the resumable sweep directory, :func:`run_sweep`,
  :func:`run_sensitivity`;
* :mod:`.results` -- :class:`SweepResult`, :class:`SensitivityResult`, reading a
  sweep directory back;
* :mod:`.sobol` -- Sobol' indices and ``sobol.csv``/``sobol.json``.
"""

from ..core.errors import IncompleteSweepError, OutputExistsError, SweepMismatchError
from .config import DEFAULT_TASK, REP_VAR_SUFFIX, Design, Parameter, SweepConfig, load_sweep_config
from .designs import Task, make_design, make_tasks, saltelli_design
from .results import SensitivityResult, SweepResult, load_results, read_results_csv
from .runner import check_sweep, run_sensitivity, run_sweep
from .tasks import current_task_id

__all__ = ["Design", "Parameter", "SweepConfig", "load_sweep_config", "DEFAULT_TASK", "REP_VAR_SUFFIX",
           "Task", "make_design", "make_tasks", "saltelli_design", "check_sweep", "run_sweep", "run_sensitivity",
           "SweepResult", "SensitivityResult", "load_results", "read_results_csv", "current_task_id",
           "OutputExistsError", "SweepMismatchError", "IncompleteSweepError"]
