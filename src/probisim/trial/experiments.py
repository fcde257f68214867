"""The shipped experiments: trial designs installed with the package
(``probisim/data/experiments/*.toml``), so ``probisim run stress_anxiety_6wk`` and
``probisim calibrate`` work from any directory after a plain ``pip install``.

A config argument is either a path to a TOML file or the name of a shipped
experiment (:func:`resolve_config`); an existing file always wins.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from ..config import closest
from ..core.errors import ConfigError

__all__ = ["experiments_dir", "shipped_experiments", "experiment_path", "resolve_config", "describe_experiment"]


def experiments_dir() -> Path:
    """Directory of the shipped experiment configs."""
    return Path(str(resources.files("probisim") / "data" / "experiments"))


def shipped_experiments() -> list[str]:
    """Names of the shipped experiments, sorted."""
    return sorted(p.stem for p in experiments_dir().glob("*.toml"))


def experiment_path(name: str) -> Path:
    """Path of the shipped experiment ``name``; :class:`ConfigError` if there is none."""
    p = experiments_dir() / f"{name}.toml"
    if not p.is_file() or os.sep in name or name.startswith("."):
        raise ConfigError(path="experiment", value=name,
                          expected=f"a shipped experiment: {', '.join(shipped_experiments())}",
                          suggestion=closest(name, shipped_experiments()))
    return p


def resolve_config(arg: str | os.PathLike) -> Path:
    """``arg`` as a config path: an existing file as given, else a shipped experiment's
    file by name (``stress_anxiety_6wk``); :class:`ConfigError` naming both if neither."""
    p = Path(arg)
    if p.is_file() or p.suffix == ".toml" or len(p.parts) != 1:
        if not p.exists():
            raise ConfigError(path="config", value=str(arg),
                              expected=f"an existing TOML file or the name of a shipped experiment "
                                       f"({', '.join(shipped_experiments())})")
        return p
    return experiment_path(str(arg))


def describe_experiment(path: Path) -> tuple[str, str]:
    """(name, first line of the description) of an experiment config."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    desc = str(raw.get("description", "")).strip().splitlines()
    return str(raw.get("name", "")), desc[0] if desc else ""
