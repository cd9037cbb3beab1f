"""Scaling laws, one registry: ``power`` (Eq. 2), ``saturating`` and ``broken`` (and ``m4``).

Every law is written in centred log coordinates ``x = log D - x0`` (``x0`` is the log of the
reference scale) and predicts ``log L``; its internal parameters ``theta`` are chosen so the
optimizer sees numbers of order one, and ``public()`` turns them into the usual published form.
Every function is vectorised: ``theta`` has shape (..., p) and broadcasts against ``x`` (n,).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from synscale.registry import Registry

LAWS: Registry[Law] = Registry("scaling law")

# E must stay below the smallest observed loss: the curve has to approach E from above.
_BELOW_MIN = 1.0 - 1e-6


class Law(ABC):
    name: ClassVar[str]
    formula: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]  # internal parameters, in order
    k_index: ClassVar[int]  # the internal parameter that is the scaling ability k ...
    k_sign: ClassVar[float] = 1.0  # ... up to this sign
    k_public: ClassVar[str]  # and its name among the published parameters
    huber_delta: float | None = None  # residuals of log L beyond it count linearly

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def min_scales(self) -> int:
        """One more distinct scale than parameters, so the residual noise can be estimated."""
        return self.n_params + 1

    @abstractmethod
    def log_predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """log L at centred log scales ``x``."""

    def residuals(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """What the fit minimises; by default the error of the predicted log loss."""
        return self.log_predict(theta, x) - y

    @abstractmethod
    def guess(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Starting points (S, p) from a log-log regression of ``y`` on ``x``."""

    @abstractmethod
    def bounds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Box (lo, hi) of shape (..., p); ``y`` (..., n) may hold a row per bootstrap replicate."""

    @abstractmethod
    def public(self, theta: np.ndarray, x0: float) -> dict[str, np.ndarray]:
        """Parameters in the published form of the law, raw scale D."""

    def k(self, theta: np.ndarray) -> np.ndarray:
        return self.k_sign * np.asarray(theta)[..., self.k_index]


def loglog_regression(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line of ``y`` on ``x``."""
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _log_floor(value: np.ndarray) -> np.ndarray:
    """log of a non-negative offset; 0 becomes a very negative number rather than -inf."""
    return np.log(np.maximum(value, 1e-300))


def _box(y: np.ndarray, lo: list[float], hi: list[float]) -> tuple[np.ndarray, np.ndarray]:
    shape = np.shape(y)[:-1] + (len(lo),)
    return np.broadcast_to(np.array(lo, float), shape).copy(), np.broadcast_to(
        np.array(hi, float), shape
    ).copy()


@LAWS.register("power")
class PowerLaw(Law):
    """Eq. 2 of the paper: log L = -k (log D - log D_I) + log L_{D_I}; least squares in log."""

    name = "power"
    formula = "log L = -k (log D - log D_I) - perf_ref"
    param_names = ("k", "log_L_ref")
    k_index = 0
    k_public = "k"

    def log_predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        return theta[..., 1:2] - theta[..., 0:1] * x

    def guess(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        slope, intercept = loglog_regression(x, y)
        return np.array([[-slope, intercept]])

    def bounds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _box(y, [-np.inf, -np.inf], [np.inf, np.inf])

    def public(self, theta: np.ndarray, x0: float) -> dict[str, np.ndarray]:
        theta = np.asarray(theta)
        return {"k": theta[..., 0], "perf_ref": -theta[..., 1]}


@LAWS.register("saturating")
class SaturatingLaw(Law):
    """L = E + A D^-k with 0 <= E < min L, fitted on log L with a Huber loss."""

    name = "saturating"
    formula = "L = E + A * D^-k"
    param_names = ("E", "log_A_ref", "k")  # A_ref = A * D_ref^-k: the excess loss at the reference
    k_index = 2
    k_public = "k"
    k_max = 10.0

    def __init__(self, huber_delta: float = 0.05) -> None:
        self.huber_delta = huber_delta

    def log_predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        E, a, k = theta[..., 0:1], theta[..., 1:2], theta[..., 2:3]
        return np.logaddexp(_log_floor(E), a - k * x)

    def guess(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        slope, intercept = loglog_regression(x, y)
        starts = [[0.0, intercept, float(np.clip(-slope, 0.0, self.k_max))]]
        # Variable projection: for a fixed k the law is linear in (E, A_ref). Solve that linear
        # problem, weighted by 1/L so it approximates the error in log L, on a grid of k.
        loss = np.exp(y)
        ks = np.geomspace(0.01, 3.0, 48)
        basis = np.exp(-ks[:, None] * x[None, :])  # (K, n)
        w = 1.0 / loss
        a11, a12, a22 = np.sum(w * w), np.sum(w * w * basis, 1), np.sum((w * basis) ** 2, 1)
        b1, b2 = np.sum(w * w * loss), np.sum(w * w * basis * loss, 1)
        det = a11 * a22 - a12 * a12
        with np.errstate(divide="ignore", invalid="ignore"):
            E = np.clip((a22 * b1 - a12 * b2) / det, 0.0, loss.min() * _BELOW_MIN)
            A = np.maximum((b2 - a12 * E) / a22, 1e-12)  # best A_ref once E is clipped
        theta = np.stack([E, np.log(A), ks], axis=1)
        cost = np.sum((self.log_predict(theta, x) - y) ** 2, axis=1)
        best = theta[np.argsort(np.nan_to_num(cost, nan=np.inf))[:3]]
        return np.vstack([starts, best])

    def bounds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = _box(y, [0.0, -60.0, 0.0], [np.inf, 60.0, self.k_max])
        hi[..., 0] = np.exp(np.min(y, axis=-1)) * _BELOW_MIN
        return lo, hi

    def public(self, theta: np.ndarray, x0: float) -> dict[str, np.ndarray]:
        theta = np.asarray(theta)
        E, a, k = theta[..., 0], theta[..., 1], theta[..., 2]
        return {"E": E, "A": np.exp(a + k * x0), "k": k}


@LAWS.register("broken")
class BrokenLaw(Law):
    """Smoothly broken power law with one break (Caballero et al. 2022):
    L = a + b D^-c0 (1 + (D/d1)^(1/f1))^(-c1 f1); k is c0, the slope before the break."""

    name = "broken"
    formula = "L = a + b * D^-c0 * (1 + (D/d1)^(1/f1))^(-c1*f1)"
    # log_b_ref and log_d1_ref are log b * D_ref^-c0 and log (d1 / D_ref).
    param_names = ("a", "log_b_ref", "c0", "c1", "log_d1_ref", "log_f1")
    k_index = 2
    k_public = "c0"
    f1_range = (1e-3, 10.0)

    def log_predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        a, lb, c0, c1, ld, lf = (theta[..., i : i + 1] for i in range(6))
        f1 = np.exp(lf)
        bend = f1 * np.logaddexp(0.0, (x - ld) / f1)  # f1 * log(1 + (D/d1)^(1/f1))
        return np.logaddexp(_log_floor(a), lb - c0 * x - c1 * bend)

    def guess(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        order = np.argsort(x)
        x, y = x[order], y[order]
        slope, intercept = loglog_regression(x, y)
        starts = [[0.0, intercept, -slope, 0.0, float(np.median(x)), 0.0]]
        width = x[-1] - x[0]
        # Put the break between interior points (at most 10 places); fit a line on each side.
        for i in np.unique(np.linspace(2, len(x) - 2, min(len(x) - 3, 10)).astype(int)):
            ld = 0.5 * (x[i - 1] + x[i])
            left = loglog_regression(x[:i], y[:i])
            right = loglog_regression(x[i - 1 :], y[i - 1 :])
            for f1 in (0.02 * width, 0.2 * width):
                starts.append([0.0, left[1], -left[0], left[0] - right[0], ld, np.log(f1)])
        starts = np.array(starts)
        starts[:, 5] = np.clip(starts[:, 5], *np.log(self.f1_range))
        return starts

    def bounds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # The break must lie within the observed scales: outside them it cannot be located.
        lo, hi = _box(
            y,
            [0.0, -60.0, -10.0, -10.0, float(np.min(x)), np.log(self.f1_range[0])],
            [np.inf, 60.0, 10.0, 10.0, float(np.max(x)), np.log(self.f1_range[1])],
        )
        hi[..., 0] = np.exp(np.min(y, axis=-1)) * _BELOW_MIN
        return lo, hi

    def public(self, theta: np.ndarray, x0: float) -> dict[str, np.ndarray]:
        theta = np.asarray(theta)
        a, lb, c0, c1, ld, lf = (theta[..., i] for i in range(6))
        return {
            "a": a,
            "b": np.exp(lb + c0 * x0),
            "c0": c0,
            "c1": c1,
            "d1": np.exp(ld + x0),
            "f1": np.exp(lf),
            "k_after_break": c0 + c1,
        }
