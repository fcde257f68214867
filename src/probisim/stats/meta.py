"""Random-effects meta-analysis (tau^2 by DerSimonian-Laird, REML or Paule-Mandel;
Wald or Hartung-Knapp-Sidik-Jonkman interval), of replicate trials or of published
studies."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .arrays import FloatArray, _check_alpha


def _reml_loglik(tau2: float, y: FloatArray, v: FloatArray) -> float:
    """Restricted log-likelihood of the random-effects model (up to a constant)."""
    w = 1.0 / (v + tau2)
    sw = w.sum()
    mu = (w * y).sum() / sw
    return float(-0.5 * (np.log(v + tau2).sum() + np.log(sw) + (w * (y - mu) ** 2).sum()))


def _reml_tau2(
    y: FloatArray, v: FloatArray, start: float, *, tol: float = 1e-12, max_iter: int = 500
) -> tuple[float, bool]:
    """REML tau^2 by Fisher scoring, truncated at 0, with step halving."""
    tau2 = max(start, 0.0)
    ll = _reml_loglik(tau2, y, v)
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        sw, sw2 = w.sum(), (w**2).sum()
        mu = (w * y).sum() / sw
        score = 0.5 * ((w**2 * (y - mu) ** 2).sum() - (sw - sw2 / sw))
        info = 0.5 * (sw2 - 2.0 * (w**3).sum() / sw + sw2**2 / sw**2)
        step = score / info
        new = max(0.0, tau2 + step)
        ll_new = _reml_loglik(new, y, v)
        halvings = 0
        while ll_new < ll - 1e-12 * abs(ll) and halvings < 60:
            step /= 2.0
            new = max(0.0, tau2 + step)
            ll_new = _reml_loglik(new, y, v)
            halvings += 1
        if abs(new - tau2) <= tol * (1.0 + tau2):
            return new, True
        tau2, ll = new, ll_new
    return tau2, False


def _pm_tau2(y: FloatArray, v: FloatArray) -> float:
    """Paule-Mandel tau^2: the root of Q(tau^2) = k - 1, where
    Q(tau^2) = sum w_i (y_i - mu_w)^2 with w_i = 1/(v_i + tau^2); 0 when Q(0) <= k - 1."""
    from scipy.optimize import brentq

    k = y.size

    def excess(t2: float) -> float:
        w = 1.0 / (v + t2)
        mu = (w * y).sum() / w.sum()
        return float((w * (y - mu) ** 2).sum() - (k - 1))

    if excess(0.0) <= 0.0:
        return 0.0
    hi = max(float(np.var(y, ddof=1)), 1e-8)
    while excess(hi) > 0.0:
        hi *= 2.0
    return float(brentq(excess, 0.0, hi, xtol=1e-14, rtol=1e-14, maxiter=500))


def random_effects_meta(
    estimates: ArrayLike,
    variances: ArrayLike,
    *,
    method: Literal["DL", "REML", "PM"] = "REML",
    alpha: float = 0.05,
    prediction: Literal["t", "z"] = "t",
    ci: Literal["z", "hksj"] = "z",
) -> dict[str, float]:
    """Inverse-variance random-effects meta-analysis.

    Model: ``y_i = mu + u_i + e_i`` with ``u_i ~ N(0, tau^2)`` and
    ``e_i ~ N(0, v_i)``, ``v_i`` known. tau^2 by DerSimonian-Laird (closed
    form), REML (Fisher scoring, as metafor's ``rma``) or Paule-Mandel (the
    tau^2 at which the generalised Q equals its degrees of freedom; metafor's
    ``method="PM"``). The pooled estimate uses weights ``1/(v + tau^2)``; its
    interval and test are normal (``ci="z"``) or Hartung-Knapp-Sidik-Jonkman
    (``ci="hksj"``: ``se^2 = sum w_i (y_i - mu)^2 / ((k - 1) sum w_i)`` with
    t(k-1) quantiles, metafor's ``test="knha"``; recommended for few studies). I^2 and H^2 follow metafor:
    ``I^2 = tau^2 / (tau^2 + s^2)``, ``H^2 = (tau^2 + s^2) / s^2`` with the
    "typical" within-study variance
    ``s^2 = (k-1) sum(w) / (sum(w)^2 - sum(w^2))`` (Higgins & Thompson 2002),
    so for DL ``I^2 = (Q - df)/Q`` when positive.

    Parameters
    ----------
    estimates, variances : array (k,)
        Study effects and their sampling variances (> 0). Studies where either
        is NaN/inf are dropped.
    method : {"DL", "REML", "PM"}
    alpha : float
    prediction : {"t", "z"}
        Prediction interval ``mu +- crit * sqrt(se^2 + tau^2)`` with
        crit from t(k-2) (Higgins, Thompson & Spiegelhalter 2009; Cochrane
        Handbook; NaN for k < 3) or from the normal (metafor's default).

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``p``, ``tau2``,
        ``tau``, ``q``, ``df`` (k-1), ``p_q`` (chi-square test of
        heterogeneity), ``i2_percent`` (0-100), ``h2``, ``pi_low``,
        ``pi_high``, ``estimate_fe`` (fixed-effect), ``k``, ``method``,
        ``converged``, ``ci_method``; ``z`` and ``p`` are the t statistic and
        its t(k-1) p-value with ``ci="hksj"``.
    """
    _check_alpha(alpha)
    if method not in ("DL", "REML", "PM"):
        raise ValueError(f"method must be 'DL', 'REML' or 'PM', got {method!r}")
    if ci not in ("z", "hksj"):
        raise ValueError(f"ci must be 'z' or 'hksj', got {ci!r}")
    if prediction not in ("t", "z"):
        raise ValueError(f"prediction must be 't' or 'z', got {prediction!r}")
    y = np.asarray(estimates, dtype=np.float64).ravel()
    v = np.asarray(variances, dtype=np.float64).ravel()
    if y.shape != v.shape:
        raise ValueError("estimates and variances must have the same length")
    keep = np.isfinite(y) & np.isfinite(v)
    y, v = y[keep], v[keep]
    if np.any(v <= 0):
        raise ValueError("sampling variances must be positive")
    k = int(y.size)
    nan = float("nan")
    if k == 0:
        keys = ("estimate", "se", "ci_low", "ci_high", "z", "p", "tau2", "tau", "q", "df", "p_q",
                "i2_percent", "h2", "pi_low", "pi_high", "estimate_fe")
        return {**dict.fromkeys(keys, nan), "k": 0, "method": method, "converged": False, "ci_method": ci}

    w = 1.0 / v
    sw, sw2 = w.sum(), (w**2).sum()
    mu_fe = float((w * y).sum() / sw)
    q = float((w * (y - mu_fe) ** 2).sum())
    df = k - 1
    converged = True
    if k == 1:
        tau2, s2 = 0.0, nan
    else:
        c = sw - sw2 / sw
        tau2 = max(0.0, (q - df) / c)
        s2 = df * sw / (sw**2 - sw2)
        if method == "REML":
            tau2, converged = _reml_tau2(y, v, tau2)
        elif method == "PM":
            tau2 = _pm_tau2(y, v)
    ws = 1.0 / (v + tau2)
    mu = float((ws * y).sum() / ws.sum())
    se = float(np.sqrt(1.0 / ws.sum()))
    zc = float(stats.norm.ppf(1.0 - alpha / 2.0))
    se_pi = se
    if ci == "hksj" and k >= 2:
        se = float(np.sqrt((ws * (y - mu) ** 2).sum() / ((k - 1) * ws.sum())))
        zc = float(stats.t.ppf(1.0 - alpha / 2.0, k - 1))
    z = mu / se
    p_val = float(2.0 * stats.t.sf(abs(z), k - 1)) if ci == "hksj" and k >= 2 else float(2.0 * stats.norm.sf(abs(z)))
    if prediction == "t":
        crit = float(stats.t.ppf(1.0 - alpha / 2.0, k - 2)) if k >= 3 else nan
    else:
        crit = zc
    half_pi = crit * np.sqrt(se_pi**2 + tau2)
    return {
        "estimate": mu,
        "se": se,
        "ci_low": mu - zc * se,
        "ci_high": mu + zc * se,
        "z": z,
        "p": p_val,
        "tau2": float(tau2),
        "tau": float(np.sqrt(tau2)),
        "q": q,
        "df": df,
        "p_q": float(stats.chi2.sf(q, df)) if df > 0 else nan,
        "i2_percent": float(100.0 * tau2 / (tau2 + s2)) if k > 1 else nan,
        "h2": float((tau2 + s2) / s2) if k > 1 else nan,
        "pi_low": float(mu - half_pi),
        "pi_high": float(mu + half_pi),
        "estimate_fe": mu_fe,
        "k": k,
        "method": method,
        "converged": converged,
        "ci_method": ci,
    }


