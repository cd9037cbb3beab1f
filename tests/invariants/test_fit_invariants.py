"""Scaling-law fits recover the law that made the data, and behave as a law must under rescaling.

Eq. 2 of the paper, log L = -k (log D - log D_I) + log L_{D_I}: on noise-free points the fit
returns k and L_{D_I} exactly, for any k, L_{D_I}, D_I and scales; multiplying every loss by c
leaves k alone and multiplies L_{D_I} by c; moving D_I moves the intercept along the line; the
order of the points does not matter; with noise, the interval holds the estimate.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from synscale.errors import DataError, FitError
from synscale.scaling.curves import Curve
from synscale.scaling.fit import FitResult, fit_curve
from synscale.scaling.laws import LAWS, BrokenLaw, SaturatingLaw, loglog_regression

FAST = settings(max_examples=30, deadline=None, database=None)

ks = st.floats(0.02, 1.5)
losses = st.floats(0.05, 5.0)
scale_sets = st.lists(st.integers(10, 10**7), min_size=3, max_size=8, unique=True)


def power_curve(k: float, loss_ref: float, ref: float, scales: list[int], noise=None) -> Curve:
    D = np.asarray(sorted(scales), float)
    log_loss = -k * (np.log(D) - math.log(ref)) + math.log(loss_ref)
    if noise is not None:
        log_loss = log_loss + noise[: len(D)]
    return Curve("c", D, np.exp(log_loss))


@FAST
@given(ks, losses, st.integers(10, 10**6), scale_sets)
def test_the_power_law_is_recovered_exactly_from_its_own_points(k, loss_ref, ref, scales):
    fit = fit_curve(power_curve(k, loss_ref, ref, scales), ref_scale=ref)
    assert abs(fit.k - k) < 1e-6 and abs(fit.params["k"] - k) < 1e-6
    assert abs(fit.params["perf_ref"] + math.log(loss_ref)) < 1e-6  # perf_ref = -log L_{D_I}
    assert abs(float(fit.predict(ref).loss[0]) - loss_ref) < 1e-6 * loss_ref
    assert np.allclose(fit.predict(np.asarray(scales, float)).loss,
                       power_curve(k, loss_ref, ref, scales).loss[np.argsort(np.argsort(scales))])
    assert fit.sigma < 1e-6 and fit.dof == len(scales) - 2


@FAST
@given(ks, losses, st.floats(0.1, 10), scale_sets)
def test_rescaling_the_loss_keeps_k_and_scales_the_reference_loss(k, loss_ref, factor, scales):
    ref = 1000.0
    base = fit_curve(power_curve(k, loss_ref, ref, scales), ref_scale=ref)
    scaled = fit_curve(power_curve(k, loss_ref * factor, ref, scales), ref_scale=ref)
    assert abs(scaled.k - base.k) < 1e-6
    assert abs(-scaled.params["perf_ref"] - (-base.params["perf_ref"] + math.log(factor))) < 1e-6


@FAST
@given(ks, losses, st.integers(10, 10**6), st.integers(10, 10**6), scale_sets)
def test_moving_the_reference_scale_moves_the_intercept_along_the_line(k, loss_ref, ref, other, scales):
    curve = power_curve(k, loss_ref, ref, scales)
    a, b = fit_curve(curve, ref_scale=ref), fit_curve(curve, ref_scale=other)
    assert abs(a.k - b.k) < 1e-6
    # log L(other) = log L(ref) - k (log other - log ref)
    assert abs(-b.params["perf_ref"] - (-a.params["perf_ref"] - k * math.log(other / ref))) < 1e-6


@FAST
@given(ks, losses, scale_sets, st.integers(0, 2**32 - 1))
def test_noisy_fits_ignore_point_order_and_cover_their_estimate(k, loss_ref, scales, seed):
    rng = np.random.default_rng(seed)
    curve = power_curve(k, loss_ref, 1000.0, scales, noise=rng.normal(0, 0.05, 8))
    order = rng.permutation(len(curve.D))
    shuffled = Curve("c", curve.D[order], curve.loss[order])
    a, b = fit_curve(curve, ref_scale=1000.0), fit_curve(shuffled, ref_scale=1000.0)
    assert abs(a.k - b.k) < 1e-9 and abs(a.sigma - b.sigma) < 1e-9
    low, high = a.k_ci
    assert low <= a.k <= high
    # The least-squares line through the points, computed independently.
    slope, intercept = np.polyfit(np.log(curve.D) - math.log(1000.0), np.log(curve.loss), 1)
    assert abs(a.k + slope) < 1e-6 and abs(a.params["perf_ref"] + intercept) < 1e-6


@settings(max_examples=8, deadline=None, database=None)
@given(st.floats(0.2, 0.8), st.floats(0.05, 0.5), st.floats(0.5, 3.0))
def test_the_saturating_law_is_recovered_from_its_own_points(k, floor, excess):
    """L = E + A D^-k on 8 scales: the fit finds E, k and the excess at the reference again."""
    D = np.geomspace(100, 1e6, 8)
    ref = 1e4
    loss = floor + excess * (D / ref) ** -k
    fit = fit_curve(Curve("c", D, loss), law="saturating", ref_scale=ref, n_boot=0)
    assert abs(fit.k - k) < 1e-3 and abs(fit.params["E"] - floor) < 1e-3
    assert abs(fit.params["A"] * ref**-k - excess) < 1e-3 * excess


def _power_fit(dof: int):
    D = np.geomspace(100, 1e5, dof + 2)
    noise = np.random.default_rng(dof).normal(0, 0.05, len(D))
    return fit_curve(power_curve(0.4, 1.0, 1e3, list(D), noise), ref_scale=1e3)


def test_draws_of_an_exact_fit_follow_its_multivariate_t():
    """An exact (power-law) fit draws theta + z sqrt(dof / chi2): centred on the estimate, with
    the covariance of a t distribution, cov x dof / (dof - 2); the same seed, the same draws."""
    fit = _power_fit(dof=5)
    draws = fit.draws(40000, seed=3)
    assert draws.shape == (40000, 2)
    assert np.allclose(draws.mean(axis=0), fit.theta, atol=4 * np.sqrt(np.diag(fit.cov) * 5 / 3 / 40000))
    assert np.allclose(np.cov(draws.T), fit.cov * 5 / 3, rtol=0.1)
    assert np.array_equal(fit.draws(50, seed=3), fit.draws(50, seed=3))
    assert not np.array_equal(fit.draws(50, seed=3), fit.draws(50, seed=4))


def test_draws_of_a_bootstrapped_fit_are_its_replicates():
    """A fit with bootstrap replicates draws among them, every one of them (the first too),
    and needs at least two; the same seed, the same draws."""
    fit = dataclasses.replace(_power_fit(dof=4), cov=None)
    samples = np.arange(6.0).reshape(3, 2)
    boot = dataclasses.replace(fit, samples=samples)
    draws = boot.draws(300, seed=1)
    assert {tuple(d) for d in draws} == {tuple(s) for s in samples}
    assert np.array_equal(boot.draws(20, seed=1), boot.draws(20, seed=1))
    assert not np.array_equal(boot.draws(20, seed=1), boot.draws(20, seed=2))
    assert {tuple(d) for d in dataclasses.replace(fit, samples=samples[:2]).draws(100)} == {
        tuple(s) for s in samples[:2]}
    for few in (None, samples[:1]):
        with pytest.raises(FitError, match="carries no parameter uncertainty"):
            dataclasses.replace(fit, samples=few).draws(5)


# --- the laws themselves ----------------------------------------------------------------------
#
# Published parameters describe the same curve; starts and bounds are the ones each law
# documents. A fit recovers the law that made its points (above) even when a start is poor, because the optimizer runs from several starts; so a wrong start or box is caught here,
# on the law's own contract: the first start is the straight line through the points, the
# saturating law's other starts solve the linear part of the law exactly for their k, the broken
# law has a start whose two lines are the two segments of the data, and the box keeps the floor
# below the smallest loss and the break within the observed scales.

LAWS_FAST = settings(max_examples=25, deadline=None, database=None)
below_min = 1.0 - 1e-6


def centred(D: np.ndarray, x0: float) -> np.ndarray:
    return np.log(D) - x0


@LAWS_FAST
@given(st.floats(0.05, 1.5), st.floats(-2.0, 2.0), st.floats(0.0, 12.0))
def test_the_published_power_law_is_the_fitted_line(k, log_l_ref, x0):
    law = LAWS.create("power")
    D = np.geomspace(10, 1e6, 7)
    theta = np.array([k, log_l_ref])
    public = law.public(theta, x0)
    assert np.allclose(law.log_predict(theta, centred(D, x0)),
                       -public["k"] * (np.log(D) - x0) - public["perf_ref"])
    assert law.k(theta) == public["k"] == k


@LAWS_FAST
@given(st.floats(0.0, 0.5), st.floats(-2.0, 2.0), st.floats(0.05, 2.0), st.floats(0.0, 12.0))
def test_the_published_saturating_law_is_the_fitted_curve(E, log_a, k, x0):
    law = SaturatingLaw()
    D = np.geomspace(10, 1e6, 7)
    theta = np.array([E, log_a, k])
    p = law.public(theta, x0)
    assert np.allclose(np.exp(law.log_predict(theta, centred(D, x0))), p["E"] + p["A"] * D ** -p["k"])
    assert law.k(theta) == p["k"] == k


@LAWS_FAST
@given(st.floats(0.0, 0.5), st.floats(-1.0, 1.0), st.floats(-0.5, 0.5), st.floats(-0.5, 1.0),
       st.floats(-3.0, 3.0), st.floats(-3.0, 1.0), st.floats(0.0, 12.0))
def test_the_published_broken_law_is_the_fitted_curve(a, log_b, c0, c1, log_d1, log_f1, x0):
    law = BrokenLaw()
    D = np.geomspace(10, 1e6, 9)
    theta = np.array([a, log_b, c0, c1, log_d1, log_f1])
    p = law.public(theta, x0)
    expected = p["a"] + p["b"] * D ** -p["c0"] * (1 + (D / p["d1"]) ** (1 / p["f1"])) ** (-p["c1"] * p["f1"])
    assert np.allclose(np.exp(law.log_predict(theta, centred(D, x0))), expected, rtol=1e-9)
    assert p["k_after_break"] == c0 + c1 and law.k(theta) == p["c0"] == c0


scales = st.lists(st.floats(1.0, 14.0), min_size=5, max_size=12, unique=True)


@LAWS_FAST
@given(scales, st.floats(0.05, 1.5), st.floats(-1.0, 1.0), st.sampled_from(["power", "saturating", "broken"]))
def test_the_first_start_is_the_straight_line_through_the_points(logD, k, intercept, name):
    law = LAWS.create(name)
    x = np.array(logD) - np.mean(logD)
    y = intercept - k * x + 0.01 * np.sin(7 * x)  # near a line, not on one
    slope, icept = loglog_regression(x, y)
    first = law.guess(x, y)[0]
    line = {"power": [-slope, icept],
            "saturating": [0.0, icept, -slope],
            "broken": [0.0, icept, -slope, 0.0, float(np.median(x)), 0.0]}[name]
    assert np.allclose(first, line, rtol=1e-12, atol=1e-12)


@LAWS_FAST
@given(st.integers(25, 47), st.floats(0.0, 0.9), st.floats(0.2, 3.0), st.floats(1.0, 3.0))
def test_saturating_starts_solve_the_linear_part_exactly_for_their_k(j, floor_share, a_ref, spread):
    """For a k of the start grid the law is linear in (E, A_ref): on points of such a law, the best
    start is the law itself (whatever the weights, an exact fit is exact), and the starts are
    ordered from the best."""
    law = SaturatingLaw()
    k = np.geomspace(0.01, 3.0, 48)[j]
    x = np.linspace(-spread, spread, 8)
    excess = a_ref * np.exp(-k * x)
    E = floor_share * excess.min()  # a floor below the smallest loss, as the box requires
    y = np.log(E + excess)
    starts = law.guess(x, y)
    assert starts.shape == (4, 3)
    assert np.allclose(starts[1], [E, np.log(a_ref), k], rtol=1e-6, atol=1e-9)
    cost = [np.sum((law.log_predict(s, x) - y) ** 2) for s in starts[1:]]
    assert cost == sorted(cost)


@LAWS_FAST
@given(st.integers(6, 14), st.floats(0.0, 0.5), st.floats(0.1, 1.0), st.floats(-1.0, 1.0),
       st.booleans(), st.randoms(use_true_random=False))
def test_a_broken_start_puts_its_two_lines_on_the_two_segments(n, c0, c1, log_b, early, rnd):
    """Points on two straight segments (a sharp break at a point): among the broken law's starts
    is one whose lines are the two segments, with its break next to the true one; the points may
    come in any order."""
    x = np.linspace(-2.0, 2.0, n)
    at = x[1] if early else x[n - 3]  # breaks next to the first and the last place tried
    y = log_b - c0 * x - c1 * np.maximum(x - at, 0.0)
    order = list(range(n))
    rnd.shuffle(order)
    starts = BrokenLaw().guess(x[order], y[order])
    lines = starts[:, :4]
    match = np.all(np.isclose(lines, [0.0, log_b, c0, c1], atol=1e-9), axis=1)
    assert match.sum() == 2  # a narrow and a wide bend
    after = x[x > at].min()
    assert np.allclose(starts[match, 4], 0.5 * (at + after))
    width = x[-1] - x[0]
    assert np.allclose(np.sort(np.exp(starts[match, 5])), [0.02 * width, 0.2 * width])
    assert np.all(np.exp(starts[:, 5]) >= 1e-3) and np.all(np.exp(starts[:, 5]) <= 10.0)


@LAWS_FAST
@given(st.lists(st.floats(-3.0, 3.0), min_size=8, max_size=8), st.floats(-3.0, 3.0))
def test_the_box_keeps_the_floor_below_each_replicates_smallest_loss(row, shift):
    """``y`` may hold a row per bootstrap replicate: each row gets its own upper bound on the floor."""
    x = np.linspace(-1.5, 2.5, 8)
    y = np.array([row, np.array(row) + shift])
    for law, floor in ((SaturatingLaw(), 0), (BrokenLaw(), 0)):
        lo, hi = law.bounds(x, y)
        assert lo.shape == hi.shape == (2, law.n_params)
        assert np.allclose(hi[:, floor], np.exp(y.min(axis=1)) * below_min)
        assert np.all(hi[:, floor] < np.exp(y.min(axis=1)))  # strictly below
        assert np.all(lo[:, floor] == 0.0)
    lo, hi = SaturatingLaw().bounds(x, y)
    assert np.all(lo[:, 1:] == [-60.0, 0.0]) and np.all(hi[:, 1:] == [60.0, SaturatingLaw.k_max])
    lo, hi = BrokenLaw().bounds(x, y)
    assert np.all(lo[:, 1:] == [-60.0, -10.0, -10.0, x.min(), np.log(1e-3)])
    assert np.all(hi[:, 1:] == [60.0, 10.0, 10.0, x.max(), np.log(10.0)])
    lo, hi = LAWS.create("power").bounds(x, y)
    assert np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)) and lo.shape == (2, 2)


def test_the_broken_law_tries_its_break_at_every_interior_place_up_to_ten():
    """One start per bend width at each place between interior points, at most 10 places; the
    bend width stays within its range however wide the scales are."""
    for n in range(6, 17):
        x = np.linspace(0.0, 100.0, n)
        starts = BrokenLaw().guess(x, -0.3 * x)
        assert len(starts) == 1 + 2 * min(n - 3, 10), n
        assert len(np.unique(starts[1:, 4])) == min(n - 3, 10)
        assert np.all(np.exp(starts[:, 5]) <= 10.0 * (1 + 1e-12))
        assert np.any(np.isclose(np.exp(starts[:, 5]), 10.0))  # 0.2 x 100 = 20, clipped to 10


def test_a_prediction_keeps_its_level_and_refuses_scales_that_are_not_positive():
    fit = _power_fit(dof=4)
    assert fit.predict([1e3], level=0.8).level == 0.8 and fit.predict([1e3]).level == fit.level
    narrow, wide = fit.predict([1e3], level=0.5), fit.predict([1e3], level=0.99)
    assert wide.lower[0] < narrow.lower[0] < narrow.loss[0] < narrow.upper[0] < wide.upper[0]
    for bad in (0.0, -5.0, float("nan"), float("inf")):
        with pytest.raises(DataError, match="positive finite"):
            fit.predict([1e3, bad])
    # With two bootstrap replicates (and no covariance) the spread comes from the replicates.
    two = dataclasses.replace(fit, cov=None, samples=np.array([fit.theta, fit.theta + [0.1, 0.0]]))
    none = dataclasses.replace(fit, cov=None, samples=None)
    assert two.predict([1e5]).upper[0] > none.predict([1e5]).upper[0]


# --- intervals and predictions against independent computations --------------------------------


def _by_hand_line(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Ordinary least squares of y on (1, x) by the normal equations: (intercept, slope), their
    covariance, the residual variance and the degrees of freedom."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.linalg.solve(design.T @ design, design.T @ y)
    dof = len(y) - 2
    s2 = float(np.sum((y - design @ beta) ** 2)) / dof
    return beta, s2 * np.linalg.inv(design.T @ design), s2, dof


@settings(max_examples=15, deadline=None, database=None)
@given(ks, losses, scale_sets, st.integers(0, 2**32 - 1), st.sampled_from([0.8, 0.95]))
def test_a_power_fit_has_the_exact_intervals_and_predictions_of_least_squares(k, loss_ref, scales, seed, level):
    """Eq. 2 is a line in log-log: its parameters' t-intervals (k and perf_ref = -log L_{D_I}) and
    the prediction interval of a new run, t sqrt(s^2 + g' cov g), are the textbook ones; any
    positive scale, below one too, can be predicted at, and the prediction says where it is."""
    noise = np.random.default_rng(seed).normal(0, 0.05, 8)
    curve = power_curve(k, loss_ref, 1000.0, scales, noise)
    fit = fit_curve(curve, ref_scale=1000.0, level=level)
    x, y = np.log(curve.D) - math.log(1000.0), np.log(curve.loss)
    (intercept, slope), cov, s2, dof = _by_hand_line(x, y)
    t = stats.t.ppf(0.5 + level / 2, dof)
    se_intercept, se_slope = np.sqrt(np.diag(cov))
    assert fit.stderr == pytest.approx({"k": se_slope, "perf_ref": se_intercept}, rel=1e-6)
    assert fit.ci["k"] == pytest.approx((-slope - t * se_slope, -slope + t * se_slope), rel=1e-6, abs=1e-9)
    assert fit.ci["perf_ref"] == pytest.approx(
        (-intercept - t * se_intercept, -intercept + t * se_intercept), rel=1e-6, abs=1e-9)
    assert fit.k_ci == pytest.approx(fit.ci["k"], rel=1e-12, abs=1e-12)
    assert fit.converged is True and isinstance(fit.message, str) and fit.message
    at = np.array([0.5, 1.0, 1e3, 3e8])
    prediction = fit.predict(at)
    assert np.array_equal(prediction.D, at)
    g = np.column_stack([np.ones(len(at)), np.log(at) - math.log(1000.0)])
    mean = g @ [intercept, slope]
    half = t * np.sqrt(s2 + np.einsum("np,pq,nq->n", g, cov, g))
    assert np.allclose(np.log(prediction.loss), mean, atol=1e-9)
    assert np.allclose(np.log(prediction.lower), mean - half, atol=1e-6)
    assert np.allclose(np.log(prediction.upper), mean + half, atol=1e-6)


def test_a_prediction_from_replicates_spreads_as_their_sample_variance():
    """Without a covariance, the prediction interval of a new run is t sqrt(s^2 + var), var the
    sample variance (n - 1) of the replicates' predicted log L; a single replicate has no spread,
    and predicts as a fit without replicates."""
    fit = _power_fit(dof=4)
    samples = fit.theta + np.random.default_rng(7).normal(0, 0.1, (5, 2))
    boot = dataclasses.replace(fit, cov=None, samples=samples)
    at = np.array([10.0, 1e3, 1e6])
    x = np.log(at) - fit.x0
    replicate_logs = samples[:, 1:2] - samples[:, 0:1] * x  # each replicate's line
    var = np.var(replicate_logs, axis=0, ddof=1)
    mean = fit.theta[1] - fit.theta[0] * x
    half = stats.t.ppf(0.5 + fit.level / 2, fit.dof) * np.sqrt(var + fit.sigma**2)
    prediction = boot.predict(at)
    assert np.allclose(np.log(prediction.lower), mean - half, atol=1e-9)
    assert np.allclose(np.log(prediction.upper), mean + half, atol=1e-9)
    alone = dataclasses.replace(fit, cov=None, samples=samples[:1]).predict(at)
    none = dataclasses.replace(fit, cov=None, samples=None).predict(at)
    sigma_only = stats.t.ppf(0.5 + fit.level / 2, fit.dof) * fit.sigma
    for made in (alone, none):
        assert np.allclose(np.log(made.upper), mean + sigma_only, atol=1e-9)
        assert np.allclose(np.log(made.lower), mean - sigma_only, atol=1e-9)


def _saturating_curve() -> Curve:
    D = np.geomspace(100, 1e6, 8)
    noise = np.random.default_rng(1).normal(0, 0.03, len(D))
    return Curve("c", D, (0.1 + 2 * (D / 1e4) ** -0.4) * np.exp(noise))


@pytest.mark.parametrize("n_boot", [2, 40])
def test_bootstrap_errors_and_intervals_are_those_of_the_replicates(n_boot):
    """A bootstrapped fit keeps its replicates (two are enough) and reports, for each published
    parameter, their sample standard deviation (n - 1) and their percentile interval; k's
    interval is its profile likelihood interval."""
    level = 0.9
    fit = fit_curve(_saturating_curve(), law="saturating", level=level, n_boot=n_boot, seed=0)
    assert fit.samples is not None and len(fit.samples) == n_boot  # on these points every refit converges
    public = SaturatingLaw().public(fit.samples, fit.x0)
    assert fit.stderr.keys() == public.keys() == {"E", "A", "k"}
    for name, values in public.items():
        assert fit.stderr[name] == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    for name in ("E", "A"):
        assert fit.ci[name] == pytest.approx((np.percentile(public[name], 5), np.percentile(public[name], 95)),
                                             rel=1e-9)
    assert fit.ci["k"] == fit.k_ci and fit.k_ci[0] < fit.k < fit.k_ci[1]
    assert isinstance(fit.message, str) and fit.message.startswith("converged")


def test_a_fit_without_bootstrap_runs_no_refit_and_saves(monkeypatch, tmp_path):
    """n_boot = 0 asks for no bootstrap: no refit is run, the fit carries no replicates (draws
    refuse), says in words how its intervals were made, and can be saved and loaded again."""
    def no_refit(*args, **kwargs):
        raise AssertionError("bootstrap ran with n_boot = 0")

    monkeypatch.setattr("synscale.scaling.fit.bootstrap", no_refit)
    fit = fit_curve(_saturating_curve(), law="saturating", n_boot=0)
    assert fit.samples is None and fit.stderr == {} and fit.ci.keys() == {"k"}
    assert all(isinstance(m, str) and m for m in fit.methods.values())
    with pytest.raises(FitError, match="carries no parameter uncertainty"):
        fit.draws(3)
    fit.save(tmp_path / "fit.json")
    again = FitResult.load(tmp_path / "fit.json")
    assert again.samples is None and again.to_dict() == fit.to_dict()


@pytest.mark.parametrize("case", ["sloped", "flat"])
def test_a_law_whose_k_is_minus_its_parameter_mirrors_that_parameters_interval(case):
    """M4 publishes c = -k: the interval of k is the interval of c mirrored (its ends swapped
    and negated), and a side of c's interval left open (None) stays open on k's mirrored side."""
    D = np.geomspace(100, 1e5, 8)
    noise = np.random.default_rng(0).normal(0, 0.05, len(D))
    loss = (0.1 + 2 * (D / 1e3) ** -0.4 if case == "sloped" else np.ones_like(D)) * np.exp(noise)
    fit = fit_curve(Curve("c", D, loss), law="m4", n_boot=0)
    low, high = fit.ci["c"]
    assert fit.k_ci == (None if high is None else -high, None if low is None else -low)
    assert fit.k == -fit.params["c"]
    if case == "flat":  # k = 0 (the law's bound) stays plausible: no lower end
        assert fit.k_ci[0] is None and fit.k_ci[1] > fit.k
    else:
        assert fit.k_ci[0] < fit.k < fit.k_ci[1]


@LAWS_FAST
@given(st.lists(st.integers(-60, 60), min_size=5, max_size=11, unique=True),
       st.lists(st.floats(-3.0, 3.0), min_size=11, max_size=11),
       st.sampled_from([-15.0, 15.0]) | st.floats(-15.0, 15.0))
def test_every_saturating_start_lies_in_the_box(log_scales, noise, slope):
    """The saturating law's starts lie in its box, for any points (rising, flat or steeper than
    k_max): k in [0, k_max], the floor E in [0, just below the smallest loss]; so the cost that
    ranks the starts is the cost of the point the optimizer starts from."""
    x = np.sort(np.array(log_scales)) / 10
    y = slope * x + np.array(noise[: len(x)])
    law = SaturatingLaw()
    starts = law.guess(x, y)
    lo, hi = law.bounds(x, y)
    assert np.all((starts >= lo) & (starts <= hi))


@LAWS_FAST
@given(st.floats(0.2, 0.8), st.floats(0.05, 0.5), st.integers(0, 2**32 - 1))
def test_saturating_starts_minimise_the_relative_error_of_the_loss_for_their_k(k, floor, seed):
    """For a fixed k the saturating law is linear in (E, A_ref); a start's (E, A_ref) is the
    least-squares solution of (E + A_ref e^{-k x} - L) / L (the error in log L, linearised),
    computed here by hand, whenever that solution lies in the box."""
    x = np.linspace(-2.0, 2.0, 8)
    loss = (floor + np.exp(-k * x)) * np.exp(np.random.default_rng(seed).normal(0, 0.05, len(x)))
    starts = SaturatingLaw().guess(x, np.log(loss))
    compared = 0
    for E, log_a, start_k in starts[1:]:
        design = np.column_stack([np.ones_like(x), np.exp(-start_k * x)]) / loss[:, None]
        (E_hand, a_hand), *_ = np.linalg.lstsq(design, np.ones_like(x), rcond=None)
        if 0 < E_hand < loss.min() * below_min and a_hand > 0:
            assert E == pytest.approx(E_hand, rel=1e-6, abs=1e-9)
            assert log_a == pytest.approx(np.log(a_hand), rel=1e-6, abs=1e-9)
            compared += 1
    assert compared > 0


def test_a_power_point_estimate_is_the_least_squares_line():
    """``point_estimate`` (also used by the extrapolation benchmark) solves the power law in
    closed form: the least-squares line, and half its residual sum of squares as the cost."""
    from synscale.scaling.fit import point_estimate

    x = np.linspace(-2.0, 2.0, 7)
    y = 0.3 - 0.4 * x + np.random.default_rng(2).normal(0, 0.05, len(x))
    slope, intercept = np.polyfit(x, y, 1)
    estimate = point_estimate(LAWS.create("power"), x, y)
    assert np.allclose(estimate.theta, [-slope, intercept], atol=1e-12)
    assert estimate.cost == pytest.approx(0.5 * np.sum((intercept + slope * x - y) ** 2), rel=1e-9)
    assert estimate.converged


def test_the_fit_message_names_exactly_the_parameters_left_at_a_bound():
    """A saturating fit of a pure power law pins its floor E at 0 and says so; a fit with a
    floor well inside its box names no bound (and was polished to convergence)."""
    D = np.geomspace(100, 1e6, 8)
    pinned = fit_curve(Curve("c", D, 2 * (D / 1e4) ** -0.4), law="saturating", n_boot=0)
    assert pinned.params["E"] < 1e-9 and "E at its lower bound 0" in pinned.message
    for scale in (1.0, 0.2):  # an excess loss at D_I above and below 1 (log A_ref > 0, < 0)
        curve = _saturating_curve()
        inside = fit_curve(Curve("c", curve.D, scale * curve.loss), law="saturating", n_boot=0)
        assert inside.message == "converged", inside.message


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_a_confidence_level_outside_zero_one_is_refused_and_named(level):
    curve = power_curve(0.3, 1.0, 1000.0, [100, 1000, 10000, 100000])
    with pytest.raises(FitError, match=f"{level:g}"):
        fit_curve(curve, level=level)


def test_saturating_point_estimate_polish_keeps_the_lower_cost_and_reports_it():
    from synscale.scaling.fit import point_estimate

    rng = np.random.default_rng(3)
    D = np.geomspace(100, 1e6, 9)
    y = np.log(0.3 + 2.0 * D**-0.4) + rng.normal(0, 0.03, 9)
    model, x = SaturatingLaw(), np.log(D)
    batch, polished = point_estimate(model, x, y, refine=False), point_estimate(model, x, y)
    assert batch.message.startswith("batched") and isinstance(batch.converged, bool)
    assert polished.cost <= batch.cost and polished.message.startswith(("converged", "not"))
    assert polished.converged is (polished.message.split(";")[0] == "converged")
