"""Figures a trialist would put in a paper, tested by rendering them and reading
their text and data back (not by eye)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from probisim.measure import instruments  # noqa: E402
from probisim.measure.biomarkers import ENDPOINT_LABELS  # noqa: E402
from probisim.trial import load_trial_config, run_trial  # noqa: E402
from probisim.trial.design import BIOMARKER_ENDPOINTS  # noqa: E402
from probisim.trial.experiments import experiment_path  # noqa: E402
from probisim.viz import labels, paper_plots, trial_plots  # noqa: E402

RAW_KEY = re.compile(r"\||_nmol_l|_mg_l|_pg_ml|latent_|dass21_|hads_|pss10")


@pytest.fixture(scope="module")
def res():
    return run_trial(load_trial_config(experiment_path("stress_anxiety_6wk"), overrides=["replicates=4"]))


def _texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


def test_labels_come_from_the_registries():
    for s in instruments.score_names():
        info = instruments.score_info(s)
        lab = labels.score_label(s)
        assert lab.startswith(info["label"]) and f"({info['range'][0]}–{info['range'][1]})" in lab
    assert labels.score_label("pss10") == "PSS-10 total (0–40)"
    assert labels.score_label("cortisol_nmol_l") == "Cortisol (nmol/L)"
    for b in BIOMARKER_ENDPOINTS:
        lab = labels.score_label(b)
        assert not RAW_KEY.search(lab) and "_" not in lab, lab
        if not b.startswith("log10_"):
            assert lab == ENDPOINT_LABELS[b]
    assert labels.comparison_label("pss10|probiotic vs placebo") == "PSS-10 total (0–40): probiotic vs placebo"


def test_every_figure_speaks_human(res, tmp_path):
    paths = trial_plots.plot_all(res, tmp_path)
    names = {p.stem for p in paths}
    assert {"visit_means__pss10", "visit_means_all_trials__pss10", "consort", "consort_all_trials"} <= names
    for name, fn in trial_plots.FIGURES.items():
        fig, ax = plt.subplots()
        fn(res, ax=ax)
        for t in _texts(fig):
            assert not RAW_KEY.search(t), (name, t)
        plt.close(fig)
    fig, ax = plt.subplots()
    trial_plots.plot_trajectories(res, ax=ax)
    assert ax.get_ylabel() == "Latent perceived stress (model units)" and "modeller's view" in ax.get_title()
    plt.close(fig)


def test_visit_means_are_the_instrument_scores_per_arm(res):
    fig, ax = plt.subplots()
    paper_plots.plot_visit_means(res, ax=ax, replicate=0)
    assert ax.get_ylabel() == "PSS-10 total (0–40)"
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(lines) == 2 and len({ln.get_color() for ln in lines}) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Probiotic", "Placebo"]
    v = res.visits
    for ln, arm in zip(lines, ["probiotic", "placebo"]):
        sel = (v["replicate"] == 0) & (v["arm"] == arm)
        days = sorted(set(v["day"][sel].tolist()))
        want = [np.nanmean(v["pss10"][sel & (v["day"] == d)]) for d in days]
        np.testing.assert_allclose(ln.get_ydata(), want, rtol=1e-12)
    plt.close(fig)
    rows = paper_plots.visit_mean_rows(res, replicate=None)
    assert all(r["ci_low"] <= r["mean"] <= r["ci_high"] for r in rows) and rows[0]["n"] == 4


@pytest.mark.parametrize("replicate", [0, None])
def test_consort_counts_add_up_and_are_drawn(res, replicate):
    c = paper_plots.consort_counts(res, replicate=replicate)
    n = res.config.n_randomized
    assert sum(r["in_data"] for r in c["arms"]) == pytest.approx(n)
    assert c["screened"] - c["excluded"] == pytest.approx(n)
    for r in c["arms"]:
        assert r["lost_by_last_visit"] + r["observed_visit_last"] == pytest.approx(r["in_data"])
    part = res.participants
    if replicate == 0:
        sel = (part["replicate"] == 0) & (part["arm"] == "placebo")
        assert c["arms"][1]["observed_visit_last"] == part["completed"][sel].sum()
        assert c["screened"] == res.screening["screened"][0]
    fig, ax = plt.subplots()
    paper_plots.plot_consort(res, ax=ax, replicate=replicate)
    text = " ".join(t.get_text() for t in ax.texts)
    assert f"Randomized (n = {n})" in text
    for r in c["arms"]:
        done = r["observed_visit_last"]
        shown = f"{done:.0f}" if float(done).is_integer() else f"{done:.1f}"
        assert f"completers n = {shown}" in text
    plt.close(fig)


def test_forest_says_which_trials_it_shows(res):
    fig, ax = plt.subplots()
    key = next(iter(res.per_replicate))
    trial_plots.plot_forest(res, ax=ax, key=key, max_trials=2)
    assert "the first 2 of 4 replicate trials" in ax.get_title() and "pooled estimate over all 4" in ax.get_title()
    assert len([t for t in ax.get_yticklabels() if t.get_text().startswith("trial")]) == 2
    plt.close(fig)


def test_histogram_counts_are_integers(res):
    fig, ax = plt.subplots()
    trial_plots.plot_effect_distribution(res, ax=ax)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close(fig)
