"""Least squares in batches: many starts, bootstrap replicates or profile points solved at once.

A bootstrap needs a thousand refits and a profile a few dozen; calling an optimizer once per
problem costs milliseconds each. ``batched_least_squares`` runs Levenberg-Marquardt on a whole
batch of small problems with numpy (one array operation per step for every problem), with box
bounds handled by an active set and an optional Huber loss handled by reweighting.
``polish`` then hands the best start to scipy's ``least_squares`` for the reported point estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

# (theta (m, p), rows (m,)) -> residuals (m, n); ``rows`` says which problems of the batch.
Residuals = Callable[[np.ndarray, np.ndarray], np.ndarray]

_LAMBDA_MAX = 1e10


@dataclass(frozen=True)
class BatchSolution:
    theta: np.ndarray  # (B, p)
    cost: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool


def robust_cost(r: np.ndarray, delta: float | None) -> np.ndarray:
    """Sum over the last axis of 0.5 r^2, or of the Huber function with threshold ``delta``."""
    if delta is None:
        return 0.5 * np.sum(r * r, axis=-1)
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta)), axis=-1)


def _weights(r: np.ndarray, delta: float | None) -> np.ndarray:
    if delta is None:
        return np.ones_like(r)
    a = np.abs(r)
    return np.where(a <= delta, 1.0, delta / np.maximum(a, 1e-300))


def jacobian(
    fun: Residuals,
    theta: np.ndarray,
    rows: np.ndarray,
    r0: np.ndarray,
    hi: np.ndarray,
    free: np.ndarray,
) -> np.ndarray:
    """Forward differences (backward at an upper bound), shape (B, n, p); fixed columns are 0."""
    p = theta.shape[1]
    J = np.zeros(r0.shape + (p,))
    for j in np.flatnonzero(free):
        h = 1e-7 * np.maximum(1.0, np.abs(theta[:, j]))
        h = np.where(theta[:, j] + h > hi[:, j], -h, h)
        shifted = theta.copy()
        shifted[:, j] += h
        J[..., j] = (fun(shifted, rows) - r0) / h[:, None]
    return J


def batched_least_squares(
    fun: Residuals,
    theta0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    delta: float | None = None,
    free: np.ndarray | None = None,
    max_iter: int = 200,
    ftol: float = 1e-9,
) -> BatchSolution:
    """Minimise ``robust_cost(fun(theta))`` for every row of ``theta0`` within [lo, hi].

    ``free`` marks the parameters that move (the others stay at their start: profiles).
    A problem is converged when an accepted step improves its cost by less than ``ftol``
    (relative) or barely moves it, or when no damping gives a descent step (a local minimum
    to precision).
    """
    with np.errstate(all="ignore"):  # trial points may leave a law's domain; their cost is NaN
        return _levenberg_marquardt(fun, theta0, lo, hi, delta, free, max_iter, ftol)


def _levenberg_marquardt(
    fun: Residuals,
    theta0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    delta: float | None,
    free: np.ndarray | None,
    max_iter: int,
    ftol: float,
) -> BatchSolution:
    B, p = theta0.shape
    lo, hi = np.broadcast_to(lo, (B, p)), np.broadcast_to(hi, (B, p))
    free = np.ones(p, bool) if free is None else np.asarray(free, bool)
    theta = np.clip(theta0, lo, hi)
    r = fun(theta, np.arange(B))
    cost = robust_cost(r, delta)
    lam = np.full(B, 1e-3)
    done = ~np.isfinite(cost)
    converged = np.zeros(B, bool)
    eye = np.eye(p)
    for _ in range(max_iter):
        todo = np.flatnonzero(~done)
        if todo.size == 0:
            break
        th, rr, lh, hh = theta[todo], r[todo], lo[todo], hi[todo]
        J = jacobian(fun, th, todo, rr, hh, free)
        w = _weights(rr, delta)
        g = np.einsum("bn,bnp->bp", w * rr, J)
        H = np.einsum("bnp,bn,bnq->bpq", J, w, J)
        # Parameters pinned at a bound that the gradient pushes outward leave this step.
        held = ~free | ((th <= lh) & (g > 0)) | ((th >= hh) & (g < 0))
        keep = (~held).astype(float)
        H = H * keep[:, :, None] * keep[:, None, :] + eye * (1.0 - keep)[:, None, :]
        g = g * keep
        diag = np.maximum(np.einsum("bpp->bp", H), 1e-12)
        damped = H + lam[todo, None, None] * eye * diag[:, None, :]
        step = -np.linalg.solve(damped, g[..., None])[..., 0]
        trial = np.clip(th + step, lh, hh)
        r_trial = fun(trial, todo)
        c_trial = robust_cost(r_trial, delta)
        c_now = cost[todo]
        better = np.isfinite(c_trial) & (c_trial < c_now)
        tiny_gain = c_now - c_trial <= ftol * np.maximum(c_now, 1e-300)
        tiny_step = np.all(np.abs(trial - th) <= 1e-10 * (np.abs(th) + 1e-10), axis=1)
        stuck = ~better & (lam[todo] >= _LAMBDA_MAX)
        idx = todo[better]
        theta[idx], r[idx], cost[idx] = trial[better], r_trial[better], c_trial[better]
        lam[todo] = np.where(
            better, np.maximum(lam[todo] / 10.0, 1e-12), np.minimum(lam[todo] * 10.0, _LAMBDA_MAX)
        )
        finished = todo[(better & (tiny_gain | tiny_step)) | stuck]
        converged[finished] = True
        done[finished] = True
    return BatchSolution(theta, cost, converged)


@dataclass(frozen=True)
class PolishResult:
    theta: np.ndarray
    cost: float
    converged: bool
    message: str


def polish(
    fun: Residuals, theta0: np.ndarray, lo: np.ndarray, hi: np.ndarray, delta: float | None
) -> PolishResult:
    """Refine one start with scipy's trust-region reflective least squares."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    start = np.clip(theta0, lo, hi)
    row = np.zeros(1, int)
    result = least_squares(
        lambda t: fun(t[None, :], row)[0],
        start,
        bounds=(lo, hi),
        loss="linear" if delta is None else "huber",
        f_scale=delta or 1.0,
        x_scale="jac",
        method="trf",
    )
    cost = float(robust_cost(fun(result.x[None, :], row)[0], delta))
    return PolishResult(result.x, cost, bool(result.status > 0), result.message)
