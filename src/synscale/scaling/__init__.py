"""Scaling-law analysis: laws, fits with intervals, breaks, extrapolation, exchange, classes.

The laws are named in ``LAWS`` without loading the fitting code (scipy): ``m4`` is declared here
by the module that registers it, and the fitting names load when first used."""

from importlib import import_module
from typing import Any

from synscale.scaling.laws import LAWS, Law

LAWS.declare("m4", "synscale.scaling.m4", "Alabdulmohsin et al. 2022 M4: (L - E_inf) / "
             "(E_0 - L)^alpha = beta D^c; k is -c.")

_LAZY = {"Curve": "synscale.scaling.curves", "read_curves_csv": "synscale.scaling.curves",
         "FitResult": "synscale.scaling.fit", "Prediction": "synscale.scaling.fit",
         "fit_curve": "synscale.scaling.fit"}

__all__ = ["LAWS", "Curve", "FitResult", "Law", "Prediction", "fit_curve", "read_curves_csv"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
