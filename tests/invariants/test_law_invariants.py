"""The laws themselves: published parameters describe the same curve, starts and bounds are the
ones each law documents.

A fit recovers the law that made its points (``test_fit_invariants.py``) even when a start is
poor, because the optimizer runs from several starts; so a wrong start or box is caught here,
on the law's own contract: the first start is the straight line through the points, the
saturating law's other starts solve the linear part of the law exactly for their k, the broken
law has a start whose two lines are the two segments of the data, and the box keeps the floor
below the smallest loss and the break within the observed scales.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synscale.scaling.laws import LAWS, BrokenLaw, SaturatingLaw, loglog_regression

FAST = settings(max_examples=25, deadline=None, database=None)
below_min = 1.0 - 1e-6


def centred(D: np.ndarray, x0: float) -> np.ndarray:
    return np.log(D) - x0


@FAST
@given(st.floats(0.05, 1.5), st.floats(-2.0, 2.0), st.floats(0.0, 12.0))
def test_the_published_power_law_is_the_fitted_line(k, log_l_ref, x0):
    law = LAWS.create("power")
    D = np.geomspace(10, 1e6, 7)
    theta = np.array([k, log_l_ref])
    public = law.public(theta, x0)
    assert np.allclose(law.log_predict(theta, centred(D, x0)),
                       -public["k"] * (np.log(D) - x0) - public["perf_ref"])
    assert law.k(theta) == public["k"] == k


@FAST
@given(st.floats(0.0, 0.5), st.floats(-2.0, 2.0), st.floats(0.05, 2.0), st.floats(0.0, 12.0))
def test_the_published_saturating_law_is_the_fitted_curve(E, log_a, k, x0):
    law = SaturatingLaw()
    D = np.geomspace(10, 1e6, 7)
    theta = np.array([E, log_a, k])
    p = law.public(theta, x0)
    assert np.allclose(np.exp(law.log_predict(theta, centred(D, x0))), p["E"] + p["A"] * D ** -p["k"])
    assert law.k(theta) == p["k"] == k


@FAST
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


@FAST
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


@FAST
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


@FAST
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


@FAST
@given(st.lists(st.floats(-3.0, 3.0), min_size=8, max_size=8), st.floats(-3.0, 3.0))
def test_the_box_keeps_the_floor_below_each_replicates_smallest_loss(row, shift):
    """``y`` may hold a row per bootstrap replicate: each row gets its own upper bound on the floor."""
    x = np.linspace(-1.5, 2.5, 8)
    y = np.array([row, np.array(row) + shift])
    for law, floor in ((SaturatingLaw(), 0), (BrokenLaw(), 0)):
        lo, hi = law.bounds(x, y)
        assert lo.shape == hi.shape == (2, law.n_params)
        assert np.allclose(hi[:, floor], np.exp(y.min(axis=1)) * below_min)
        assert np.all(lo[:, floor] == 0.0)
    lo, hi = SaturatingLaw().bounds(x, y)
    assert np.all(lo[:, 1:] == [-60.0, 0.0]) and np.all(hi[:, 1:] == [60.0, SaturatingLaw.k_max])
    lo, hi = BrokenLaw().bounds(x, y)
    assert np.all(lo[:, 1:] == [-60.0, -10.0, -10.0, x.min(), np.log(1e-3)])
    assert np.all(hi[:, 1:] == [60.0, 10.0, 10.0, x.max(), np.log(10.0)])
    lo, hi = LAWS.create("power").bounds(x, y)
    assert np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)) and lo.shape == (2, 2)
