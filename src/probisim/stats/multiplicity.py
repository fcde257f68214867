"""Multiplicity across the hypotheses of one trial (endpoints x active arms),
batched over replicate trials.

Every method returns *adjusted* p-values: a hypothesis is rejected at level
alpha when its adjusted p-value is <= alpha, and the familywise error rate is
controlled at alpha in the strong sense (Hochberg: under independence or
positive dependence of the tests, Sarkar 1998).

* ``none`` — the raw p-values;
* ``holm`` — step-down Bonferroni (Holm 1979);
* ``hochberg`` — step-up (Hochberg 1988);
* ``fixed_sequence`` — the hypotheses in their given order, each tested at alpha
  only if every earlier one was rejected: adjusted p_i = max(p_1, ..., p_i)
  (Maurer et al. 1995);
* ``gatekeeping`` — serial gatekeeping over families (e.g. primary endpoints,
  then secondaries): Holm within each family, and a family is tested only if
  every hypothesis of the families before it was rejected; adjusted p of a
  hypothesis = max(its Holm p within the family, every adjusted p of the earlier
  families) (Dmitrienko, Tamhane & Wiens 2008).

A NaN p-value (an undefined test in a degenerate replicate) counts as not
rejected and, in the sequential methods, blocks what comes after it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MULTIPLICITY_METHODS", "adjust_pvalues", "reject", "familywise_summary"]

MULTIPLICITY_METHODS = ("none", "holm", "hochberg", "fixed_sequence", "gatekeeping")


def _holm(p: np.ndarray) -> np.ndarray:
    R, k = p.shape
    filled = np.where(np.isfinite(p), p, np.inf)
    order = np.argsort(filled, axis=1, kind="stable")
    ps = np.take_along_axis(filled, order, axis=1)
    adj = np.maximum.accumulate(np.minimum(ps * (k - np.arange(k)), 1.0), axis=1)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=1)
    return np.where(np.isfinite(p), out, np.nan)


def _hochberg(p: np.ndarray) -> np.ndarray:
    R, k = p.shape
    filled = np.where(np.isfinite(p), p, np.inf)
    order = np.argsort(filled, axis=1, kind="stable")
    ps = np.take_along_axis(filled, order, axis=1)
    mult = k - np.arange(k)  # the i-th smallest (0-based) times k - i
    adj = np.minimum.accumulate((ps * mult)[:, ::-1], axis=1)[:, ::-1]
    adj = np.minimum(adj, 1.0)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=1)
    return np.where(np.isfinite(p), out, np.nan)


def _sequential(p: np.ndarray) -> np.ndarray:
    filled = np.where(np.isfinite(p), p, np.inf)
    adj = np.maximum.accumulate(filled, axis=1)
    return np.where(np.isfinite(adj), adj, np.nan)


def adjust_pvalues(p: ArrayLike, method: str = "holm", *, families: ArrayLike | None = None) -> np.ndarray:
    """Adjusted p-values, shape of ``p``.

    Parameters
    ----------
    p : array (k,) or (R, k)
        Raw p-values of the k hypotheses of each replicate trial, in the order that
        ``fixed_sequence`` tests them.
    method : one of :data:`MULTIPLICITY_METHODS`
    families : int array (k,), for ``gatekeeping``
        Family of each hypothesis (0 = tested first, e.g. the primary endpoints);
        default: every hypothesis in family 0 (plain Holm).
    """
    if method not in MULTIPLICITY_METHODS:
        raise ValueError(f"method = {method!r}: expected one of {', '.join(MULTIPLICITY_METHODS)}")
    arr = np.asarray(p, dtype=np.float64)
    one = arr.ndim == 1
    P = arr[None, :] if one else arr
    if P.ndim != 2:
        raise ValueError(f"p must be shaped (k,) or (R, k), got {arr.shape}")
    if method == "none":
        out = P.copy()
    elif method == "holm":
        out = _holm(P)
    elif method == "hochberg":
        out = _hochberg(P)
    elif method == "fixed_sequence":
        out = _sequential(P)
    else:
        fam = np.zeros(P.shape[1], np.int64) if families is None else np.asarray(families, dtype=np.int64)
        if fam.shape != (P.shape[1],):
            raise ValueError(f"families must give one family per hypothesis ({P.shape[1]}), got shape {fam.shape}")
        out = np.empty_like(P)
        gate = np.zeros(P.shape[0])  # the largest adjusted p of the earlier families
        for f in np.unique(fam):
            cols = np.flatnonzero(fam == f)
            within = _holm(P[:, cols])
            adj = np.maximum(within, gate[:, None])
            adj = np.where(np.isnan(within) | np.isnan(gate)[:, None], np.nan, adj)
            out[:, cols] = adj
            # a NaN in a family blocks every later family
            worst = np.where(np.isnan(adj).any(axis=1), np.nan, adj.max(axis=1, initial=0.0))
            gate = np.maximum(gate, worst)
    return out[0] if one else out


def reject(p: ArrayLike, method: str = "holm", alpha: float = 0.05, *, families: ArrayLike | None = None
           ) -> np.ndarray:
    """Boolean rejections (NaN = not rejected), shape of ``p``."""
    adj = adjust_pvalues(p, method, families=families)
    return np.isfinite(adj) & (adj <= alpha)


def familywise_summary(rejected: ArrayLike) -> dict[str, float]:
    """Over replicate trials (rows): the share with at least one and with every
    hypothesis rejected (under an inert product the first is the familywise error)."""
    r = np.asarray(rejected, dtype=bool)
    if r.ndim != 2 or r.shape[0] == 0:
        raise ValueError(f"rejected must be shaped (R, k) with R >= 1, got {r.shape}")
    return {"any": float(r.any(axis=1).mean()), "all": float(r.all(axis=1).mean()), "n": int(r.shape[0])}
