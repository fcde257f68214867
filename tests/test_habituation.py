"""Habituation of mood to the habitual vagal signal (Engine.habituate): latent
depression on the community scale, no drift after habituation, and a change of
the vagal signal still acts in full."""

from __future__ import annotations

import numpy as np

from probisim.calibrate.cohort import Cohort
from probisim.kernels import layout as K
from probisim.model.engine import HABITUATION_LEAD, Engine, habituation_day


def test_habituation_takes_the_lifelong_vagal_spread_out_of_depression(monkeypatch):
    """The same people burned in with and without habituation: without it their
    lifelong vagal differences make most of the spread of latent depression (SD
    about 2.2, correlation with V about -0.8, community adults, seed 11); with it
    the spread is nearer the other latents' and the correlation weaker."""
    def latent(c):
        M = c.pop.M
        return M.std(axis=0), M[:, K.M_DEPRESSION].mean(), np.corrcoef(M[:, K.M_DEPRESSION], c.pop.H[:, K.H_VAG])[0, 1]

    sd, mean, r = latent(Cohort("community", 3000, 11))
    with monkeypatch.context() as m:
        m.setattr(Engine, "habituate", lambda self: None)
        sd0, mean0, r0 = latent(Cohort("community", 3000, 11))
    assert sd0[K.M_DEPRESSION] > 1.9 and r0 < -0.7
    assert sd[K.M_DEPRESSION] < sd0[K.M_DEPRESSION] - 0.5 and sd[K.M_DEPRESSION] - sd[K.M_STRESS] < 0.45
    assert -0.5 < r < -0.25  # the 30% not habituated, and changes of V, still act
    assert abs(mean) < 0.25
    # stress and anxiety, coupled weakly to V, barely move
    assert abs(sd[K.M_STRESS] - sd0[K.M_STRESS]) < 0.05 and abs(sd[K.M_ANXIETY] - sd0[K.M_ANXIETY]) < 0.1


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
