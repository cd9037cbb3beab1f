"""Honest intervals: the 95% interval of k covers the true k in 90-98% of 200 simulated curves."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.scaling import Curve, fit_curve

SCALES = 2.0 ** np.arange(7) * 1e3
CASES = {
    # law: (true curve, true k, noise sd of log L)
    "power": (lambda d: 5.0 * d**-0.3, 0.3, 0.03),
    "saturating": (lambda d: 0.2 + 30.0 * d**-0.5, 0.5, 0.02),
}


@pytest.mark.parametrize("law", sorted(CASES))
def test_k_interval_covers_the_truth_at_its_level(law: str) -> None:
    curve_of, true_k, sd = CASES[law]
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(200):
        loss = curve_of(SCALES) * np.exp(rng.normal(0.0, sd, len(SCALES)))
        lo, hi = fit_curve(Curve(law, SCALES, loss), law, n_boot=0).k_ci
        covered += (lo is None or lo <= true_k) and (hi is None or true_k <= hi)
    assert 0.90 <= covered / 200 <= 0.98
