"""Every plotting function renders from a live result and from a saved directory."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from test_cli import TINY  # noqa: E402

from probisim.store import read_results, write_results  # noqa: E402
from probisim.trial import load_trial_config, run_trial  # noqa: E402
from probisim.viz import trial_plots as plotting  # noqa: E402


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plot")
    p = tmp / "tiny.toml"
    p.write_text(TINY.replace("seed = 7", "seed = 7\npotential_outcomes = true"))
    return run_trial(load_trial_config(p))


@pytest.fixture(scope="module")
def loaded(live, tmp_path_factory):
    d = write_results(live, tmp_path_factory.mktemp("store") / "r", figures=False)
    return read_results(d)


@pytest.mark.parametrize("source", ["live", "loaded"])
@pytest.mark.parametrize("name", list(plotting.FIGURES))
def test_each_plot_renders(name, source, live, loaded, tmp_path):
    res = live if source == "live" else loaded
    fig, ax = plt.subplots()
    out = plotting.FIGURES[name](res, ax=ax)
    assert out is ax and ax.get_xlabel() and ax.get_ylabel()
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    assert path.stat().st_size > 0
    assert mpimg.imread(path).ndim == 3


def test_calibration_shading_and_power(live):
    fig, ax = plt.subplots()
    plotting.plot_effect_distribution(live, ax=ax, calibration=(0.1, 0.3))
    assert ax.patches
    plt.close(fig)
    fig, ax = plt.subplots()
    plotting.plot_power_curve(live, ax=ax)
    # no power curve in this run: the single simulated point, nothing extrapolated
    assert "one design point" in " ".join(t.get_text() for t in ax.texts)
    assert all(len(line.get_xdata()) <= 2 for line in ax.get_lines())
    plt.close(fig)


def test_plot_all_and_roundtrip(live, loaded, tmp_path):
    paths = plotting.plot_all(loaded, tmp_path / "figs", fmt="png")
    assert len(paths) >= 6
    for p in paths:
        assert p.stat().st_size > 0 and mpimg.imread(p).size
    assert set(loaded.per_replicate) == set(live.per_replicate)
    k = next(iter(live.per_replicate))
    import numpy as np
    np.testing.assert_array_equal(loaded.per_replicate[k]["hedges_g"], live.per_replicate[k]["hedges_g"])
    assert loaded.visits["pss10"].tolist() == live.visits["pss10"].tolist()
