"""The synthetic-to-real exchange rate."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.scaling import Curve, fit_curve
from synscale.scaling.exchange import exchange_rate

SCALES = np.geomspace(1e5, 4e6, 6)


def test_exchange_rate_of_two_power_laws_has_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    real = fit_curve(
        Curve("real", SCALES, 8 * SCALES**-0.2 * np.exp(rng.normal(0, 0.01, 6))), "power"
    )
    syn = fit_curve(
        Curve("syn", SCALES, 9 * SCALES**-0.15 * np.exp(rng.normal(0, 0.01, 6))), "power"
    )
    D = np.array([1e5, 1e6])
    rate = exchange_rate(syn, real, D, n_draws=4000)
    # log D_syn = log D_I + (log L_syn(D_I) - log L_real(D)) / k_syn, from the fitted lines.
    log_l_real = np.log(real.predict(D).loss)
    expected = np.exp(syn.x0 + (-syn.params["perf_ref"] - log_l_real) / syn.k) / D
    assert rate.rate == pytest.approx(expected, rel=1e-6)
    assert np.all(rate.lower < rate.rate) and np.all(rate.rate < rate.upper)
    assert np.all(rate.rate[1] > rate.rate[0])  # synthetic data is worth less the more you have
    assert rate.rows()[0]["rate_ci"][0] == pytest.approx(rate.lower[0])


def test_a_synthetic_curve_that_levels_off_cannot_match_a_low_loss() -> None:
    real = fit_curve(Curve("real", SCALES, 0.05 + 50 * SCALES**-0.5), "saturating", n_boot=100)
    syn = fit_curve(Curve("syn", SCALES, 0.15 + 50 * SCALES**-0.5), "saturating", n_boot=100)
    rate = exchange_rate(syn, real, [1e5, 4e6], n_draws=500)
    # Real data reach 0.05 + 50 / sqrt(1e5) = 0.208; synthetic data at 50^2 / 0.058^2 = 7.4e5.
    assert rate.rate[0] == pytest.approx(
        (50 / (0.05 + 50 / np.sqrt(1e5) - 0.15)) ** 2 / 1e5, rel=1e-3
    )
    # Real data at 4e6 reach 0.075, below the synthetic floor of 0.15.
    assert np.isinf(rate.rate[1]) and rate.rows()[1]["rate"] is None
    assert rate.reachable[1] < 0.05
