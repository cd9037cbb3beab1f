"""Synthetic-to-real exchange rate: how many synthetic images buy the loss of D real ones.

For a real scale D, ``D_syn(D)`` solves ``L_syn(D_syn) = L_real(D)`` on the two fitted curves
(both evaluated on the same validation set) and the exchange rate is ``D_syn(D) / D``: 5 means
five synthetic images are worth one real image at that loss. With two power laws,
``log D_syn = log D_I + (log L_syn(D_I) - log L_real(D)) / k_syn``. The interval propagates
both fits' uncertainty: parameters are drawn from each fit (bootstrap replicates, or the exact
multivariate t of a power law), the equation is solved for every pair of draws, and the
percentiles of the rate are reported. Where the synthetic curve levels off above the real loss,
no amount of synthetic data suffices and the rate is infinite (JSON null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synscale.errors import FitError
from synscale.scaling.fit import FitResult

_SEARCH_NATS = 40.0  # how far beyond the fitted scales (in log D) a matching scale is sought
_BISECTIONS = 80


@dataclass(frozen=True)
class ExchangeRate:
    synthetic: str
    real: str
    D: np.ndarray  # real scales
    real_loss: np.ndarray  # the loss to match
    D_synthetic: np.ndarray  # synthetic scale giving that loss (inf: unreachable)
    rate: np.ndarray  # D_synthetic / D
    lower: np.ndarray
    upper: np.ndarray
    reachable: np.ndarray  # fraction of draws in which synthetic data reaches the loss at all
    level: float

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "D_real": float(d),
                "loss": float(loss),
                "D_synthetic": _finite(ds),
                "rate": _finite(r),
                "rate_ci": [_finite(lo), _finite(hi)],
                "reachable": float(p),
            }
            for d, loss, ds, r, lo, hi, p in zip(
                self.D,
                self.real_loss,
                self.D_synthetic,
                self.rate,
                self.lower,
                self.upper,
                self.reachable,
            )
        ]


def exchange_rate(
    synthetic: FitResult,
    real: FitResult,
    D: np.ndarray | list[float],
    level: float = 0.95,
    n_draws: int = 2000,
    seed: int = 0,
) -> ExchangeRate:
    D = np.atleast_1d(np.asarray(D, float))
    if np.any(~np.isfinite(D) | (D <= 0)):
        raise FitError("real scales for the exchange rate must be positive numbers")
    # 1. Point estimate from the two fitted curves.
    target = real.model.log_predict(real.theta, np.log(D) - real.x0)
    D_syn = _scale_for_loss(synthetic, synthetic.theta[None, :], target[None, :])[0]
    # 2. The same through paired draws of both fits' parameters.
    real_draws = real.draws(n_draws, seed)
    syn_draws = synthetic.draws(n_draws, seed + 1)
    targets = real.model.log_predict(real_draws, np.log(D) - real.x0)
    rates = _scale_for_loss(synthetic, syn_draws, targets) / D
    tail = 50 * (1 - level)
    # Percentiles without interpolation: between two infinite rates there is nothing to average.
    lower, upper = (
        np.percentile(rates, q, axis=0, method="inverted_cdf") for q in (tail, 100 - tail)
    )
    return ExchangeRate(
        synthetic.curve,
        real.curve,
        D,
        np.exp(target),
        D_syn,
        D_syn / D,
        lower,
        upper,
        np.mean(np.isfinite(rates), axis=0),
        level,
    )


def _scale_for_loss(fit: FitResult, theta: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Scale at which the curve with parameters ``theta`` (B, p) reaches ``target`` log loss (B, n).

    Bisection in log D, assuming the loss falls as D grows; inf where it never gets that low.
    """
    law = fit.model
    lo = np.full(target.shape, np.log(fit.D.min()) - fit.x0 - _SEARCH_NATS)
    hi = np.full(target.shape, np.log(fit.D.max()) - fit.x0 + _SEARCH_NATS)
    with np.errstate(all="ignore"):
        unreachable = law.log_predict(theta, hi) > target
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            above = law.log_predict(theta, mid) > target
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.where(unreachable, np.inf, np.exp(0.5 * (lo + hi) + fit.x0))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
