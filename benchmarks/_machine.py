"""Machine description shared by the benchmark scripts."""

from __future__ import annotations

import platform


def cpu_name() -> str:
    """The first processor's model name from /proc/cpuinfo, with its family and model
    numbers when known (else ``platform.processor()``, else "?")."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # first processor only
                k, _, v = line.partition(":")
                info[k.strip()] = v.strip()
    except OSError:
        pass
    cpu = info.get("model name", platform.processor() or "?")
    if "cpu family" in info:
        cpu += f" (family {info['cpu family']}, model {info.get('model', '?')})"
    return cpu
