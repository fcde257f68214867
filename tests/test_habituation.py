"""Habituation of mood to the habitual vagal signal (Engine.habituate): latent
depression on the community scale, no drift after habituation, and a change of
the vagal signal still acts in full."""

from __future__ import annotations

import numpy as np

from probisim.calibrate.cohort import Cohort
from probisim.kernels import layout as K
from probisim.model.engine import HABITUATION_LEAD, habituation_day


def test_latent_depression_is_on_the_community_scale():
    c = Cohort("community", 3000, 11)
    M = c.pop.M
    sd = M.std(axis=0)
    # stress, anxiety and depression on one scale (before issue 11's habituation: 1.1, 1.1, 1.66)
    assert 0.9 < sd[K.M_DEPRESSION] < 1.3 and abs(sd[K.M_DEPRESSION] - sd[K.M_STRESS]) < 0.25
    assert abs(M[:, K.M_DEPRESSION].mean()) < 0.25
    r = np.corrcoef(M[:, K.M_DEPRESSION], c.pop.H[:, K.H_VAG])[0, 1]
    assert r > -0.6  # lifelong vagal differences no longer make the spread (was -0.9)


def test_no_drift_after_habituation():
    c = Cohort("community", 3000, 12)
    before = c.pop.M[:, K.M_DEPRESSION].mean()
    c.advance(56)
    after = c.pop.M[:, K.M_DEPRESSION].mean()
    assert abs(after - before) < 0.05


def test_habituation_shifts_setpoints_and_states_together():
    c = Cohort("community", 500, 13, burn_in_days=0)  # no burn-in: not habituated yet
    e = c.engine
    T0, M0 = c.pop.T.copy(), c.pop.M.copy()
    e.habituate()
    dT = c.pop.T[:, K.T_DSET] - T0[:, K.T_DSET]
    np.testing.assert_allclose(c.pop.M[:, K.M_DEPRESSION] - M0[:, K.M_DEPRESSION], dT)
    prm = c.model.PRM
    want = prm[K.P_D_VAG] * prm[K.P_VAG_HAB] * (c.pop.H[:, K.H_VAG] - 1.0) / prm[K.P_TH_D]
    np.testing.assert_allclose(dT, want)
    np.testing.assert_array_equal(c.pop.traits["depression_setpoint"], c.pop.T[:, K.T_DSET])


def test_habituation_day_precedes_every_recall_window():
    assert habituation_day(-60, 0) == -HABITUATION_LEAD and HABITUATION_LEAD > 30
    assert habituation_day(-10, 0) == -10
