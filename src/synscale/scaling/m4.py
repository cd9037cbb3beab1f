"""The M4 estimator of Alabdulmohsin, Neyshabur and Zhai (NeurIPS 2022), as a law.

M4 relates the loss to the scale implicitly:
``(L - E_inf) / (E_0 - L)^alpha = beta * D^c`` with 0 <= E_inf < min L, E_0 > max L,
alpha >= 0 and c <= 0, and fits the logarithm of both sides by least squares. It is registered
so that the benchmark on the published reference curves compares it with our laws on exactly
the same points and the same held-out error.
"""

from __future__ import annotations

import numpy as np

from synscale.scaling.laws import LAWS, Law, loglog_regression

# The authors keep E_inf this far below the smallest loss and E_0 this far above the largest.
_MARGIN = 1e-3
_BISECTIONS = 64


@LAWS.register("m4")
class M4Law(Law):
    """Alabdulmohsin et al. 2022 M4: (L - E_inf) / (E_0 - L)^alpha = beta D^c; k is -c."""

    name = "m4"
    formula = "(L - E_inf) / (E_0 - L)^alpha = beta * D^c"
    param_names = ("E_inf", "E_0", "alpha", "log_beta_ref", "c")
    k_index = 4
    k_sign = -1.0
    k_public = "c"

    def residuals(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        E, E0, alpha, lb, c = (theta[..., i : i + 1] for i in range(5))
        loss = np.exp(y)
        return np.log(loss - E) - alpha * np.log(E0 - loss) - (lb + c * x)

    def log_predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Solve the implicit law for L in (E_inf, E_0) by bisection (the left side grows in L)."""
        theta = np.asarray(theta)
        E, E0, alpha, lb, c = (theta[..., i : i + 1] for i in range(5))
        target = lb + c * x
        lo = np.zeros(np.broadcast(target, E).shape)
        hi = np.ones_like(lo)
        for _ in range(_BISECTIONS):
            t = 0.5 * (lo + hi)
            loss = E + t * (E0 - E)
            too_high = (
                np.log(np.maximum(loss - E, 1e-300)) - alpha * np.log(np.maximum(E0 - loss, 1e-300))
                > target
            )
            hi = np.where(too_high, t, hi)
            lo = np.where(too_high, lo, t)
        implicit = np.log(E + 0.5 * (lo + hi) * (E0 - E))
        # With alpha = 0 the law is explicit and may predict beyond E_0, as the authors' code does.
        return np.where(alpha < 1e-5, np.logaddexp(np.log(np.maximum(E, 1e-300)), target), implicit)

    def guess(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The authors' start: E_inf just below the smallest loss, E_0 = max(1, largest loss),
        then (log beta, c, alpha) by regression; M4 is a local search from there."""
        loss = np.exp(y)
        E, E0 = loss.min() - self._margin(loss), max(1.0, loss.max() + _MARGIN)
        design = np.stack([np.ones_like(x), x, np.log(E0 - loss)], axis=1)
        (lb, c, alpha), *_ = np.linalg.lstsq(design, np.log(loss - E), rcond=None)
        if alpha < 0 or c > 0:  # the authors' regression keeps alpha >= 0 and c <= 0
            c, lb = loglog_regression(x, np.log(loss - E))
            alpha = 0.0
        return np.array([[E, E0, alpha, lb, min(c, 0.0)]])

    def bounds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss = np.exp(y)
        shape = np.shape(y)[:-1] + (5,)
        lo = np.broadcast_to(np.array([0.0, 0.0, 0.0, -200.0, -10.0]), shape).copy()
        hi = np.broadcast_to(np.array([0.0, np.inf, 20.0, 200.0, 0.0]), shape).copy()
        lo[..., 1] = loss.max(axis=-1) + _MARGIN
        hi[..., 1] = 1e3 * lo[..., 1]
        hi[..., 0] = loss.min(axis=-1) - self._margin(loss)
        return lo, hi

    @staticmethod
    def _margin(loss: np.ndarray) -> np.ndarray:
        return np.minimum(_MARGIN, 0.5 * loss.min(axis=-1))

    def public(self, theta: np.ndarray, x0: float) -> dict[str, np.ndarray]:
        theta = np.asarray(theta)
        E, E0, alpha, lb, c = (theta[..., i] for i in range(5))
        return {"E_inf": E, "E_0": E0, "alpha": alpha, "beta": np.exp(lb - c * x0), "c": c}
