"""Mixed model for repeated measures (MMRM), fitted by REML.

Model, for participant i at post-baseline visit v (visits 1..V):

    y_iv = mu_v + delta_v * treat_i + gamma_v * (baseline_i - mean) + c' (x_i - mean) + e_iv

with the errors of one participant ``e_i ~ N(0, Sigma)`` across visits: an
unstructured V x V covariance (the default, the MMRM of most pre-registered
depression trials), compound symmetry, or AR(1) with one variance. Visits a
participant missed are left out of their block (likelihood-based: valid under MAR
given the observed history). ``delta_v`` is the treatment effect at visit v
(difference of adjusted means). Fixed effects are generalised least squares
given Sigma, ``Var(beta) = (X' Sigma^-1 X)^-1``; Sigma is estimated by REML with
BFGS over the Cholesky factor of Sigma (log diagonal); the degrees of freedom of
each effect are Satterthwaite's, from numerical derivatives of its variance and
of the REML log-likelihood (as R's ``mmrm`` and SAS ``PROC MIXED
DDFM=SATTERTHWAITE``).

Why our own fit: statsmodels' ``MixedLM`` cannot put an unstructured covariance on
the residuals (its R matrix is sigma^2 I); its random-effects workaround reaches
the same REML optimum but not the same standard errors. The tests compare this
fit with statsmodels on the same data (the REML optimum with ``MixedLM``, the
fixed effects and their covariance with ``GLS`` given Sigma).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

__all__ = ["MMRMResult", "mmrm", "COVARIANCES"]

COVARIANCES = ("unstructured", "compound_symmetry", "ar1")
GRAD_TOL = 1e-2  # on -2 log L per unit of the (log-scale) covariance parameters: far below any inferential scale


@dataclass
class MMRMResult:
    """A fitted MMRM. ``effects`` holds one row per visit: ``visit``, ``estimate``
    (treatment - control), ``se``, ``df`` (Satterthwaite), ``ci_low``, ``ci_high``,
    ``p``; ``beta``/``cov_beta``/``names`` are every fixed effect."""

    visits: np.ndarray
    effects: dict[str, np.ndarray]
    beta: np.ndarray
    cov_beta: np.ndarray
    names: list[str]
    sigma: np.ndarray
    covariance: str
    minus2_reml: float
    n_participants: int
    n_observations: int
    converged: bool
    message: str = ""
    design: dict = field(default_factory=dict, repr=False)

    def effect_at(self, visit) -> dict[str, float]:
        k = int(np.flatnonzero(self.visits == visit)[0])
        return {key: float(v[k]) for key, v in self.effects.items()}


def _n_theta(covariance: str, V: int) -> int:
    return {"unstructured": V * (V + 1) // 2, "compound_symmetry": 2, "ar1": 2}[covariance]


def _sigma(theta: np.ndarray, covariance: str, V: int) -> np.ndarray:
    if covariance == "unstructured":
        L = np.zeros((V, V))
        L[np.tril_indices(V)] = theta
        L[np.diag_indices(V)] = np.exp(np.diag(L))
        return L @ L.T
    s2 = np.exp(theta[0])
    if covariance == "compound_symmetry":
        # rho in (-1/(V-1), 1): Sigma stays positive definite
        rho = (np.tanh(theta[1]) + 1.0) / 2.0 * (1.0 + 1.0 / (V - 1)) - 1.0 / (V - 1) if V > 1 else 0.0
        return s2 * ((1.0 - rho) * np.eye(V) + rho * np.ones((V, V)))
    rho = np.tanh(theta[1])
    idx = np.arange(V)
    return s2 * rho ** np.abs(idx[:, None] - idx[None, :])


class _Blocks:
    """The data grouped by pattern of observed visits."""

    def __init__(self, Y: np.ndarray, X: np.ndarray, observed: np.ndarray):
        self.groups = []
        patterns = {}
        for i in range(Y.shape[0]):
            patterns.setdefault(tuple(np.flatnonzero(observed[i])), []).append(i)
        for pat, rows in patterns.items():
            if not pat:
                continue
            idx = np.array(pat)
            r = np.array(rows)
            self.groups.append((idx, Y[np.ix_(r, idx)], X[r][:, idx, :]))
        self.n_obs = int(observed.sum())
        self.p = X.shape[-1]

    def gls(self, S: np.ndarray):
        """(-2 REML log-likelihood without the constant, beta, X'S^-1X) for covariance S."""
        p = self.p
        xtvx = np.zeros((p, p))
        xtvy = np.zeros(p)
        ytvy = 0.0
        logdet = 0.0
        for idx, Yg, Xg in self.groups:
            Sg = S[np.ix_(idx, idx)]
            try:
                C = np.linalg.cholesky(Sg)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            logdet += Yg.shape[0] * 2.0 * np.log(np.diag(C)).sum()
            Si = np.linalg.inv(Sg)
            xtvx += np.einsum("nqi,qr,nrj->ij", Xg, Si, Xg)
            xtvy += np.einsum("nqi,qr,nr->i", Xg, Si, Yg)
            ytvy += float(np.einsum("nq,qr,nr->", Yg, Si, Yg))
        try:
            Cx = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        beta = np.linalg.solve(xtvx, xtvy)
        rss = ytvy - float(beta @ xtvy)
        return logdet + 2.0 * np.log(np.diag(Cx)).sum() + rss, beta, xtvx


def _num_grad(f, x, h=1e-5):
    g = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h * max(1.0, abs(x[j]))
        g[j] = (f(x + e) - f(x - e)) / (2.0 * e[j])
    return g


def _num_hess(f, x, h=1e-4):
    n = x.size
    H = np.empty((n, n))
    steps = h * np.maximum(1.0, np.abs(x))
    f0 = f(x)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = steps[i]
        H[i, i] = (f(x + ei) - 2.0 * f0 + f(x - ei)) / steps[i] ** 2
        for j in range(i):
            ej = np.zeros(n)
            ej[j] = steps[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4.0 * steps[i] * steps[j])
    return H


def mmrm(
    y: ArrayLike,
    subject: ArrayLike,
    visit: ArrayLike,
    arm: ArrayLike,
    *,
    baseline: ArrayLike | None = None,
    covariates: ArrayLike | None = None,
    covariate_names: list[str] | None = None,
    covariance: str = "unstructured",
    alpha: float = 0.05,
) -> MMRMResult:
    """Fit the MMRM of the module docstring to one trial in long format.

    Parameters
    ----------
    y, subject, visit : arrays (N,)
        One row per participant and post-baseline visit (rows with a NaN y are
        dropped). ``visit`` labels are sorted to give the visit order.
    arm : array (N,)
        1 = treatment, 0 = control (constant within a participant; rows of other
        arms are dropped).
    baseline : array (N,), optional
        The participant's baseline score (baseline x visit terms).
    covariates : array (N,) or (N, k), optional
        Participant-level numeric covariates with one slope each (indicator
        columns for factors); ``covariate_names`` label them.
    covariance : {"unstructured", "compound_symmetry", "ar1"}
    alpha : float
    """
    if covariance not in COVARIANCES:
        raise ValueError(f"covariance must be one of {COVARIANCES}, got {covariance!r}")
    y = np.asarray(y, dtype=np.float64)
    subject = np.asarray(subject)
    visit = np.asarray(visit)
    arm = np.asarray(arm)
    N = y.size
    keep = np.isfinite(y) & ((arm == 0) | (arm == 1))
    base = None if baseline is None else np.asarray(baseline, dtype=np.float64)
    cov = None if covariates is None else np.asarray(covariates, dtype=np.float64).reshape(N, -1)
    if base is not None:
        keep &= np.isfinite(base)
    if cov is not None:
        keep &= np.isfinite(cov).all(axis=1)
    visits = np.unique(visit)
    subjects, s_idx = np.unique(subject[keep], return_inverse=True)
    v_idx = np.searchsorted(visits, visit[keep])
    V, n = visits.size, subjects.size
    Y = np.full((n, V), np.nan)
    Y[s_idx, v_idx] = y[keep]
    observed = np.isfinite(Y)
    a_s = np.zeros(n)
    a_s[s_idx] = arm[keep]
    cols, names = [], []
    eye = np.eye(V)
    for j in range(V):
        cols.append(np.broadcast_to(eye[j], (n, V)))
        names.append(f"visit[{visits[j]}]")
    for j in range(V):
        cols.append(a_s[:, None] * eye[j])
        names.append(f"treatment:visit[{visits[j]}]")
    if base is not None:
        b_s = np.zeros(n)
        b_s[s_idx] = base[keep]
        b_c = b_s - b_s.mean()
        for j in range(V):
            cols.append(b_c[:, None] * eye[j])
            names.append(f"baseline:visit[{visits[j]}]")
    if cov is not None:
        c_s = np.zeros((n, cov.shape[1]))
        c_s[s_idx] = cov[keep]
        c_s -= c_s.mean(axis=0)
        labels = covariate_names or [f"covariate{k}" for k in range(cov.shape[1])]
        for k in range(cov.shape[1]):
            cols.append(np.broadcast_to(c_s[:, k : k + 1], (n, V)))
            names.append(labels[k])
    X = np.stack(cols, axis=-1)  # (n, V, p)
    blocks = _Blocks(np.where(observed, Y, 0.0), X, observed)
    p = X.shape[-1]

    def objective(theta):
        return blocks.gls(_sigma(theta, covariance, V))[0]

    # start: pooled residual variances of an OLS fit, no correlation
    resid_var = np.nanvar(Y, axis=0, ddof=1)
    resid_var = np.where(np.isfinite(resid_var) & (resid_var > 0), resid_var, np.nanvar(Y))
    if covariance == "unstructured":
        L0 = np.diag(np.log(np.sqrt(resid_var)))
        theta0 = L0[np.tril_indices(V)]
    else:
        theta0 = np.array([np.log(np.mean(resid_var)), 0.3])
    opt = optimize.minimize(objective, theta0, method="BFGS", options={"gtol": 1e-7, "maxiter": 2000})
    theta = opt.x
    # BFGS on a finite-difference gradient often stops with "precision loss" at the
    # optimum itself; judge convergence by the gradient there (of -2 log L).
    grad_max = float(np.max(np.abs(_num_grad(objective, theta)))) if np.isfinite(opt.fun) else np.inf
    converged = bool(opt.success) or grad_max < GRAD_TOL
    message = f"{opt.message} (largest |gradient| of -2 log L: {grad_max:.2g})"
    S = _sigma(theta, covariance, V)
    m2, beta, xtvx = blocks.gls(S)
    cov_beta = np.linalg.inv(xtvx)

    # Satterthwaite degrees of freedom of each treatment-by-visit effect
    def var_of(theta_, c):
        out = blocks.gls(_sigma(theta_, covariance, V))
        return float(c @ np.linalg.inv(out[2]) @ c)

    H = _num_hess(lambda t: 0.5 * objective(t), theta)  # Hessian of -log L (REML)
    try:
        A = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        A = np.linalg.pinv(H)
    est, se, df = np.empty(V), np.empty(V), np.empty(V)
    for j in range(V):
        c = np.zeros(p)
        c[V + j] = 1.0
        est[j] = beta[V + j]
        vj = float(c @ cov_beta @ c)
        se[j] = np.sqrt(vj)
        g = _num_grad(lambda t, c=c: var_of(t, c), theta)
        df[j] = 2.0 * vj**2 / float(g @ A @ g)
    tq = stats.t.ppf(1.0 - alpha / 2.0, df)
    tstat = est / se
    effects = {"visit": visits, "estimate": est, "se": se, "df": df, "ci_low": est - tq * se,
               "ci_high": est + tq * se, "p": 2.0 * stats.t.sf(np.abs(tstat), df)}
    return MMRMResult(visits=visits, effects=effects, beta=beta, cov_beta=cov_beta, names=names, sigma=S,
                      covariance=covariance, minus2_reml=float(m2 + (blocks.n_obs - p) * np.log(2.0 * np.pi)),
                      n_participants=n, n_observations=blocks.n_obs, converged=converged,
                      message=message, design={"X": X, "Y": Y, "observed": observed, "subjects": subjects})
