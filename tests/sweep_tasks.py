"""Task functions for sweep tests, named as ``task = "sweep_tasks:<name>"``.

Test-only: the tests put this directory on ``sys.path`` / ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


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
