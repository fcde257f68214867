"""Task functions for sweep tests, named as ``task = "sweep_tasks:<name>"``.

Test-only: pytest puts this directory on ``sys.path``; worker processes started
with ``spawn`` (the process pool, a Dask LocalCluster) get the parent's
``sys.path``, and a test that starts ``python -m probisim`` itself puts this
directory on its ``PYTHONPATH``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

#: Analytic Sobol' indices of the Ishigami function with a = 7, b = 0.1.
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(point, *, seed, context):
    """Ishigami test function, ``y = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1``.

    Inputs ``x1, x2, x3`` ~ U(-pi, pi) (the point's keys are taken in order:
    the names need not be x1..x3).  ``context["noise"]`` (default 0) adds the
    mean of ``context["replicates"]`` N(0, noise^2) draws from
    ``default_rng(seed)``, so results are deterministic; with more than one
    replicate ``y__rep_var`` is their sample variance.
    """
    x1, x2, x3 = (float(v) for v in list(point.values())[:3])
    y = math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
    out: dict[str, float] = {}
    reps = int(context.get("replicates", 1) or 1)
    sd = float(context.get("noise", 0.0) or 0.0)
    if sd > 0:
        eps = np.random.default_rng(seed).normal(0.0, sd, size=reps)
        y += float(eps.mean())
        if reps > 1:
            out["y__rep_var"] = float(eps.var(ddof=1))
    elif reps > 1:
        out["y__rep_var"] = 0.0
    out["y"] = y
    return out


def flaky(point, *, seed, context):
    """:func:`ishigami` that fails once for the task ids in ``context["fail_ids"]``.

    The first evaluation of a listed task creates ``<marker_dir>/<task_id>.failed``
    and then fails; later evaluations succeed.  ``context["fail_mode"]``:
    ``"raise"`` (RuntimeError, default), ``"interrupt"`` (KeyboardInterrupt,
    like Ctrl-C) or ``"exit"`` (``os._exit(3)``: the worker process dies).
    ``fail_ids`` may be a list or a comma-separated string of ids/indices.
    """
    from probisim.sweep import current_task_id

    task_id = current_task_id()
    fail_ids = context.get("fail_ids", ())
    if isinstance(fail_ids, str):
        fail_ids = [s for s in fail_ids.split(",") if s.strip()]
    wanted = {int(str(i).strip()) for i in fail_ids}
    if task_id is not None and int(task_id) in wanted:
        marker = Path(str(context["marker_dir"])) / f"{task_id}.failed"
        try:
            with open(marker, "x"):
                pass
        except FileExistsError:
            pass
        else:
            mode = str(context.get("fail_mode", "raise"))
            if mode == "interrupt":
                raise KeyboardInterrupt(f"simulated interrupt in task {task_id}")
            if mode == "exit":
                os._exit(3)
            raise RuntimeError(f"simulated failure of task {task_id}")
    return ishigami(point, seed=seed, context=context)


def sleepy(point, *, seed, context):
    """Mark ``<marker_dir>/<pid>.<task>`` (who is busy), then sleep ``sleep_s`` seconds."""
    from probisim.sweep import current_task_id

    marker_dir = context.get("marker_dir")
    if marker_dir:
        (Path(str(marker_dir)) / f"{os.getpid()}.{current_task_id()}").touch()
    time.sleep(float(context.get("sleep_s", 0.0)))
    return {"y": float(sum(float(v) for v in point.values()))}


def bad_signature(point):
    """Not a task function: no ``seed`` or ``context``."""
    return {"y": 0.0}


def counted(point, *, seed, context):
    """A task function with a ``check`` (below) that knows its settings: ``n`` (int), ``x`` (float)."""
    return {"y": float(point.get("x", 0.0)) * int(point.get("n", 1))}


def _counted_check(point, *, context):
    settings = {"n": 3, "x": 0.5}
    for key, value in point.items():
        if key not in settings:
            raise ValueError(f"unknown setting {key!r}")
        if key == "n" and float(value) != int(value):
            raise ValueError(f"n must be a whole number, got {value!r}")
        settings[key] = int(value) if key == "n" else float(value)
    return settings


counted.check = _counted_check
