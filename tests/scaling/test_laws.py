"""Each law recovers known parameters; the power law reproduces the paper's Table 1 slopes."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.errors import UnknownNameError
from synscale.scaling import LAWS, Curve, fit_curve
from synscale.scaling.laws import loglog_regression

from .conftest import TABLE1_REAL, TABLE1_SCALES, TABLE1_SYN


@pytest.mark.parametrize(("accuracy", "slope"), [(TABLE1_SYN, -0.0974), (TABLE1_REAL, -0.1652)])
def test_power_law_gives_the_table1_clip_slopes(accuracy: list[float], slope: float) -> None:
    loss = 100.0 - np.array(accuracy)
    fit = fit_curve(Curve("clip", np.array(TABLE1_SCALES), loss), "power", ref_scale=1.3e6)
    assert -fit.k == pytest.approx(slope, abs=1e-3)
    assert fit.k_ci[0] < fit.k < fit.k_ci[1]
    # perf_ref is -log L at D_I: the fitted line evaluated at 1.3M.
    assert fit.params["perf_ref"] == pytest.approx(-float(np.log(fit.predict(1.3e6).loss[0])))


def test_registry_lists_the_laws_and_rejects_unknown_ones() -> None:
    assert {"power", "saturating", "broken", "m4"} <= set(LAWS.names())
    with pytest.raises(UnknownNameError, match="valid choices: broken, m4, power, saturating"):
        LAWS.create("exponential")


SCALES = np.geomspace(1e3, 1e6, 10)


def test_saturating_recovers_known_parameters() -> None:
    loss = 0.4 + 50.0 * SCALES**-0.45
    fit = fit_curve(Curve("sat", SCALES, loss), "saturating", n_boot=0)
    assert fit.converged
    assert fit.params["E"] == pytest.approx(0.4, rel=1e-4)
    assert fit.params["A"] == pytest.approx(50.0, rel=1e-3)
    assert fit.k == pytest.approx(0.45, rel=1e-4)


def test_broken_recovers_a_known_break() -> None:
    a, b, c0, c1, d1, f1 = 0.05, 3.0, 0.05, 0.6, 3e4, 0.3
    loss = a + b * SCALES**-c0 * (1 + (SCALES / d1) ** (1 / f1)) ** (-c1 * f1)
    fit = fit_curve(Curve("bnsl", SCALES, loss), "broken", n_boot=0)
    assert fit.params["d1"] == pytest.approx(d1, rel=0.02)
    assert fit.k == pytest.approx(c0, abs=0.01)
    assert fit.params["k_after_break"] == pytest.approx(c0 + c1, abs=0.02)
    assert fit.summary()["break_D"] == fit.params["d1"]


def test_m4_solves_its_implicit_law() -> None:
    E_inf, E_0, alpha, beta, c = 0.2, 2.0, 0.7, 40.0, -0.4
    m4 = LAWS.create("m4")
    theta = np.array([E_inf, E_0, alpha, np.log(beta), c])  # centred on x0 = 0
    loss = np.exp(m4.log_predict(theta, np.log(SCALES)))
    assert np.allclose((loss - E_inf) / (E_0 - loss) ** alpha, beta * SCALES**c, rtol=1e-9)
    fit = fit_curve(Curve("m4", SCALES, loss), "m4", n_boot=0)
    assert np.allclose(fit.predict(SCALES).loss, loss, rtol=1e-4)


@pytest.mark.parametrize("name", ["power", "saturating", "broken", "m4"])
def test_guesses_start_inside_the_bounds(name: str) -> None:
    law = LAWS.create(name)
    x = np.log(SCALES) - np.log(SCALES).mean()
    y = np.log(0.3 + 20 * SCALES**-0.4)
    starts = law.guess(x, y)
    lo, hi = law.bounds(x, y)
    assert starts.shape[1] == law.n_params
    assert np.all((starts >= lo) & (starts <= hi))
    slope, _ = loglog_regression(x, y)
    assert slope < 0
