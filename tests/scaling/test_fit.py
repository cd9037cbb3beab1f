"""FitResult: exact intervals of the power law, bootstraps, prediction intervals, save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from synscale.errors import DataError, FitError
from synscale.scaling import Curve, FitResult, fit_curve

D = np.array([1e3, 2e3, 4e3, 8e3, 16e3, 32e3])


def noisy(law, seed: int, sd: float = 0.02, d: np.ndarray = D) -> np.ndarray:
    return law(d) * np.exp(np.random.default_rng(seed).normal(0, sd, len(d)))


def test_power_law_intervals_match_textbook_regression() -> None:
    loss = noisy(lambda d: 4 * d**-0.3, seed=1)
    fit = fit_curve(Curve("p", D, loss), "power", ref_scale=4e3)
    x, y = np.log(D) - np.log(4e3), np.log(loss)
    reg = stats.linregress(x, y)
    t = stats.t.ppf(0.975, len(D) - 2)
    assert fit.k == pytest.approx(-reg.slope)
    assert fit.stderr["k"] == pytest.approx(reg.stderr)
    assert fit.k_ci == pytest.approx((-reg.slope - t * reg.stderr, -reg.slope + t * reg.stderr))
    assert fit.params["perf_ref"] == pytest.approx(-reg.intercept)
    assert fit.stderr["perf_ref"] == pytest.approx(reg.intercept_stderr)
    # Prediction interval of a new run at a new scale: t * s * sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx).
    x_new = np.log(1e5) - np.log(4e3)
    s = np.sqrt(np.sum((y - reg.intercept - reg.slope * x) ** 2) / (len(D) - 2))
    half = t * s * np.sqrt(1 + 1 / len(D) + (x_new - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
    pred = fit.predict(1e5)
    assert np.log(pred.upper[0]) - np.log(pred.loss[0]) == pytest.approx(half)
    assert np.log(pred.loss[0]) - np.log(pred.lower[0]) == pytest.approx(half)


def test_saturating_fit_reports_bootstrap_and_profile_intervals() -> None:
    loss = noisy(lambda d: 0.3 + 20 * d**-0.5, seed=3)
    fit = fit_curve(Curve("s", D, loss), "saturating", n_boot=300, seed=0)
    assert fit.converged
    assert fit.samples.shape == (300, 3)
    assert "bootstrap over residuals" in fit.methods["ci"]
    assert fit.ci["k"] == fit.k_ci and fit.k_ci[0] < fit.k < fit.k_ci[1]
    for name in ("E", "A"):
        assert fit.ci[name][0] <= fit.params[name] <= fit.ci[name][1]
        assert fit.stderr[name] > 0
    pred = fit.predict([1e3, 1e6])
    assert np.all(pred.lower < pred.loss) and np.all(pred.loss < pred.upper)
    # Far beyond the data the interval is wider than at the data.
    assert np.log(pred.upper[1] / pred.lower[1]) > np.log(pred.upper[0] / pred.lower[0])


def test_seeds_are_bootstrapped_within_each_scale() -> None:
    d = np.repeat(D, 3)
    loss = noisy(lambda s: 0.3 + 20 * s**-0.5, seed=4, d=d)
    fit = fit_curve(Curve("s", d, loss, seed=np.tile([0, 1, 2], len(D))), "saturating", n_boot=200)
    assert "runs within each scale" in fit.methods["ci"]
    assert fit.n_scales == len(D) and len(fit.D) == 3 * len(D)


def test_same_inputs_give_the_same_fit() -> None:
    curve = Curve("s", D, noisy(lambda d: 0.3 + 20 * d**-0.5, seed=5))
    a, b = (fit_curve(curve, "saturating", n_boot=100, seed=7) for _ in range(2))
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


@pytest.mark.parametrize("law", ["power", "saturating"])
def test_save_and_load_round_trip(tmp_path, law: str) -> None:
    fit = fit_curve(Curve("c", D, noisy(lambda d: 0.3 + 20 * d**-0.5, seed=6)), law, n_boot=50)
    fit.save(tmp_path / "fit.json")
    loaded = FitResult.load(tmp_path / "fit.json")
    assert loaded.to_dict() == fit.to_dict()
    assert np.allclose(loaded.predict([5e4]).upper, fit.predict([5e4]).upper)
    assert law in loaded.report() and "Scaling ability" in loaded.report()


def test_load_rejects_a_file_that_is_not_a_fit(tmp_path) -> None:
    (tmp_path / "x.json").write_text('{"curve": "a"}')
    with pytest.raises(DataError, match="not a saved fit result"):
        FitResult.load(tmp_path / "x.json")


def test_too_few_scales_says_how_many_are_needed() -> None:
    with pytest.raises(
        FitError, match="has 3 distinct scales; the saturating law .* needs at least 4"
    ):
        fit_curve(Curve("c", D[:3], np.array([1.0, 0.8, 0.7])), "saturating")
    with pytest.raises(FitError, match="reference scale must be a positive number"):
        fit_curve(Curve("c", D, np.linspace(1, 0.5, len(D))), "power", ref_scale=0.0)


def test_draws_without_uncertainty_is_an_error() -> None:
    fit = fit_curve(
        Curve("c", D, noisy(lambda d: 0.3 + 20 * d**-0.5, seed=8)), "saturating", n_boot=0
    )
    with pytest.raises(FitError, match="no parameter uncertainty"):
        fit.draws(10)


def test_curves_built_in_python_are_checked_too() -> None:
    with pytest.raises(DataError, match="every loss must be a positive finite number"):
        Curve("c", D, np.array([1.0, np.nan, 0.5, 0.4, 0.3, 0.2]))
    with pytest.raises(DataError, match="same length"):
        Curve("c", D, np.array([1.0, 0.5]))
