"""Trial layer: screening, randomization, regression to the mean, error rates."""

import numpy as np
import pytest

from probisim.config import from_dict
from probisim.model.engine import resolve_defaults
from probisim.trial import TrialConfig, run_trial


def _cfg(**over):
    raw = {
        "seed": 3, "replicates": 20, "n_randomized": 40,
        "population": {"preset": "stressed_adults", "burn_in_days": 30},
        "screening": {"criteria": [{"score": "pss10", "min": 14, "max": 26}]},
        "arms": [
            {"name": "probiotic", "interventions": [{"kind": "probiotic", "start_day": 0, "end_day": 28,
                                                     "strains": {"L_helveticus_R0052": 1.5e9,
                                                                 "B_longum_R0175": 1.5e9}}]},
            {"name": "placebo", "interventions": [{"kind": "placebo", "start_day": 0, "end_day": 28}]},
        ],
        "schedule": {"treatment_days": 28, "follow_up_days": 0, "visits": [0, 28], "biomarker_visits": [0, 28],
                     "instruments": ["pss10", "dass21"]},
        "endpoints": [{"score": "pss10", "primary": True}],
    }
    raw.update(over)
    return from_dict(TrialConfig, resolve_defaults(raw))


def test_enrolment_and_randomization_are_balanced_and_screened():
    res = run_trial(_cfg())
    p = res.participants
    assert p["pid"].size == 20 * 40
    # permuted blocks of 4: every replicate exactly 20/20
    for r in range(20):
        arms = p["arm"][p["replicate"] == r]
        assert (arms == "probiotic").sum() == 20
    s = p["screen_pss10"]
    assert s.min() >= 14 and s.max() <= 26
    assert (res.screening["screened"] >= 40).all()


def test_same_seed_same_result_and_thread_count_free():
    a = run_trial(_cfg(replicates=4), threads=1)
    b = run_trial(_cfg(replicates=4), threads=2)
    for k in a.visits:
        np.testing.assert_array_equal(a.visits[k], b.visits[k])


def test_screening_on_noisy_instrument_gives_regression_to_the_mean():
    # no expectancy, no contact: any placebo-arm improvement is regression to the mean
    cfg = _cfg(replicates=30, model={"mood": {"expectancy_relief": 0.0, "contact_relief": 0.0}},
               population={"preset": "community", "burn_in_days": 30},
               screening={"criteria": [{"score": "pss10", "min": 20}]})
    res = run_trial(cfg)
    v = res.visits
    plc = v["arm"] == "placebo"
    base = v["pss10"][plc & (v["day"] == 0)]
    screen = res.participants["screen_pss10"][res.participants["arm"] == "placebo"]
    follow = v["pss10"][plc & (v["day"] == 28)]
    # selected on high scores at screening: the baseline visit already regresses
    # towards the population mean, and so does follow-up
    assert np.mean(screen) >= 20
    # (the baseline visit 7 days later shares most of PSS-10's 30-day recall window)
    assert np.nanmean(base) <= np.mean(screen)
    assert np.nanmean(follow) < np.mean(screen) - 0.5


@pytest.mark.parametrize("reps", [200])
def test_type_one_error_of_inactive_strain(reps):
    raw = {
        "seed": 11, "replicates": reps, "n_randomized": 40,
        "population": {"burn_in_days": 20},
        "arms": [
            {"name": "inactive", "interventions": [{"kind": "probiotic", "start_day": 0, "end_day": 14,
                                                    "strains": {"inactive_strain": 1e10}}]},
            {"name": "placebo", "interventions": [{"kind": "placebo", "start_day": 0, "end_day": 14}]},
        ],
        "schedule": {"treatment_days": 14, "follow_up_days": 0, "visits": [0, 14], "biomarker_visits": [0],
                     "instruments": ["hads"]},
        "endpoints": [{"score": "hads_d", "primary": True}],
        "analysis": {"mi_imputations": 5},
    }
    res = run_trial(from_dict(TrialConfig, resolve_defaults(raw)))
    pr = res.per_replicate["hads_d|inactive vs placebo"]
    rate = np.nanmean(pr["ancova_itt_p"] < 0.05)
    # 0.05 +/- 0.02 would need ~1000 trials to test tightly; with 200 the binomial SD is 0.015
    assert 0.02 <= rate <= 0.09, rate


def test_injected_latent_effect_is_recovered():
    """An arm with stress management has a known push on latent stress; the
    ANCOVA estimate recovers the simulated difference of PSS-10 means."""
    raw = {
        "seed": 5, "replicates": 30, "n_randomized": 60,
        "population": {"burn_in_days": 20},
        "arms": [
            {"name": "managed", "interventions": [{"kind": "stress_management", "start_day": 0, "end_day": 28,
                                                   "intensity": 1.0}]},
            {"name": "placebo", "interventions": []},
        ],
        "schedule": {"treatment_days": 28, "follow_up_days": 0, "visits": [0, 28], "biomarker_visits": [0],
                     "instruments": ["pss10"]},
        "endpoints": [{"score": "pss10", "primary": True}],
        "potential_outcomes": True,
        "analysis": {"mi_imputations": 5},
    }
    res = run_trial(from_dict(TrialConfig, resolve_defaults(raw)))
    pr = res.per_replicate["pss10|managed vs placebo"]
    true_effect = np.nanmean(res.individual_effects["pss10_day28_managed_minus_placebo"])
    assert true_effect < -1.0  # the mechanism works
    est = np.nanmean(pr["ancova_completers_estimate"])
    se = np.nanstd(pr["ancova_completers_estimate"]) / np.sqrt(pr["ancova_completers_estimate"].size)
    assert abs(est - true_effect) < 3 * se + 0.3
    cover = np.mean((pr["ancova_completers_ci_low"] <= true_effect) & (true_effect <= pr["ancova_completers_ci_high"]))
    assert cover > 0.8


def test_pss_six_week_test_retest_is_moderate():
    """Six-week test-retest of PSS-10 in community adults without intervention
    comes from latent dynamics (a stable set-point, the slow state of stress over
    weeks, day-level noise) plus measurement error: model brief D3, 0.45-0.70
    (published ~ .55, Cohen 1983). With 3,000 people the correlation's standard
    error is about 0.01, so the band is the target's own."""
    raw = {
        "seed": 9, "replicates": 1, "n_randomized": 3000, "population": {"burn_in_days": 40},
        "arms": [{"name": "placebo", "interventions": []}, {"name": "none", "interventions": []}],
        "randomization": {"method": "simple"},
        "schedule": {"treatment_days": 42, "follow_up_days": 0, "visits": [0, 42], "biomarker_visits": [0],
                     "instruments": ["pss10"]},
        "endpoints": [{"score": "pss10"}],
        "dropout": {"hazard_per_day": 0.0},
        "analysis": {"mi_imputations": 2},
    }
    res = run_trial(from_dict(TrialConfig, resolve_defaults(raw)))
    v = res.visits
    r = np.corrcoef(v["pss10"][v["day"] == 0], v["pss10"][v["day"] == 42])[0, 1]
    assert 0.45 <= r <= 0.70, r


def test_preset_applies_to_config_objects_as_to_dicts():
    """PopulationConfig(preset=...) built in Python gets the same traits as the
    same preset from a dict/TOML, and generate() draws from them."""
    from probisim.model.compile import ModelConfig, compile_model
    from probisim.model.engine import SimConfig
    from probisim.model.population import PRESETS, PopulationConfig, Traits, generate

    for preset in PRESETS:
        obj = PopulationConfig(preset=preset)
        via_dict = from_dict(SimConfig, resolve_defaults({"population": {"preset": preset}})).population
        assert obj.traits == via_dict.traits
        assert (obj.traits == Traits()) == (not PRESETS[preset])
    cfg = PopulationConfig(preset="depressed_outpatients", between_trial_sd=0.0)
    model = compile_model(ModelConfig(), ())
    n = 4000
    pop = generate(model, cfg, np.arange(n, dtype=np.uint32), np.zeros(n, np.int64), 3)
    want = PRESETS["depressed_outpatients"]["depression_setpoint"]["mean"]
    assert want - Traits().depression_setpoint.mean > 1.0
    assert abs(pop.traits["depression_setpoint"].mean() - want) < 0.1  # the preset's mean, not the community's
    # a traits table given in full is taken as given
    own = PopulationConfig(preset="depressed_outpatients", traits=Traits(
        depression_setpoint=Traits().depression_setpoint.__class__(dist="normal", mean=-0.5, sd=1.0)))
    assert own.traits.depression_setpoint.mean == -0.5


def test_partial_overrides_keep_the_built_in_defaults():
    """Changing one field of a built-in taxon, strain or trait keeps the rest."""
    from probisim.model.engine import SimConfig
    from probisim.model.taxa import DEFAULT_STRAINS, DEFAULT_TAXA

    raw = {"population": {"preset": "depressed_outpatients", "traits": {"expectancy": {"mean": 0.4}}},
           "model": {"taxa": {"Lactobacillus": {"cortisol_response": -1.0}},
                     "strains": {"B_longum_R0175": {"niche": 0.5}}}}
    cfg = from_dict(SimConfig, resolve_defaults(raw))
    assert set(cfg.model.taxa) == set(DEFAULT_TAXA)
    lac = cfg.model.taxa["Lactobacillus"]
    assert lac.cortisol_response == -1.0 and lac.baseline_log10 == DEFAULT_TAXA["Lactobacillus"].baseline_log10
    assert cfg.model.strains["B_longum_R0175"].niche == 0.5
    assert cfg.model.strains["B_longum_R0175"].genus == DEFAULT_STRAINS["B_longum_R0175"].genus
    ex = cfg.population.traits.expectancy
    from probisim.model.population import PRESETS

    want = PRESETS["depressed_outpatients"]["expectancy"]
    assert ex.mean == 0.4 and ex.sd == want["sd"] and ex.low == want["low"]  # preset sd/clip kept
    # a trait the preset does not touch keeps the built-in marginal
    assert cfg.population.traits.vagal_tone.dist == "lognormal"
