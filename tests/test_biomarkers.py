"""Tests of the visit biomarkers: qPCR, strain detection, 16S, diversity, blood."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from probisim.kernels import binomial, rng
from probisim.measure import biomarkers as B


def keys_for(n, seed=2):
    return rng.participant_keys(seed, np.zeros(n, dtype=int), "biomarkers")


# --------------------------------------------------------------------------
# qPCR and strain detection
# --------------------------------------------------------------------------
def test_qpcr_detection_limit_flags_and_censors():
    n = 4000
    N = np.tile([0.0, 10**3.0, 10**4.0, 10**9.0], (n, 1))
    res = B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=10, sample_sd_log10=0.0)  # the assay alone
    values, detected = res  # unpacks as a pair
    assert values.shape == detected.shape == (n, 4) and detected.dtype == bool
    assert not detected[:, 0].any()  # absent taxon: never detected
    assert detected[:, 1].mean() < 0.001  # 1 log below the limit (0.15 log10 SD)
    assert 0.4 < detected[:, 2].mean() < 0.6  # at the limit: about half
    assert detected[:, 3].all()
    np.testing.assert_array_equal(values[~detected], 4.0)  # censored at the limit
    assert np.all(values[detected] >= 4.0)
    assert abs(values[:, 3].mean() - 9.0) < 0.01
    assert abs(values[:, 3].std() - 0.15) < 0.01


def test_qpcr_per_taxon_limits():
    n = 50
    N = np.full((n, 3), 10**5.0)
    taxa = ["Bacteroides", "Lactobacillus", "Bifidobacterium"]
    res = B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=1, taxa=taxa, detection_limit_log10={"Lactobacillus": 6.0})
    assert res.detected[:, 0].all() and not res.detected[:, 1].any() and res.detected[:, 2].all()
    np.testing.assert_array_equal(res.log10_cells_per_g[:, 1], 6.0)
    seq = B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=1, detection_limit_log10=[4.0, 6.0, 4.0])
    np.testing.assert_array_equal(seq.detected, res.detected)
    with pytest.raises(KeyError):
        B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=1, taxa=taxa, detection_limit_log10={"E. coli": 5.0})
    with pytest.raises(ValueError):
        B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=1, detection_limit_log10={"Lactobacillus": 6.0})
    with pytest.raises(ValueError):
        B.qpcr(-N, keys=keys_for(n), pids=np.arange(n), day=1)


def test_strain_detection():
    n = 4000
    N = np.tile([0.0, 10**3.5, 10**8.0], (n, 1))
    pos = B.strain_detection(N, keys=keys_for(n), pids=np.arange(n), day=30, sample_sd_log10=0.0)
    assert pos.dtype == bool and pos.shape == (n, 3)
    assert not pos[:, 0].any() and pos[:, 2].all()
    assert 0.4 < pos[:, 1].mean() < 0.6
    # its own draws: not the same coin as the taxon qPCR at the same limit
    q = B.qpcr(N, keys=keys_for(n), pids=np.arange(n), day=30, detection_limit_log10=3.5, sample_sd_log10=0.0)
    assert (q.detected[:, 1] != pos[:, 1]).mean() > 0.3


# --------------------------------------------------------------------------
# 16S
# --------------------------------------------------------------------------
@settings(deadline=None, max_examples=40)
@given(
    N=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e12)),
    ),
    depth=st.integers(0, 50_000),
    phi=st.sampled_from([50.0, 1000.0, 5000.0, np.inf]),
)
def test_16s_counts_sum_to_depth(N, depth, phi):
    N[:, 0] += 1.0  # every sample has some bacteria
    n = N.shape[0]
    counts = B.sequence_16s(N, keys=keys_for(n), pids=np.arange(n), day=3, read_depth=depth, dm_precision=phi)
    assert counts.dtype == np.int64 and counts.shape == N.shape
    assert np.all(counts >= 0)
    np.testing.assert_array_equal(counts.sum(axis=1), depth)
    assert not np.any(counts[N == 0])  # absent taxa get no reads


def test_16s_mean_and_dirichlet_multinomial_overdispersion():
    n, depth, phi = 4000, 20_000, 1000.0
    p = np.array([0.5, 0.3, 0.15, 0.04, 0.01])
    N = np.tile(p * 10**11.5, (n, 1))
    keys, pids = keys_for(n), np.arange(n)
    dm = B.sequence_16s(N, keys=keys, pids=pids, day=5, read_depth=depth, dm_precision=phi)
    mn = B.sequence_16s(N, keys=keys, pids=pids, day=5, read_depth=depth, dm_precision=np.inf)
    for counts in (dm, mn):
        np.testing.assert_allclose(counts.mean(axis=0) / depth, p, rtol=0.02, atol=2e-4)
    var_mn = depth * p * (1 - p)
    var_dm = var_mn * (depth + phi) / (1 + phi)  # DM variance inflation
    np.testing.assert_allclose(mn.var(axis=0), var_mn, rtol=0.1)
    np.testing.assert_allclose(dm.var(axis=0), var_dm, rtol=0.1)
    assert np.all(dm.var(axis=0) > 5 * mn.var(axis=0))
    # counts of one sample are negatively correlated, as in any composition
    assert np.corrcoef(dm[:, 0], dm[:, 1])[0, 1] < 0


def test_16s_rare_taxa_and_precision():
    """A taxon at 10^-9 relative abundance costs nothing and is essentially never read."""
    n = 2000
    N = np.tile([1e11, 1e10, 1e2], (n, 1))
    counts = B.sequence_16s(N, keys=keys_for(n), pids=np.arange(n), day=1, dm_precision=500.0)
    assert counts[:, 2].sum() <= 2
    with pytest.raises(ValueError):
        B.sequence_16s(np.zeros((1, 3)), keys=keys_for(1), pids=[0], day=1)
    with pytest.raises(ValueError):
        B.sequence_16s(N, keys=keys_for(n), pids=np.arange(n), day=1, dm_precision=0.0)


def test_16s_per_participant_depth():
    n = 5
    N = np.tile([3.0, 2.0, 1.0], (n, 1))
    depth = np.array([0, 1, 10, 1000, 123_456])
    counts = B.sequence_16s(N, keys=keys_for(n), pids=np.arange(n), day=2, read_depth=depth)
    np.testing.assert_array_equal(counts.sum(axis=1), depth)


# --------------------------------------------------------------------------
# diversity
# --------------------------------------------------------------------------
def _u32(g, m):
    """Uniforms as the generator makes them: (w + 0.5) / 2**32."""
    return (g.integers(0, 2**32, m) + 0.5) / 2**32


def test_binom_ppf_matches_scipy():
    """The read sampler's binomial quantile equals scipy's on random (u, n, p),
    from tiny to huge n and p from 1e-9 to 1 - 1e-9."""
    from scipy.stats import binom
    g = np.random.default_rng(11)
    m = 6000
    n = np.concatenate([g.integers(0, 30, m), g.integers(0, 20001, m), g.integers(0, 3_000_000, m),
                        g.integers(0, 100, m)])
    p = np.concatenate([g.uniform(0, 1, m), g.uniform(0, 1, m), 10 ** g.uniform(-9, 0, m),
                        1 - 10 ** g.uniform(-9, 0, m)])
    u = _u32(g, n.size)
    ours = np.array([B.binom_ppf(a, b, c) for a, b, c in zip(u, n, p)])
    np.testing.assert_array_equal(ours, binom.ppf(u, n, p))


def test_binom_ppf_nd_broadcasts_like_scipy():
    """The elementwise quantile the initial species counts use: scipy's broadcasting
    and values, with pools per column, zero probabilities and empty pools."""
    from scipy.stats import binom

    g = np.random.default_rng(3)
    u = _u32(g, 5000 * 11).reshape(5000, 11)
    pool = g.integers(0, 400, 11)
    p = np.where(g.random((5000, 11)) < 0.1, 0.0, g.random((5000, 11)))
    got = binomial.binom_ppf_nd(u, pool, p)
    assert got.dtype == np.int64 and got.shape == (5000, 11)
    np.testing.assert_array_equal(got, binom.ppf(u, pool, p))


@pytest.mark.parametrize("n, p", [(0, 0.3), (7, 0.0), (7, 1.0), (1, 0.5), (20000, 1e-300), (20000, 1 - 1e-16)])
def test_binom_ppf_edges(n, p):
    from scipy.stats import binom
    for u in (0.5 / 2**32, 0.25, 0.5, 0.75, 1 - 0.5 / 2**32):
        assert B.binom_ppf(u, n, p) == binom.ppf(u, n, p)


def test_binom_logpmf_exact_for_moderate_n():
    """Loader's form against exact binomial coefficients (big integers)."""
    import math
    g = np.random.default_rng(5)
    for _ in range(300):
        n = int(g.integers(1, 5000))
        k = int(g.integers(0, n + 1))
        p = float(g.uniform(0.001, 0.999))
        exact = math.log(math.comb(n, k)) + k * math.log(p) + (n - k) * math.log1p(-p)
        assert binomial._binom_logpmf(k, n, p) == pytest.approx(exact, rel=1e-13, abs=1e-12)


def test_diversity_by_hand():
    counts = np.array([[10, 20, 30, 0], [5, 5, 5, 5], [7, 0, 0, 0]])
    p0 = np.array([1, 2, 3]) / 6
    h0 = -sum(x * np.log(x) for x in p0)
    np.testing.assert_allclose(B.shannon(counts), [h0, np.log(4), 0.0])
    np.testing.assert_allclose(B.simpson(counts), [1 - (p0**2).sum(), 0.75, 0.0])
    np.testing.assert_array_equal(B.observed_richness(counts), [3, 4, 1])
    # proportions give the same, and one sample gives a scalar
    props = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(B.shannon(props), B.shannon(counts))
    np.testing.assert_allclose(B.simpson(props), B.simpson(counts))
    assert np.isclose(B.shannon([1, 1], base=2), 1.0)
    assert np.isclose(B.simpson([0.5, 0.5]), 0.5)
    assert B.observed_richness([0, 2, 3]) == 2
    assert np.isnan(B.shannon([0, 0, 0]))
    assert np.isnan(B.simpson([0, 0, 0]))


# --------------------------------------------------------------------------
# blood
# --------------------------------------------------------------------------
def test_blood_panel_unbiased_with_assay_cv():
    n = 20_000
    truth = dict(il6=np.full(n, 2.0), crp=np.full(n, 1.5), cortisol=np.full(n, 350.0), kyn_trp=np.full(n, 0.03))
    out = B.blood_panel(**truth, keys=keys_for(n), pids=np.arange(n), day=42)
    for name, assay in B.BLOOD_ASSAYS.items():
        x = out[assay.key]
        assert np.all(x > 0) and out[f"{assay.key}_detected"].all()
        assert abs(x.mean() / truth[name][0] - 1) < 0.005
        assert abs(x.std() / x.mean() - assay.cv) < 0.01
    assert 0.05 <= B.BLOOD_ASSAYS["crp"].cv <= 0.10
    assert 0.10 <= B.BLOOD_ASSAYS["il6"].cv <= 0.15


def test_blood_panel_detection_limits():
    n = 2000
    out = B.blood_panel(
        il6=np.full(n, 0.05), crp=np.full(n, 0.02), cortisol=np.full(n, 300.0), kyn_trp=np.zeros(n),
        keys=keys_for(n), pids=np.arange(n), day=0,
    )
    assert not out["il6_pg_per_ml_detected"].any() and not out["crp_mg_per_l_detected"].any()
    np.testing.assert_array_equal(out["crp_mg_per_l"], 0.1)
    np.testing.assert_array_equal(out["il6_pg_per_ml"], 0.2)
    assert out["cortisol_nmol_per_l_detected"].all()
    with pytest.raises(ValueError):
        B.blood_panel(-np.ones(2), np.ones(2), np.ones(2), np.ones(2), keys=keys_for(2), pids=[0, 1], day=0)


# --------------------------------------------------------------------------
# randomness
# --------------------------------------------------------------------------
def _assays(N, keys, pids, day):
    host = N[:, 0] / 1e8  # travels with its row when rows are permuted
    return {
        "qpcr": B.qpcr(N, keys=keys, pids=pids, day=day).log10_cells_per_g,
        "strain": B.strain_detection(N[:, :2] / 10**4.5, keys=keys, pids=pids, day=day),  # near the limit
        "16s": B.sequence_16s(N, keys=keys, pids=pids, day=day),
        "crp": B.blood_panel(host, host, 100 * host, host / 100, keys=keys, pids=pids, day=day)["crp_mg_per_l"],
    }


def test_deterministic_and_order_free():
    n = 200
    g = np.random.default_rng(4)
    N = 10 ** g.normal(8, 1.5, (n, 6))
    keys = rng.participant_keys(3, np.arange(n) % 2, "biomarkers")
    pids = np.arange(n) * 3 + 5
    first = _assays(N, keys, pids, 14)
    again = _assays(N, keys, pids, 14)
    perm = g.permutation(n)
    permuted = _assays(N[perm], keys[perm], pids[perm], 14)
    later = _assays(N, keys, pids, 15)
    for name in first:
        np.testing.assert_array_equal(again[name], first[name])
        np.testing.assert_array_equal(permuted[name], first[name][perm])
        assert np.any(later[name] != first[name]), name


def test_sites_distinct():
    codes = list(B.SITES.values())
    assert len(codes) == len(set(codes))
