"""Shared fixtures for the kernel, reproducibility and mechanism tests.

The expensive piece is a burned-in community population (2000 adults, 60 days
of habitual life) built once per session; tests receive a fresh copy of it so
nothing leaks between them.  :func:`run_days` steps a copy of a population
through a schedule and returns daily trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from probisim.model.compile import CompiledModel, ModelConfig, compile_model
from probisim.model.engine import Engine
from probisim.model.population import Population, PopulationConfig, generate

#: strains the shared population's model simulates (undosed unless a test doses them)
SHARED_STRAINS = ("L_helveticus_R0052", "B_longum_R0175")
SHARED_N = 2000
SHARED_SEED = 20240611
SHARED_BURN_IN = 60


@dataclass
class Trajectory:
    """Daily states: ``N[k]`` is the state after k simulated days (k = 0 is the start)."""

    N: np.ndarray  # (days+1, n, S)
    H: np.ndarray  # (days+1, n, N_HOST)
    M: np.ndarray  # (days+1, n, 3)
    took: list  # per day: Engine.drivers' adherence masks
    SPP: np.ndarray | None = None  # (days+1, n, G) species present per resident guild
    DORM: np.ndarray | None = None  # (days+1, n, G) dormant species


def run_days(model: CompiledModel, pop: Population, seed: int, groups, days: int, start_day: int = 0,
             copy: bool = True) -> Trajectory:
    """Step (a copy of) ``pop`` through days ``start_day .. start_day+days-1``.

    ``groups`` is either the Engine's list of ``(rows, interventions)`` or a
    callable ``day -> groups``.
    """
    p = pop.subset(np.arange(pop.n)) if copy else pop
    eng = Engine(model, p, seed)
    N, H, M, took = [p.N.copy()], [p.H.copy()], [p.M.copy()], []
    SPP, DORM = [p.SPP.copy()], [p.DORM.copy()]
    for d in range(start_day, start_day + days):
        g = groups(d) if callable(groups) else groups
        DRV, IMM, KILL, tk = eng.drivers(d, g)
        eng.advance(d, DRV, IMM, KILL)
        N.append(p.N.copy())
        H.append(p.H.copy())
        M.append(p.M.copy())
        SPP.append(p.SPP.copy())
        DORM.append(p.DORM.copy())
        took.append(tk)
    return Trajectory(np.array(N), np.array(H), np.array(M), took, np.array(SPP), np.array(DORM))


def make_population(model: CompiledModel, n: int, seed: int, burn_in: int = 0, pids=None,
                    cfg: PopulationConfig | None = None) -> Population:
    """Generate ``n`` community adults (pids 0..n-1 unless given) and burn them in."""
    pids = np.arange(n, dtype=np.uint32) if pids is None else np.asarray(pids, dtype=np.uint32)
    pop = generate(model, cfg or PopulationConfig(), pids, np.zeros(pids.size, np.int64), seed)
    if burn_in:
        Engine(model, pop, seed).burn_in(burn_in)
    return pop


@pytest.fixture(scope="session")
def shared_model() -> CompiledModel:
    return compile_model(ModelConfig(), SHARED_STRAINS)


@pytest.fixture(scope="session")
def _shared_population(shared_model) -> Population:
    return make_population(shared_model, SHARED_N, SHARED_SEED, SHARED_BURN_IN)


@pytest.fixture()
def burned_community(shared_model, _shared_population):
    """(model, burned-in population copy, seed) for 2000 community adults."""
    pop = _shared_population
    return shared_model, pop.subset(np.arange(pop.n)), SHARED_SEED


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A working directory with files, folders and old results, and folders outside
    it (tests/sandbox.py); the test runs inside it. Returns the sandbox's root."""
    from sandbox import make_sandbox

    return make_sandbox(tmp_path, monkeypatch)
