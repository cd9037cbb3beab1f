"""The extrapolation check and the forward-validated choice of the fit range."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.errors import FitError
from synscale.scaling import Curve
from synscale.scaling.extrapolate import choose_fit_start, extrapolation_check, fit_chosen_range

SCALES = np.geomspace(1e3, 1e6, 10)


def test_a_correct_law_extrapolates_with_no_error() -> None:
    curve = Curve("c", SCALES, 0.3 + 40 * SCALES**-0.5)
    check = extrapolation_check(curve, "saturating", holdout_last=3, n_boot=100)
    assert check.rmse_log < 1e-4 and check.coverage == 1.0
    assert len(check.D) == 3 and check.D.min() == SCALES[-3]
    assert check.summary()["heldout_n"] == 3


def test_a_wrong_law_is_caught_by_the_holdout() -> None:
    curve = Curve("c", SCALES, 0.3 + 40 * SCALES**-0.5)
    assert extrapolation_check(curve, "power", holdout_last=3).rmse_log > 0.05


def test_fit_range_drops_a_pre_asymptotic_start() -> None:
    # The first three scales sit on a plateau no power law describes.
    loss = np.where(SCALES < 5e3, 2.0, 0.1 + 30 * SCALES**-0.5)
    curve = Curve("c", SCALES, loss)
    assert choose_fit_start(curve, "saturating") == SCALES[3]
    fit = fit_chosen_range(curve, "saturating", n_boot=0)
    assert fit.D.min() == SCALES[3] and fit.k == pytest.approx(0.5, abs=1e-3)


def test_fit_range_keeps_all_points_of_a_clean_curve() -> None:
    assert choose_fit_start(Curve("c", SCALES, 0.1 + 30 * SCALES**-0.5), "saturating") == SCALES[0]


def test_holdout_must_leave_points_to_fit() -> None:
    with pytest.raises(FitError, match="hold out between 1 and 9"):
        extrapolation_check(Curve("c", SCALES, 1 / SCALES), "power", holdout_last=10)
