"""One trial in, the same analysis out: probisim.analyze and `probisim analyze` on
the Beat the Blues data (long format) and on one replicate of a simulated trial."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import probisim
from probisim import stats
from probisim.cli import main
from probisim.core.errors import ConfigError

pd = pytest.importorskip("pandas")

DATA = Path(__file__).parent / "data" / "BtheB.csv"
PLAN = {"name": "btheb", "data": {"visit": "month"}, "arms": {"treatment": "BtheB", "control": "TAU"},
        "endpoints": [{"column": "bdi", "score": "bdi2"}], "analysis": {"covariates": ["drug", "length"],
                                                                        "imputations": 10, "seed": 4}}
COLUMNS = {"bdi.pre": 0, "bdi.2m": 2, "bdi.4m": 4, "bdi.6m": 6, "bdi.8m": 8}


@pytest.fixture(scope="module")
def long():
    d = pd.read_csv(DATA)
    out = d.melt(id_vars=["rownames", "drug", "length", "treatment"], value_vars=list(COLUMNS), var_name="v",
                 value_name="bdi")
    out["month"] = out.pop("v").map(COLUMNS)
    return out.rename(columns={"rownames": "participant", "treatment": "arm"})


@pytest.fixture(scope="module")
def result(long):
    return probisim.analyze(long, PLAN)


def _eff(res, analysis, visit):
    e = res.effects
    row = e[(e["analysis"] == analysis) & (e["visit"] == visit)]
    assert len(row) == 1
    return row.iloc[0]


def test_long_table_gives_the_same_numbers_as_the_array_functions(result):
    w = pd.read_csv(DATA)
    arm = (w["treatment"] == "BtheB").astype(int).to_numpy()
    cov = np.c_[(w["drug"] == "Yes"), (w["length"] == ">6m")].astype(float)
    for col, month in list(COLUMNS.items())[1:]:
        a = stats.ancova(w[col].to_numpy(float), w["bdi.pre"].to_numpy(float), arm, covariates=cov)
        row = _eff(result, "ancova_complete_cases", month)
        assert_allclose([row.estimate, row.se, row.p], [a["estimate"][0], a["se"][0], a["p"][0]], rtol=1e-12)
    mi = stats.mi_ancova_history(w[list(COLUMNS)[1:]].to_numpy(float), w["bdi.pre"].to_numpy(float), arm,
                                 covariates=cov, m=10, seed=4)
    assert_allclose(_eff(result, "mi_ancova_history", 8).estimate, mi["estimate"][0], rtol=1e-12)
    g = stats.hedges_g(w["bdi.8m"].to_numpy(float), arm, lower_is_better=True)
    assert_allclose(_eff(result, "hedges_g", 8).estimate, g["g"][0], rtol=1e-12)
    r = stats.responders(w["bdi.8m"].to_numpy(float), w["bdi.pre"].to_numpy(float), arm, remission_threshold=13,
                         missing="failure")
    assert_allclose(_eff(result, "responders_nri", 8).estimate, r["rd"][0], rtol=1e-12)
    assert_allclose(_eff(result, "remission_nri", 8).estimate, r["remission_rd"][0], rtol=1e-12)


def test_tables_are_tidy_and_complete(result):
    e = result.effects
    assert list(e.columns) == probisim.analysis.EFFECT_COLUMNS
    assert set(e["analysis"]) == {"ancova_complete_cases", "mi_ancova_history", "mi_ancova_baseline", "mmrm",
                                  "hedges_g", "responders_nri", "remission_nri"}
    assert (e[e["analysis"] == "mmrm"]["visit"].tolist() == [2.0, 4.0, 6.0, 8.0])
    vm = result.visit_means
    assert len(vm) == 2 * 5 and set(vm["arm"]) == {"BtheB", "TAU"}
    base = vm[(vm["visit"] == 0)].set_index("arm")
    assert base.loc["BtheB", "n"] == 52 and base.loc["TAU", "n"] == 48
    f = result.flow.set_index("arm")
    assert f.loc["BtheB", "observed_visit_8"] + f.loc["BtheB", "lost_by_last_visit"] == f.loc["BtheB",
                                                                                               "with_baseline"]
    s = json.loads(result.to_json())
    assert s["effects"][0]["analysis"] == "ancova_complete_cases" and s["covariates"] == ["drug", "length"]


def test_row_order_csv_and_dataframe_do_not_matter(long, result, tmp_path):
    shuffled = long.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = probisim.analyze(shuffled, PLAN)
    pd.testing.assert_frame_equal(again.effects, result.effects)
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    pd.testing.assert_frame_equal(probisim.analyze(path, PLAN).effects, result.effects)


def test_a_simulated_replicate_analysed_as_data_matches_the_trial_layer():
    from probisim.trial import load_trial_config, run_trial
    from probisim.trial.experiments import experiment_path

    cfg = load_trial_config(experiment_path("stress_anxiety_6wk"), overrides=["replicates=1", "n_randomized=60"])
    tr = run_trial(cfg, progress=False)
    v = tr.visits
    long = pd.DataFrame({k: v[k] for k in ("pid", "arm", "day", "pss10")})
    arms = sorted(set(long["arm"].astype(str)))
    plan = {"name": "sim", "data": {"participant": "pid", "visit": "day"},
            "arms": {"treatment": "probiotic" if "probiotic" in arms else arms[-1],
                     "control": "placebo" if "placebo" in arms else arms[0]},
            "endpoints": [{"column": "pss10", "score": "pss10", "visit": 42}], "analysis": {"imputations": 5}}
    res = probisim.analyze(long, plan)
    per = tr.per_replicate["pss10|probiotic vs placebo"]
    # the design's endpoint is the end of treatment (day 42); follow-up visits come after it
    row = _eff(res, "ancova_complete_cases", 42.0)
    assert_allclose(row.estimate, per["ancova_completers_estimate"][0], rtol=1e-10)
    assert_allclose(row.p, per["ancova_completers_p"][0], rtol=1e-8)


@pytest.mark.parametrize("change, message", [
    ({"arms": {"treatment": "BtheB", "control": "tau"}}, "arms.control = 'tau': no such arm"),
    ({"analysis": {"covariates": ["drugs"]}}, "analysis.covariates: column 'drugs' not in the data"),
    ({"analysis": {"covariance": "toeplitz"}}, "analysis.covariance = 'toeplitz'"),
    ({"analysis": {"imputations": 1}}, "analysis.imputations = 1"),
    ({"endpoints": [{"colum": "bdi"}]}, "did you mean 'column'"),
    ({"endpoints": [{"column": "bdi", "visit": 5}]}, "visit = 5 of 'bdi' is not a post-baseline visit"),
    ({"endpoints": [{"column": "bdi", "score": "bdi"}]}, "did you mean 'bdi2'"),
    ({"data": {"visit": "month", "baseline_visit": 1}}, "data.baseline_visit = 1: no rows"),
    ({"name": "../x"}, "name"),
])
def test_bad_plans_name_the_key_and_value(long, change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        probisim.analyze(long, {**PLAN, **change})


def test_covariate_that_changes_within_a_participant_is_refused(long):
    bad = long.copy()
    bad.loc[bad.index[0], "drug"] = "Maybe"
    with pytest.raises(ConfigError, match="changes within participant"):
        probisim.analyze(bad, PLAN)


def test_cli_writes_a_results_directory_and_refuses_to_overwrite(long, tmp_path, monkeypatch, capsys):
    import tomli_w

    monkeypatch.chdir(tmp_path)
    long.to_csv("long.csv", index=False)
    Path("plan.toml").write_text(tomli_w.dumps(PLAN))
    assert main(["analyze", "long.csv", "--config", "plan.toml", "--out", "res"]) == 0
    files = sorted(p.name for p in Path("res").iterdir())
    assert {"effects.csv", "visit_means.csv", "flow.csv", "summary.json", "report.md", "plan.toml",
            "figures"} <= set(files)
    assert sorted(p.name for p in Path("res/figures").iterdir()) == ["flow.png", "visit_means_bdi.png"]
    written = pd.read_csv("res/effects.csv")
    assert len(written) == 13 and "Beck Depression Inventory-II" in Path("res/report.md").read_text()
    before = Path("res/effects.csv").read_bytes()
    capsys.readouterr()
    assert main(["analyze", "long.csv", "--config", "plan.toml", "--out", "res"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and err.count("\n") == 1
    Path("bad.toml").write_text(tomli_w.dumps({**PLAN, "arms": {"treatment": "BtheB", "control": "tau"}}))
    assert main(["analyze", "long.csv", "--config", "bad.toml", "--out", "res2"]) == 2
    assert "arms.control" in capsys.readouterr().err
    assert not Path("res2").exists() and Path("res/effects.csv").read_bytes() == before
    assert sorted(p.name for p in Path(".").iterdir()) == ["bad.toml", "long.csv", "plan.toml", "res"]


def test_figures_carry_human_labels(result):
    import matplotlib

    matplotlib.use("Agg")
    from probisim.viz.analysis_plots import OKABE_ITO, plot_flow, plot_visit_means_table

    rows = result.visit_means.to_dict("records")
    ax = plot_visit_means_table(rows, ylabel=result.plan.endpoints[0].label, arms=["BtheB", "TAU"])
    assert ax.get_ylabel() == "Beck Depression Inventory-II (bdi2, 0–63)"
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(lines) == 2 and {ln.get_color() for ln in lines} == {OKABE_ITO[0], OKABE_ITO[1]}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["BtheB", "TAU"]
    ax2 = plot_flow(result.flow.to_dict("records"))
    texts = " ".join(t.get_text() for t in ax2.texts)
    assert "Randomized (n = 100)" in texts and "Allocated to BtheB\n(n = 52" in texts
    assert "Observed at the last visit\n(n = 27)" in texts and "(n = 25)" in texts
