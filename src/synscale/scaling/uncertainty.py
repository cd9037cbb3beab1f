"""Where a fitted number could be: exact intervals, bootstrap replicates, profile likelihood.

- ``ols``: the power law is linear in log space, so its standard errors and t-intervals are
  exact (for normal errors in log L), and the profile-likelihood interval of k coincides with
  the t-interval.
- ``bootstrap``: refits of replicated data, all solved in one batch. With several independent
  runs at every scale, runs are resampled within each scale; otherwise the residuals of the fit
  (centred and inflated by sqrt(n / (n - p))) are resampled onto the fitted curve.
- ``profile_interval``: {k : S(k) <= S_min (1 + F(1, n - p; level) / (n - p))}, where S(k) is
  the cost minimised over the other parameters with k held fixed (Bates & Watts 1988, 6.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from synscale.scaling.laws import Law
from synscale.scaling.solver import Residuals, batched_least_squares, jacobian

# Profile steps, in units of the linearised standard error of k, tried on each side.
_PROFILE_STEPS = np.array([0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64])
_PROFILE_REFINE = 8


@dataclass(frozen=True)
class LinearFit:
    theta: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    dof: int


def ols(design: np.ndarray, y: np.ndarray) -> LinearFit:
    theta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ theta
    dof = len(y) - design.shape[1]
    s2 = float(residuals @ residuals) / dof
    return LinearFit(theta, s2 * np.linalg.inv(design.T @ design), residuals, dof)


def t_quantile(level: float, dof: int) -> float:
    return float(stats.t.ppf(0.5 + level / 2, dof))


def problem(law: Law, x: np.ndarray, Y: np.ndarray) -> Residuals:
    """Residual function for a batch whose rows are the replicates in ``Y`` (or one ``y``)."""
    if Y.ndim == 1:
        return lambda theta, rows: law.residuals(theta, x, Y)
    return lambda theta, rows: law.residuals(theta, x, Y[rows])


@dataclass(frozen=True)
class Bootstrap:
    samples: np.ndarray  # (B', p) converged replicates
    converged_fraction: float
    scheme: str


def bootstrap(
    law: Law,
    x: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    replicated: bool,
    n_boot: int,
    seed: int,
) -> Bootstrap:
    rng = np.random.default_rng(seed)
    n = len(y)
    if replicated:
        Y = np.empty((n_boot, n))
        for scale in np.unique(x):
            idx = np.flatnonzero(x == scale)
            Y[:, idx] = y[idx][rng.integers(0, len(idx), (n_boot, len(idx)))]
        scheme = "bootstrap over runs within each scale"
    else:
        fitted = law.log_predict(theta, x)
        r = y - fitted
        r = (r - r.mean()) * np.sqrt(n / max(n - law.n_params, 1))
        Y = fitted + r[rng.integers(0, n, (n_boot, n))]
        scheme = "bootstrap over residuals of the points"
    lo, hi = law.bounds(x, Y)
    start = np.broadcast_to(theta, (n_boot, law.n_params))
    solution = batched_least_squares(problem(law, x, Y), start, lo, hi, law.huber_delta)
    ok = solution.converged & np.isfinite(solution.cost)
    return Bootstrap(solution.theta[ok], float(ok.mean()), scheme)


def linearised_cov(
    law: Law, x: np.ndarray, y: np.ndarray, theta: np.ndarray, dof: int
) -> np.ndarray:
    """s^2 (J'J)^+ at the estimate: a first guess of the scale of each parameter."""
    fun = problem(law, x, y)
    rows = np.zeros(1, int)
    r = fun(theta[None, :], rows)
    _, hi = law.bounds(x, y)
    J = jacobian(fun, theta[None, :], rows, r, np.atleast_2d(hi), np.ones(law.n_params, bool))[0]
    s2 = float(r[0] @ r[0]) / max(dof, 1)
    return s2 * np.linalg.pinv(J.T @ J)


def profile_interval(
    law: Law,
    x: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    cost: float,
    dof: int,
    level: float,
    index: int,
) -> tuple[float | None, float | None]:
    """Profile-likelihood interval of parameter ``index``; None where it reaches the law's bound.

    Both sides are searched together: a coarse ladder of steps (in linearised standard errors)
    brackets each crossing of the threshold, a finer grid inside the bracket locates it, and
    the root of ``sqrt(S - S_min)`` (nearly linear in the parameter) is interpolated.
    """
    threshold = cost * (1.0 + float(stats.f.ppf(level, 1, dof)) / dof)
    lo, hi = law.bounds(x, y)
    cov = linearised_cov(law, x, y, theta, dof)
    scale = float(np.sqrt(cov[index, index])) if np.isfinite(cov[index, index]) else 0.0
    if scale <= 0:
        scale = 0.1 * max(abs(float(theta[index])), 0.1)
    free = np.ones(law.n_params, bool)
    free[index] = False
    fun = problem(law, x, y)
    centre = float(theta[index])

    def profile_costs(values: np.ndarray) -> np.ndarray:
        start = np.tile(theta, (len(values), 1))
        start[:, index] = values
        return batched_least_squares(fun, start, lo, hi, law.huber_delta, free=free).cost

    def ladder(direction: float) -> np.ndarray:
        values = np.clip(centre + direction * scale * _PROFILE_STEPS, lo[index], hi[index])
        return values[np.abs(values - centre) > 0]

    sides = [ladder(-1.0), ladder(1.0)]
    coarse = np.split(profile_costs(np.concatenate(sides)), [len(sides[0])])
    brackets = []
    for values, costs in zip(sides, coarse):
        over = np.flatnonzero(costs > threshold)
        if over.size == 0:  # still plausible at the law's bound, or 64 standard errors away
            brackets.append(None)
            continue
        i = over[0]
        inner = centre if i == 0 else float(values[i - 1])
        brackets.append(np.linspace(inner, values[i], _PROFILE_REFINE + 1))
    grids = [b[1:] for b in brackets if b is not None]
    fine = iter(np.split(profile_costs(np.concatenate(grids)), len(grids)) if grids else [])
    ends: list[float | None] = []
    for values, costs, bracket in zip(sides, coarse, brackets):
        if bracket is None:
            ends.append(None)
            continue
        i = int(np.flatnonzero(costs > threshold)[0])
        inner_cost = cost if i == 0 else float(costs[i - 1])
        grid_costs = np.concatenate([[inner_cost], next(fine)])
        j = int(np.flatnonzero(grid_costs > threshold)[0])
        root = np.sqrt(np.maximum(grid_costs[[j - 1, j]] - cost, 0.0))
        target = np.sqrt(threshold - cost)
        t = (target - root[0]) / (root[1] - root[0]) if root[1] > root[0] else 1.0
        ends.append(float(bracket[j - 1] + t * (bracket[j] - bracket[j - 1])))
    return ends[0], ends[1]
