"""When visits measure: the start of the visit day, before that day's doses.

A visit on day d sees days ..., d-2, d-1 and nothing of day d, so the baseline
(day 0) is pre-dose and a visit on an intervention's end_day (exclusive) sees its
last dose. Screening follows the same rule and, with days_before_baseline = 0, is
the baseline visit itself.
"""

import copy

import numpy as np
import pytest

from probisim.config import from_dict
from probisim.model.engine import resolve_defaults, simulate
from probisim.trial import TrialConfig, run_trial

STRAINS = {"L_helveticus_R0052": 5e9, "B_longum_R0175": 5e9}
END = 14  # end of treatment: every arm's products are given on days 0 .. 13


def _raw(**over):
    raw = {
        "seed": 4, "replicates": 6, "n_randomized": 60,
        "population": {"burn_in_days": 20},
        "screening": {"days_before_baseline": 3},
        "randomization": {"block_size": 3},
        "arms": [
            {"name": "probiotic", "interventions": [{"kind": "probiotic", "strains": dict(STRAINS)}]},
            {"name": "prebiotic", "interventions": [{"kind": "prebiotic", "type": "gos", "grams_per_day": 5.0}]},
            {"name": "placebo", "interventions": [{"kind": "placebo"}]},
        ],
        "schedule": {"treatment_days": END, "follow_up_days": 0, "visits": [0, END - 1, END],
                     "biomarker_visits": [0, END - 1, END], "instruments": ["pss10"], "sequencing_16s": False},
        "endpoints": [{"score": "pss10", "primary": True}],
        "analysis": {"mi_imputations": 2},
    }
    raw.update(over)
    return raw


def _run(raw):
    return run_trial(from_dict(TrialConfig, resolve_defaults(raw)))


def _with_doses(raw, strain_cfu, gos_g):
    raw = copy.deepcopy(raw)
    raw["arms"][0]["interventions"][0]["strains"] = {k: strain_cfu for k in STRAINS}
    raw["arms"][1]["interventions"][0]["grams_per_day"] = gos_g
    return raw


def _with_end_day(raw, end_day):
    raw = copy.deepcopy(raw)
    for arm in raw["arms"]:
        for iv in arm["interventions"]:
            iv["end_day"] = end_day
    return raw


def _at(table, day, arm=None):
    sel = table["day"] == day
    if arm is not None:
        sel &= table["arm"] == arm
    return sel


@pytest.fixture(scope="module")
def dosed():
    return _run(_raw())


def test_end_day_defaults_to_the_end_of_treatment():
    cfg = from_dict(TrialConfig, resolve_defaults(_raw()))
    assert [iv.end_day for a in cfg.arms for iv in a.interventions] == [END] * 3


def test_baseline_visit_is_pre_dose(dosed):
    b = dosed.biomarkers
    # the dosed strains: at baseline the probiotic arm carries them exactly as often as
    # placebo (natural carriage only, which is none), and most of it does once dosed
    for s in STRAINS:
        col = b[f"detected_{s}"]
        assert col[_at(b, 0, "probiotic")].mean() == col[_at(b, 0, "placebo")].mean() == 0.0
        assert np.nanmean(col[_at(b, END - 1, "probiotic")]) > 0.7
    # randomized groups of different people: baseline distributions agree within
    # Monte-Carlo error (3 standard errors of the difference of means)
    for name, f in (("log10_Bifidobacterium", lambda x: x), ("crp_mg_l", np.log)):
        for arm in ("probiotic", "prebiotic"):
            x, y = f(b[name][_at(b, 0, arm)]), f(b[name][_at(b, 0, "placebo")])
            se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
            assert abs(x.mean() - y.mean()) < 3 * se, (name, arm)
    # the GOS arm's Bifidobacterium rises only after dosing starts
    bif = b["log10_Bifidobacterium"]
    gain = np.nanmean(bif[_at(b, END - 1, "prebiotic")]) - np.nanmean(bif[_at(b, END - 1, "placebo")])
    assert gain > 0.15


def test_the_dose_cannot_reach_the_baseline_visit(dosed):
    """The strongest form, by common random numbers: the same trial with (almost) no
    strain and no GOS has bit-identical baseline scores and samples, and differs later."""
    undosed = _run(_with_doses(_raw(), 1e3, 0.0))
    for tab in ("biomarkers", "visits"):
        a, u = getattr(dosed, tab), getattr(undosed, tab)
        for k in a:
            np.testing.assert_array_equal(a[k][_at(a, 0)], u[k][_at(u, 0)], err_msg=f"{tab}.{k}")
    b, u = dosed.biomarkers, undosed.biomarkers
    assert not np.array_equal(b["log10_Bifidobacterium"][_at(b, END)], u["log10_Bifidobacterium"][_at(u, END)])


def test_baseline_individual_effects_are_zero_with_potential_outcomes():
    res = _run(_raw(potential_outcomes=True, replicates=2, n_randomized=30))
    ite = res.individual_effects
    for arm in ("probiotic", "prebiotic"):
        assert np.all(ite[f"pss10_day0_{arm}_minus_placebo"] == 0.0)
        assert np.any(ite[f"pss10_day{END}_{arm}_minus_placebo"] != 0.0)


def test_visit_on_end_day_sees_the_last_dose(dosed):
    """Products given on days 0 .. END-1 (end_day = END): the visit on day END is the
    first moment after the last dose, and the dose of day END (end_day = END + 1) comes
    after it."""
    b = dosed.biomarkers
    det = b["detected_L_helveticus_R0052"]
    on_end = det[_at(b, END, "probiotic")]
    assert np.nanmean(on_end) > 0.7  # most of the arm still carries the strain
    later = _run(_with_end_day(_raw(), END + 1)).biomarkers
    for k in b:
        np.testing.assert_array_equal(b[k][_at(b, END)], later[k][_at(later, END)], err_msg=k)
    earlier = _run(_with_end_day(_raw(), END - 1)).biomarkers
    # one dose fewer: the fast-washing strain has had a day to clear at the day-END visit
    assert np.nanmean(earlier["detected_L_helveticus_R0052"][_at(earlier, END, "probiotic")]) < np.nanmean(on_end)


def _screen_at_baseline_raw(**over):
    raw = _raw(screening={"days_before_baseline": 0, "criteria": [{"score": "pss10", "min": 14}]},
               schedule={"treatment_days": END, "follow_up_days": 0, "visits": [0, 7, END],
                         "biomarker_visits": [0], "instruments": ["dass21", "pss10"], "sequencing_16s": False},
               randomization={"method": "stratified", "block_size": 3, "stratify_on": "pss10"},
               dropout={"hazard_per_day": 0.03})
    raw.update(over)
    return raw


def test_screening_at_the_baseline_visit():
    res = _run(_screen_at_baseline_raw())
    p, v = res.participants, res.visits
    day0 = v["day"] == 0
    np.testing.assert_array_equal(v["pid"][day0], p["pid"])
    # the same administration: the randomized participants' day-0 scores are their screening scores
    np.testing.assert_array_equal(v["pss10"][day0], p["screen_pss10"])
    assert v["pss10"][day0].min() >= 14
    assert np.isfinite(v["dass21_depression"][day0]).all()
    # dropout: a participant with dropout_day d attended a visit on day d and misses every later one
    dropped = p["dropout_day"] >= 0
    assert dropped.sum() > 20
    assert p["dropout_day"].max() < END  # the last visit day is not simulated
    for day in (0, 7, END):
        seen = np.isfinite(v["pss10"][v["day"] == day])
        np.testing.assert_array_equal(seen, ~dropped | (p["dropout_day"] >= day))


def test_screening_at_baseline_with_an_instrument_not_given_at_visits():
    raw = _screen_at_baseline_raw(replicates=2, screening={"days_before_baseline": 0,
                                                           "criteria": [{"score": "bdi2", "max": 20}]},
                                  randomization={"block_size": 3})
    res = _run(raw)
    assert res.participants["screen_bdi2"].max() <= 20
    assert "bdi2" not in res.visits


def test_simulate_records_the_start_of_each_day():
    """simulate(): the record of day d is the state before day d's interventions."""
    base = {"seed": 2, "n": 200, "days": 6, "population": {"burn_in_days": 10}}
    iv = {"kind": "probiotic", "strains": {"B_longum_R0175": 1e10}}
    res = simulate({**base, "interventions": [{**iv, "start_day": 2}]})
    assert res.config.interventions[0].end_day == 6  # a missing end_day ends with the run
    taxa = res.abundance.coords["taxon"].tolist()
    n = res.abundance.values[:, :, taxa.index("B_longum_R0175")]
    assert (n[:, :3] == 0).all()  # days 0, 1, 2: nothing given yet at the start of the day
    assert (n[:, 3] > 0).mean() > 0.7  # day 3: after the dose of day 2
    # the record of day 4 does not see a dose given on day 4
    short = simulate({**base, "interventions": [{**iv, "start_day": 2, "end_day": 4}]})
    np.testing.assert_array_equal(res.abundance.values[:, :5], short.abundance.values[:, :5])
