"""Group-sequential boundaries: classic O'Brien-Fleming / Pocock and Lan-DeMets
alpha spending, with an optional non-binding futility rule.

Model
-----
A trial is analysed at K looks with information fractions
``0 < t_1 < ... < t_K = 1``. The standardized statistics ``Z_1..Z_K`` have the
canonical joint distribution (Jennison & Turnbull 2000, ch. 3): multivariate
normal with ``E[Z_k] = theta * sqrt(t_k)`` and ``Corr(Z_i, Z_j) = sqrt(t_i / t_j)``
for ``i <= j``; equivalently ``S_k = Z_k sqrt(t_k)`` is a Brownian motion with
drift ``theta`` observed at ``t_k``. ``theta`` is the expected Z at full
information (0 under H0).

The trial stops for efficacy at the first look with ``Z_k >= c_k`` (one-sided)
or ``|Z_k| >= c_k`` (two-sided, symmetric bounds). With a futility rule it also
stops at an interim look when efficacy was not reached and ``Z_k < f_k``.
Futility is non-binding by default: the efficacy bounds are computed as if
the rule did not exist, so ignoring it never inflates the type-I error.

Boundaries
----------
* ``"obf"`` (O'Brien & Fleming 1979): ``c_k = c / sqrt(t_k)``, i.e.
  ``c sqrt(K/k)`` for equally spaced looks; ``"pocock"`` (Pocock 1977):
  ``c_k = c``. ``c`` is solved (brentq) so that the probability of crossing
  under H0 equals ``alpha``.
* ``"ld_obf"`` / ``"ld_pocock"`` (Lan & DeMets 1983): the cumulative alpha
  spent at ``t`` is, for one-sided level a, ``2 - 2 Phi(z_{1-a/2} / sqrt(t))``
  (O'Brien-Fleming type) or ``a ln(1 + (e - 1) t)`` (Pocock type). A two-sided
  design at level alpha spends ``alpha/2`` per side with these functions, as
  gsDesign (``test.type=2``, sfLDOF/sfLDPocock) and rpact (asOF/asP,
  ``sided=2``) do, so the two-sided O'Brien-Fleming-type total is
  ``4 - 4 Phi(z_{1-alpha/4} / sqrt(t))``. Each look's bound is solved (brentq)
  so that its incremental crossing probability, given no earlier crossing,
  equals the increment of the spending function.

Computation
-----------
Crossing probabilities are the multivariate normal rectangle probabilities of
the canonical distribution, computed by the recursive numerical integration
of Armitage, McPherson & Rowe (1969) in the form of Jennison & Turnbull (2000,
ch. 19): the density of ``Z_k`` on the continuation region is carried from
look to look on a Simpson grid (``_GRID_R`` = 32, i.e. about 12 r points per
look). It is deterministic and smooth in the bounds (so brentq converges to
1e-10 in z) and agrees with ``scipy.stats.multivariate_normal.cdf`` (Genz
quasi-Monte-Carlo) to its error (checked in the tests); bounds agree with
published gsDesign, gsDesign2 and rpact values to 1e-5. Where those differ from
this module by more than 1e-6 (gsDesign2's 2.5114338 vs 2.5114275, rpact's
Pocock K=5 2.4131803 vs 2.4131762), scipy's MVN integration puts the crossing
probability of this module's bound at the target (to 1e-8) and the published
one off by 1e-7 to 5e-7.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from .arrays import BoolArray, FloatArray, IntArray, _check_alpha

Kind = Literal["obf", "pocock", "ld_obf", "ld_pocock"]
_KINDS = ("obf", "pocock", "ld_obf", "ld_pocock")
_GRID_R = 32  # Jennison & Turnbull grid parameter r (their 16 gives ~1e-6)
_XTOL = 1e-12  # brentq tolerance on the Z scale
_ZMAX = 40.0  # upper end of the bracket for a critical value


# --------------------------------------------------------------------------
# recursive numerical integration (Jennison & Turnbull 2000, section 19.2)
# --------------------------------------------------------------------------


def _grid(lo: float, hi: float, centre: float, r: int = _GRID_R) -> tuple[FloatArray, FloatArray]:
    """Simpson nodes and weights on (lo, hi) for a density centred at ``centre``."""
    i = np.arange(1, 6 * r, dtype=np.float64)
    x = np.where(i < r, -3.0 - 4.0 * np.log(r / i),
                 np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2 * r), 3.0 + 4.0 * np.log(r / (6 * r - i))))
    x = x + centre
    x = x[(x > lo) & (x < hi)]
    ends = ([lo] if np.isfinite(lo) else []), ([hi] if np.isfinite(hi) else [])
    p = np.concatenate((ends[0], x, ends[1]))
    if p.size < 2:  # no grid point inside: the region is narrow or > 16 SD from the centre
        p = np.array([lo if np.isfinite(lo) else hi - 1.0, hi if np.isfinite(hi) else lo + 1.0])
    d = np.diff(p)
    z = np.empty(2 * p.size - 1)
    z[0::2], z[1::2] = p, p[:-1] + d / 2
    w = np.zeros_like(z)
    w[0:-1:2] += d / 6
    w[2::2] += d / 6
    w[1::2] = 4 * d / 6
    return z, w


def _step(zp: FloatArray, hp: FloatArray, tp: float, tk: float, theta: float,
          lo: float, hi: float) -> tuple[FloatArray, FloatArray]:
    """Weighted density of Z_k on (lo, hi), given the weighted density of Z_{k-1}."""
    z, w = _grid(lo, hi, theta * np.sqrt(tk))
    d = tk - tp
    u = (z[:, None] * np.sqrt(tk) - zp[None, :] * np.sqrt(tp) - theta * d) / np.sqrt(d)
    return z, w * np.sqrt(tk / d) * (np.exp(-0.5 * u * u) @ hp) / np.sqrt(2 * np.pi)


def _tail(zp: FloatArray, hp: FloatArray, tp: float, tk: float, theta: float, x: float, upper: bool) -> float:
    """P(no stop before look k, Z_k >= x) if ``upper`` else P(no stop before look k, Z_k <= x)."""
    if x == (np.inf if upper else -np.inf):
        return 0.0
    d = tk - tp
    m = (zp * np.sqrt(tp) + theta * d - x * np.sqrt(tk)) / np.sqrt(d)
    return float(hp @ (stats.norm.cdf(m) if upper else stats.norm.sf(m)))


_START = (np.zeros(1), np.ones(1))  # Z_0 = 0 at t_0 = 0 with probability 1


def _exits(t: FloatArray, lo: FloatArray, hi: FloatArray, cuts: FloatArray, theta: float) -> FloatArray:
    """Exit probabilities per look for continuation regions (lo_k, hi_k).

    Returns (K, 3): P(reach k, Z_k >= hi_k), P(reach k, Z_k <= cuts_k) and
    P(reach k, Z_k <= lo_k), "reach k" meaning no exit at looks 1..k-1.
    """
    out = np.zeros((t.size, 3))
    (zp, hp), tp = _START, 0.0
    for k, tk in enumerate(t):
        out[k] = (_tail(zp, hp, tp, tk, theta, hi[k], True), _tail(zp, hp, tp, tk, theta, cuts[k], False),
                  _tail(zp, hp, tp, tk, theta, lo[k], False))
        if k + 1 < t.size:
            zp, hp = _step(zp, hp, tp, tk, theta, lo[k], hi[k])
            tp = tk
    return out


def _root(g, a: float, b: float, what: str) -> float:
    """Root of a decreasing g on [a, b], widening a downwards if needed."""
    while g(a) < 0:
        if a < -_ZMAX:
            raise ValueError(f"cannot solve the {what}: alpha is too large for this design")
        a -= 2.0
    return optimize.brentq(g, a, b, xtol=_XTOL, rtol=4 * np.finfo(float).eps)


# --------------------------------------------------------------------------
# spending functions and the design
# --------------------------------------------------------------------------


def alpha_spending(kind: Literal["ld_obf", "ld_pocock"], t: ArrayLike, alpha: float, sided: int = 1) -> FloatArray:
    """Cumulative alpha spent at information fractions ``t`` (total over both sides if sided=2).

    ``ld_obf``: ``sided * (2 - 2 Phi(z_{1-a/2} / sqrt(t)))`` with ``a = alpha / sided``;
    ``ld_pocock``: ``alpha ln(1 + (e - 1) t)`` (Lan & DeMets 1983; gsDesign, rpact).
    """
    t = np.asarray(t, dtype=np.float64)
    a = alpha / sided
    if kind == "ld_obf":
        with np.errstate(divide="ignore"):
            return sided * 2.0 * stats.norm.sf(stats.norm.isf(a / 2) / np.sqrt(t))
    if kind == "ld_pocock":
        return alpha * np.log1p((np.e - 1.0) * t)
    raise ValueError(f"kind must be 'ld_obf' or 'ld_pocock' for a spending function, got {kind!r}")


class SequentialDecision(NamedTuple):
    """Per-replicate outcome of :meth:`GroupSequentialDesign.decide`."""

    look: IntArray  # 0-based stopping look; K-1 if never stopped early; -1 if undefined (NaN Z)
    reject: BoolArray  # stopped for efficacy (H0 rejected)
    futility: BoolArray  # stopped for futility at an interim look


@dataclass(frozen=True, eq=False)
class GroupSequentialDesign:
    """Boundaries of a group-sequential test (see the module docstring for the model).

    Attributes
    ----------
    fractions : (K,) information fractions, increasing, ending at 1.
    efficacy_z : (K,) critical values on the Z scale (reject if Z >= c, or |Z| >= c if two-sided).
    alpha_spent : (K,) cumulative probability of crossing an efficacy bound under H0
        (ignoring futility unless ``binding``); ends at ``alpha``.
    futility_z : (K,) or None; stop for futility at interim k if Z_k < futility_z[k]
        (``-inf`` = no futility stop; always ``-inf`` at the final look).
    kind, alpha, sided, binding : the arguments of :func:`gsd_boundaries`.
    """

    fractions: FloatArray
    efficacy_z: FloatArray
    alpha_spent: FloatArray
    futility_z: FloatArray | None
    kind: str
    alpha: float
    sided: int
    binding: bool

    def _regions(self, follow_futility: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Continuation regions (lo, hi) and the lower rejection cut of each look."""
        c = self.efficacy_z
        cut = -c if self.sided == 2 else np.full_like(c, -np.inf)
        lo = cut.copy()
        if follow_futility and self.futility_z is not None:
            lo = np.maximum(lo, self.futility_z)
        return lo, c, cut

    def stopping_probabilities(self, theta: float = 0.0, *, follow_futility: bool = True) -> dict[str, FloatArray]:
        """Probabilities of stopping at each look under drift ``theta`` (expected Z at t = 1).

        Returns
        -------
        dict of (K,) arrays
            ``efficacy`` (crossing either efficacy bound at look k),
            ``efficacy_lower`` (the part below ``-c_k``; zero if one-sided),
            ``futility`` (stopping for futility at look k; zero at the final look),
            ``continue`` (no stop at looks 1..k; its last entry is the chance of
            ending without rejection and without an early stop).
        """
        lo, hi, cut = self._regions(follow_futility)
        p = _exits(self.fractions, lo, hi, cut, float(theta))
        fut = np.maximum(p[:, 2] - p[:, 1], 0.0)
        fut[-1] = 0.0
        eff = p[:, 0] + p[:, 1]
        return {"efficacy": eff, "efficacy_lower": p[:, 1], "futility": fut,
                "continue": 1.0 - np.cumsum(eff + fut)}

    def cumulative_crossing(self, theta: float = 0.0, *, follow_futility: bool = True) -> FloatArray:
        """Cumulative probability of having stopped for efficacy by look k, under drift ``theta``.

        With ``follow_futility=False`` (or no futility rule) and ``theta=0`` this
        is ``alpha_spent`` of a non-binding design.
        """
        return np.cumsum(self.stopping_probabilities(theta, follow_futility=follow_futility)["efficacy"])

    def expected_fraction(self, theta: float = 0.0, *, follow_futility: bool = True) -> float:
        """Expected information fraction at stopping under drift ``theta`` (1 = fixed design)."""
        p = self.stopping_probabilities(theta, follow_futility=follow_futility)
        stop = p["efficacy"] + p["futility"]
        stop[-1] = 1.0 - stop[:-1].sum()
        return float(stop @ self.fractions)

    def decide(self, z_looks: ArrayLike) -> SequentialDecision:
        """Apply the stopping rule to replicate trials.

        Parameters
        ----------
        z_looks : (R, K) or (K,) float
            Z statistic of each replicate at each look (1-D = one trial). Values
            after the stopping look are not read and may be NaN.

        Returns
        -------
        SequentialDecision
            ``look`` (int, 0-based; K-1 if the trial ran to the end), ``reject``,
            ``futility``. Efficacy is checked before futility. A replicate whose
            Z is NaN at a look it reaches is undefined: look -1, both flags False.
        """
        z = np.asarray(z_looks, dtype=np.float64)
        K = self.fractions.size
        if z.ndim == 1:
            z = z[None, :]
        if z.ndim != 2 or z.shape[1] != K:
            raise ValueError(f"z_looks must be shaped (R, {K}) or ({K},), got {np.shape(z_looks)}")
        c = self.efficacy_z
        rej = (np.abs(z) if self.sided == 2 else z) >= c
        fut = ~rej & (z < self.futility_z) if self.futility_z is not None else np.zeros_like(rej)
        nan = np.isnan(z)
        stop = rej | fut | nan
        stop[:, -1] = True
        look = np.argmax(stop, axis=1)
        rows = np.arange(z.shape[0])
        undefined = nan[rows, look]
        return SequentialDecision(np.where(undefined, -1, look), rej[rows, look] & ~undefined,
                                  fut[rows, look] & ~undefined)


def _check_fractions(information_fractions: ArrayLike) -> FloatArray:
    t = np.asarray(information_fractions, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)):
        raise ValueError(f"information_fractions must be a non-empty 1-D array of finite values, "
                         f"got {information_fractions!r}")
    if t[0] <= 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"information_fractions must be positive and strictly increasing, got {t.tolist()}")
    if abs(t[-1] - 1.0) > 1e-9:
        raise ValueError(f"information_fractions must end at 1, got {t.tolist()}")
    t = t.copy()
    t[-1] = 1.0
    return t


def _check_futility(futility: ArrayLike | None, K: int) -> FloatArray | None:
    if futility is None:
        return None
    f = np.asarray(futility, dtype=np.float64)
    if f.ndim == 0:
        f = np.full(K - 1, float(f))
    if f.shape != (K - 1,) or np.any(np.isnan(f)) or np.any(f == np.inf):
        raise ValueError(f"futility must be a scalar or {K - 1} values (one per interim look; -inf = none), "
                         f"got {futility!r}")
    return np.append(f, -np.inf)


def gsd_boundaries(
    information_fractions: ArrayLike,
    *,
    alpha: float = 0.05,
    sided: int = 2,
    kind: Kind = "obf",
    futility: ArrayLike | None = None,
    binding: bool = False,
) -> GroupSequentialDesign:
    """Efficacy boundaries of a group-sequential design (model and sources in the module docstring).

    Parameters
    ----------
    information_fractions : (K,) float
        Information fractions of the looks, strictly increasing, ending at 1.
    alpha : float
        Overall type-I error: two-sided total if ``sided=2`` (alpha/2 per side), one-sided if 1.
    sided : {1, 2}
        One-sided (reject for large Z) or two-sided symmetric bounds.
    kind : {"obf", "pocock", "ld_obf", "ld_pocock"}
        Classic O'Brien-Fleming / Pocock, or Lan-DeMets spending of their type.
    futility : float or (K-1,) float, optional
        Stop for futility at interim look k if ``Z_k < futility[k]`` (a scalar applies to
        every interim; ``-inf`` = no rule at that look). Must lie below the efficacy bound.
    binding : bool
        False (default): the efficacy bounds ignore the futility rule (non-binding).
        True: they are computed with the futility stops in place (binding).

    Returns
    -------
    GroupSequentialDesign
    """
    t = _check_fractions(information_fractions)
    _check_alpha(alpha)
    if sided not in (1, 2):
        raise ValueError(f"sided must be 1 or 2, got {sided!r}")
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    K = t.size
    f = _check_futility(futility, K)
    flo = f if (binding and f is not None) else np.full(K, -np.inf)
    a0 = 0.0 if sided == 2 else -2.0  # lower end of the bracket for a critical value

    def regions(c: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        cut = -c if sided == 2 else np.full(K, -np.inf)
        return np.maximum(cut, flo), c, cut

    def crossing(p: FloatArray) -> FloatArray:  # per-look efficacy crossing from _exits
        return p[:, 0] + p[:, 1]

    if kind in ("obf", "pocock"):
        shape = 1.0 / np.sqrt(t) if kind == "obf" else np.ones(K)

        def excess(c: float) -> float:
            return float(crossing(_exits(t, *regions(c * shape), 0.0)).sum() - alpha)

        c = _root(excess, a0, _ZMAX, f"{kind} constant") * shape
    else:
        spent = alpha_spending(kind, t, alpha, sided)
        c = np.full(K, np.inf)
        (zp, hp), tp = _START, 0.0
        for k, tk in enumerate(t):
            target = spent[k] - (spent[k - 1] if k else 0.0)

            def excess(ck: float, k=k, tk=tk, zp=zp, hp=hp, tp=tp, target=target) -> float:
                lower = _tail(zp, hp, tp, tk, 0.0, -ck, False) if sided == 2 else 0.0
                return _tail(zp, hp, tp, tk, 0.0, ck, True) + lower - target

            c[k] = np.inf if target <= 0 else _root(excess, a0, _ZMAX, f"bound at look {k + 1}")
            if k + 1 < K:
                lo, hi, _ = regions(c)
                zp, hp = _step(zp, hp, tp, tk, 0.0, lo[k], hi[k])
                tp = tk
    if f is not None and np.any(f[:-1] >= c[:-1]):
        raise ValueError(f"futility must lie below the efficacy bounds {c[:-1].tolist()}, got {f[:-1].tolist()}")
    alpha_spent = np.cumsum(crossing(_exits(t, *regions(c), 0.0)))
    for a in (t, c, alpha_spent, f):
        if a is not None:
            a.flags.writeable = False
    return GroupSequentialDesign(t, c, alpha_spent, f, kind, float(alpha), int(sided), bool(binding))
