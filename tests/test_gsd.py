"""Tests of probisim.stats.gsd against published boundaries (Jennison & Turnbull,
gsDesign, gsDesign2, rpact, SAS), scipy's multivariate normal integration and
Monte-Carlo simulation of Brownian-motion Z paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from probisim.stats import GroupSequentialDesign, alpha_spending, gsd_boundaries

PROP = settings(deadline=None, max_examples=30)


def equal(K: int) -> np.ndarray:
    return np.arange(1, K + 1) / K


def simulate_z(t: np.ndarray, theta: float, R: int, seed: int) -> np.ndarray:
    """Z paths of the canonical model: S = Z sqrt(t) is Brownian motion with drift theta."""
    rng = np.random.default_rng(seed)
    dt = np.diff(t, prepend=0.0)
    s = np.cumsum(rng.normal(theta * dt, np.sqrt(dt), (R, t.size)), axis=1)
    return s / np.sqrt(t)


def mvn_cumulative_crossing(d: GroupSequentialDesign, theta: float) -> np.ndarray:
    """P(efficacy crossing by look k) as 1 - a rectangle probability of scipy's MVN (Genz QMC)."""
    t = d.fractions
    corr = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    out = []
    for k in range(1, t.size + 1):
        lo = -d.efficacy_z[:k] if d.sided == 2 else np.full(k, -np.inf)
        p = stats.multivariate_normal.cdf(d.efficacy_z[:k], mean=theta * np.sqrt(t[:k]), cov=corr[:k, :k],
                                          lower_limit=lo, maxpts=2_000_000, abseps=1e-9, releps=1e-9,
                                          rng=np.random.default_rng(12))
        out.append(1.0 - p)
    return np.array(out)


# --------------------------------------------------------------------------
# published values
# --------------------------------------------------------------------------

# (fractions, kind, alpha, sided, published critical values, tolerance, source)
PUBLISHED = [
    (equal(3), "obf", 0.05, 2, [3.4710914, 2.4544323, 2.0040356], 1e-5, "J&T 2000 Table 2.3; rpact"),
    (equal(3), "pocock", 0.05, 2, [2.2894781] * 3, 1e-5, "J&T 2000 Table 2.1; rpact"),
    (equal(2), "obf", 0.05, 2, [2.7965, 1.9774], 1e-4, "J&T 2000 Table 2.3"),
    (equal(2), "pocock", 0.05, 2, [2.178] * 2, 5e-4, "J&T 2000 Table 2.1"),
    (equal(4), "obf", 0.05, 2, [4.049, 2.863, 2.337, 2.024], 5e-4, "J&T 2000 Table 2.3"),
    (equal(4), "pocock", 0.05, 2, [2.361] * 4, 5e-4, "J&T 2000 Table 2.1"),
    (equal(5), "obf", 0.05, 2, [4.5617423, 3.2256389, 2.6337232, 2.2808712, 2.0400732], 1e-5, "rpact"),
    (equal(5), "pocock", 0.05, 2, [2.4131803] * 5, 1e-5, "rpact"),
    (equal(3), "ld_obf", 0.025, 1, [3.7103029, 2.5114338, 1.9930482], 1e-5, "gsDesign2 check_gs_design_npe"),
    (equal(3), "ld_pocock", 0.05, 2, [2.2794, 2.2949, 2.2959], 1e-4, "rpact via Lakens ch. 10"),
    (np.array([0.5, 0.75, 1.0]), "ld_obf", 0.025, 1, [2.962588, 2.359018, 2.014084], 1e-5, "gsDesign"),
    (equal(4), "ld_obf", 0.025, 1, [4.33263, 2.96313, 2.35904, 2.01409], 1e-5, "gsDesign"),
    (equal(4), "ld_obf", 0.025, 1, [4.33263, 2.96333, 2.35902, 2.01409], 3e-4, "SAS PROC SEQDESIGN"),
    (equal(4), "ld_pocock", 0.025, 1, [2.368, 2.368, 2.358, 2.350], 5e-4, "gsDesign"),
    (equal(6), "ld_obf", 0.05, 2, [5.366558, 3.710340, 2.969736, 2.538677, 2.252190, 2.044790], 1e-5,
     "gsDesign reference sfLDOF"),
    (equal(6), "ld_pocock", 0.05, 2, [2.495115, 2.476907, 2.454964, 2.437262, 2.423276, 2.412059], 1e-5,
     "gsDesign reference sfLDOF"),
    (np.array([0.35, 0.7, 1.0]), "ld_pocock", 0.13, 1, [1.5446617, 1.4828682, 1.4620058], 1e-5, "rpact edge case"),
]


@pytest.mark.parametrize("t, kind, alpha, sided, expected, tol, source", PUBLISHED,
                         ids=[f"{p[1]}-K{len(p[0])}-{p[6]}" for p in PUBLISHED])
def test_published_boundaries(t, kind, alpha, sided, expected, tol, source):
    d = gsd_boundaries(t, alpha=alpha, sided=sided, kind=kind)
    assert_allclose(d.efficacy_z, expected, rtol=0, atol=tol)
    assert_allclose(d.alpha_spent[-1], alpha, rtol=1e-9)


def test_two_sided_equals_one_sided_half_alpha_to_4_decimals():
    for kind in ("obf", "pocock", "ld_obf", "ld_pocock"):
        two = gsd_boundaries(equal(3), alpha=0.05, sided=2, kind=kind).efficacy_z
        one = gsd_boundaries(equal(3), alpha=0.025, sided=1, kind=kind).efficacy_z
        assert_allclose(two, one, atol=5e-5)


def test_published_alpha_spent():
    d = gsd_boundaries(equal(3), alpha=0.025, sided=1, kind="ld_obf")  # gsDesign2 "Test 1"
    assert_allclose(d.alpha_spent, [0.0001035057, 0.0060483891, 0.025], rtol=1e-6)
    d = gsd_boundaries([0.35, 0.7, 1.0], alpha=0.13, sided=1, kind="ld_pocock")  # rpact asP edge case
    assert_allclose(d.alpha_spent, [0.061214062, 0.10266465, 0.13], rtol=1e-7)
    d = gsd_boundaries(equal(3), alpha=0.05, sided=2, kind="ld_pocock")  # rpact two-sided stage levels
    assert_allclose(2 * stats.norm.sf(d.efficacy_z), [0.02264162, 0.02173822, 0.02167941], atol=1e-7)


def test_single_look_is_the_fixed_design():
    d = gsd_boundaries([1.0], alpha=0.05, sided=2, kind="obf")
    assert_allclose(d.efficacy_z, [stats.norm.isf(0.025)], atol=1e-9)
    assert d.expected_fraction(1.0) == pytest.approx(1.0)


# --------------------------------------------------------------------------
# against scipy's multivariate normal integration
# --------------------------------------------------------------------------


@pytest.mark.parametrize("t, kind, sided, alpha, theta", [
    (equal(4), "obf", 2, 0.05, 0.0),
    (equal(4), "obf", 2, 0.05, 3.0),
    (np.array([0.2, 0.45, 0.8, 1.0]), "ld_pocock", 1, 0.025, 0.0),
    (np.array([0.2, 0.45, 0.8, 1.0]), "ld_pocock", 1, 0.025, 2.5),
    (np.array([0.3, 0.6, 1.0]), "ld_obf", 2, 0.1, -1.5),
])
def test_crossing_matches_scipy_multivariate_normal(t, kind, sided, alpha, theta):
    d = gsd_boundaries(t, alpha=alpha, sided=sided, kind=kind)
    assert_allclose(d.cumulative_crossing(theta), mvn_cumulative_crossing(d, theta), atol=2e-6)


# --------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------

R_MC = 200_000


def within(observed: np.ndarray, p: np.ndarray, n: int, k: float = 4.0) -> None:
    """Observed frequencies within k binomial standard errors of probabilities p."""
    se = np.sqrt(np.maximum(p * (1 - p), 1e-12) / n)
    assert np.all(np.abs(observed - p) <= k * se + 1e-12), (observed, p, se)


@pytest.mark.parametrize("kind, sided", [("obf", 2), ("pocock", 2), ("ld_obf", 1), ("ld_pocock", 2)])
def test_monte_carlo_type_one_error(kind, sided):
    d = gsd_boundaries([0.25, 0.5, 0.75, 1.0], alpha=0.05, sided=sided, kind=kind)
    res = d.decide(simulate_z(d.fractions, 0.0, R_MC, seed=2024))
    within(np.array([res.reject.mean()]), np.array([0.05]), R_MC)
    stop_look = np.bincount(res.look[res.reject], minlength=4) / R_MC
    within(stop_look, np.diff(d.alpha_spent, prepend=0.0), R_MC)


def test_monte_carlo_drift_and_futility():
    t = np.array([0.3, 0.6, 1.0])
    d = gsd_boundaries(t, alpha=0.05, sided=2, kind="ld_obf", futility=[0.0, 0.5])
    theta = 2.8
    res = d.decide(simulate_z(t, theta, R_MC, seed=7))
    p = d.stopping_probabilities(theta)
    within(np.bincount(res.look[res.reject], minlength=3) / R_MC, p["efficacy"], R_MC)
    within(np.bincount(res.look[res.futility], minlength=3) / R_MC, p["futility"], R_MC)
    within(np.cumsum(np.bincount(res.look[res.reject], minlength=3)) / R_MC, d.cumulative_crossing(theta), R_MC)
    mean_t = t[res.look].mean()
    assert abs(mean_t - d.expected_fraction(theta)) < 4 * t[res.look].std() / np.sqrt(R_MC)
    # the non-binding rule only lowers the type-I error
    res0 = d.decide(simulate_z(t, 0.0, R_MC, seed=8))
    within(np.array([res0.reject.mean()]), d.cumulative_crossing(0.0)[-1:], R_MC)
    assert d.cumulative_crossing(0.0)[-1] < 0.05


# --------------------------------------------------------------------------
# decide, futility, binding
# --------------------------------------------------------------------------


def test_decide_by_hand():
    d = gsd_boundaries(equal(3), alpha=0.05, sided=2, kind="obf", futility=0.0)  # 3.471, 2.454, 2.004
    nan = np.nan
    z = np.array([
        [3.6, nan, nan],     # efficacy at look 0
        [-3.6, nan, nan],    # two-sided: efficacy (harm side) before futility
        [-0.5, nan, nan],    # futility at look 0
        [1.0, 2.5, nan],     # efficacy at look 1
        [1.0, 1.0, 1.0],     # runs to the end, not rejected
        [1.0, 1.0, -2.1],    # final look: two-sided rejection; no futility at the last look
        [nan, 1.0, 1.0],     # undefined at a look it reaches
        [1.0, 1.0, nan],     # undefined at the final look
    ])
    look, reject, futility = d.decide(z)
    assert_array_equal(look, [0, 0, 0, 1, 2, 2, -1, -1])
    assert_array_equal(reject, [True, True, False, True, False, True, False, False])
    assert_array_equal(futility, [False, False, True, False, False, False, False, False])
    one = d.decide([1.0, 2.5, 0.0])  # 1-D = one trial
    assert one.look.tolist() == [1] and one.reject.tolist() == [True]
    with pytest.raises(ValueError, match=r"z_looks must be shaped \(R, 3\)"):
        d.decide(np.zeros((4, 2)))


def test_non_binding_futility_leaves_efficacy_unchanged_and_binding_lowers_it():
    t = [0.5, 1.0]
    plain = gsd_boundaries(t, alpha=0.025, sided=1, kind="ld_obf")
    nb = gsd_boundaries(t, alpha=0.025, sided=1, kind="ld_obf", futility=[0.0])
    b = gsd_boundaries(t, alpha=0.025, sided=1, kind="ld_obf", futility=[0.0], binding=True)
    assert_array_equal(nb.efficacy_z, plain.efficacy_z)
    assert_array_equal(nb.futility_z, [0.0, -np.inf])
    assert not nb.binding and b.binding
    assert b.efficacy_z[0] == pytest.approx(plain.efficacy_z[0], abs=1e-9)  # nothing to gain at look 1
    assert b.efficacy_z[1] < plain.efficacy_z[1]
    # binding: P(0 < Z_1 < c_1, Z_2 >= c_2) spends the rest of alpha (scipy MVN, corr sqrt(0.5))
    c1, c2 = b.efficacy_z
    box = stats.multivariate_normal.cdf([c1, c2], cov=[[1, np.sqrt(0.5)], [np.sqrt(0.5), 1]], lower_limit=[0, -np.inf],
                                        abseps=1e-10, releps=1e-10, rng=np.random.default_rng(3))
    assert stats.norm.cdf(c1) - 0.5 - box == pytest.approx(0.025 - b.alpha_spent[0], abs=1e-7)
    assert_allclose(b.cumulative_crossing(0.0, follow_futility=True)[-1], 0.025, rtol=1e-9)
    assert_allclose(nb.cumulative_crossing(0.0, follow_futility=False), nb.alpha_spent, rtol=1e-12)
    # probability of stopping for futility at look 1 under H0 is P(Z_1 < 0) = 1/2
    assert nb.stopping_probabilities(0.0)["futility"][0] == pytest.approx(0.5, abs=1e-9)


def test_expected_fraction_decreases_with_effect():
    d = gsd_boundaries(equal(4), alpha=0.05, sided=2, kind="pocock")
    e = [d.expected_fraction(th) for th in (0.0, 2.0, 3.0, 4.0)]
    inc = np.diff(d.alpha_spent, prepend=0.0)  # under H0 the early stops are the alpha increments
    assert e[0] == pytest.approx(inc[:3] @ d.fractions[:3] + (1 - d.alpha_spent[2]), abs=1e-12)
    assert all(a > b for a, b in zip(e, e[1:]))
    p = d.stopping_probabilities(3.0)
    assert_allclose(p["efficacy"].sum() + p["continue"][-1], 1.0, atol=1e-9)


@pytest.mark.parametrize("sided", [1, 2])
@pytest.mark.parametrize("theta", [-40.0, 40.0])
def test_extreme_drift(theta, sided):
    d = gsd_boundaries(equal(3), alpha=0.05, sided=sided, kind="obf")
    p = d.stopping_probabilities(theta)
    reject_at_1 = 1.0 if (theta > 0 or sided == 2) else 0.0
    assert_allclose(p["efficacy"], [reject_at_1, 0.0, 0.0], atol=1e-12)
    assert_allclose(p["continue"], 1.0 - reject_at_1, atol=1e-12)


def test_design_is_read_only():
    d = gsd_boundaries(equal(2))
    with pytest.raises(ValueError):
        d.efficacy_z[0] = 0.0
    with pytest.raises(AttributeError):
        d.alpha = 0.1  # type: ignore[misc]


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------


@st.composite
def fractions(draw) -> np.ndarray:
    K = draw(st.integers(2, 6))
    inner = draw(st.lists(st.floats(0.05, 0.95), min_size=K - 1, max_size=K - 1, unique=True))
    t = np.append(np.sort(inner), 1.0)
    return t if np.all(np.diff(t) > 1e-3) else equal(K)


@PROP
@given(t=fractions(), kind=st.sampled_from(["obf", "pocock", "ld_obf", "ld_pocock"]),
       sided=st.sampled_from([1, 2]), alpha=st.floats(0.005, 0.2))
def test_alpha_spent_increases_to_alpha(t, kind, sided, alpha):
    d = gsd_boundaries(t, alpha=alpha, sided=sided, kind=kind)
    assert np.all(np.diff(d.alpha_spent) > 0)
    assert d.alpha_spent[-1] == pytest.approx(alpha, rel=1e-8)
    if kind.startswith("ld_"):
        assert_allclose(d.alpha_spent, alpha_spending(kind, t, alpha, sided), rtol=1e-7, atol=1e-13)
    # P(no earlier stop, Z_k >= c_k) <= P(Z_k >= c_k): a bound never exceeds the single-look bound of its increment
    inc = np.diff(d.alpha_spent, prepend=0.0) / sided
    assert np.all(d.efficacy_z <= stats.norm.isf(inc) + 1e-7)
    if kind == "obf":
        assert np.all(np.diff(d.efficacy_z) < 0)
        assert_allclose(d.efficacy_z * np.sqrt(t), d.efficacy_z[-1], rtol=1e-12)
    if kind == "pocock":
        assert_allclose(d.efficacy_z, d.efficacy_z[0], rtol=1e-12)


@PROP
@given(K=st.integers(2, 6), sided=st.sampled_from([1, 2]), alpha=st.floats(0.005, 0.2))
def test_ld_obf_decreases_for_equally_spaced_looks(K, sided, alpha):
    assert np.all(np.diff(gsd_boundaries(equal(K), alpha=alpha, sided=sided, kind="ld_obf").efficacy_z) < 0)


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"information_fractions": [0.5, 0.4, 1.0]},
     r"information_fractions must be positive and strictly increasing, got \[0\.5, 0\.4, 1\.0\]"),
    ({"information_fractions": [0.0, 1.0]}, r"information_fractions must be positive"),
    ({"information_fractions": [0.5, 0.9]}, r"information_fractions must end at 1, got \[0\.5, 0\.9\]"),
    ({"information_fractions": [[0.5, 1.0]]}, r"information_fractions must be a non-empty 1-D"),
    ({"information_fractions": [0.5, np.nan, 1.0]}, r"information_fractions .*finite"),
    ({"alpha": 1.5}, r"alpha must be in \(0, 1\), got 1\.5"),
    ({"alpha": 0.0}, r"alpha must be in \(0, 1\), got 0\.0"),
    ({"kind": "haybittle"}, r"kind must be one of .* got 'haybittle'"),
    ({"sided": 3}, r"sided must be 1 or 2, got 3"),
    ({"futility": [0.0, 0.0]}, r"futility must be a scalar or 1 values"),
    ({"futility": [4.0]}, r"futility must lie below the efficacy bounds"),
])
def test_bad_arguments(kwargs, match):
    args = {"information_fractions": [0.5, 1.0]} | kwargs
    with pytest.raises(ValueError, match=match):
        gsd_boundaries(**args)
