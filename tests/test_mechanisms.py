"""Scientific behaviour: the model reproduces the calibration targets through
its mechanisms. Every comparison between arms uses the same people with the
same seed (common random numbers), so differences are the intervention's
effect, not sampling noise. Bigger versions run under ``-m slow``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED_SEED, make_population, run_days
from scipy import stats

from probisim.kernels import layout as K
from probisim.model.compile import ModelConfig, compile_model
from probisim.model.interventions import Placebo, Prebiotic, Probiotic, Stressor
from probisim.model.taxa import DEFAULT_TAXA, Strain

DETECTION_LOG10 = 3.5  # strain-specific qPCR detection limit, log10 cells/g


def _log10(x):
    return np.log10(np.maximum(x, 1.0))


def _shannon(N):
    """Shannon entropy (nats) of relative abundances along the last axis."""
    p = N / N.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)


def _everyone(pop, *ivs):
    return [(np.arange(pop.n), tuple(ivs))]


# ---------------------------------------------------------------------------
# C7: colonisation while dosing, washout after
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def washout(shared_model, _shared_population):
    """28 days of L. helveticus R0052 + B. longum R0175 (1e10 CFU/day each), then 14 days off."""
    model, pop = shared_model, _shared_population
    dose = Probiotic(strains={"L_helveticus_R0052": 1e10, "B_longum_R0175": 1e10}, start_day=0, end_day=28)
    tr = run_days(model, pop, SHARED_SEED, _everyone(pop, dose), 42)
    L, B = model.index("L_helveticus_R0052"), model.index("B_longum_R0175")
    pos = _log10(tr.N) >= DETECTION_LOG10
    return tr, L, B, pos


def test_c7_strains_detectable_while_dosing(washout):
    tr, L, B, pos = washout
    for i in (L, B):
        assert pos[0, :, i].mean() == 0.0  # strain-naive at baseline
        # detectable within 1-2 days of the first dose (adherence ~90%/day)
        assert pos[1, :, i].mean() >= 0.8, pos[1, :, i].mean()
        assert pos[2, :, i].mean() >= 0.9, pos[2, :, i].mean()
        # fecal load while dosing: 1e6-1e9 cells/g among the strain-positive
        during = _log10(tr.N[7:29, :, i])[pos[7:29, :, i]]
        assert 6.0 <= np.median(during) <= 9.0, np.median(during)
        assert np.quantile(during, 0.1) >= 5.5 and np.quantile(during, 0.9) <= 9.5


def test_c7_lactobacillus_washes_out(washout):
    tr, L, B, pos = washout
    # last dose on day 27 -> state after day 27 is index 28; 14 days later: index 42
    frac = pos[42, :, L].mean()
    assert frac <= 0.10, f"L. helveticus R0052 still detected in {frac:.1%} 14 days after the last dose"


def test_c7_bifidobacterium_washout_partial(washout):
    tr, L, B, pos = washout
    frac = pos[42, :, B].mean()
    assert 0.05 <= frac <= 0.30, f"B. longum R0175 detected in {frac:.1%} 14 days after the last dose"


# ---------------------------------------------------------------------------
# C6: bifidogenic effect of inulin
# ---------------------------------------------------------------------------
def test_c6_inulin_is_bifidogenic(burned_community):
    model, pop, seed = burned_community
    inulin = run_days(model, pop, seed, _everyone(pop, Prebiotic(type="inulin", grams_per_day=8.0,
                                                                 start_day=0, end_day=21)), 21)
    none = run_days(model, pop, seed, [], 21)
    b = model.index("Bifidobacterium")
    gain = _log10(inulin.N[21, :, b]) - _log10(none.N[21, :, b])
    assert 0.1 <= gain.mean() <= 0.6, gain.mean()
    base = _log10(none.N[0, :, b])
    lo, hi = np.quantile(base, [1 / 3, 2 / 3])
    g_bottom, g_top = gain[base <= lo].mean(), gain[base >= hi].mean()
    assert g_top < g_bottom, (g_bottom, g_top)
    res = ~model.is_strain
    dH = _shannon(inulin.N[21][:, res]) - _shannon(none.N[21][:, res])
    assert abs(dH.mean()) < 0.1, dH.mean()


# ---------------------------------------------------------------------------
# acute stress suppresses Lactobacillus, which recovers
# ---------------------------------------------------------------------------
def test_acute_stressor_suppresses_lactobacillus_then_recovery(burned_community):
    model, pop, seed = burned_community
    end = 5  # stressor on days 0-4
    stressed = run_days(model, pop, seed, _everyone(pop, Stressor(load=1.75, start_day=0, end_day=end)), 20)
    calm = run_days(model, pop, seed, [], 20)
    la = model.index("Lactobacillus")
    d = (_log10(stressed.N[:, :, la]) - _log10(calm.N[:, :, la])).mean(axis=1)  # per day, same people
    assert d[1:end + 1].min() < -0.2, d[: end + 1]  # falls within days
    assert d[end + 1] < -0.1, d[end + 1]  # recovery is not instantaneous
    assert abs(d[end + 7]) <= 0.1, d[end + 7]  # back 7 days after the stressor ends
    assert abs(d[end + 10]) <= 0.1, d[end + 10]
    # and cortisol was the route: it rose during the stressor
    c = (np.log(stressed.H[1:end + 1, :, K.H_CORT]) - np.log(calm.H[1:end + 1, :, K.H_CORT])).mean()
    assert c > 0.1


# ---------------------------------------------------------------------------
# a probiotic leaves the resident community about as it was
# ---------------------------------------------------------------------------
def test_probiotic_leaves_resident_diversity_unchanged(burned_community):
    model, pop, seed = burned_community
    dose = Probiotic(strains={"L_helveticus_R0052": 1e10, "B_longum_R0175": 1e10}, start_day=0, end_day=28)
    a = run_days(model, pop, seed, _everyone(pop, dose), 28)
    b = run_days(model, pop, seed, _everyone(pop, Placebo(start_day=0, end_day=28)), 28)
    res = ~model.is_strain
    dH = _shannon(a.N[28][:, res]) - _shannon(b.N[28][:, res])
    assert abs(dH.mean()) < 0.05, dH.mean()
    floor = model.config.micro.extinction_floor_cells_per_g
    dtaxa = (np.log10(a.N[28][:, res] + floor) - np.log10(b.N[28][:, res] + floor)).mean(axis=0)
    names = [t for t, r in zip(model.taxa, res) if r]
    assert np.abs(dtaxa).max() < 0.1, dict(zip(names, np.round(dtaxa, 3)))


# ---------------------------------------------------------------------------
# vagotomy abolishes the effect of a vagal-only strain (Bravo 2011)
# ---------------------------------------------------------------------------
VAGAL_ONLY = Strain(long_name="vagal/GABA-only test strain", genus="Vagalis", gastric_survival=0.3,
                    growth_per_day=0.6, niche=0.3, gaba_capacity=15.0, anti_inflammatory=0.0, barrier_support=0.0,
                    vagal_activity=1.0)


def _vagal_effect(vagotomy: bool, isolate: bool, n: int = 1500, days: int = 28):
    """Mean anxiety difference, strain minus placebo, in the same people."""
    inter = {f"{t}|vagal_only": 0.0 for t in DEFAULT_TAXA} if isolate else {}
    model = compile_model(ModelConfig(strains={"vagal_only": VAGAL_ONLY}, interactions=inter, vagotomy=vagotomy),
                          ("vagal_only",))
    pop = make_population(model, n, 3, burn_in=30)
    a = run_days(model, pop, 3, _everyone(pop, Probiotic(strains={"vagal_only": 1e10}, start_day=0, end_day=days)),
                 days)
    b = run_days(model, pop, 3, _everyone(pop, Placebo(start_day=0, end_day=days)), days)
    s = model.index("vagal_only")
    assert (_log10(a.N[days, :, s]) >= 6).mean() > 0.8  # the strain is there
    return (a.M[days] - b.M[days]).mean(axis=0), a, b


def test_vagotomy_abolishes_vagal_strain_effect():
    intact, _, _ = _vagal_effect(False, isolate=False)
    assert intact[1] < -0.03, intact  # the strain lowers anxiety with an intact vagus
    cut_iso, a, b = _vagal_effect(True, isolate=True)
    # no route left but the vagus: exactly nothing changes in the host
    assert np.abs(cut_iso).max() < 1e-9, cut_iso
    np.testing.assert_array_equal(a.H[..., K.H_VAG], b.H[..., K.H_VAG])
    cut, _, _ = _vagal_effect(True, isolate=False)
    # with ordinary (weak) competition the only route is via the residents: tiny
    assert abs(cut[1]) < 0.02 * abs(intact[1]), (cut, intact)


def test_vagotomy_removes_the_route_without_pushing_everyone():
    """Cutting the vagus removes the vagal term from cortisol and mood; it must not be
    read as a maximal vagal deficit that moves the whole population."""
    out = {}
    for vag in (False, True):
        model = compile_model(ModelConfig(vagotomy=vag), ())
        pop = make_population(model, 2000, 3, burn_in=60)
        out[vag] = pop
    cut, intact = out[True], out[False]
    assert (cut.H[:, K.H_VAG] == 0.0).all()  # the signal itself is cut
    # the population moves only by the average vagal contribution it loses
    shift = cut.M.mean(axis=0) - intact.M.mean(axis=0)
    assert np.abs(shift).max() < 0.4, shift
    ratio = np.exp(np.log(cut.H[:, K.H_CORT]).mean() - np.log(intact.H[:, K.H_CORT]).mean())
    assert 0.95 < ratio < 1.05, ratio


# ---------------------------------------------------------------------------
# co-occurrence of depression, inflammation and low butyrate producers
# ---------------------------------------------------------------------------
def test_depression_cooccurs_with_inflammation_and_low_faecalibacterium(burned_community):
    model, pop, seed = burned_community
    fresh = make_population(model, pop.n, seed)  # the same people before burn-in
    D = pop.M[:, 2]
    r_il6 = stats.spearmanr(D, np.log(pop.H[:, K.H_IL6]))
    r_crp = stats.spearmanr(D, np.log(pop.H[:, K.H_CRP]))
    r_fp = stats.spearmanr(D, _log10(pop.N[:, model.index("Faecalibacterium")]))
    assert r_il6.statistic > 0.1 and r_il6.pvalue < 1e-4, r_il6
    assert r_crp.statistic > 0.05 and r_crp.pvalue < 1e-3, r_crp
    assert r_fp.statistic < -0.05 and r_fp.pvalue < 1e-3, r_fp
    # no labels: at generation the depression set-point is independent of these
    D0 = fresh.M[:, 2]
    for x in (np.log(fresh.H[:, K.H_IL6]), _log10(fresh.N[:, model.index("Faecalibacterium")])):
        assert abs(stats.spearmanr(D0, x).statistic) < 0.08


# ---------------------------------------------------------------------------
# bigger versions
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_c6_c7_large_population():
    model = compile_model(ModelConfig(), ("L_helveticus_R0052", "B_longum_R0175"))
    pop = make_population(model, 20_000, 99, burn_in=60)
    dose = Probiotic(strains={"L_helveticus_R0052": 1e10, "B_longum_R0175": 1e10}, start_day=0, end_day=28)
    tr = run_days(model, pop, 99, _everyone(pop, dose), 42)
    pos = _log10(tr.N[42]) >= DETECTION_LOG10
    assert pos[:, model.index("L_helveticus_R0052")].mean() <= 0.10
    inulin = run_days(model, pop, 99, _everyone(pop, Prebiotic(grams_per_day=8.0, start_day=0, end_day=21)), 21)
    none = run_days(model, pop, 99, [], 21)
    b = model.index("Bifidobacterium")
    gain = (_log10(inulin.N[21, :, b]) - _log10(none.N[21, :, b])).mean()
    assert 0.1 <= gain <= 0.6
