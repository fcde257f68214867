"""Bit-for-bit reproducibility: thread count, participant order, chunking,
who else is simulated, and common random numbers across arms."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
from conftest import make_population, run_days

from probisim.kernels import layout as K
from probisim.kernels import rng
from probisim.model.compile import ModelConfig, compile_model
from probisim.model.engine import DAY_OFFSET, Engine
from probisim.model.interventions import Placebo, Prebiotic, Probiotic, Stressor
from probisim.model.taxa import Strain

DOSE = {"L_helveticus_R0052": 1e10, "B_longum_R0175": 1e10}

_SCRIPT = textwrap.dedent("""
    import sys
    import numba
    import numpy as np
    from probisim.model.interventions import Probiotic, Stressor
    from probisim.model.compile import ModelConfig, compile_model
    from probisim.model.population import PopulationConfig, generate
    from probisim.model.engine import Engine

    out = sys.argv[1]
    model = compile_model(ModelConfig(), ("L_helveticus_R0052", "B_longum_R0175"))
    n = 500
    pop = generate(model, PopulationConfig(), np.arange(n, dtype=np.uint32), np.zeros(n, np.int64), 77)
    eng = Engine(model, pop, 77)
    eng.burn_in(10)
    groups = [(np.arange(0, n, 2), (Probiotic(strains={"L_helveticus_R0052": 1e10, "B_longum_R0175": 1e10},
                                              start_day=0, end_day=20), Stressor(load=1.5, start_day=5, end_day=10))),
              (np.arange(1, n, 2), (Stressor(load=1.5, start_day=5, end_day=10),))]
    for d in range(20):
        DRV, IMM, KILL, _ = eng.drivers(d, groups)
        eng.advance(d, DRV, IMM, KILL)
    np.save(out, np.concatenate([pop.N, pop.H, pop.M, pop.SPP, pop.DORM], axis=1))
    print(numba.get_num_threads())
""")


def test_one_vs_two_threads_in_separate_processes_are_bit_identical(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    procs = {}
    for t in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(t)}
        procs[t] = subprocess.Popen([sys.executable, str(script), str(tmp_path / f"t{t}.npy")], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for t, p in procs.items():
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.strip().splitlines()[-1] == str(t), f"expected {t} Numba threads, got {out!r}"
    a = (tmp_path / "t1.npy").read_bytes()
    b = (tmp_path / "t2.npy").read_bytes()
    assert len(a) > 500 * 8 * 10
    assert a == b
    x = np.load(tmp_path / "t1.npy")
    assert np.isfinite(x).all()


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_set_num_threads_in_process_is_bit_identical():
    model = compile_model(ModelConfig(), tuple(DOSE))
    pop = make_population(model, 300, 5)
    groups = [(np.arange(pop.n), (Probiotic(strains=DOSE, start_day=0, end_day=10),))]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = run_days(model, pop, 5, groups, 10)
        numba.set_num_threads(2)
        b = run_days(model, pop, 5, groups, 10)
    finally:
        numba.set_num_threads(before)
    for x, y in ((a.N, b.N), (a.H, b.H), (a.M, b.M), (a.SPP, b.SPP), (a.DORM, b.DORM)):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def small():
    """(model, population, seed, groups-by-pid) for 300 participants, two arms split by pid parity."""
    model = compile_model(ModelConfig(), tuple(DOSE))
    pop = make_population(model, 300, 123, burn_in=10, pids=np.arange(5000, 5300))
    return model, pop, 123


def _arm_groups(pop):
    """Arms decided by participant id (not row), so they follow people when rows move."""
    act = np.flatnonzero(pop.pids % 2 == 0)
    ctl = np.flatnonzero(pop.pids % 2 == 1)
    return [(act, (Probiotic(strains=DOSE, start_day=0, end_day=15), Prebiotic(start_day=3, end_day=12))),
            (ctl, (Placebo(start_day=0, end_day=15), Prebiotic(start_day=3, end_day=12)))]


def _assert_same(a, b, rows_a=slice(None), rows_b=slice(None)):
    np.testing.assert_array_equal(a.N[:, rows_a], b.N[:, rows_b])
    np.testing.assert_array_equal(a.H[:, rows_a], b.H[:, rows_b])
    np.testing.assert_array_equal(a.M[:, rows_a], b.M[:, rows_b])
    np.testing.assert_array_equal(a.SPP[:, rows_a], b.SPP[:, rows_b])
    np.testing.assert_array_equal(a.DORM[:, rows_a], b.DORM[:, rows_b])


def test_participant_order_invariance(small):
    model, pop, seed = small
    base = run_days(model, pop, seed, _arm_groups(pop), 15)
    perm = np.random.default_rng(0).permutation(pop.n)
    pp = pop.subset(perm)
    shuffled = run_days(model, pp, seed, _arm_groups(pp), 15)
    inv = np.argsort(perm)
    _assert_same(base, shuffled, slice(None), inv)


def test_chunking_invariance(small):
    model, pop, seed = small
    base = run_days(model, pop, seed, _arm_groups(pop), 15)
    half = pop.n // 2 + 7  # uneven halves
    parts = []
    for rows in (np.arange(half), np.arange(half, pop.n)):
        sub = pop.subset(rows)
        parts.append(run_days(model, sub, seed, _arm_groups(sub), 15))
    for name in ("N", "H", "M", "SPP", "DORM"):
        whole = getattr(base, name)
        joined = np.concatenate([getattr(p, name) for p in parts], axis=1)
        np.testing.assert_array_equal(whole, joined)


def test_dropping_a_participant_leaves_everyone_else_unchanged(small):
    model, pop, seed = small
    base = run_days(model, pop, seed, _arm_groups(pop), 15)
    drop = 137
    keep = np.delete(np.arange(pop.n), drop)
    sub = pop.subset(keep)
    other = run_days(model, sub, seed, _arm_groups(sub), 15)
    _assert_same(base, other, keep, slice(None))
    # and the dropped participant did evolve (the comparison is not vacuous)
    assert not np.array_equal(base.M[-1, drop], base.M[0, drop])


def test_null_strain_probiotic_equals_placebo():
    """Common random numbers: a strain with zero survival and no activity is a placebo, bit for bit."""
    null = Strain(long_name="dead strain", genus="Nullus", gastric_survival=0.0, growth_per_day=0.0, niche=0.0,
                  congener_competition=0.0)
    model = compile_model(ModelConfig(strains={"null": null}), ("null",))
    pop = make_population(model, 400, 31, burn_in=5)
    stress = Stressor(load=1.0, start_day=4, end_day=8)
    a = run_days(model, pop, 31, [(np.arange(pop.n), (Probiotic(strains={"null": 1e11}, start_day=0, end_day=20),
                                                    stress))], 20)
    b = run_days(model, pop, 31, [(np.arange(pop.n), (Placebo(start_day=0, end_day=20), stress))], 20)
    _assert_same(a, b)
    for ta, tb in zip(a.took, b.took):  # the same people took the product on the same days
        np.testing.assert_array_equal(ta[0][0], tb[0][0])
    assert not np.array_equal(a.M[-1], a.M[0])
    # the residents also match a model that does not simulate the null strain at all
    model0 = compile_model(ModelConfig())
    pop0 = make_population(model0, 400, 31, burn_in=5)
    c = run_days(model0, pop0, 31, [(np.arange(pop0.n), (Placebo(start_day=0, end_day=20), stress))], 20)
    np.testing.assert_array_equal(a.N[..., :model0.n_taxa], c.N)
    np.testing.assert_array_equal(a.H, c.H)
    np.testing.assert_array_equal(a.M, c.M)


def test_noise_and_adherence_do_not_depend_on_the_arm(small):
    """An active probiotic changes the state but not the random numbers a person receives."""
    model, pop, seed = small
    rows = np.arange(pop.n)
    engines, took = [], []
    for iv in (Probiotic(strains=DOSE, start_day=0, end_day=5), Placebo(start_day=0, end_day=5)):
        p = pop.subset(rows)
        eng = Engine(model, p, seed, record_noise=True)
        tk = []
        for d in range(5):
            DRV, IMM, KILL, t = eng.drivers(d, [(rows, (iv,))])
            eng.advance(d, DRV, IMM, KILL)
            tk.append(t[0][0])
        engines.append((eng, p))
        took.append(tk)
    (ea, pa), (eb, pb) = engines
    S = model.n_taxa
    # WORK[:, :S] holds the day's microbiome noise: identical across arms
    np.testing.assert_array_equal(ea.WORK[:, :S], eb.WORK[:, :S])
    expected = rng.normals(ea.keys, pop.pids, 4 + DAY_OFFSET, K.SITE_MICROBIOME, S)
    np.testing.assert_array_equal(ea.WORK[:, :S], expected)
    for ta, tb in zip(*took):
        np.testing.assert_array_equal(ta, tb)
    assert not np.array_equal(pa.N, pb.N)  # the strains did arrive in one arm only


def test_draws_depend_only_on_key_pid_step_site():
    keys = rng.participant_keys(11, np.array([0, 1, 0, 2, 1]), "dynamics")
    pids = np.array([4, 4, 9, 17, 2**32 - 1], dtype=np.uint32)
    full = rng.normals(keys, pids, 1234, 0, 9)
    for i in range(pids.size):
        np.testing.assert_array_equal(rng.normals(keys[i:i + 1], pids[i:i + 1], 1234, 0, 9), full[i:i + 1])
    # a prefix of a longer request is the shorter request
    np.testing.assert_array_equal(rng.normals(keys, pids, 1234, 0, 5), full[:, :5])
    # every coordinate of the counter and key matters
    assert not np.array_equal(full[0], full[1])  # replicate (key)
    assert not np.array_equal(full[0], full[2])  # pid
    assert not np.array_equal(full, rng.normals(keys, pids, 1235, 0, 9))  # step
    assert not np.array_equal(full, rng.normals(keys, pids, 1234, 1, 9))  # site
    assert rng.stream_key(1, 0, "dynamics") != rng.stream_key(1, 0, "adherence")


def test_product_adherence_is_shared_whatever_the_arm_lists(small):
    """The daily capsule draw belongs to the product, not to its list position:
    an arm listing other interventions first takes its capsule on the same days."""
    from probisim.model.interventions import StressManagement

    model, pop, seed = small
    rows = np.arange(pop.n)
    arms = [(StressManagement(start_day=0, end_day=5), Probiotic(strains=DOSE, start_day=0, end_day=5)),
            (Placebo(start_day=0, end_day=5),)]
    took = []
    for ivs in arms:
        eng = Engine(model, pop.subset(rows), seed)
        _, _, _, t = eng.drivers(3, [(rows, ivs)])
        took.append(t[0][-1])
    np.testing.assert_array_equal(took[0], took[1])
    assert 0 < took[0].mean() < 1


def test_listing_order_of_strains_does_not_matter():
    """A product listing the same strains in another order gives identical people."""
    import probisim

    runs = []
    for order in (("B_longum_R0175", "L_helveticus_R0052"), ("L_helveticus_R0052", "B_longum_R0175")):
        cfg = {"n": 40, "days": 15, "population": {"burn_in_days": 10},
               "interventions": [{"kind": "probiotic", "end_day": 15, "strains": {s: 1e10 for s in order}}]}
        runs.append(probisim.simulate(cfg))
    a, b = runs
    np.testing.assert_array_equal(a.abundance.coords["taxon"], b.abundance.coords["taxon"])
    np.testing.assert_array_equal(a.abundance.values, b.abundance.values)
    np.testing.assert_array_equal(a.mood.values, b.mood.values)
