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

from synscale.errors import FitError
from synscale.scaling.curves import Curve
from synscale.scaling.fit import fit_curve

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
