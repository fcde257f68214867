"""The benchmark's own sweep task (``task = "bench_tasks:ishigami"``): bench_sweep.py
puts this directory on ``PYTHONPATH`` for its workers."""

from __future__ import annotations

import math
import time


def ishigami(point, *, seed, context):
    """Spin the CPU (holding the GIL) for ``context["busy_ms"]`` ms, then return the
    Ishigami function of the point's first three values (deterministic; ``seed`` unused)."""
    end = time.perf_counter() + float(context.get("busy_ms", 0.0)) / 1000.0
    while time.perf_counter() < end:
        pass
    x1, x2, x3 = (float(v) for v in list(point.values())[:3])
    return {"y": math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)}
