"""The Sobol' experiment in experiments/sensitivity_depression/ (fast checks).

* the sweep file loads, is a Sobol' design over the depression base design,
  and every parameter path exists in TrialConfig: applied at its low and its
  high bound it resolves (built-in defaults merged) to exactly that value,
  inside the declared bounds of the field;
* a tiny end-to-end ``run_sensitivity`` (N = 2, one replicate, 12
  participants, serial) writes ``sobol.csv`` with one row per output x
  parameter;
* ``probisim sweep`` on the same tiny config exits 0 and writes results.csv.
"""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path

import pytest

from probisim import cli
from probisim.config import apply_overrides, dumps_toml, from_dict, load_raw, lookup_field, to_dict
from probisim.model.engine import resolve_defaults
from probisim.model.population import PRESETS
from probisim.model.taxa import DEFAULT_STRAINS
from probisim.sweep import load_sweep_config, run_sensitivity
from probisim.trial import TrialConfig
from probisim.trial.experiments import experiment_path

ROOT = Path(__file__).resolve().parents[1]
EXP_DIR = ROOT / "experiments" / "sensitivity_depression"
SWEEP = EXP_DIR / "sweep.toml"
BASE = experiment_path("depression_mild_moderate")
OUTPUTS = ("bdi2.g_mean", "bdi2.power", "hamd17.g_mean")


def _walk(obj, dotted: str):
    for part in dotted.split("."):
        obj = obj[part]
    return obj


def _resolved(path: str, value: float) -> dict:
    raw = apply_overrides(load_raw(BASE), [f"{path}={value!r}"], TrialConfig)
    return to_dict(from_dict(TrialConfig, resolve_defaults(raw)))


def test_sweep_config_is_a_sobol_design_over_the_depression_trial():
    cfg = load_sweep_config(SWEEP)
    assert cfg.design.kind == "sobol"
    n = cfg.design.n
    assert n >= 2 and n & (n - 1) == 0, "Saltelli needs a power of 2"
    assert cfg.crn is True
    assert tuple(cfg.outputs) == OUTPUTS
    assert len(cfg.parameters) >= 6
    assert experiment_path(cfg.base) == BASE  # a shipped experiment, by name


def test_every_parameter_path_exists_and_bounds_are_valid():
    cfg = load_sweep_config(SWEEP)
    trial = load_raw(BASE)
    dosed = {s for arm in trial["arms"] for iv in arm["interventions"] for s in iv.get("strains", {})}
    for p in cfg.parameters:
        parts = p.path.split(".")
        if parts[:2] == ["model", "strains"]:
            # a misspelt strain would silently become a new, undosed strain
            assert parts[2] in DEFAULT_STRAINS and parts[2] in dosed, p.path
        row = lookup_field(TrialConfig, p.path)
        assert row["type"] == "float", p.path
        lo_b, hi_b = row.get("bounds") or (None, None)
        for v in (float(p.low), float(p.high)):
            if lo_b is not None:
                assert v >= lo_b, (p.path, v, row["bounds"])
            if hi_b is not None:
                assert v <= hi_b, (p.path, v, row["bounds"])
            got = _walk(_resolved(p.path, v), p.path)
            assert math.isclose(got, v), (p.path, v, got)


def test_trait_overrides_keep_the_preset_marginal():
    # changing one field of a preset trait must keep the preset's other fields
    raw = apply_overrides(load_raw(BASE), ["population.traits.expectancy.mean=0.5"], TrialConfig)
    cfg = from_dict(TrialConfig, resolve_defaults(raw))
    e = cfg.population.traits.expectancy
    want = PRESETS["depressed_outpatients"]["expectancy"]
    assert (e.mean, e.sd, e.high) == (0.5, want["sd"], want["high"])


@pytest.fixture
def tiny_sweep(tmp_path) -> Path:
    """The experiment's sweep file shrunk: N = 2, one replicate, 24 participants (enough
    completers per arm for a finite Hedges g whatever the sampled dropout)."""
    base = tmp_path / "tiny_base.toml"
    base.write_text(f'extends = "{BASE.as_posix()}"\nn_randomized = 24\nreplicates = 1\n', encoding="utf-8")
    with open(SWEEP, "rb") as fh:
        raw = tomllib.load(fh)
    raw["base"] = base.name
    raw["replicates"] = 1
    raw["design"]["n"] = 2
    path = tmp_path / "tiny_sweep.toml"
    path.write_text(dumps_toml(raw), encoding="utf-8")
    return path


def test_tiny_sensitivity_run_writes_sobol_table(tiny_sweep, tmp_path):
    out = tmp_path / "sens"
    res = run_sensitivity(tiny_sweep, out, executor="serial", progress=False, n_resamples=0)
    cfg = load_sweep_config(tiny_sweep)
    d = len(cfg.parameters)
    assert res.sweep.complete and res.sweep.n_tasks == 2 * (d + 2)
    with open(out / "sobol.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == d * len(OUTPUTS)
    assert {(r["output"], r["parameter"]) for r in rows} == {
        (o, p.path) for o in OUTPUTS for p in cfg.parameters
    }
    assert (out / "sobol.json").is_file()


def test_cli_sweep_on_tiny_config(tiny_sweep, tmp_path, capsys):
    out = tmp_path / "cli_sweep"
    assert cli.main(["sweep", str(tiny_sweep), "--jobs", "1", "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2  # design.n points of the plain Sobol' design
    for o in OUTPUTS:
        assert all(math.isfinite(float(r[o])) for r in rows), o
