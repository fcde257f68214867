"""Sample size by simulation (common random numbers across n) and multiplicity on
simulated trials."""

from __future__ import annotations

import numpy as np
import pytest

from probisim.cli import main
from probisim.trial import load_trial_config, run_trial
from probisim.trial.decisions import n_for_target
from probisim.trial.experiments import experiment_path

CC = 'analysis.decision_test="ancova_completers"'


def _run(name, *overrides):
    return run_trial(load_trial_config(experiment_path(name), overrides=list(overrides)))


@pytest.fixture(scope="module")
def nested():
    return _run("stress_anxiety_6wk", "replicates=24", "n_randomized=80", "power.n_randomized=[40, 80]", CC)


def test_the_first_n_of_a_trial_are_the_trial_a_run_at_n_would_enrol(nested):
    small = _run("stress_anxiety_6wk", "replicates=24", "n_randomized=40", CC)
    big_p, small_p = nested.participants, small.participants
    for r in range(24):
        b = np.sort(big_p["pid"][big_p["replicate"] == r])
        s = np.sort(small_p["pid"][small_p["replicate"] == r])
        assert np.array_equal(s, b[:40])
        arm_b = dict(zip(big_p["pid"][big_p["replicate"] == r], big_p["arm"][big_p["replicate"] == r]))
        assert all(arm_b[p] == a for p, a in zip(small_p["pid"][small_p["replicate"] == r],
                                                 small_p["arm"][small_p["replicate"] == r]))
    # so the completers power at n = 40 is exactly the separate run's
    c = nested.power_curve
    for key in small.per_replicate:
        sel = (c["comparison"] == key) & (c["n"] == 40)
        assert c["power"][sel][0] == small.summary[key]["power"]["ancova_completers"]["power"]
    # and at the design's n the curve is the main analysis
    for key in nested.per_replicate:
        sel = (c["comparison"] == key) & (c["n"] == 80)
        assert c["power"][sel][0] == nested.summary[key]["power"]["ancova_completers"]["power"]


def test_power_rises_with_n_when_the_effect_is_real():
    res = _run("depression_mild_moderate", "replicates=60", "n_randomized=120", "power.n_randomized=[12, 40, 120]")
    c = res.power_curve
    key = next(k for k, v in res.summary.items() if v["primary"])
    pw = c["power"][c["comparison"] == key]
    se = np.sqrt(np.maximum(pw * (1 - pw), 0.02) / 60)
    assert np.all(np.diff(pw) >= -2 * se[1:]) and pw[-1] > pw[0] + 0.2
    nt = res.decisions["n_for_target"]
    assert nt["comparison"] == key


def test_n_for_target_reads_the_curve():
    curve = {"comparison": np.array(["a"] * 4), "n": np.array([20, 40, 60, 80]),
             "power": np.array([0.3, 0.6, 0.85, 0.95]), "ci_low": np.array([0.2, 0.5, 0.78, 0.9]),
             "ci_high": np.array([0.4, 0.7, 0.9, 0.98]), "power_adjusted": np.zeros(4),
             "adjusted_ci_low": np.zeros(4), "adjusted_ci_high": np.zeros(4)}
    nt = n_for_target(curve, "a", 0.8)
    assert nt["n"] == 60 and nt["n_optimistic"] == 60 and nt["n_conservative"] == 80
    assert nt["n_interpolated"] == pytest.approx(40 + 0.2 / 0.25 * 20)
    assert n_for_target(curve, "a", 0.99)["n"] is None


@pytest.mark.parametrize("method", ["holm", "hochberg", "fixed_sequence", "gatekeeping"])
def test_familywise_error_under_an_inert_product(method, inert):
    """Every arm gets the placebo: any success is a false positive. 5 comparisons
    unadjusted reach about 12-15%; each method stays at 5% within Monte-Carlo error."""
    from probisim import stats
    from probisim.trial.decisions import families

    keys = list(inert.per_replicate)
    P = np.column_stack([inert.per_replicate[k]["ancova_completers_p"] for k in keys])
    fam = families(inert.config, keys, [inert.summary[k]["primary"] for k in keys])
    fwer = stats.familywise_summary(stats.reject(P, method, families=fam))["any"]
    R = P.shape[0]
    assert fwer <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / R), fwer
    assert stats.familywise_summary(P < 0.05)["any"] > fwer


@pytest.fixture(scope="module")
def inert():
    placebo = '[{ kind = "placebo", start_day = 0, end_day = 42 }]'
    return _run("stress_anxiety_6wk", "replicates=300", "n_randomized=40", CC, "dropout.hazard_per_day=0",
                f"arms[0].interventions={placebo}", 'analysis.multiplicity="holm"')


def test_report_states_success_across_comparisons(inert):
    m = inert.decisions["multiplicity"]
    assert m["method"] == "holm" and len(m["comparisons"]) == 5
    assert m["any_success"] <= m["any_success_unadjusted"]


def test_power_command_writes_the_curve(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc = main(["power", "stress_anxiety_6wk", "--n", "20,40", "--replicates", "6", "--quiet", "--out", "p"])
    assert rc == 0
    text = (tmp_path / "p" / "power.csv").read_text()
    assert text.splitlines()[0].startswith("comparison,n,power")
    assert "## Power by sample size (simulated)" in (tmp_path / "p" / "report.md").read_text()
    assert main(["power", "stress_anxiety_6wk", "--n", "20,x", "--out", "q"]) == 2
    assert "--n '20,x'" in capsys.readouterr().err
    assert main(["run", "stress_anxiety_6wk", "--set", "power.n_randomized=[40, 500]", "--out", "q"]) == 2
    assert "power.n_randomized[1]" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()
