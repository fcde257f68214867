"""Group-sequential looks on simulated trials: type-I error under an inert product,
early stopping and smaller expected size under a real effect, config checks."""

from __future__ import annotations

import numpy as np
import pytest

from probisim import stats
from probisim.cli import main
from probisim.trial import load_trial_config, run_trial
from probisim.trial.experiments import experiment_path

PLACEBO = '[{ kind = "placebo", start_day = 0, end_day = 42 }]'


def _run(name, *overrides):
    return run_trial(load_trial_config(experiment_path(name), overrides=list(overrides)))


@pytest.mark.parametrize("boundary", ["obf", pytest.param("ld_pocock", marks=pytest.mark.slow)])
def test_type_one_error_of_the_sequential_trial(boundary):
    R = 400
    res = _run("stress_anxiety_6wk", f"replicates={R}", "n_randomized=90", "dropout.hazard_per_day=0",
               'analysis.decision_test="ancova_completers"', f"arms[0].interventions={PLACEBO}",
               "interim.fractions=[0.3333333333333333, 0.6666666666666666, 1.0]", f'interim.boundary="{boundary}"')
    it = res.decisions["interim"]
    mc = np.sqrt(0.05 * 0.95 / R)
    assert abs(it["reject"] - 0.05) <= 3 * mc, it["reject"]
    assert it["n_at_look"] == [30, 60, 90] and it["undefined"] == 0
    # the boundaries are the design's: classic OBF 3 looks = 3.471, 2.454, 2.004
    if boundary == "obf":
        np.testing.assert_allclose(it["efficacy_z"], [3.471, 2.454, 2.004], atol=6e-4)
    rec = res.per_replicate[it["comparison"]]
    assert set(np.unique(rec["interim_look"])) <= {1, 2, 3}
    assert rec["interim_reject"].mean() == pytest.approx(it["reject"])


def test_a_real_effect_stops_early_and_shrinks_the_expected_size():
    R = 120
    # 240 randomized: the half-way look (40 per arm) has a fair chance of crossing
    # the O'Brien-Fleming-type bound at the clinical effect of C2
    res = _run("depression_mild_moderate", f"replicates={R}", "n_randomized=240",
               "interim.fractions=[0.5, 1.0]", "interim.futility_z=[0.0]")
    it = res.decisions["interim"]
    rec = res.per_replicate[it["comparison"]]
    assert it["stop_efficacy"][0] > 0.05 and it["expected_n"] < it["max_n"]
    assert sum(it["stop_efficacy"]) + sum(it["stop_futility"]) <= 1.0 + 1e-12
    stopped_early = rec["interim_look"] == 1
    assert np.array_equal(rec["interim_n"][stopped_early], np.full(stopped_early.sum(), 120))
    assert np.all(rec["interim_n"][~stopped_early] == 240)
    assert it["expected_n"] == pytest.approx(rec["interim_n"].mean())
    # who stopped for efficacy at look 1 crossed the design's bound with a benefit or harm z
    design = stats.gsd_boundaries([0.5, 1.0], kind="ld_obf", futility=[0.0])
    assert it["efficacy_z"] == pytest.approx(design.efficacy_z.tolist())


@pytest.mark.parametrize("setting, key", [
    ("interim.fractions=[0.5, 0.9]", "interim.fractions"),
    ("interim.fractions=[0.5, 1.0]\ninterim.futility_z=[0.0, 1.0]", "interim.futility_z"),
    ('interim.boundary="haybittle"', "interim.boundary"),
])
def test_bad_interim_settings_are_refused_before_running(setting, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["validate", "stress_anxiety_6wk"]
    for s in setting.split("\n"):
        args += ["--set", s]
    assert main(args) == 2
    assert key in capsys.readouterr().err
