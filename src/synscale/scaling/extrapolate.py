"""The extrapolation check of Alabdulmohsin et al. 2022: fit the small scales, predict the large.

The held-out error is the root mean square of ``log(predicted) - log(observed)`` over the
held-out points; a good law also covers them with its prediction intervals.

``choose_fit_start`` applies the same check inside the points one is allowed to fit: the
smallest scales of a learning curve often sit in a pre-asymptotic regime that no simple law
describes, so it drops them when that makes the last ``validate_last`` scales better predicted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synscale.scaling.curves import Curve
from synscale.scaling.fit import FitResult, fit_curve, point_estimate
from synscale.scaling.laws import LAWS


@dataclass(frozen=True)
class Extrapolation:
    fit: FitResult  # fitted on the scales below the cutoff only
    D: np.ndarray  # held-out scales
    observed: np.ndarray
    predicted: np.ndarray
    rmse_log: float
    coverage: float  # fraction of held-out points inside the prediction interval

    def summary(self) -> dict[str, Any]:
        return {
            "heldout_rmse_log": self.rmse_log,
            "heldout_coverage": self.coverage,
            "heldout_n": len(self.D),
            "heldout_from_D": float(self.D.min()),
        }


def rmse_log(predicted: np.ndarray, observed: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.log(predicted) - np.log(observed)) ** 2)))


def heldout_error(fit: FitResult, heldout: Curve) -> Extrapolation:
    prediction = fit.predict(heldout.D)
    inside = (heldout.loss >= prediction.lower) & (heldout.loss <= prediction.upper)
    return Extrapolation(
        fit,
        heldout.D,
        heldout.loss,
        prediction.loss,
        rmse_log(prediction.loss, heldout.loss),
        float(inside.mean()),
    )


def extrapolation_check(
    curve: Curve, law: str, holdout_last: int, **fit_options: Any
) -> Extrapolation:
    """Fit ``law`` without the last ``holdout_last`` distinct scales and score it on them."""
    train, heldout = curve.split_last(holdout_last)
    return heldout_error(fit_curve(train, law, **fit_options), heldout)


def point_heldout_rmse(train: Curve, heldout: Curve, law: str, choose_range: bool = False) -> float:
    """Held-out RMSE of log loss from the point estimate alone (no intervals, so it is quick)."""
    model = LAWS.create(law)
    if choose_range:
        train = train.select(train.D >= choose_fit_start(train, law))
    train.require_scales(model.min_scales, f"the {law} law ({model.n_params} parameters)")
    x0 = float(np.mean(np.log(train.scales)))
    theta = point_estimate(model, np.log(train.D) - x0, np.log(train.loss)).theta
    return rmse_log(np.exp(model.log_predict(theta, np.log(heldout.D) - x0)), heldout.loss)


def choose_fit_start(curve: Curve, law: str, validate_last: int = 2) -> float:
    """The smallest scale to fit from, chosen by forward validation within ``curve``.

    For every candidate first scale, fit the law from there up to (not including) the last
    ``validate_last`` scales and measure the error of log loss on those; keep the candidate
    with the smallest error (the earliest on a tie), so the fit uses as much data as helps.
    """
    model = LAWS.create(law)
    curve.require_scales(
        model.min_scales + validate_last,
        f"choosing the fit range of the {law} law by validation on {validate_last} scales",
    )
    scales = curve.scales
    best_error, best_start = np.inf, scales[0]
    for start in scales[: len(scales) - validate_last - model.min_scales + 1]:
        train, held = curve.select(curve.D >= start).split_last(validate_last)
        x0 = float(np.mean(np.log(train.scales)))
        theta = point_estimate(model, np.log(train.D) - x0, np.log(train.loss), refine=False).theta
        error = rmse_log(np.exp(model.log_predict(theta, np.log(held.D) - x0)), held.loss)
        if error < best_error - 1e-12:
            best_error, best_start = error, start
    return float(best_start)


def fit_chosen_range(
    curve: Curve, law: str, validate_last: int = 2, **fit_options: Any
) -> FitResult:
    """``fit_curve`` on the scales from ``choose_fit_start`` up (validation scales included)."""
    start = choose_fit_start(curve, law, validate_last)
    return fit_curve(curve.select(curve.D >= start), law, **fit_options)
