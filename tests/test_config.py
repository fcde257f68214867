"""Tests for probisim.config against a small self-contained schema."""

from __future__ import annotations

import math
import pickle
import tomllib
from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probisim.config import (
    ConfigError,
    apply_overrides,
    config_hash,
    describe_fields,
    dumps_toml,
    from_dict,
    load,
    load_raw,
    loads,
    lookup_field,
    param,
    to_dict,
)

# ---------------------------------------------------------------------------
# Test schema
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Taxon:
    baseline: float = param(0.1, unit="fraction", bounds=(0.0, 1.0), doc="baseline abundance")
    growth_rate: float = param(0.5, unit="1/day", bounds=(0.0, None), source="Test 2020", doc="max growth")


@dataclass(frozen=True)
class Probiotic:
    kind: ClassVar[str] = "probiotic"
    strain: str = param("L. rhamnosus GG", doc="strain name")
    dose_cfu_per_day: float = param(1e9, unit="CFU/day", bounds=(0.0, 1e13), doc="daily dose")
    start_day: int = param(0, unit="day", bounds=(0, None))
    end_day: int = param(28, unit="day", bounds=(0, None))

    def __post_init__(self) -> None:
        if self.end_day <= self.start_day:
            raise ConfigError(
                "end_day must be after start_day",
                path="end_day",
                value=self.end_day,
                expected=f"> {self.start_day}",
            )


@dataclass(frozen=True)
class Placebo:
    kind: ClassVar[str] = "placebo"
    vehicle: str = param("maltodextrin", choices=("maltodextrin", "inulin"), doc="carrier")


@dataclass(frozen=True)
class Arm:
    name: str = param(doc="arm label")  # required
    ratio: float = param(1.0, bounds=(0.0, None), doc="allocation ratio")
    interventions: tuple[Probiotic | Placebo, ...] = param(())
    tags: tuple[str, ...] = param(())


@dataclass(frozen=True)
class Model:
    bifido_baseline: float = param(0.05, unit="fraction", bounds=(0.0, 1.0), doc="Bifidobacterium share")
    taxa: dict[str, Taxon] = param(default_factory=dict)
    weights: dict[str, float] = param(default_factory=dict, bounds=(0.0, 10.0))
    seed: int | None = param(None, doc="RNG seed")
    mode: str = param("agent", choices=("agent", "ode"), doc="solver")
    n_agents: float = param(1000.0, integer=True, bounds=(1, None))


@dataclass(frozen=True)
class Trial:
    name: str = param("trial")
    n_participants: int = param(100, bounds=(1, 100_000), doc="enrolled")
    duration_days: float = param(56.0, unit="day", bounds=(1.0, 3650.0))
    enabled: bool = param(True)
    doses: tuple[float, ...] = param((), bounds=(0.0, None))
    model: Model = param(default_factory=Model)
    arms: tuple[Arm, ...] = param(())
    lead: Arm | None = param(None)


GOOD = """
name = "pilot"
n_participants = 40

[model]
bifido_baseline = 0.1
weights = { a = 1, b = 2.5 }

[model.taxa.bifido]
baseline = 0.2

[[arms]]
name = "placebo"
interventions = [{ kind = "placebo", vehicle = "inulin" }]

[[arms]]
name = "active"
ratio = 2

[[arms.interventions]]
kind = "probiotic"
dose_cfu_per_day = 1e10
"""


def _err(fn, *args, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        fn(*args, **kw)
    return info.value


# ---------------------------------------------------------------------------
# Basic conversion
# ---------------------------------------------------------------------------


def test_loads_good_and_defaults():
    t = loads(GOOD, Trial)
    assert t.name == "pilot" and t.n_participants == 40
    assert t.duration_days == 56.0
    assert t.model.weights == {"a": 1.0, "b": 2.5}
    assert isinstance(t.model.weights["a"], float)
    assert t.model.taxa["bifido"] == Taxon(baseline=0.2)
    assert t.arms[0].interventions == (Placebo("inulin"),)
    assert t.arms[1].ratio == 2.0 and isinstance(t.arms[1].ratio, float)
    assert t.arms[1].interventions == (Probiotic(dose_cfu_per_day=1e10),)
    assert t.model.seed is None and t.lead is None


def test_round_trip_of_loaded_config():
    t = loads(GOOD, Trial)
    d = to_dict(t)
    assert d["arms"][1]["interventions"][0]["kind"] == "probiotic"
    assert "seed" not in d["model"]  # None is omitted
    text = dumps_toml(d)
    assert tomllib.loads(text) == d
    assert from_dict(Trial, tomllib.loads(text)) == t
    assert dumps_toml(d) == text  # deterministic
    assert "dose_cfu_per_day = 10000000000.0\n" in text and "ratio = 2.0\n" in text  # tomli-w writes repr


def test_int_accepts_integral_float_and_float_accepts_int():
    t = from_dict(Trial, {"n_participants": 1e3, "duration_days": 10})
    assert t.n_participants == 1000 and isinstance(t.n_participants, int)
    assert t.duration_days == 10.0 and isinstance(t.duration_days, float)


# ---------------------------------------------------------------------------
# Unknown keys
# ---------------------------------------------------------------------------


def test_unknown_key_top_level():
    e = _err(from_dict, Trial, {"n_participant": 3})
    assert e.path == "n_participant" and e.suggestion == "n_participants"
    assert str(e) == "unknown key 'n_participant' — did you mean 'n_participants'?"


def test_unknown_key_deep_in_array_of_tables():
    data = {"arms": [{"name": "a"}, {"name": "b", "interventions": [{"kind": "probiotic", "dose_cfu_per_dya": 1}]}]}
    e = _err(from_dict, Trial, data)
    assert e.path == "arms[1].interventions[0].dose_cfu_per_dya"
    assert e.suggestion == "dose_cfu_per_day"
    assert "arms[1].interventions[0].dose_cfu_per_dya" in str(e)
    assert "did you mean 'dose_cfu_per_day'" in str(e)


def test_unknown_key_nested_table_in_file(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text("[model]\nbifido_basline = 0.3\n")
    e = _err(load, f, Trial)
    assert e.path == "model.bifido_basline" and e.suggestion == "bifido_baseline"
    assert str(e) == f"{f}: unknown key 'model.bifido_basline' — did you mean 'bifido_baseline'?"


def test_unknown_key_without_suggestion_lists_valid_keys():
    e = _err(from_dict, Taxon, {"zzzzzz": 1})
    assert e.suggestion is None
    assert "baseline" in str(e) and "growth_rate" in str(e)


def test_missing_required_key():
    e = _err(from_dict, Trial, {"arms": [{"ratio": 1}]})
    assert e.path == "arms[0].name"
    assert "missing required key 'arms[0].name'" in str(e)


# ---------------------------------------------------------------------------
# Type and value errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, path, shown, expect",
    [
        ({"duration_days": True}, "duration_days", "got true", "expected a number in [1, 3650]; unit day"),
        ({"n_participants": "ten"}, "n_participants", 'got "ten"', "expected an integer in [1, 100000]"),
        ({"n_participants": 2.5}, "n_participants", "got 2.5", "expected an integer"),
        ({"n_participants": True}, "n_participants", "got true", "expected an integer"),
        ({"model": {"bifido_baseline": 1.5}}, "model.bifido_baseline", "got 1.5", "in [0, 1]; unit fraction"),
        ({"model": {"bifido_baseline": math.nan}}, "model.bifido_baseline", "got nan", "expected a number"),
        ({"duration_days": math.inf}, "duration_days", "got inf", "expected a number"),
        ({"model": {"mode": "odee"}}, "model.mode", 'got "odee"', 'expected one of "agent", "ode"'),
        ({"enabled": 1}, "enabled", "got 1", "expected true or false"),
        ({"name": 3}, "name", "got 3", "expected a string"),
        ({"doses": [1.0, -2]}, "doses[1]", "got -2", "expected a number >= 0"),
        ({"doses": 1.0}, "doses", "got 1", "expected an array of float"),
        ({"model": {"weights": {"x": 11}}}, "model.weights.x", "got 11", "in [0, 10]"),
        ({"model": {"taxa": {"B. longum": {"baseline": -1}}}}, 'model.taxa."B. longum".baseline', "got -1", "[0, 1]"),
        ({"model": {"n_agents": 10.5}}, "model.n_agents", "got 10.5", "expected a whole number >= 1"),
        ({"model": 3}, "model", "got 3", "expected a table (Model)"),
        ({"enabled": None}, "enabled", "got None", "true or false"),
        ({"duration_days": 10**400}, "duration_days", "got <", "expected a number"),
    ],
)
def test_type_errors_name_path_value_expectation(data, path, shown, expect):
    e = _err(from_dict, Trial, data)
    msg = str(e)
    assert e.path == path
    assert f"config error at '{path}'" in msg
    assert shown in msg and expect in msg, msg


def test_error_message_format_matches_contract():
    data = {"arms": [{"name": "a"}, {"name": "b", "interventions": [{"kind": "probiotic", "dose_cfu_per_day": -3}]}]}
    e = _err(from_dict, Trial, data)
    assert str(e) == (
        "config error at 'arms[1].interventions[0].dose_cfu_per_day': got -3 "
        "(expected a number in [0, 1e13]; unit CFU/day)"
    )
    assert e.value == -3 and e.expected == "a number in [0, 1e13]; unit CFU/day"


def test_bad_choice_has_suggestion():
    e = _err(from_dict, Trial, {"model": {"mode": "odee"}})
    assert e.suggestion == "ode" and "did you mean 'ode'" in str(e)


def test_post_init_error_gets_absolute_path():
    data = {"arms": [{"name": "a", "interventions": [{"kind": "probiotic", "start_day": 5, "end_day": 3}]}]}
    e = _err(from_dict, Trial, data)
    assert e.path == "arms[0].interventions[0].end_day"
    assert str(e) == (
        "config error at 'arms[0].interventions[0].end_day': end_day must be after start_day (got 3, expected > 5)"
    )


def test_config_error_pickles():
    e = _err(from_dict, Trial, {"n_participant": 3})
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == str(e) and e2.path == e.path and e2.suggestion == e.suggestion


# ---------------------------------------------------------------------------
# Tagged unions
# ---------------------------------------------------------------------------


def test_tagged_union_round_trip():
    arm = Arm(name="x", interventions=(Probiotic(dose_cfu_per_day=5e8, end_day=14), Placebo("inulin")))
    d = to_dict(arm)
    assert [i["kind"] for i in d["interventions"]] == ["probiotic", "placebo"]
    assert from_dict(Arm, d) == arm
    assert from_dict(Arm, tomllib.loads(dumps_toml(d))) == arm


def test_tagged_union_unknown_kind():
    e = _err(from_dict, Arm, {"name": "x", "interventions": [{"kind": "probiotc"}]})
    assert e.path == "interventions[0].kind"
    assert e.suggestion == "probiotic"
    assert '"placebo"' in str(e) and '"probiotic"' in str(e) and "did you mean 'probiotic'" in str(e)


def test_tagged_union_missing_kind():
    e = _err(from_dict, Arm, {"name": "x", "interventions": [{"strain": "y"}]})
    assert e.path == "interventions[0].kind" and "missing required key" in str(e)


def test_member_accepts_matching_kind_directly():
    assert from_dict(Placebo, to_dict(Placebo())) == Placebo()
    e = _err(from_dict, Placebo, {"kind": "probiotic"})
    assert e.path == "kind"


# ---------------------------------------------------------------------------
# extends
# ---------------------------------------------------------------------------


def test_extends_two_levels_relative_paths(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "exp").mkdir()
    (tmp_path / "base" / "root.toml").write_text(
        'name = "root"\nn_participants = 10\ndoses = [1.0, 2.0]\n[model]\nbifido_baseline = 0.2\nmode = "ode"\n'
    )
    (tmp_path / "base" / "mid.toml").write_text(
        'extends = "root.toml"\nn_participants = 20\n[model]\nbifido_baseline = 0.3\n[model.taxa.a]\nbaseline = 0.4\n'
    )
    (tmp_path / "exp" / "top.toml").write_text(
        'extends = "../base/mid.toml"\ndoses = [5.0]\n[model.taxa.a]\ngrowth_rate = 2\n'
    )
    t = load(tmp_path / "exp" / "top.toml", Trial)
    assert t.name == "root" and t.n_participants == 20
    assert t.doses == (5.0,)  # arrays replace
    assert t.model.mode == "ode" and t.model.bifido_baseline == 0.3  # tables merge
    assert t.model.taxa == {"a": Taxon(baseline=0.4, growth_rate=2.0)}
    raw = load_raw(tmp_path / "exp" / "top.toml")
    assert "extends" not in raw and raw["model"]["taxa"]["a"] == {"baseline": 0.4, "growth_rate": 2}


def test_extends_error_names_originating_file(tmp_path):
    (tmp_path / "base.toml").write_text("n_participants = -1\n")
    (tmp_path / "top.toml").write_text('extends = "base.toml"\nname = "x"\n')
    e = _err(load, tmp_path / "top.toml", Trial)
    assert e.filename.endswith("base.toml") and e.path == "n_participants"


def test_extends_cycle(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    e = _err(load, tmp_path / "a.toml", Trial)
    assert "cycle" in str(e) and "a.toml" in str(e) and "b.toml" in str(e)
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    assert "cycle" in str(_err(load, tmp_path / "self.toml", Trial))


def test_extends_missing_base(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "nope.toml"\n')
    e = _err(load, tmp_path / "a.toml", Trial)
    assert "nope.toml" in str(e) and "not found" in str(e) and e.filename.endswith("a.toml")


def test_extends_bad_type(tmp_path):
    e = _err(loads, "extends = 3\n", Trial)
    assert e.path == "extends"


def test_missing_file(tmp_path):
    e = _err(load, tmp_path / "missing.toml", Trial)
    assert "not found" in str(e)


# ---------------------------------------------------------------------------
# Overrides
# ---------------------------------------------------------------------------


def test_overrides_typed_success():
    t = loads(
        GOOD,
        Trial,
        overrides=[
            "model.bifido_baseline=0.25",
            "arms[1].ratio=3",
            "arms[1].interventions[0].dose_cfu_per_day=1e11",
            "name=bare words",
            'arms[0].tags=["a", "b"]',
            "model.taxa.new.baseline=0.5",
            "enabled=false",
            "model.seed=7",
        ],
    )
    assert t.model.bifido_baseline == 0.25
    assert t.arms[1].ratio == 3.0
    assert t.arms[1].interventions[0].dose_cfu_per_day == 1e11
    assert t.name == "bare words"
    assert t.arms[0].tags == ("a", "b")
    assert t.model.taxa["new"] == Taxon(baseline=0.5)
    assert t.enabled is False and t.model.seed == 7


def test_apply_overrides_does_not_mutate():
    data = {"model": {"bifido_baseline": 0.1}}
    out = apply_overrides(data, ["model.bifido_baseline=0.2"], Trial)
    assert data == {"model": {"bifido_baseline": 0.1}} and out["model"]["bifido_baseline"] == 0.2


def test_override_unknown_path_did_you_mean():
    e = _err(apply_overrides, {}, ["model.bifido_basline=0.3"], Trial)
    assert e.path == "model.bifido_basline" and e.suggestion == "bifido_baseline"
    assert "unknown key 'model.bifido_basline' — did you mean 'bifido_baseline'?" in str(e)
    e = _err(apply_overrides, {}, ["bifido_baseline=0.3"], Trial)
    assert e.suggestion == "model.bifido_baseline"
    e = _err(loads, GOOD, Trial, overrides=["arms[1].interventions[0].dose_cfu_per_dy=1"])
    assert e.suggestion == "dose_cfu_per_day"


def test_override_type_error_is_reported_with_override():
    e = _err(loads, GOOD, Trial, overrides=["n_participants=lots"])
    assert e.path == "n_participants" and "n_participants=lots" in str(e)


@pytest.mark.parametrize("bad", ["model.bifido_baseline", "=3", "a..b=1", "arms[x].ratio=1"])
def test_override_malformed(bad):
    e = _err(apply_overrides, {}, [bad], Trial)
    assert "malformed" in str(e)


def test_override_index_out_of_range_and_scalar_subkey():
    assert "out of range" in str(_err(apply_overrides, {"arms": []}, ["arms[0].ratio=1"], Trial))
    assert "has no sub-key" in str(_err(apply_overrides, {}, ["name.x=1"], Trial))
    e = _err(loads, GOOD, Trial, overrides=["arms[0].interventions[0].dose_cfu_per_day=1"])
    assert 'kind = "placebo"' in str(e) and 'belongs to kind "probiotic"' in str(e)


# ---------------------------------------------------------------------------
# Syntax errors
# ---------------------------------------------------------------------------


def test_syntax_error_reports_line(tmp_path):
    e = _err(loads, 'name = "x"\nn_participants = = 3\n', Trial, filename="bad.toml")
    assert e.filename == "bad.toml" and e.line == 2 and e.column is not None
    assert str(e).startswith("bad.toml:2:") and "TOML syntax error" in str(e)
    f = tmp_path / "bad.toml"
    f.write_text("[model\n")
    e = _err(load, f, Trial)
    assert e.line == 1 and str(f) in str(e)


# ---------------------------------------------------------------------------
# Writer, hash, description
# ---------------------------------------------------------------------------


def test_dumps_toml_escaping_and_forbidden():
    d = {"s": 'a"b\\c\n\t\x01\x7f é', "weird key": {"x.y": 1}, "f": 1e-300, "n": -0.0}
    assert tomllib.loads(dumps_toml(d)) == d
    assert "s = " in dumps_toml(d)
    for bad in (math.inf, math.nan):
        with pytest.raises(ConfigError):
            dumps_toml({"x": bad})
    with pytest.raises(ConfigError):
        dumps_toml({"x": 2**70})


def test_config_hash_stable():
    t = loads(GOOD, Trial)
    h = config_hash(t)
    assert h == config_hash(to_dict(t)) == config_hash(from_dict(Trial, to_dict(t)))
    assert len(h) == 64
    assert h == config_hash(loads(GOOD, Trial))
    assert h != config_hash(loads(GOOD, Trial, overrides=["name=other"]))
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})


def test_describe_and_lookup():
    rows = describe_fields(Trial)
    paths = [r["path"] for r in rows]
    assert "model.taxa.<name>.baseline" in paths
    assert "arms[].interventions[].dose_cfu_per_day" in paths
    assert "arms[].interventions[].kind" in paths
    row = lookup_field(Trial, "arms[1].interventions[0].dose_cfu_per_day")
    assert row["unit"] == "CFU/day" and row["bounds"] == (0.0, 1e13) and row["variant"] == "probiotic"
    assert row["default"] == 1e9 and row["type"] == "float"
    assert lookup_field(Trial, "model.taxa.bifido.growth_rate")["source"] == "Test 2020"
    assert lookup_field(Trial, "growth_rate")["path"] == "model.taxa.<name>.growth_rate"
    assert lookup_field(Trial, "mode")["choices"] == ("agent", "ode")
    assert lookup_field(Trial, "arms[].name")["required"] is True
    assert describe_fields(Model, prefix="model")[0]["path"] == "model.bifido_baseline"
    e = _err(lookup_field, Trial, "model.bifido_basline")
    assert e.suggestion == "model.bifido_baseline"
    e = _err(lookup_field, Trial, "strain")
    assert "ambiguous" in str(e) and "lead.interventions[].strain" in str(e)


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

_names = st.text(max_size=12)
_frac = st.floats(0.0, 1.0)
_pos = st.floats(0.0, 1e300)
_day = st.integers(0, 10_000)

_probiotic = st.builds(
    lambda strain, dose, start, length: Probiotic(strain, dose, start, start + length),
    _names,
    st.floats(0.0, 1e13),
    _day,
    st.integers(1, 1000),
)
_placebo = st.builds(Placebo, st.sampled_from(["maltodextrin", "inulin"]))
_arm = st.builds(
    Arm,
    name=_names,
    ratio=_pos,
    interventions=st.lists(st.one_of(_probiotic, _placebo), max_size=3).map(tuple),
    tags=st.lists(_names, max_size=3).map(tuple),
)
_model = st.builds(
    Model,
    bifido_baseline=_frac,
    taxa=st.dictionaries(_names, st.builds(Taxon, _frac, _pos), max_size=3),
    weights=st.dictionaries(_names, st.floats(0.0, 10.0), max_size=3),
    seed=st.none() | st.integers(-(2**63), 2**63 - 1),
    mode=st.sampled_from(["agent", "ode"]),
    n_agents=st.integers(1, 2**53).map(float),
)
_trial = st.builds(
    Trial,
    name=_names,
    n_participants=st.integers(1, 100_000),
    duration_days=st.floats(1.0, 3650.0),
    enabled=st.booleans(),
    doses=st.lists(_pos, max_size=4).map(tuple),
    model=_model,
    arms=st.lists(_arm, max_size=3).map(tuple),
    lead=st.none() | _arm,
)


@settings(deadline=None, max_examples=200)
@given(_trial)
def test_property_round_trip(trial):
    d = to_dict(trial)
    text = dumps_toml(d)
    parsed = tomllib.loads(text)
    assert parsed == d
    assert from_dict(Trial, parsed) == trial
    assert loads(text, Trial) == trial
    assert config_hash(from_dict(Trial, parsed)) == config_hash(trial)


_keys = st.sampled_from(
    [
        "name", "n_participants", "duration_days", "enabled", "doses", "model", "arms", "lead",
        "bifido_baseline", "taxa", "weights", "seed", "mode", "n_agents", "baseline", "growth_rate",
        "ratio", "interventions", "tags", "kind", "strain", "dose_cfu_per_day", "start_day", "end_day",
        "vehicle", "probiotic", "placebo", "agent", "ode",
    ]
) | st.text(max_size=4)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["probiotic", "placebo", "agent", "inulin"])
)
_junk = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=30,
)


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(_keys, _junk, max_size=6))
def test_property_junk_only_config_errors(data):
    try:
        obj = from_dict(Trial, data)
    except ConfigError as exc:
        assert str(exc)  # message renders
    else:
        assert from_dict(Trial, to_dict(obj)) == obj


_toml_scalars = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_toml_values = st.recursive(
    _toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(st.text(max_size=6), _toml_values, max_size=5))
def test_property_writer_round_trip(d):
    assert tomllib.loads(dumps_toml(d)) == d


def test_unknown_strain_or_taxon_in_an_intervention_is_caught_when_the_config_is_read():
    from probisim.config import ConfigError, from_dict
    from probisim.model.engine import SimConfig, resolve_defaults
    from probisim.trial import TrialConfig

    raw = {"interventions": [{"kind": "antibiotic", "start_day": 300, "end_day": 305,
                              "sensitivity": {"Bifidobacterum": 2.0}}]}
    with pytest.raises(ConfigError) as info:
        from_dict(SimConfig, resolve_defaults(raw))
    assert info.value.path == "interventions[0].sensitivity.Bifidobacterum"
    assert info.value.suggestion == "Bifidobacterium"
    raw = {"arms": [{"name": "placebo"},
                    {"name": "probiotic", "interventions": [{"kind": "probiotic",
                                                             "strains": {"B_longum_R175": 1e9}}]}]}
    with pytest.raises(ConfigError) as info:
        from_dict(TrialConfig, resolve_defaults(raw, TrialConfig))
    assert info.value.path == "arms[1].interventions[0].strains.B_longum_R175"
    assert info.value.suggestion == "B_longum_R0175"
