"""Where the power law holds and where it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.errors import FitError
from synscale.scaling import Curve
from synscale.scaling.breaks import estimate_noise, power_law_range

# The paper's supervised sweep: 0.125M to 64M images, doubling.
SCALES = 0.125e6 * 2.0 ** np.arange(10)


def bent_curve(seed: int, sd: float = 0.01) -> np.ndarray:
    """A power law up to 4M images that flattens beyond (as ViT-B does in the paper)."""
    x = np.log(SCALES / 4e6)
    log_loss = 0.5 - 0.25 * np.minimum(x, 0.0) - 0.03 * np.maximum(x, 0.0)
    return np.exp(log_loss + np.random.default_rng(seed).normal(0, sd, len(x)))


def test_finds_the_bend_past_4m() -> None:
    found = power_law_range(Curve("vit-b", SCALES, bent_curve(seed=0)), noise=0.01)
    assert (found.lo_D, found.hi_D) == (0.125e6, 4e6)
    assert found.break_above == (4e6, 8e6)
    assert 4e6 < found.break_D < 8e6
    assert found.k == pytest.approx(0.25, abs=0.03)
    assert not found.holds_everywhere
    for seed in range(3):  # the same without being told the noise
        estimated = power_law_range(Curve("vit-b", SCALES, bent_curve(seed)))
        assert (estimated.hi_D, estimated.break_above) == (4e6, (4e6, 8e6))


def test_a_clean_power_law_holds_everywhere_with_estimated_noise() -> None:
    loss = 3.0 * SCALES**-0.2 * np.exp(np.random.default_rng(1).normal(0, 0.01, len(SCALES)))
    found = power_law_range(Curve("straight", SCALES, loss))
    assert found.holds_everywhere and found.n_scales == len(SCALES) and found.break_D is None
    assert found.noise_source.startswith("differences")
    assert 0.002 < found.noise < 0.03


def test_noise_is_pooled_over_seeds_when_there_are_replicates() -> None:
    d = np.repeat(SCALES[:5], 4)
    log_loss = -0.2 * np.log(d) + np.random.default_rng(2).normal(0, 0.05, len(d))
    sigma, source = estimate_noise(Curve("seeds", d, np.exp(log_loss)))
    assert source.startswith("pooled over seeds (15 dof)")
    assert sigma == pytest.approx(0.05, rel=0.35)


def test_bad_noise_and_short_curves_are_user_errors() -> None:
    with pytest.raises(FitError, match="noise must be a positive"):
        power_law_range(Curve("c", SCALES, bent_curve(0)), noise=0.0)
    with pytest.raises(FitError, match="needs at least 3"):
        power_law_range(Curve("c", SCALES[:2], np.array([1.0, 0.9])))
