"""Predict how a configuration scales from cheap measurements (``synscale predict``).

The model: ridge regression on standardised features, one per target (k and ``-log L_{D_I}``).
Why ridge: a study has a few dozen configurations and the features are strongly correlated
(recognizability and diversity move together with CFG), so ordinary least squares on five
features would chase noise; ridge keeps every feature and shrinks their weights together. Its
penalty is chosen inside each training fold by ridge's exact leave-one-out error (scikit-learn
``RidgeCV``), so the held-out configuration never influences it. Features are standardised inside
the fold too.

Methods (``METHODS``):
- ``metrics``: ridge on the cheap measurements (``table.FEATURES``: recognizability, diversity,
  log FID, and the per-class spread of the first two);
- ``metrics+pilot``: the same plus the pilot measurements at the two smallest scales
  (``table.PILOT``);
- ``recognizability``: a straight line on recognizability alone (baseline 1);
- ``small-scale slope``: no fitting: the slope between the two smallest scales as k, and the line
  through them carried to D_I as ``-log L_{D_I}`` (baseline 2). The target k is fitted to points
  that include these two scales, so this baseline shares their noise with its target.

Validation: leave one configuration out (each held-out prediction comes from a model fitted to
the others), scored by the Spearman rank correlation between predicted and measured values, with
a percentile bootstrap interval over configurations, and by the paired bootstrap difference from
the recognizability baseline (same resamples). For a new dataset, the interval is jackknife+
(Barber, Candes, Ramdas & Tibshirani 2021): the leave-one-out models' predictions shifted by their
held-out residuals; its coverage is at least ``1 - 2 * (1 - level)`` for exchangeable data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synscale.advise.table import FEATURES, PILOT, TARGETS, StudyTable
from synscale.errors import ConfigError, DataError

METHODS = ("metrics", "metrics+pilot", "recognizability", "small-scale slope")
BASELINE = "recognizability"
ALPHAS = np.logspace(-3, 3, 13)
MIN_CONFIGS = 5
_RAW = {"k": "small_slope", "perf_ref": "small_perf_ref"}  # the slope baseline's prediction


def features_of(method: str, frame: pd.DataFrame) -> list[str]:
    """The columns a method uses; a feature missing for any configuration (e.g. FID not
    measured) is left out, the same way in every fold."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    wanted = {"metrics": FEATURES, "metrics+pilot": FEATURES + PILOT,
              "recognizability": ("recognizability",), "small-scale slope": ()}[method]
    return [c for c in wanted if c in frame and frame[c].notna().all()]


def fit_predict(method: str, target: str, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Fit ``method`` on ``train`` and predict ``target`` for the rows of ``test``."""
    if method == "small-scale slope":
        return test[_RAW[target]].to_numpy(float)
    columns = features_of(method, train)
    if not columns:
        raise DataError(f"method {method!r}: no feature is measured for every configuration")
    model = (LinearRegression() if method == BASELINE
             else make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)))
    model.fit(train[columns].to_numpy(float), train[target].to_numpy(float))
    return model.predict(test[columns].to_numpy(float))


def loo_predictions(method: str, target: str, frame: pd.DataFrame) -> np.ndarray:
    """Each configuration's value predicted by the method fitted to all the others."""
    out = np.empty(len(frame))
    for i in range(len(frame)):
        train = frame.drop(index=frame.index[i])
        out[i] = fit_predict(method, target, train, frame.iloc[[i]])[0]
    return out


@dataclass
class Score:
    target: str
    method: str
    n: int
    spearman: float
    spearman_ci: tuple[float, float]
    vs_recognizability: float  # spearman minus the recognizability baseline's
    vs_recognizability_ci: tuple[float, float]
    rmse: float

    def as_dict(self) -> dict[str, object]:
        return {"target": self.target, "method": self.method, "n": self.n,
                "spearman": self.spearman, "spearman_ci": list(self.spearman_ci),
                "vs_recognizability": self.vs_recognizability,
                "vs_recognizability_ci": list(self.vs_recognizability_ci), "rmse": self.rmse}


@dataclass
class Evaluation:
    study: str
    level: float
    scores: list[Score]
    loo: pd.DataFrame  # target, method, config, dataset, measured, predicted
    notes: list[str] = field(default_factory=list)


def evaluate(table: StudyTable, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Evaluation:
    """Leave-one-configuration-out predictions of every method for both targets, scored."""
    frame = table.with_curves
    if len(frame) < MIN_CONFIGS:
        raise DataError(f"predict needs learning curves (3+ scales up to D_I) of at least "
                        f"{MIN_CONFIGS} configurations; study {table.study!r} has {len(frame)} "
                        "(add a curve per configuration, as examples/mini-adaptive.yaml does)")
    methods = [m for m in METHODS if m != "small-scale slope" or table.small_scales is not None]
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(frame), size=(n_boot, len(frame)))
    scores, rows = [], []
    for target in TARGETS:
        measured = frame[target].to_numpy(float)
        predicted = {m: loo_predictions(m, target, frame) for m in methods}
        base = _boot_spearman(measured, predicted[BASELINE], resamples)
        for method in methods:
            boot = _boot_spearman(measured, predicted[method], resamples)
            diff = boot - base
            scores.append(Score(target, method, len(frame), _spearman(measured, predicted[method]),
                                _percentile(boot, level),
                                _spearman(measured, predicted[method]) - _spearman(measured, predicted[BASELINE]),
                                _percentile(diff, level),
                                float(np.sqrt(np.mean((predicted[method] - measured) ** 2)))))
            rows += [{"target": target, "method": method, "config": c, "dataset": d,
                      "measured": float(y), "predicted": float(p)}
                     for c, d, y, p in zip(frame["config"], frame["dataset"], measured, predicted[method])]
    notes = [] if "log_fid" in features_of("metrics", frame) else [("FID is not measured for every "
                                                                   "configuration: left out")]
    return Evaluation(table.study, level, scores, pd.DataFrame(rows), notes)


def predict_new(table: StudyTable, features: pd.Series, method: str = "metrics",
                level: float = 0.95) -> list[dict[str, object]]:
    """Both targets for one dataset (a row of cheap, and for ``metrics+pilot`` pilot,
    measurements), each with a jackknife+ interval; the dataset's own curve, if it has one, is
    left out of the training set and its measured values reported beside the prediction."""
    frame = table.with_curves
    own = frame["dataset"] == features.get("dataset")
    train = frame[~own].reset_index(drop=True)
    if len(train) < MIN_CONFIGS:
        raise DataError(f"predict needs learning curves of at least {MIN_CONFIGS} other "
                        f"configurations; study {table.study!r} has {len(train)}")
    missing = [c for c in features_of(method, train) if not np.isfinite(features.get(c, np.nan))]
    if method == "small-scale slope" or missing:
        raise DataError(f"method {method!r} needs {', '.join(missing) or 'runs at the small scales'} "
                        f"of dataset {features.get('dataset')!r}: measured " +
                        ", ".join(c for c in (*FEATURES, *PILOT) if np.isfinite(features.get(c, np.nan))))
    test = pd.DataFrame([features])
    out = []
    for target in TARGETS:
        point = float(fit_predict(method, target, train, test)[0])
        loo = loo_predictions(method, target, train)
        residuals = np.abs(train[target].to_numpy(float) - loo)
        shifted = np.array([fit_predict(method, target, train.drop(index=i), test)[0]
                            for i in range(len(train))])
        lo, hi = jackknife_plus(shifted, residuals, level)
        row = {"target": target, "method": method, "predicted": point, "interval": [lo, hi],
               "level": level, "n_train": len(train)}
        if own.any():
            row["measured"] = float(frame.loc[own, target].iloc[0])
        out.append(row)
    return out


def jackknife_plus(loo_at_x: np.ndarray, residuals: np.ndarray, level: float) -> tuple[float, float]:
    """The jackknife+ interval from the leave-one-out models' predictions at x and their
    held-out absolute residuals; an end is infinite when there are too few models for the level."""
    n, alpha = len(residuals), 1 - level
    lower, upper = np.sort(loo_at_x - residuals), np.sort(loo_at_x + residuals)
    # a tolerance so that 0.1 * 20 stays 2 in floating point
    k_lo, k_hi = math.floor(alpha * (n + 1) + 1e-9), math.ceil(level * (n + 1) - 1e-9)
    return (float(lower[k_lo - 1]) if k_lo >= 1 else -math.inf,
            float(upper[k_hi - 1]) if k_hi <= n else math.inf)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _boot_spearman(measured: np.ndarray, predicted: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Spearman's rho of every resample at once: Pearson's r of the (tie-averaged) ranks."""
    a, b = rankdata(measured[resamples], axis=1), rankdata(predicted[resamples], axis=1)
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (a * b).sum(axis=1) / norm, np.nan)


def _percentile(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if not len(values):
        return (float("nan"), float("nan"))
    tail = 100 * (1 - level) / 2
    return (float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))
