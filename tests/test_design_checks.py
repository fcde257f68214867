"""A trial config that is not a controlled trial, or that means something other than it
says, is rejected when it is read (ConfigError; exit 2 and one line from the CLI)."""

import copy
import tomllib

import pytest

from probisim.cli import main
from probisim.config import ConfigError, dumps_toml, from_dict
from probisim.model.engine import SimConfig, resolve_defaults
from probisim.trial import TrialConfig

BASE = {
    "name": "design", "replicates": 2, "n_randomized": 12,
    "population": {"burn_in_days": 5},
    "screening": {"days_before_baseline": 7},
    "arms": [
        {"name": "probiotic", "interventions": [{"kind": "probiotic", "strains": {"B_longum_R0175": 1e10}}]},
        {"name": "placebo", "interventions": [{"kind": "placebo"}]},
    ],
    "schedule": {"treatment_days": 56, "follow_up_days": 14, "visits": [0, 28, 56, 70],
                 "biomarker_visits": [0, 56]},
    "endpoints": [{"score": "pss10", "primary": True}],
}


def _raw(edit=None):
    raw = copy.deepcopy(BASE)
    if edit:
        edit(raw)
    return raw


def _load(raw):
    return from_dict(TrialConfig, resolve_defaults(raw))


def _cli(tmp_path, capsys, text, cmd="validate"):
    p = tmp_path / "c.toml"
    p.write_text(text)
    capsys.readouterr()
    rc = main([cmd, str(p), "--quiet", "--out", str(tmp_path / "out")] if cmd == "run" else [cmd, str(p)])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_line(err):
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("probisim: error:") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("cmd", ["validate", "run"])
def test_empty_config_is_not_a_trial(tmp_path, capsys, cmd):
    rc, _, err = _cli(tmp_path, capsys, "", cmd)
    assert rc == 2
    assert "'arms'" in _one_line(err) and "at least two" in err
    assert not (tmp_path / "out").exists()
    assert main([cmd, "/dev/null"] + (["--out", str(tmp_path / "out")] if cmd == "run" else [])) == 2


@pytest.mark.parametrize("arms", [[], [{"name": "placebo"}]])
def test_fewer_than_two_arms_is_rejected(arms):
    with pytest.raises(ConfigError) as info:
        _load(_raw(lambda r: r.update(arms=arms)))
    assert info.value.path == "arms"
    assert "control arm" in str(info.value)


def test_a_trial_needs_an_endpoint(tmp_path, capsys):
    with pytest.raises(ConfigError) as info:
        _load(_raw(lambda r: r.pop("endpoints")))
    assert info.value.path == "endpoints"
    rc, _, err = _cli(tmp_path, capsys, dumps_toml(_raw(lambda r: r.pop("endpoints"))))
    assert rc == 2 and "'endpoints'" in _one_line(err)


@pytest.mark.parametrize("second", [{"score": "pss10", "visit": 56}, {"score": "pss10"}])
def test_duplicated_endpoint_is_rejected(second):
    # visit 56 is also the default (the visit nearest the end of treatment)
    with pytest.raises(ConfigError) as info:
        _load(_raw(lambda r: r["endpoints"].append(second)))
    assert info.value.path == "endpoints[1]"
    assert "endpoints[0] is the same" in str(info.value)
    # the same score at another visit is another endpoint
    _load(_raw(lambda r: r["endpoints"].append({"score": "pss10", "visit": 28})))


def test_missing_end_day_ends_with_the_treatment_period(tmp_path, capsys):
    cfg = _load(_raw())
    assert [iv.end_day for a in cfg.arms for iv in a.interventions] == [56, 56]
    # an explicit end_day is kept
    cfg = _load(_raw(lambda r: r["arms"][1]["interventions"][0].update(end_day=30)))
    assert cfg.arms[1].interventions[0].end_day == 30
    # validate prints the resolved value
    rc, out, _ = _cli(tmp_path, capsys, dumps_toml(_raw()))
    assert rc == 0
    doc = tomllib.loads(out)
    assert [iv["end_day"] for a in doc["arms"] for iv in a["interventions"]] == [56, 56]
    # and it follows the treatment period set on the command line
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "c.toml"), "--set", "schedule.treatment_days=42",
                 "--set", "schedule.visits=[0, 42]", "--set", "schedule.biomarker_visits=[0]"]) == 0
    doc = tomllib.loads(capsys.readouterr().out)
    assert [iv["end_day"] for a in doc["arms"] for iv in a["interventions"]] == [42, 42]


def test_start_after_the_default_end_day_is_rejected():
    with pytest.raises(ConfigError) as info:
        _load(_raw(lambda r: r["arms"][0]["interventions"][0].update(start_day=56)))
    assert info.value.path == "arms[0].interventions[0].start_day"
    assert "end_day" in str(info.value)


def test_simulate_end_day_defaults_to_the_end_of_the_run_and_burn_in_takes_no_intervention():
    cfg = from_dict(SimConfig, resolve_defaults({"days": 30, "interventions": [{"kind": "placebo"}]}))
    assert cfg.interventions[0].end_day == 30
    with pytest.raises(ConfigError) as info:
        from_dict(SimConfig, resolve_defaults({"interventions": [{"kind": "placebo", "start_day": -2}]}))
    assert info.value.path == "interventions[0].start_day"


def _run_in(start, declared):
    def edit(r):
        iv = r["arms"][0]["interventions"][0]
        iv["start_day"] = start
        if declared:
            iv["run_in"] = True
    return edit


def test_intervention_before_baseline_must_be_declared_run_in(tmp_path, capsys):
    with pytest.raises(ConfigError) as info:
        _load(_raw(_run_in(-3, False)))
    assert info.value.path == "arms[0].interventions[0].start_day"
    assert "run_in = true" in str(info.value)
    rc, _, err = _cli(tmp_path, capsys, dumps_toml(_raw(_run_in(-3, False))))
    assert rc == 2 and "run_in" in _one_line(err)
    cfg = _load(_raw(_run_in(-3, True)))
    iv = cfg.arms[0].interventions[0]
    assert (iv.start_day, iv.end_day, iv.run_in) == (-3, 56, True)
    # but not before the screening visit: nobody is enrolled yet
    with pytest.raises(ConfigError) as info:
        _load(_raw(_run_in(-8, True)))
    assert "screening" in str(info.value)


def test_declared_run_in_is_given_before_baseline():
    """A run-in product starting 3 days before baseline is seen at the (pre-dose) baseline
    visit; without a run-in nobody carries the strain at baseline."""
    import numpy as np

    from probisim.trial import run_trial

    def edit(r):
        _run_in(-3, True)(r)
        r["schedule"] = {"treatment_days": 14, "follow_up_days": 0, "visits": [0, 14], "biomarker_visits": [0],
                         "instruments": ["pss10"], "sequencing_16s": False}
        r.update(n_randomized=40, analysis={"mi_imputations": 2})
    res = run_trial(_load(_raw(edit)))
    b = res.biomarkers
    det = b["detected_B_longum_R0175"][b["day"] == 0]
    arm = b["arm"][b["day"] == 0]
    assert det[arm == "probiotic"].mean() > 0.7
    assert det[arm == "placebo"].mean() == 0.0
    assert np.isfinite(res.participants["adherence"]).all()
