"""Bounded physiology and gut dopamine (issue 11): the blood values of generated
people against their published distributions (D5), the between-person spread of
stool qPCR (D8), parameter bounds that cannot take anyone beyond a physiological
limit, the loud failure when a config does, and the dopamine route against the
NumPy oracle.

The D5 and D8 checks here run on reduced cohorts, each value allowed the target's
range widened by 1.5 half-widths of its own 95% interval (about 3 Monte-Carlo
standard errors at this size); the full-size versions (100,000 people per preset)
are marked slow.
"""

from __future__ import annotations

from dataclasses import fields, replace
from functools import cache

import numpy as np
import pytest
from conftest import make_population
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from test_kernel import _random_case, _run

from probisim.calibrate.cohort import Cohort
from probisim.calibrate.people import _inflammation, _qpcr_spread
from probisim.config import ConfigError, from_dict
from probisim.kernels import layout as K
from probisim.kernels import reference as R
from probisim.kernels import step
from probisim.model import resolve_defaults, simulate
from probisim.model.compile import ModelConfig, compile_model
from probisim.model.engine import DAY_OFFSET, Engine, SimulationError
from probisim.model.interventions import Antibiotic, Probiotic, Stressor
from probisim.model.params import HostParams, MicrobiomeParams
from probisim.model.population import PopulationConfig, left_skewed
from probisim.model.taxa import DEFAULT_STRAINS

PRESETS = ("community", "stressed_adults", "depressed_outpatients")
SEED = 20261204


def _within(t, widen: float = 1.5) -> bool:
    """The target's range, widened by ``widen`` half-widths of its 95% interval."""
    lo_ci, hi_ci = t.interval
    half = 0.5 * (hi_ci - lo_ci) if np.isfinite(lo_ci) and np.isfinite(hi_ci) else 0.0
    return t.low - widen * half <= t.value <= t.high + widen * half


def _table(targets) -> str:
    return "\n".join(f"{t.id} {t.description}: {t.value:.4g} {t.interval} range [{t.low}, {t.high}]"
                     for t in targets)


# ---------------------------------------------------------------------------
# D5: inflammation in generated people
# ---------------------------------------------------------------------------
@cache
def _cohorts(n: int):
    return {p: Cohort(p, n, SEED + k) for k, p in enumerate(PRESETS)}


def test_d5_inflammation_reduced():
    """hs-CRP and IL-6 of 4,000 community adults within D5, measured by the blood
    panel; no one in any preset's 4,000 beyond the D5 maxima."""
    cohorts = _cohorts(4000)
    targets = _inflammation(cohorts["community"], cohorts)
    bad = [t.id for t in targets if not (_within(t) if t.id not in ("D5f", "D5g") else t.passed)]
    assert not bad, _table(targets)


def test_depression_goes_with_raised_inflammation():
    """Depressed outpatients have higher IL-6 and CRP than community adults, on average
    and in the median (Haapakoski 2015; Osimo 2020), without anyone outside D5's
    maxima."""
    cohorts = _cohorts(4000)
    lab = {p: c.labs() for p, c in cohorts.items()}
    for key in ("il6_pg_ml", "crp_mg_l"):
        com, dep = lab["community"][key], lab["depressed_outpatients"][key]
        assert dep.mean() > 1.1 * com.mean(), key
        assert np.median(dep) > np.median(com), key


@pytest.mark.slow
def test_d5_inflammation_full():
    cohorts = {p: Cohort(p, 100_000, SEED + k) for k, p in enumerate(PRESETS)}
    targets = _inflammation(cohorts["community"], cohorts)
    assert all(t.passed for t in targets), _table(targets)


# ---------------------------------------------------------------------------
# D8: between-person spread of stool qPCR
# ---------------------------------------------------------------------------
def test_d8_qpcr_spread_reduced():
    targets = _qpcr_spread(Cohort("community", 3000, SEED + 8))
    bad = [t.id for t in targets if not (_within(t) if t.id != "D8e" else t.passed)]
    assert not bad, _table(targets)


@pytest.mark.slow
def test_d8_qpcr_spread_full():
    targets = _qpcr_spread(Cohort("community", 100_000, SEED + 8))
    assert all(t.passed for t in targets), _table(targets)


def test_left_skewed_scores_keep_mean_and_sd():
    """The person-level load of a skewed guild keeps the taxon's mean and SD (log10),
    has a long lower tail and an upper end."""
    z = np.random.default_rng(3).standard_normal((200_000, 3))
    lam = np.array([0.0, 0.3, 0.6])
    x = left_skewed(z, lam)
    np.testing.assert_array_equal(x[:, 0], z[:, 0])
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=0.03)
    e = np.exp(lam[1:] ** 2)
    top = np.sqrt(e) / np.sqrt(e * (e - 1.0))  # the upper end
    assert (x[:, 1:] < top).all()
    assert (np.quantile(x[:, 1:], 0.001, axis=0) < -3.5).all()  # longer than a normal's lower tail


def test_qpcr_sample_factor_is_shared_within_a_stool_sample():
    """qPCR's day-to-day variation: one stool-sample factor per person and day, shared by
    every taxon (so 16S proportions do not see it), plus each assay's own error."""
    from probisim.kernels import rng
    from probisim.measure import biomarkers as B

    n = 20_000
    keys = rng.participant_keys(1, np.zeros(n, np.int64), "biomarkers")
    N = np.full((n, 2), 1e9)
    q = B.qpcr(N, keys=keys, pids=np.arange(n), day=3).log10_cells_per_g - 9.0
    sd = np.sqrt(0.25**2 + 0.15**2)
    np.testing.assert_allclose(q.std(axis=0), sd, rtol=0.03)
    r = np.corrcoef(q[:, 0], q[:, 1])[0, 1]
    assert abs(r - 0.25**2 / sd**2) < 0.03
    bare = B.qpcr(N, keys=keys, pids=np.arange(n), day=3, sample_sd_log10=0.0).log10_cells_per_g - 9.0
    assert abs(np.corrcoef(bare[:, 0], bare[:, 1])[0, 1]) < 0.03
    # the strain assay reads the same stool sample: its factor is the same draw
    near = np.full((n, 1), 10**3.5)
    pos = B.strain_detection(near, keys=keys, pids=np.arange(n), day=3, assay_sd_log10=1e-9)
    np.testing.assert_array_equal(pos[:, 0], (q[:, 0] - (bare[:, 0])) >= 0)


# ---------------------------------------------------------------------------
# bounds: no parameter set within bounds takes anyone beyond a physiological limit
# ---------------------------------------------------------------------------
def _at_bounds(cls):
    """Each float field of ``cls`` at its lower or upper bound."""
    parts = {}
    for f in fields(cls):
        lo, hi = f.metadata["bounds"]
        if isinstance(f.default, float):
            parts[f.name] = st.sampled_from((float(lo), float(hi)))
    return st.builds(cls, **parts)


def _limits_respected(H) -> bool:
    return all(((H[:, k] >= lo) & (H[:, k] <= hi)).all() for k, lo, hi in K.PHYSIOLOGICAL_LIMITS)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(host=_at_bounds(HostParams), preset=st.sampled_from(PRESETS), seed=st.integers(0, 2**31 - 1),
       load=st.sampled_from((0.0, 4.0)), abx=st.booleans())
def test_host_parameters_at_their_bounds_stay_physiological(host, preset, seed, load, abx):
    """Every host parameter at its lower or upper bound (the exponents included), any
    preset, the heaviest stressor load of the presets and maybe an antibiotic course:
    IL-6, CRP and cortisol stay inside the physiological limits every day, so the run
    never stops. Sets the model refuses when it is built (a barrier floor above its
    reference, no vagal weights) are skipped."""
    try:
        model = compile_model(ModelConfig(host=host), ("L_rhamnosus_JB1",))
    except ConfigError:
        event("refused at compile time")
        assume(False)
    cfg = from_dict(PopulationConfig, resolve_defaults({"population": {"preset": preset}})["population"])
    pop = make_population(model, 16, seed, cfg=cfg)
    eng = Engine(model, pop, seed)
    ivs = [Probiotic(strains={"L_rhamnosus_JB1": 1e10}, start_day=2, end_day=20),
           Stressor(load=load, start_day=0, end_day=25)]
    if abx:
        ivs.append(Antibiotic(kill_per_day=3.0, start_day=5, end_day=10))
    groups = [(np.arange(pop.n), tuple(ivs))]
    for d in range(-20, 25):
        DRV, IMM, KILL, _ = eng.drivers(d, groups if d >= 0 else ())
        eng.advance(d, DRV, IMM, KILL)  # a SimulationError fails the test
        assert np.isfinite(pop.H).all()
        assert _limits_respected(pop.H)


def test_worst_case_person_stays_inside_the_limits():
    """The analytic bound, exercised: traits at their default clips (IL-6 25 pg/mL, CRP
    50 mg/L, cortisol 1,500 nmol/L; susceptibility 6), every raising host parameter at
    its upper bound, the heaviest stressor load, a diet of sugar and no fibre, and an
    antibiotic course: IL-6 < 25 x 6, CRP < 50 x 6^1.25 < 500, cortisol < 1,500 x 2."""
    hp = HostParams(il6_max_fold=6.0, crp_il6_exponent=1.25, cortisol_max_fold=2.0, lps_max=30.0,
                    barrier_floor=0.1, il6_lps=10.0, il6_cortisol=1.0, il6_butyrate=5.0, barrier_cortisol=10.0,
                    barrier_inflammation=10.0, cortisol_stressor=5.0, cortisol_inflammation=5.0,
                    kyn_trp_il6_exponent=1.0, trp_availability_exponent=2.0)
    model = compile_model(ModelConfig(host=hp))
    fixed = {"dist": "fixed", "sd": 0.0}
    traits = {"il6_baseline_pg_ml": {**fixed, "mean": 25.0}, "crp_baseline_mg_l": {**fixed, "mean": 50.0},
              "cortisol_baseline_nmol_l": {**fixed, "mean": 1500.0},
              "inflammatory_susceptibility": {**fixed, "mean": 6.0}, "stress_reactivity": {**fixed, "mean": 3.0},
              "fibre_g_per_day": {**fixed, "mean": 3.0}, "sugar_g_per_day": {**fixed, "mean": 300.0},
              "background_stress_load": {**fixed, "mean": 4.0, "high": 4.0}}
    cfg = from_dict(PopulationConfig, resolve_defaults({"population": {"traits": traits}})["population"])
    pop = make_population(model, 24, 5, cfg=cfg)
    eng = Engine(model, pop, 5)
    groups = [(np.arange(pop.n), (Antibiotic(kill_per_day=3.0, start_day=0, end_day=6),))]
    worst = np.zeros(K.N_HOST)
    for d in range(-30, 30):
        DRV, IMM, KILL, _ = eng.drivers(d, groups if d >= 0 else ())
        eng.advance(d, DRV, IMM, KILL)
        worst = np.maximum(worst, pop.H.max(axis=0))
    assert worst[K.H_IL6] < 25 * 6 and worst[K.H_CRP] < 50 * 6**1.25 < K.CRP_MAX_MG_L
    assert worst[K.H_CORT] < 1500 * 2 <= K.CORTISOL_MAX_NMOL_L
    assert worst[K.H_LPS] <= 30.0 and pop.H[:, K.H_BAR].min() >= 0.1


# ---------------------------------------------------------------------------
# loud failure at a physiological limit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("trait, value, column, unit", [
    ("il6_baseline_pg_ml", 2000.0, K.H_IL6, "pg/mL"),
    ("crp_baseline_mg_l", 800.0, K.H_CRP, "mg/L"),
    ("cortisol_baseline_nmol_l", 4.0, K.H_CORT, "nmol/L"),
])
def test_simulation_error_names_participant_day_variable_and_value(trait, value, column, unit):
    """A config whose people start beyond a limit (an IL-6 of septic shock, a CRP of
    800 mg/L, adrenal failure) stops with a SimulationError that names the
    participant, the day, the variable and its value."""
    model = compile_model(ModelConfig())
    traits = {trait: {"dist": "fixed", "mean": value, "sd": 0.0, "low": None, "high": None}}
    cfg = from_dict(PopulationConfig, resolve_defaults({"population": {"traits": traits}})["population"])
    pop = make_population(model, 5, 3, pids=np.arange(40, 45), cfg=cfg)
    eng = Engine(model, pop, 3)
    DRV, IMM, KILL, _ = eng.drivers(7)
    with pytest.raises(SimulationError) as info:
        eng.advance(7, DRV, IMM, KILL)
    err = info.value
    assert err.day == 7 and sorted(err.pids) == list(range(40, 45))
    assert (eng.status == K.STATUS_PHYSIOLOGY).all()
    msg = str(err)
    name = K.HOST_NAMES[column]
    for i in range(5):
        x = pop.H[i, column]
        assert f"participant {40 + i} (replicate 0)" in msg
        assert f"{name} = {x:.4g} {unit}" in msg, msg
    assert "on day 7" in msg and "physiological limit" in msg
    assert f"population.traits.{trait}" in msg


def test_the_default_populations_never_approach_the_limits(burned_community):
    """In the shared 2,000 community adults the blood values sit far inside the limits:
    at most a third of each upper limit, at least 5x the cortisol floor."""
    model, pop, _ = burned_community
    H = pop.H
    assert H[:, K.H_IL6].max() < K.IL6_MAX_PG_ML / 10
    assert H[:, K.H_CRP].max() < K.CRP_MAX_MG_L / 3
    assert K.CORTISOL_MIN_NMOL_L * 5 < H[:, K.H_CORT].min()
    assert H[:, K.H_CORT].max() < K.CORTISOL_MAX_NMOL_L / 2


def test_physiology_status_kernel_matches_reference():
    """The kernel and its oracle flag the same participants (and only them) at a
    physiological limit."""
    model = compile_model(ModelConfig(), ("B_longum_R0175",))
    case = _random_case(model, 23, 11, False)
    T, H = case["T"].copy(), case["H"]
    for rows, tcol, hcol, x in (([2, 9], K.T_IL6, K.H_IL6, 3000.0), ([4], K.T_CRP, K.H_CRP, 900.0),
                                ([15, 16], K.T_CORT, K.H_CORT, 2.0)):
        T[rows, tcol] = x
        H[rows, hcol] = x
    case["T"] = T
    out_k = _run(step.step_day, model, case, DAY_OFFSET + 3, 2)
    out_r = _run(R.step_day, model, case, DAY_OFFSET + 3, 2)
    np.testing.assert_array_equal(out_k[3], out_r[3])
    np.testing.assert_array_equal(np.flatnonzero(out_k[3] == K.STATUS_PHYSIOLOGY), [2, 4, 9, 15, 16])


# ---------------------------------------------------------------------------
# gut dopamine
# ---------------------------------------------------------------------------
@cache
def _dopamine_model(strains: tuple[str, ...], nsub: int, weight: float, caps: tuple[float, ...]):
    st_ = {name: replace(DEFAULT_STRAINS[name], dopamine_capacity=c) for name, c in zip(strains, caps)}
    cfg = ModelConfig(micro=MicrobiomeParams(substeps_per_day=nsub), host=HostParams(vagal_dopamine_weight=weight),
                      strains={**DEFAULT_STRAINS, **st_})
    return compile_model(cfg, strains)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 17), strains=st.lists(st.sampled_from(tuple(DEFAULT_STRAINS)), unique=True, min_size=1,
                                               max_size=3),
       nsub=st.sampled_from([1, 4]), weight=st.sampled_from([0.0, 0.02, 0.5, 3.0]),
       cap=st.floats(0.0, 50.0), seed=st.integers(0, 2**31 - 1), ndays=st.integers(1, 3))
def test_dopamine_kernel_matches_reference(n, strains, nsub, weight, cap, seed, ndays):
    """Strains that make dopamine, any weight of it in the vagal signal: the kernel's
    dopamine index, vagal signal and everything downstream equal the oracle's to 1e-12."""
    model = _dopamine_model(tuple(strains), nsub, weight, tuple(cap * (k + 1) for k in range(len(strains))))
    case = _random_case(model, n, seed, False)
    Nk, Hk, Mk, sk, _, _ = _run(step.step_day, model, case, DAY_OFFSET + 9, ndays)
    Nr, Hr, Mr, sr, _, _ = _run(R.step_day, model, case, DAY_OFFSET + 9, ndays)
    np.testing.assert_array_equal(sk, sr)
    ok = sk == K.STATUS_OK
    np.testing.assert_allclose(Hk[ok], Hr[ok], rtol=1e-12, atol=0)
    np.testing.assert_allclose(Mk[ok], Mr[ok], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Nk[ok], Nr[ok], rtol=1e-12, atol=0)


def test_dopamine_index_follows_its_producers_and_reaches_mood_only_through_the_vagus():
    """The dopamine index is 1 in the reference gut, rises with the lactic-acid
    producers (fermented food) and moves mood only through the vagal signal: with the
    vagus cut it changes nothing downstream."""
    base = {"n": 300, "days": 14, "seed": 4, "population": {"burn_in_days": 20, "between_trial_sd": 0.0}}
    ferm = [{"kind": "diet", "fermented_servings_per_day": 4.0, "mode": "set", "start_day": 0}]
    plain = simulate(base)
    fed = simulate({**base, "interventions": ferm})
    dop = plain.host.sel(variable="dopamine").values
    assert 0.5 < np.median(dop[:, 0]) < 2.0
    more = fed.host.sel(variable="dopamine").values[:, -1] / dop[:, -1]
    assert (more > 1.0).mean() > 0.95 and np.median(more) > 1.05
    cut = {**base, "model": {"vagotomy": True}}
    a = simulate({**cut, "model": {"vagotomy": True, "host": {"vagal_dopamine_weight": 0.0}}})
    b = simulate({**cut, "model": {"vagotomy": True, "host": {"vagal_dopamine_weight": 3.0}}})
    np.testing.assert_allclose(a.mood.values, b.mood.values, rtol=1e-12, atol=1e-12)
    on = simulate({**base, "model": {"host": {"vagal_dopamine_weight": 3.0}}})
    assert not np.allclose(plain.mood.values, on.mood.values)


def test_default_dopamine_weight_barely_moves_mood():
    """The default weight is small on purpose (weak human evidence): removing it moves
    the mean latent depression of 1,000 community adults by under 0.05 community SD."""
    base = {"n": 1000, "days": 28, "seed": 8, "population": {"burn_in_days": 30, "between_trial_sd": 0.0}}
    a = simulate(base)
    b = simulate({**base, "model": {"host": {"vagal_dopamine_weight": 0.0}}})
    d = a.mood.sel(variable="depression").values[:, -1] - b.mood.sel(variable="depression").values[:, -1]
    assert abs(d.mean()) < 0.05
