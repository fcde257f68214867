"""Counter-based random numbers: keys, streams, and vectorised draws.

Every random number in probisim comes from Philox4x32-10 (Salmon et al. 2011,
"Parallel random numbers: as easy as 1, 2, 3"), a counter-based generator: the
output is a pure function of a 64-bit *key* and a 128-bit *counter*. probisim
uses

* key     = hash(seed, replicate, stream name)      (two uint32 words)
* counter = (participant id, step, draw site, block) (four uint32 words)

so a participant's draws depend only on who they are and where the draw is made,
never on thread count, chunking, the order of participants, how many other
participants exist, or which arm they are in (common random numbers).

The Philox rounds themselves are jitted in :mod:`.philox`; this module offers
the key derivation and array-level draws used by the Python layers (population,
trial, instruments, biomarkers).
"""

from __future__ import annotations

import hashlib

import numpy as np

from . import philox

__all__ = [
    "stream_key",
    "participant_keys",
    "uniforms",
    "normals",
    "philox4x32",
    "visit_draws",
    "STREAMS",
]

#: Named streams. Each decision site in the model draws from its own stream, so
#: adding a draw at one site never shifts the numbers at another.
STREAMS = (
    "dynamics",  # microbiome and mood noise inside the kernel
    "traits",  # population generator
    "adherence",  # daily capsule taking
    "dropout",  # daily dropout hazard
    "randomization",  # arm allocation
    "instruments",  # item responses, rater error
    "biomarkers",  # qPCR, 16S read sampling, assay error
    "analysis",  # multiple imputation
)


def stream_key(seed: int, replicate: int, stream: str) -> tuple[int, int]:
    """Two uint32 key words for (seed, replicate, stream).

    A cryptographic hash decorrelates nearby seeds and replicate numbers; it is
    computed once per replicate and stream, never per draw.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}; known: {', '.join(STREAMS)}")
    if seed < 0 or replicate < 0:
        raise ValueError("seed and replicate must be non-negative integers")
    h = hashlib.sha256(f"probisim|{int(seed)}|{int(replicate)}|{stream}".encode()).digest()
    return int.from_bytes(h[:4], "little"), int.from_bytes(h[4:8], "little")


def participant_keys(seed: int, replicates: np.ndarray, stream: str) -> np.ndarray:
    """Key words (n, 2) uint32 for participants given their replicate index."""
    replicates = np.asarray(replicates, dtype=np.int64).ravel()
    reps, where = np.unique(replicates, return_inverse=True)
    table = np.array([stream_key(seed, int(r), stream) for r in reps], dtype=np.uint32).reshape(-1, 2)
    return np.ascontiguousarray(table[where])


def _as_keys(keys: np.ndarray, n: int) -> np.ndarray:
    keys = np.asarray(keys, dtype=np.uint32)
    if keys.shape == (2,):
        keys = np.broadcast_to(keys, (n, 2))
    return np.ascontiguousarray(keys, dtype=np.uint32)


def uniforms(keys: np.ndarray, pids: np.ndarray, step: int, site: int, count: int) -> np.ndarray:
    """Uniform draws in (0, 1), shape (n, count), for each participant.

    Draw ``j`` of participant ``p`` depends only on (key[p], pid[p], step,
    site, j).
    """
    pids = np.ascontiguousarray(pids, dtype=np.uint32)
    out = np.empty((pids.size, count), dtype=np.float64)
    philox.fill_uniforms(_as_keys(keys, pids.size), pids, np.uint32(step), np.uint32(site), out)
    return out


def normals(keys: np.ndarray, pids: np.ndarray, step: int, site: int, count: int) -> np.ndarray:
    """Standard normal draws, shape (n, count), by Box–Muller on Philox output."""
    pids = np.ascontiguousarray(pids, dtype=np.uint32)
    out = np.empty((pids.size, count), dtype=np.float64)
    philox.fill_normals(_as_keys(keys, pids.size), pids, np.uint32(step), np.uint32(site), out)
    return out


def philox4x32(counter, key) -> tuple[int, int, int, int]:
    """One Philox4x32-10 block (for known-answer tests and inspection)."""
    c = [np.uint32(v) for v in counter]
    k = [np.uint32(v) for v in key]
    r = philox.philox4x32_10(c[0], c[1], c[2], c[3], k[0], k[1])
    return tuple(int(v) for v in r)


def _step(day) -> int:
    d = int(day)
    if d != day:
        raise ValueError(f"visit day must be an integer, got {day!r}")
    return d & 0xFFFFFFFF  # negative days (run-in) wrap to distinct uint32 steps


def visit_draws(kind: str, keys, pids, day, site: int, count: int) -> np.ndarray:
    """(n, count) uniforms or normals at ``site`` for each participant's day.

    ``day`` is a scalar or one day per participant; participants are grouped
    by day (a loop over distinct days, not over people) so each draw still
    depends only on (key, pid, day, site, column).
    """
    draw = uniforms if kind == "uniform" else normals
    pids = np.ascontiguousarray(pids, dtype=np.uint32).reshape(-1)
    n = pids.size
    day = np.asarray(day)
    if day.ndim == 0:
        return draw(keys, pids, _step(day), site, count)
    if day.shape != (n,):
        raise ValueError(f"day must be a scalar or shape ({n},), got {day.shape}")
    keys = np.asarray(keys, dtype=np.uint32)
    if keys.shape == (2,):
        keys = np.broadcast_to(keys, (n, 2))
    out = np.empty((n, count), dtype=np.float64)
    for d in np.unique(day):
        sel = day == d
        out[sel] = draw(keys[sel], pids[sel], _step(d), site, count)
    return out
