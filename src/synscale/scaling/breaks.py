"""Where the power law holds: the largest range of scales whose held-out error is within noise.

For a contiguous window of scales, each scale in turn is left out, the power law (Eq. 2) is
fitted to the rest of the window, and the left-out mean log loss is compared with the
prediction. The standardised error is ``(ybar_s - yhat_s) / (sigma * sqrt(1/m_s + h_s))``: the
noise of a mean of ``m_s`` runs plus the variance of the prediction (``h_s`` from the design).
The window holds when no standardised error exceeds the two-sided 5% Bonferroni threshold for
the window's number of scales. The chosen range is the holding window with most scales (then
the widest span in log D, then the smallest worst error); the power law breaks just outside it.

The noise ``sigma`` of one run's log loss is, in order of preference: given by the caller;
the pooled standard deviation across seeds at the same scale; or, without replicates, a robust
difference-based estimate (Gasser et al. 1986 pseudo-residuals of log L along log D, whose
median ignores a single bend), floored at 1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from synscale.errors import FitError
from synscale.scaling.curves import Curve

MIN_WINDOW = 3  # two parameters plus one scale to hold out
NOISE_FLOOR = 1e-3
FAMILY_LEVEL = 0.05


@dataclass(frozen=True)
class PowerLawRange:
    curve: str
    lo_D: float
    hi_D: float
    n_scales: int
    n_scales_total: int
    k: float  # fitted on the range
    noise: float
    noise_source: str
    worst_error: float  # largest standardised held-out error inside the range
    break_above: tuple[float, float] | None  # the power law bends between these two scales
    break_below: tuple[float, float] | None

    @property
    def holds_everywhere(self) -> bool:
        return self.break_above is None and self.break_below is None

    @property
    def break_D(self) -> float | None:
        """Geometric middle of the gap above the range, where the power law stops holding."""
        return (
            None
            if self.break_above is None
            else float(np.sqrt(self.break_above[0] * self.break_above[1]))
        )

    def summary(self) -> dict[str, Any]:
        return {
            "curve": self.curve,
            "range_D": [self.lo_D, self.hi_D],
            "n_scales": self.n_scales,
            "n_scales_total": self.n_scales_total,
            "k_in_range": self.k,
            "noise_log": self.noise,
            "noise_source": self.noise_source,
            "worst_error_sd": self.worst_error,
            "break_D": self.break_D,
            "break_above": None if self.break_above is None else list(self.break_above),
            "break_below": None if self.break_below is None else list(self.break_below),
        }


def power_law_range(curve: Curve, noise: float | None = None) -> PowerLawRange:
    curve.require_scales(MIN_WINDOW, "finding where the power law holds")
    if noise is not None and not noise > 0:
        raise FitError(f"noise must be a positive standard deviation of log loss, got {noise:g}")
    scales = curve.scales
    x, y = np.log(curve.D), np.log(curve.loss)
    sigma, source = (noise, "given") if noise is not None else estimate_noise(curve)

    best: tuple[tuple[int, float, float], int, int, float] | None = None
    m = len(scales)
    for i in range(m):
        for j in range(i + MIN_WINDOW - 1, m):
            worst = _worst_loo_error(x, y, scales[i : j + 1], sigma)
            if worst > stats.norm.ppf(1 - FAMILY_LEVEL / (2 * (j - i + 1))):
                continue
            rank = (j - i + 1, float(np.log(scales[j] / scales[i])), -worst)
            if best is None or rank > best[0]:
                best = (rank, i, j, worst)
    if best is None:
        raise FitError(
            f"curve {curve.name!r}: the power law holds on no {MIN_WINDOW} consecutive "
            f"scales within noise {sigma:.3g}; check the curve or give a larger noise"
        )
    _, i, j, worst = best
    inside = (curve.D >= scales[i]) & (curve.D <= scales[j])
    slope = np.polyfit(x[inside], y[inside], 1)[0]
    return PowerLawRange(
        curve=curve.name,
        lo_D=float(scales[i]),
        hi_D=float(scales[j]),
        n_scales=j - i + 1,
        n_scales_total=m,
        k=float(-slope),
        noise=float(sigma),
        noise_source=source,
        worst_error=float(worst),
        break_above=(float(scales[j]), float(scales[j + 1])) if j + 1 < m else None,
        break_below=(float(scales[i - 1]), float(scales[i])) if i > 0 else None,
    )


def estimate_noise(curve: Curve) -> tuple[float, str]:
    """Standard deviation of one run's log loss, and where the number comes from."""
    y = np.log(curve.loss)
    groups = [y[curve.D == s] for s in curve.scales]
    spread = sum(float(np.sum((g - g.mean()) ** 2)) for g in groups)
    dof = sum(len(g) - 1 for g in groups)
    if dof >= 2:
        return max(float(np.sqrt(spread / dof)), NOISE_FLOOR), f"pooled over seeds ({dof} dof)"
    x = np.log(curve.scales)
    ybar = np.array([g.mean() for g in groups])
    if len(x) < 3:
        return NOISE_FLOOR, "floor"
    # Pseudo-residual: the middle point minus the line through its neighbours.
    a = (x[2:] - x[1:-1]) / (x[2:] - x[:-2])
    b = 1.0 - a
    pseudo = (a * ybar[:-2] + b * ybar[2:] - ybar[1:-1]) / np.sqrt(a**2 + b**2 + 1.0)
    robust = 1.4826 * float(np.median(np.abs(pseudo)))
    return max(robust, NOISE_FLOOR), "differences along the curve (no replicates)"


def _worst_loo_error(x: np.ndarray, y: np.ndarray, window: np.ndarray, sigma: float) -> float:
    """Largest standardised error when each scale of ``window`` is predicted from the others."""
    worst = 0.0
    for s in window:
        train = np.isin(x, np.log(window)) & (x != np.log(s))
        design = np.column_stack([np.ones(train.sum()), x[train]])
        coef, *_ = np.linalg.lstsq(design, y[train], rcond=None)
        at = np.array([1.0, np.log(s)])
        leverage = float(at @ np.linalg.pinv(design.T @ design) @ at)
        held = y[x == np.log(s)]
        error = abs(held.mean() - at @ coef) / (sigma * np.sqrt(1.0 / len(held) + leverage))
        worst = max(worst, float(error))
    return worst
