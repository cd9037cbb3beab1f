"""Scaling-law analysis: laws, fits with intervals, breaks, extrapolation, exchange, classes."""

from synscale.scaling import m4 as _m4  # noqa: F401  (registers the m4 law in LAWS)
from synscale.scaling.curves import Curve, read_curves_csv
from synscale.scaling.fit import FitResult, Prediction, fit_curve
from synscale.scaling.laws import LAWS, Law

__all__ = ["LAWS", "Curve", "FitResult", "Law", "Prediction", "fit_curve", "read_curves_csv"]
