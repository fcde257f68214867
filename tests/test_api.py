"""The package-level API a notebook user reaches for first."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import probisim


def test_package_exports_the_api():
    for name in probisim.__all__:
        assert getattr(probisim, name) is not None
    assert "simulate" in dir(probisim)
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        probisim.simulat  # noqa: B018


def test_simulate_records_the_last_day_and_restores_threads():
    before = numba.get_num_threads()
    res = probisim.simulate({"n": 12, "days": 10, "record_every": 3, "population": {"burn_in_days": 2}},
                            threads=1)
    assert numba.get_num_threads() == before
    np.testing.assert_array_equal(res.mood.coords["day"], [0, 3, 6, 9, 10])
    assert res.abundance.values.shape == (12, 5, res.abundance.values.shape[2])
    # the recorded states are the engine's: day 10 differs from day 9
    assert not np.array_equal(res.mood.values[:, -1], res.mood.values[:, -2])
