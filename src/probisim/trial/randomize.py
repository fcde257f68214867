"""Randomization: each replicate's enrolled participants allocated to the arms.

Simple randomization, permuted blocks, or permuted blocks within two strata of a
screening score (above/below the replicate's median). The draws come from the
"randomization" stream keyed by replicate and enrolment slot, so a replicate's
allocation does not depend on the others.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import rng
from .design import TrialConfig
from .enrol import Enrolment

__all__ = ["randomize", "allocate", "strata_of"]


def randomize(cfg: TrialConfig, enrolled: Enrolment, R: int, seed: int) -> np.ndarray:
    """Arm index (R, n) of every enrolled participant (enrolment order within a replicate)."""
    n = cfg.n_randomized
    return allocate(cfg, R, n, strata_of(cfg, enrolled.screening_scores, R, n), seed, first=enrolled.first)


def strata_of(cfg: TrialConfig, screening_scores: dict[str, np.ndarray], R: int, n: int) -> np.ndarray:
    """(R, n) stratum: above the replicate's median of ``randomization.stratify_on``
    (a screening score, checked by TrialConfig); all False without stratification."""
    score = cfg.randomization.stratify_on
    if not score:
        return np.zeros((R, n), bool)
    s = screening_scores[score].reshape(R, n)
    return s > np.median(s, axis=1, keepdims=True)


def allocate(cfg: TrialConfig, R: int, n: int, strata: np.ndarray, seed: int, first: int = 0) -> np.ndarray:
    """Arm index (R, n) by simple, block or stratified-block randomization, of the
    replicates ``first`` .. ``first + R - 1``."""
    ratios = np.array([a.ratio for a in cfg.arms])
    probs = ratios / ratios.sum()
    reps = np.arange(first, first + R)
    keys = rng.participant_keys(seed, np.repeat(reps, n), "randomization")
    slot = np.tile(np.arange(n, dtype=np.uint32), R)
    u = rng.uniforms(keys, slot, 0, 0, 1)[:, 0].reshape(R, n)
    method = cfg.randomization.method
    if method == "simple":
        return np.searchsorted(np.cumsum(probs), u, side="right").clip(0, len(ratios) - 1)
    bs = cfg.randomization.block_size
    template = np.repeat(np.arange(len(ratios)), ratios * (bs // ratios.sum()))
    out = np.empty((R, n), dtype=np.int64)
    groups = [np.ones((R, n), bool)] if method == "block" else [strata, ~strata]
    nb = math.ceil(n / bs)
    rkeys = rng.participant_keys(seed, reps, "randomization")
    for g, gmask in enumerate(groups):
        # one block sequence per replicate and stratum: block b is the template
        # permuted by the order of that block's uniforms (step 1 + stratum)
        ub = rng.uniforms(rkeys, reps.astype(np.uint32), 1 + g, 0, nb * bs).reshape(R, nb, bs)
        seq = template[np.argsort(ub, axis=2, kind="stable")].reshape(R, nb * bs)
        # the k-th member of the stratum (in enrolment order) takes the k-th slot
        rank = np.cumsum(gmask, axis=1) - 1
        rows = np.nonzero(gmask)
        out[rows] = seq[rows[0], rank[rows]]
    return out
