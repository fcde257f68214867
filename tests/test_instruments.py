"""Tests of the psychometric instruments: structure, scoring, calibration, noise."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probisim.kernels import rng
from probisim.measure import instruments as I

N_PEOPLE = 20_000
RHO = I.CALIBRATION_LATENT_CORR
NAMES = ("pss10", "dass21", "hads", "bdi2", "hamd17")


def community(n, seed=0):
    """Latents ~ N(0, 1), pairwise correlation RHO (the calibration population)."""
    g = np.random.default_rng(seed)
    cov = np.full((3, 3), RHO) + (1 - RHO) * np.eye(3)
    x = g.multivariate_normal(np.zeros(3), cov, size=n)
    return dict(zip(I.LATENTS, x.T))


def keys_for(n, seed=1):
    return rng.participant_keys(seed, np.zeros(n, dtype=int), "instruments")


@pytest.fixture(scope="module")
def population():
    lat = community(N_PEOPLE)
    keys, pids = keys_for(N_PEOPLE), np.arange(N_PEOPLE)
    out = {}
    for name in NAMES:
        items = I.simulate_items(name, lat, keys=keys, pids=pids, day=7)
        retest = I.administer(name, lat, keys=keys, pids=pids, day=49)
        out[name] = (items, I.score_items(name, items), retest)
    return out


def scored_items(name, items):
    inst = I.INSTRUMENTS[name]
    x = items.astype(int)
    for k in inst.reverse:
        x[:, k] = inst.item_max[k] - x[:, k]
    return x


# --------------------------------------------------------------------------
# structure and scoring
# --------------------------------------------------------------------------
def test_registry_structure():
    expect = {
        "pss10": (10, 40, 30),
        "dass21": (21, 63, 7),
        "hads": (14, 42, 7),
        "bdi2": (21, 63, 14),
        "hamd17": (17, 52, 7),
    }
    assert set(I.INSTRUMENTS) == set(expect)
    for name, (n_items, total_max, recall) in expect.items():
        inst = I.INSTRUMENTS[name]
        assert inst.n_items == n_items == len(inst.item_max) == len(inst.thresholds)
        assert inst.total_range == (0, total_max)
        assert inst.recall_days == recall
        for a, b, m in zip(inst.discrimination, inst.thresholds, inst.item_max):
            assert a > 0 and len(b) == m and np.all(np.diff(b) > 0)
    hamd = I.INSTRUMENTS["hamd17"]
    four = {1, 2, 3, 7, 8, 9, 10, 11, 15}
    assert hamd.item_max == tuple(4 if k + 1 in four else 2 for k in range(17))
    assert hamd.rater and hamd.rater_sd > 0
    assert I.INSTRUMENTS["pss10"].reverse == (3, 4, 6, 7)  # items 4, 5, 7, 8


def test_subscales_and_ranges():
    dass = I.INSTRUMENTS["dass21"].scales
    members = {s: {k + 1 for k in dass[f"dass21_{s}"].items} for s in ("depression", "anxiety", "stress")}
    assert members["depression"] == {3, 5, 10, 13, 16, 17, 21}
    assert members["anxiety"] == {2, 4, 7, 9, 15, 19, 20}
    assert members["stress"] == {1, 6, 8, 11, 12, 14, 18}
    hads = I.INSTRUMENTS["hads"].scales
    assert {k + 1 for k in hads["hads_a"].items} == {1, 3, 5, 7, 9, 11, 13}
    assert {k + 1 for k in hads["hads_d"].items} == {2, 4, 6, 8, 10, 12, 14}
    ranges = {
        "pss10": (0, 40),
        "dass21_depression": (0, 42),
        "dass21_depression_raw": (0, 21),
        "hads_a": (0, 21),
        "bdi2": (0, 63),
        "hamd17": (0, 52),
    }
    for score, rng_ in ranges.items():
        assert I.score_info(score)["range"] == rng_


def test_bands_tile_the_range():
    for score in I.score_names():
        info = I.score_info(score)
        bands = info["bands"]
        if not bands:
            assert score.endswith("_raw")
            continue
        assert bands[0].lo == info["range"][0] and bands[-1].hi == info["range"][1]
        assert all(b.lo == a.hi + 1 for a, b in zip(bands, bands[1:]))
    labels = I.classify("bdi2", [0, 13, 14, 19, 20, 28, 29, 63])
    assert list(labels) == ["minimal", "minimal", "mild", "mild", "moderate", "moderate", "severe", "severe"]
    assert list(I.classify("dass21_anxiety", [7, 8, 10, 20])) == ["normal", "mild", "moderate", "extremely severe"]


def test_score_info_thresholds():
    assert I.score_info("bdi2")["remission"] == 13
    assert I.score_info("hamd17")["remission"] == 7
    assert I.score_info("hads_a")["remission"] == 7 and I.score_info("hads_d")["screen"] == 8
    assert I.score_info("pss10")["remission"] is None
    assert all(I.score_info(s)["lower_is_better"] for s in I.score_names())
    assert I.score_info("dass21_stress")["instrument"] == "dass21"
    with pytest.raises(KeyError):
        I.score_info("bdi")
    with pytest.raises(KeyError):
        I.administer("phq9", {"D": np.zeros(1)}, keys=keys_for(1), pids=[0], day=0)


def test_returned_keys():
    lat = {k: np.zeros(3) for k in I.LATENTS}
    got = {name: set(I.administer(name, lat, keys=keys_for(3), pids=np.arange(3), day=0)) for name in NAMES}
    assert got["pss10"] == {"pss10"}
    assert got["hads"] == {"hads_a", "hads_d"}
    assert got["dass21"] == {f"dass21_{s}{r}" for s in ("depression", "anxiety", "stress") for r in ("", "_raw")}
    assert set().union(*got.values()) == set(I.score_names())


@settings(deadline=None, max_examples=40)
@given(
    name=st.sampled_from(NAMES),
    values=st.lists(
        st.one_of(st.floats(-10, 10, allow_nan=False), st.sampled_from([-10.0, 10.0])),
        min_size=1,
        max_size=30,
    ),
    day=st.integers(-28, 400),
)
def test_scores_in_range_for_any_latent(name, values, day):
    x = np.array(values)
    lat = {"P": x, "A": x[::-1].copy(), "D": -x}
    n = x.size
    inst = I.INSTRUMENTS[name]
    items = I.simulate_items(name, lat, keys=keys_for(n), pids=np.arange(n) * 7, day=day)
    assert items.shape == (n, inst.n_items)
    assert np.all(items >= 0) and np.all(items <= np.array(inst.item_max))
    for score, value in I.score_items(name, items).items():
        lo, hi = inst.scales[score].range
        assert value.shape == (n,) and value.dtype == np.int16
        assert np.all((value >= lo) & (value <= hi))


def test_floor_and_ceiling_at_extreme_latents():
    n = 500
    for name in NAMES:
        for sign in (-1, 1):
            lat = {k: np.full(n, 10.0 * sign) for k in I.LATENTS}
            scores = I.administer(name, lat, keys=keys_for(n), pids=np.arange(n), day=3)
            for score, value in scores.items():
                lo, hi = I.score_info(score)["range"]
                if sign < 0:
                    assert np.all(value == lo), score
                else:
                    assert value.mean() > lo + 0.95 * (hi - lo), score


def test_dass_times_two_rule():
    n = 300
    lat = community(n, seed=3)
    items = I.simulate_items("dass21", lat, keys=keys_for(n), pids=np.arange(n), day=5)
    scores = I.score_items("dass21", items)
    for s in ("depression", "anxiety", "stress"):
        raw = items[:, list(I.INSTRUMENTS["dass21"].scales[f"dass21_{s}"].items)].sum(axis=1)
        np.testing.assert_array_equal(scores[f"dass21_{s}_raw"], raw)
        np.testing.assert_array_equal(scores[f"dass21_{s}"], 2 * raw)


def test_pss_reverse_items_fall_with_stress():
    n = 4000
    keys, pids = keys_for(n), np.arange(n)
    hi = {"P": np.full(n, 1.0)}
    lo = {"P": np.full(n, -1.0)}
    raw_hi = I.simulate_items("pss10", hi, keys=keys, pids=pids, day=1)
    raw_lo = I.simulate_items("pss10", lo, keys=keys, pids=pids, day=1)
    reverse = set(I.INSTRUMENTS["pss10"].reverse)
    for k in range(10):
        p_hi, p_lo = (raw_hi[:, k] >= 3).mean(), (raw_lo[:, k] >= 3).mean()
        if k in reverse:
            assert p_hi < p_lo - 0.1, k  # "felt on top of things" less often when stressed
        else:
            assert p_hi > p_lo + 0.1, k
    # scoring reverses exactly those items
    total = I.score_items("pss10", raw_hi)["pss10"]
    expect = raw_hi.sum(axis=1) + sum(4 - 2 * raw_hi[:, k].astype(int) for k in reverse)
    np.testing.assert_array_equal(total, expect)


def test_bad_latents_rejected():
    keys, pids = keys_for(2), np.arange(2)
    with pytest.raises(ValueError):
        I.administer("bdi2", {"D": np.array([0.0, np.nan])}, keys=keys, pids=pids, day=1)
    with pytest.raises(KeyError):
        I.administer("hamd17", {"D": np.zeros(2)}, keys=keys, pids=pids, day=1)  # needs A too
    with pytest.raises(ValueError):
        I.administer("bdi2", {"D": np.zeros(2)}, keys=keys, pids=pids, day=1.5)


# --------------------------------------------------------------------------
# calibration and reliability
# --------------------------------------------------------------------------
CALIBRATED = [s for s in I.score_names() if not (s.startswith("dass21") and not s.endswith("_raw"))]


@pytest.mark.parametrize("score", CALIBRATED)
def test_community_norms(population, score):
    _, scores, _ = population[I.score_info(score)["instrument"]]
    x = scores[score].astype(float)
    info = I.score_info(score)
    assert abs(x.mean() - info["norm_mean"]) < 0.10 * info["norm_mean"]
    if info["norm_sd"] is not None:
        assert abs(x.std() - info["norm_sd"]) < 0.10 * info["norm_sd"]
    if score == "hamd17":
        assert 3.0 <= x.mean() <= 5.0


@pytest.mark.parametrize("score", CALIBRATED)
def test_simulation_matches_exact_moments(population, score):
    """The item sampler and the quadrature oracle agree (either may be wrong)."""
    name = I.score_info(score)["instrument"]
    items, scores, retest = population[name]
    x = scores[score].astype(float)
    exact = I.expected_moments(score, nodes=30)
    se = exact["sd"] / np.sqrt(N_PEOPLE)
    assert abs(x.mean() - exact["mean"]) < 4 * se
    assert abs(x.std() / exact["sd"] - 1) < 0.03
    alpha = I.cronbach_alpha(scored_items(name, items)[:, list(I.INSTRUMENTS[name].scales[score].items)])
    assert abs(alpha - exact["alpha"]) < 0.015
    assert abs(np.corrcoef(x, retest[score])[0, 1] - exact["retest"]) < 0.015


ALPHA_BANDS = {
    "pss10": (0.78, 0.91),
    "dass21_depression_raw": (0.80, 0.95),
    "dass21_anxiety_raw": (0.80, 0.95),
    "dass21_stress_raw": (0.80, 0.95),
    "hads_a": (0.80, 0.90),
    "hads_d": (0.80, 0.90),
    "bdi2": (0.85, 0.93),
    "hamd17": (0.70, 0.85),
}


@pytest.mark.parametrize("score", sorted(ALPHA_BANDS))
def test_internal_consistency(population, score):
    name = I.score_info(score)["instrument"]
    items = scored_items(name, population[name][0])
    alpha = I.cronbach_alpha(items[:, list(I.INSTRUMENTS[name].scales[score].items)])
    lo, hi = ALPHA_BANDS[score]
    assert lo <= alpha <= hi


@pytest.mark.parametrize("score", CALIBRATED)
def test_retest_with_unchanged_latent(population, score):
    _, first, second = population[I.score_info(score)["instrument"]]
    r = np.corrcoef(first[score], second[score])[0, 1]
    assert 0.85 < r < 0.99
    assert np.any(first[score] != second[score])


def test_clinical_anchor_mild_moderate_depression():
    n = 20_000
    g = np.random.default_rng(11)
    lat = {"D": np.full(n, 2.0), "A": RHO * 2 + np.sqrt(1 - RHO**2) * g.standard_normal(n)}
    keys, pids = keys_for(n), np.arange(n)
    bdi = I.administer("bdi2", lat, keys=keys, pids=pids, day=0)["bdi2"].mean()
    hamd = I.administer("hamd17", lat, keys=keys, pids=pids, day=0)["hamd17"].mean()
    assert 18 <= bdi <= 28
    assert 14 <= hamd <= 24


def test_hamd_rater_error_sem():
    n = 20_000
    g = np.random.default_rng(12)
    lat = {"D": np.full(n, 2.0), "A": RHO * 2 + np.sqrt(1 - RHO**2) * g.standard_normal(n)}
    keys, pids = keys_for(n), np.arange(n)
    rated = I.administer("hamd17", lat, keys=keys, pids=pids, day=14)["hamd17"].astype(int)
    exact = I.administer("hamd17", lat, keys=keys, pids=pids, day=14, rater_error=False)["hamd17"]
    diff = rated - exact
    assert abs(diff.std() - 1.25) < 0.1
    assert abs(diff.mean()) < 0.05
    # self-report instruments have no rater: the switch changes nothing
    a = I.administer("bdi2", lat, keys=keys, pids=pids, day=14)["bdi2"]
    b = I.administer("bdi2", lat, keys=keys, pids=pids, day=14, rater_error=False)["bdi2"]
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------
# randomness
# --------------------------------------------------------------------------
def test_sites_distinct():
    codes = [c for sites in I.SITES.values() for c in sites.values()]
    assert len(codes) == len(set(codes))
    assert set(I.SITES) == set(I.INSTRUMENTS)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_order_free(name):
    n = 400
    lat = community(n, seed=5)
    keys = rng.participant_keys(9, np.arange(n) % 3, "instruments")  # three replicates
    pids = np.arange(n) + 1000
    first = I.simulate_items(name, lat, keys=keys, pids=pids, day=21)
    np.testing.assert_array_equal(first, I.simulate_items(name, lat, keys=keys, pids=pids, day=21))
    perm = np.random.default_rng(6).permutation(n)
    permuted = I.simulate_items(name, {k: v[perm] for k, v in lat.items()}, keys=keys[perm], pids=pids[perm], day=21)
    np.testing.assert_array_equal(permuted, first[perm])
    # who else is in the arrays does not matter
    sub = np.arange(0, n, 7)
    alone = I.simulate_items(name, {k: v[sub] for k, v in lat.items()}, keys=keys[sub], pids=pids[sub], day=21)
    np.testing.assert_array_equal(alone, first[sub])
    # another day: new noise
    later = I.simulate_items(name, lat, keys=keys, pids=pids, day=22)
    assert (later != first).mean() > 0.05


def test_per_participant_days():
    n = 300
    lat = community(n, seed=8)
    keys, pids = keys_for(n), np.arange(n)
    days = np.where(np.arange(n) % 2 == 0, 42, 44)
    mixed = I.administer("hamd17", lat, keys=keys, pids=pids, day=days)["hamd17"]
    for d in (42, 44):
        alone = I.administer("hamd17", lat, keys=keys, pids=pids, day=d)["hamd17"]
        np.testing.assert_array_equal(mixed[days == d], alone[days == d])
    with pytest.raises(ValueError):
        I.administer("hamd17", lat, keys=keys, pids=pids, day=days[:5])


def test_empty_population():
    out = I.administer("hads", {"A": np.zeros(0), "D": np.zeros(0)}, keys=keys_for(0), pids=np.zeros(0, int), day=0)
    assert all(v.shape == (0,) for v in out.values())
