"""What ``synscale fit`` does: fit the curves of a CSV file or every curve of a workspace."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from synscale.errors import FitError, WorkspaceError
from synscale.scaling.breaks import power_law_range
from synscale.scaling.curves import Curve, curves_from_frame, read_curves_csv
from synscale.scaling.extrapolate import choose_fit_start, heldout_error
from synscale.scaling.fit import FitResult, fit_curve
from synscale.scaling.laws import LAWS
from synscale.store import ResultsStore
from synscale.workspace import Workspace


@dataclass(frozen=True)
class FitOptions:
    law: str = "power"  # replaced per law when several are fitted
    ref_scale: float | None = None
    holdout_last: int | None = None  # fit without the last N scales and score them
    choose_range: bool = False  # drop small scales when forward validation says so
    level: float = 0.95
    n_boot: int = 1000
    seed: int = 0


def fit_one(curve: Curve, options: FitOptions) -> tuple[FitResult, dict[str, Any]]:
    """The fit of one curve and its JSON summary (with held-out score and power-law range)."""
    train, heldout = (
        curve.split_last(options.holdout_last)
        if options.holdout_last is not None
        else (curve, None)
    )
    if options.choose_range:
        train = train.select(train.D >= choose_fit_start(train, options.law))
    fit = fit_curve(
        train,
        options.law,
        ref_scale=options.ref_scale,
        level=options.level,
        n_boot=options.n_boot,
        seed=options.seed,
    )
    out = fit.summary()
    out["fit_from_D"] = float(train.D.min())
    if heldout is not None:
        out.update(heldout_error(fit, heldout).summary())
    if options.law == "power":
        try:
            out["power_law_range"] = power_law_range(train).summary()
        except FitError as exc:
            out["power_law_range"] = {"error": str(exc)}
    return fit, out


def fit_curves_file(path: str | Path, laws: list[str], options: FitOptions) -> list[dict[str, Any]]:
    for law in laws:  # an unknown law fails before any work
        LAWS.get(law)
    curves = read_curves_csv(path)
    return [fit_one(curve, replace(options, law=law))[1] for curve in curves for law in laws]


def fit_workspace(root: str | Path, laws: list[str], options: FitOptions) -> list[dict[str, Any]]:
    """Fit every stored curve (validation and every OOD set) with every law; store the fits.

    A curve too short for a law is reported as skipped rather than stopping the others. Without
    ``ref_scale``, a curve of a study is fitted at its study's D_I, so the stored fit keeps the
    meaning the study gave it; other curves at the geometric mean of their scales.
    """
    for law in laws:
        LAWS.get(law)
    workspace = Workspace(root, create=False)
    if not workspace.store_path.is_file():
        raise WorkspaceError(f"workspace {root} has no results store yet; train some curves first")
    rows: list[dict[str, Any]] = []
    with ResultsStore(workspace.store_path) as store:
        study_scales = dict(store.query(
            "SELECT c.curve, min(s.reference_scale) AS d FROM study_curves c JOIN studies s"
            " USING (study) GROUP BY c.curve").itertuples(index=False))
        set_names = sorted(
            store.table("set_metrics")["set_name"].unique(), key=lambda s: (s != "val", s)
        )
        for set_name in set_names:
            for curve in curves_from_frame(
                store.curves(set_name), source=f"{workspace.store_path} ({set_name})"
            ):
                ref_scale = options.ref_scale or study_scales.get(curve.name)
                for law in laws:
                    try:
                        fit, row = fit_one(curve, replace(options, law=law, ref_scale=ref_scale))
                    except FitError as exc:
                        rows.append(
                            {"curve": curve.name, "set": set_name, "law": law, "skipped": str(exc)}
                        )
                        continue
                    store.add_fit(curve.name, set_name, law, {**fit.to_dict(), **row})
                    rows.append({"set": set_name, **row})
    if not any("skipped" not in row for row in rows):
        reason = rows[0]["skipped"] if rows else "the store holds no curves"
        raise FitError(f"no stored curve could be fitted ({reason})")
    return rows
