"""Fit a scaling law to a learning curve; the result carries its own uncertainty.

``fit_curve`` reads top-down: check the input, centre the scales, find the point estimate
(many starts in one batch, then scipy), then the uncertainty (exact for the power law;
bootstrap for the other parameters and profile likelihood for k otherwise). ``FitResult`` is
modelled on lmfit's ModelResult: parameters, standard errors, intervals, ``predict`` with
prediction intervals, ``report()``, ``to_dict()``, ``save``/``load``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synscale.errors import DataError, FitError
from synscale.scaling.curves import Curve
from synscale.scaling.laws import LAWS, Law, PowerLaw
from synscale.scaling.solver import batched_least_squares, polish
from synscale.scaling.uncertainty import bootstrap, ols, problem, profile_interval, t_quantile

Interval = tuple[float | None, float | None]


@dataclass(frozen=True)
class Prediction:
    D: np.ndarray
    loss: np.ndarray
    lower: np.ndarray  # prediction interval of a new observation at D
    upper: np.ndarray
    level: float


@dataclass
class FitResult:
    curve: str
    law: str
    params: dict[str, float]
    stderr: dict[str, float]
    ci: dict[str, Interval]
    k: float
    k_ci: Interval  # None on a side where k stays plausible up to the law's bound
    level: float
    methods: dict[str, str]  # how the intervals were made
    converged: bool
    message: str
    x0: float  # log of the scale the internal parameters are centred on
    ref_scale: float | None
    theta: np.ndarray
    sigma: float  # residual standard deviation of log L
    dof: int
    D: np.ndarray
    loss: np.ndarray
    law_options: dict[str, Any] = field(default_factory=dict)
    cov: np.ndarray | None = None  # covariance of theta when it is exact (power law)
    samples: np.ndarray | None = None  # bootstrap replicates of theta otherwise

    @property
    def model(self) -> Law:
        return LAWS.create(self.law, **self.law_options)

    @property
    def n_scales(self) -> int:
        return len(np.unique(self.D))

    def predict(
        self, D: np.ndarray | list[float] | float, level: float | None = None
    ) -> Prediction:
        """Predicted loss at ``D`` with a prediction interval for a new run there."""
        level = self.level if level is None else level
        D = np.atleast_1d(np.asarray(D, float))
        if np.any(~np.isfinite(D) | (D <= 0)):
            raise DataError("scales to predict at must be positive finite numbers")
        law, x = self.model, np.log(D) - self.x0
        mean = law.log_predict(self.theta, x)
        if self.cov is not None:
            grad = _gradient(law, self.theta, x)
            var = np.einsum("np,pq,nq->n", grad, self.cov, grad)
        elif self.samples is not None and len(self.samples) > 1:
            var = np.var(law.log_predict(self.samples, x), axis=0, ddof=1)
        else:
            var = np.zeros_like(mean)
        half = t_quantile(level, self.dof) * np.sqrt(var + self.sigma**2)
        return Prediction(D, np.exp(mean), np.exp(mean - half), np.exp(mean + half), level)

    def draws(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` parameter vectors spread as the fit's uncertainty says: its bootstrap replicates,
        or for an exact fit the multivariate t around the estimate."""
        rng = np.random.default_rng(seed)
        if self.samples is not None and len(self.samples) > 1:
            return self.samples[rng.integers(0, len(self.samples), n)]
        if self.cov is not None:
            z = rng.multivariate_normal(np.zeros(len(self.theta)), self.cov, n)
            return self.theta + z * np.sqrt(self.dof / rng.chisquare(self.dof, n))[:, None]
        raise FitError(
            f"fit of {self.curve!r} carries no parameter uncertainty (it was made with n_boot=0)"
        )

    def summary(self) -> dict[str, Any]:
        """The compact JSON object of ``synscale fit --json``."""
        out = {
            "curve": self.curve,
            "law": self.law,
            "k": self.k,
            "k_ci": list(self.k_ci),
            "params": self.params,
            "stderr": self.stderr,
            "ci": {k: list(v) for k, v in self.ci.items()},
            "level": self.level,
            "converged": self.converged,
            "message": self.message,
            "ref_scale": self.ref_scale,
            "sigma_log": self.sigma,
            "n_points": len(self.D),
            "n_scales": self.n_scales,
            "methods": self.methods,
        }
        if self.law == "broken":
            out["break_D"] = self.params["d1"]
        return _clean(out)

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the result, JSON-serialisable."""
        out = self.summary()
        out.update(
            {
                "x0": self.x0,
                "theta": self.theta.tolist(),
                "dof": self.dof,
                "sigma": self.sigma,
                "D": self.D.tolist(),
                "loss": self.loss.tolist(),
                "law_options": self.law_options,
                "cov": None if self.cov is None else self.cov.tolist(),
                "samples": None if self.samples is None else self.samples.tolist(),
            }
        )
        return _clean(out)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitResult:
        try:
            return cls(
                curve=data["curve"],
                law=data["law"],
                params=data["params"],
                stderr=data["stderr"],
                ci={k: tuple(v) for k, v in data["ci"].items()},
                k=data["k"],
                k_ci=tuple(data["k_ci"]),
                level=data["level"],
                methods=data["methods"],
                converged=data["converged"],
                message=data["message"],
                x0=data["x0"],
                ref_scale=data["ref_scale"],
                theta=np.asarray(data["theta"], float),
                sigma=data["sigma"],
                dof=data["dof"],
                D=np.asarray(data["D"], float),
                loss=np.asarray(data["loss"], float),
                law_options=data["law_options"],
                cov=None if data["cov"] is None else np.asarray(data["cov"], float),
                samples=None if data["samples"] is None else np.asarray(data["samples"], float),
            )
        except (KeyError, TypeError) as exc:
            raise DataError(f"not a saved fit result (missing or bad field {exc})") from None

    def save(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> FitResult:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"fit result file not found: {path}")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not JSON ({exc})") from None
        return cls.from_dict(data)

    def report(self) -> str:
        """A human-readable account of the fit, in the manner of lmfit's fit_report."""
        pct = f"{100 * self.level:g}%"
        lines = [
            f"[[Fit]] curve {self.curve!r}, law {self.law}: {self.model.formula}",
            (
                f"    points {len(self.D)} at {self.n_scales} scales, dof {self.dof}, "
                f"residual sd of log L {self.sigma:.4g}"
            ),
            f"    converged: {self.converged} ({self.message})",
        ]
        if self.ref_scale is not None:
            lines.append(f"    reference scale D_I = {self.ref_scale:g}")
        lines.append(f"[[Parameters]] ({pct} intervals: {self.methods['ci']})")
        for name, value in self.params.items():
            lo, hi = self.ci.get(name, (None, None))
            lines.append(
                f"    {name:>14} = {value:< 12.6g} +/- {self.stderr.get(name, math.nan):<10.3g}"
                f" [{_fmt(lo)}, {_fmt(hi)}]"
            )
        lines.append(
            f"[[Scaling ability]] k = {self.k:.6g}, {pct} interval "
            f"[{_fmt(self.k_ci[0])}, {_fmt(self.k_ci[1])}] ({self.methods['k_ci']})"
        )
        return "\n".join(lines)


def fit_curve(
    curve: Curve,
    law: str = "power",
    ref_scale: float | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    law_options: dict[str, Any] | None = None,
) -> FitResult:
    """Fit ``law`` to ``curve``; ``ref_scale`` is D_I of Eq. 2 (default: geometric mean of D)."""
    # 1. Check the request against the data.
    law_options = dict(law_options or {})
    model = LAWS.create(law, **law_options)
    if ref_scale is not None and not (math.isfinite(ref_scale) and ref_scale > 0):
        raise FitError(f"reference scale must be a positive number, got {ref_scale:g}")
    if not 0 < level < 1:
        raise FitError(f"confidence level must be between 0 and 1, got {level:g}")
    curve.require_scales(model.min_scales, f"the {law} law ({model.n_params} parameters)")

    # 2. Centre log D on the reference scale so the parameters are of order one.
    x0 = math.log(ref_scale) if ref_scale is not None else float(np.mean(np.log(curve.scales)))
    x, y = np.log(curve.D) - x0, np.log(curve.loss)
    dof = len(y) - model.n_params

    # 3. Point estimate and 4. uncertainty.
    if isinstance(model, PowerLaw):
        estimate = _fit_power(x, y, level)
    else:
        estimate = _fit_nonlinear(model, x, y, x0, curve.replicated, level, dof, n_boot, seed)

    # 5. Publish in the law's usual parametrisation.
    public = {k: float(v) for k, v in model.public(estimate.theta, x0).items()}
    residuals = model.log_predict(estimate.theta, x) - y
    return FitResult(
        curve=curve.name,
        law=law,
        params=public,
        stderr=estimate.stderr,
        ci=estimate.ci,
        k=float(model.k(estimate.theta)),
        k_ci=estimate.k_ci,
        level=level,
        methods=estimate.methods,
        converged=estimate.converged,
        message=estimate.message,
        x0=x0,
        ref_scale=ref_scale,
        theta=estimate.theta,
        sigma=float(np.sqrt(residuals @ residuals / dof)),
        dof=dof,
        D=curve.D,
        loss=curve.loss,
        law_options=law_options,
        cov=estimate.cov,
        samples=estimate.samples,
    )


@dataclass
class _Estimate:
    theta: np.ndarray
    stderr: dict[str, float]
    ci: dict[str, Interval]
    k_ci: Interval
    methods: dict[str, str]
    converged: bool
    message: str
    cov: np.ndarray | None = None
    samples: np.ndarray | None = None


def _fit_power(x: np.ndarray, y: np.ndarray, level: float) -> _Estimate:
    """Ordinary least squares of log L on log D: exact standard errors and t-intervals."""
    fit = ols(np.column_stack([-x, np.ones_like(x)]), y)
    se = np.sqrt(np.diag(fit.cov))
    t = t_quantile(level, fit.dof)
    k, log_l = fit.theta
    stderr = {"k": float(se[0]), "perf_ref": float(se[1])}
    ci = {"k": (k - t * se[0], k + t * se[0]), "perf_ref": (-log_l - t * se[1], -log_l + t * se[1])}
    exact = "t-interval (exact for normal errors in log L)"
    return _Estimate(
        fit.theta,
        stderr,
        {n: (float(a), float(b)) for n, (a, b) in ci.items()},
        (float(ci["k"][0]), float(ci["k"][1])),
        {"ci": exact, "k_ci": exact + "; equals the profile-likelihood interval"},
        True,
        "closed-form least squares",
        cov=fit.cov,
    )


@dataclass(frozen=True)
class PointEstimate:
    theta: np.ndarray
    cost: float
    converged: bool
    message: str


def point_estimate(model: Law, x: np.ndarray, y: np.ndarray, refine: bool = True) -> PointEstimate:
    """Best of the law's starts, solved in one batch, then (``refine``) polished by scipy's
    least_squares, which also judges convergence."""
    if isinstance(model, PowerLaw):
        fit = ols(np.column_stack([-x, np.ones_like(x)]), y)
        return PointEstimate(
            fit.theta, 0.5 * float(fit.residuals @ fit.residuals), True, "closed-form least squares"
        )
    lo, hi = model.bounds(x, y)
    fun = problem(model, x, y)
    batch = batched_least_squares(fun, model.guess(x, y), lo, hi, model.huber_delta, max_iter=100)
    best = int(np.nanargmin(np.where(np.isfinite(batch.cost), batch.cost, np.nan)))
    if not refine:
        return PointEstimate(
            batch.theta[best],
            float(batch.cost[best]),
            bool(batch.converged[best]),
            "batched Levenberg-Marquardt",
        )
    polished = polish(fun, batch.theta[best], lo, hi, model.huber_delta)
    if polished.cost <= batch.cost[best]:
        theta, cost = polished.theta, polished.cost
    else:
        theta, cost = batch.theta[best], float(batch.cost[best])

    # Either optimizer may stop first on a flat ridge; the fit converged if one of them
    # converged at (to 1e-8) the cost finally kept.
    def ended_here(c: float) -> bool:
        return abs(c - cost) <= 1e-8 * max(cost, 1e-300)

    converged = (polished.converged and ended_here(polished.cost)) or (
        bool(batch.converged[best]) and ended_here(float(batch.cost[best]))
    )
    message = "converged" if converged else f"not converged: {polished.message}"
    return PointEstimate(
        theta, cost, converged, "; ".join([message, *_at_bounds(model, theta, lo, hi)])
    )


def _fit_nonlinear(
    model: Law,
    x: np.ndarray,
    y: np.ndarray,
    x0: float,
    replicated: bool,
    level: float,
    dof: int,
    n_boot: int,
    seed: int,
) -> _Estimate:
    point = point_estimate(model, x, y)
    theta, cost = point.theta, point.cost
    profile = profile_interval(model, x, y, theta, cost, dof, level, model.k_index)
    k_ci: Interval = (
        profile if model.k_sign > 0 else tuple(None if v is None else -v for v in profile[::-1])
    )

    stderr: dict[str, float] = {}
    ci: dict[str, Interval] = {}
    samples = None
    scheme = "none (n_boot = 0)"
    if n_boot > 0:
        boot = bootstrap(model, x, y, theta, replicated, n_boot, seed)
        scheme = f"percentile {boot.scheme}, {len(boot.samples)} of {n_boot} refits converged"
        if len(boot.samples) >= 2:
            samples = boot.samples
            tail = 50 * (1 - level)
            for name, values in model.public(samples, x0).items():
                values = values[np.isfinite(values)]
                stderr[name] = float(np.std(values, ddof=1))
                ci[name] = (
                    float(np.percentile(values, tail)),
                    float(np.percentile(values, 100 - tail)),
                )
    ci[model.k_public] = profile
    methods = {"ci": scheme, "k_ci": f"profile likelihood (also for {model.k_public})"}
    return _Estimate(
        theta, stderr, ci, k_ci, methods, point.converged, point.message, samples=samples
    )


def _with(theta: np.ndarray, index: int, value: float) -> np.ndarray:
    out = theta.copy()
    out[index] = value
    return out


def _at_bounds(model: Law, theta: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[str]:
    notes = []
    for i, name in enumerate(model.param_names):
        if np.isclose(theta[i], lo[i], rtol=1e-6, atol=1e-9):
            notes.append(f"{name} at its lower bound {lo[i]:g}")
        elif np.isclose(theta[i], hi[i], rtol=1e-6, atol=1e-9):
            notes.append(f"{name} at its upper bound {hi[i]:g}")
    return notes


def _gradient(law: Law, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d log L / d theta at every x, by central differences; shape (n, p)."""
    grads = []
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = _with(theta, j, theta[j] + h), _with(theta, j, theta[j] - h)
        grads.append((law.log_predict(up, x) - law.log_predict(down, x)) / (2 * h))
    return np.stack(grads, axis=-1)


def _fmt(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:.6g}"


def _clean(obj: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
