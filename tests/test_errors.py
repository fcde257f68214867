"""One error hierarchy: every error class probisim defines derives from
:class:`probisim.core.errors.ProbisimError`, is defined once, and keeps the builtin
base that callers (and the command line's exit codes) rely on."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest

import probisim
from probisim.core import errors


def _all_modules():
    yield probisim
    for info in pkgutil.walk_packages(probisim.__path__, prefix="probisim."):
        if info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def _error_classes() -> dict[str, type]:
    """{qualified name: class} of every exception class defined in a probisim module."""
    found = {}
    for mod in _all_modules():
        for _name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith("probisim"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_error_class_derives_from_probisim_error():
    classes = _error_classes()
    assert len(classes) >= 12, sorted(classes)  # the walk found them (errors, executors, cli)
    stray = [name for name, cls in classes.items() if not issubclass(cls, errors.ProbisimError)]
    assert not stray, stray


def test_each_error_is_defined_once_and_imported_elsewhere():
    names = [name.rpartition(".")[2] for name in _error_classes()]
    assert len(names) == len(set(names)), sorted(names)
    from probisim import model, store, sweep
    from probisim.core import outdir
    from probisim.model import engine
    from probisim.sweep import runner

    assert outdir.OutputError is errors.OutputError and outdir.OutputBusyError is errors.OutputBusyError
    assert store.OutputExistsError is sweep.OutputExistsError is errors.OutputExistsError
    assert store.StoreError is errors.StoreError
    assert model.SimulationError is engine.SimulationError is errors.SimulationError
    assert runner.SweepMismatchError is sweep.SweepMismatchError is errors.SweepMismatchError
    assert runner.IncompleteSweepError is sweep.IncompleteSweepError is errors.IncompleteSweepError


@pytest.mark.parametrize("cls, builtin", [
    (errors.ConfigError, ValueError),
    (errors.OutputError, ValueError),
    (errors.OutputExistsError, ValueError),
    (errors.OutputBusyError, ValueError),
    (errors.StoreError, RuntimeError),
    (errors.SimulationError, RuntimeError),
    (errors.SweepMismatchError, ValueError),
    (errors.IncompleteSweepError, RuntimeError),
])
def test_errors_keep_their_builtin_bases(cls, builtin):
    assert issubclass(cls, builtin) and issubclass(cls, errors.ProbisimError)


def test_executor_errors_keep_their_builtin_bases():
    from probisim.sweep import executors

    assert issubclass(executors.ExecutorUnavailableError, ImportError)  # the CLI catches ImportError (exit 2)
    assert issubclass(executors.WorkerLostError, RuntimeError)


def test_errors_survive_pickling_with_their_attributes():
    """Errors cross process boundaries (sweep workers: multiprocessing, Dask)."""
    from probisim.sweep.executors import WorkerLostError

    sim = pickle.loads(pickle.dumps(errors.SimulationError("2 participant(s) failed", np.array([3, 5]), 12)))
    assert type(sim) is errors.SimulationError
    assert str(sim) == "2 participant(s) failed" and sim.day == 12 and list(sim.pids) == [3, 5]
    inc = pickle.loads(pickle.dumps(errors.IncompleteSweepError("1 of 8", ("000003",))))
    assert str(inc) == "1 of 8" and inc.failed == ("000003",)
    lost = pickle.loads(pickle.dumps(WorkerLostError("a worker died", ("000001", "000002"))))
    assert str(lost) == "a worker died" and lost.in_flight == ("000001", "000002")
    cfg = errors.ConfigError(path="trial.n", value=-3, expected="a positive integer", filename="x.toml")
    again = pickle.loads(pickle.dumps(cfg))
    assert str(again) == str(cfg) and again.path == "trial.n" and again.value == -3
